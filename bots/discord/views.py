"""Buttons and modals: core buttons as a persistent View, the comment and reject-reason modals.

An ActionButton becomes an `ActionItem`, a DynamicItem whose custom_id carries the core's action
id, so a button keeps working after a restart: discord.py matches the custom_id against the
template and rebuilds the item, whatever process posted the message.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord

from bots.discord import text as t
from bots.discord.render import BUTTONS_PER_ROW, ROWS
from core.replies import ActionButton, Button, TextInput

if TYPE_CHECKING:
    from bots.discord.run import NewsroomClient

PREFIX = "nb:"
MODAL_TIMEOUT = 15 * 60.0
URL_LIMIT = 512
MODAL_TITLE_LIMIT = 45
INPUT_LABEL_LIMIT = 45


class ActionItem(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"nb:(?P<action>.+)"):
    """A core ActionButton; pressing it calls `Core.press` with the action it carries."""

    def __init__(self, action: str, label: str = "…", row: int | None = None) -> None:
        super().__init__(
            discord.ui.Button(
                style=discord.ButtonStyle.secondary,
                label=t.clip(t.plain(label), t.LABEL_LIMIT) or t.ELLIPSIS,
                custom_id=PREFIX + action,
            ),
            row=row,
        )
        self.action = action

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> ActionItem:
        """Rebuild the pressed button from its custom_id."""
        label = getattr(item, "label", None) or t.ELLIPSIS
        return cls(match["action"], label)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Hand the press to the core, first asking in a form for any text the action wants."""
        client: NewsroomClient = interaction.client
        wanted = client.adapter.core.input_for(self.action)
        if wanted is not None:
            await client.adapter.ask_for_text(interaction, self.action, wanted)
        else:
            await client.adapter.press(interaction, self.action)


def _to_item(button: Button, row: int) -> discord.ui.Item[Any] | None:
    if isinstance(button, ActionButton):
        return ActionItem(button.action, button.label, row=row)
    url = t.safe_url(button.url)
    if url is None or len(url) > URL_LIMIT:
        return None  # Discord refuses the whole message for one bad link button
    label = t.clip(t.plain(button.label), t.LABEL_LIMIT) or t.ELLIPSIS
    return discord.ui.Button(style=discord.ButtonStyle.link, label=label, url=url, row=row)


def build_view(rows: tuple[tuple[Button, ...], ...]) -> discord.ui.View | None:
    """Rows of core buttons (already packed 5 by 5, see render.pack_buttons) as a View."""
    if not rows:
        return None
    view = discord.ui.View(timeout=None)
    for index, row in enumerate(rows[:ROWS]):
        for button in row[:BUTTONS_PER_ROW]:
            if (item := _to_item(button, index)) is not None:
                view.add_item(item)
    return view if view.children else None


class CommentModal(discord.ui.Modal):
    """The comment form: the comment (required) and the name to show (optional)."""

    def __init__(
        self, *, min_length: int, max_length: int, max_name_length: int, article: str | None
    ) -> None:
        super().__init__(title="Leave a comment", timeout=MODAL_TIMEOUT)
        self.article = article
        self.comment: discord.ui.TextInput[CommentModal] = discord.ui.TextInput(
            label="Comment",
            style=discord.TextStyle.paragraph,
            required=True,
            min_length=min(min_length, max_length, 4000),
            max_length=min(max_length, 4000),
        )
        self.display_name: discord.ui.TextInput[CommentModal] = discord.ui.TextInput(
            label="Name (optional)",
            required=False,
            max_length=min(max_name_length, 4000),
        )
        self.add_item(self.comment)
        self.add_item(self.display_name)

    async def on_submit(self, interaction: discord.Interaction[Any], /) -> None:
        """Store the comment through the core and confirm it to the author alone."""
        client: NewsroomClient = interaction.client
        name = self.display_name.value.strip() or None
        await client.adapter.submit_comment(interaction, self.comment.value, name, self.article)


class InputModal(discord.ui.Modal):
    """The text an action asks for (a reject reason, a comment), then the press itself."""

    def __init__(self, action: str, wanted: TextInput) -> None:
        title = t.clip(t.plain(wanted.title), MODAL_TITLE_LIMIT) or t.ELLIPSIS
        super().__init__(title=title, timeout=MODAL_TIMEOUT)
        self.action = action
        self.text: discord.ui.TextInput[InputModal] = discord.ui.TextInput(
            label=t.clip(t.plain(wanted.label), INPUT_LABEL_LIMIT) or t.ELLIPSIS,
            style=discord.TextStyle.paragraph,
            required=wanted.required,
            max_length=min(wanted.max_length, 4000),
        )
        self.add_item(self.text)

    async def on_submit(self, interaction: discord.Interaction[Any], /) -> None:
        """Press the action through the core with the text typed."""
        client: NewsroomClient = interaction.client
        await client.adapter.press(interaction, self.action, self.text.value.strip() or None)
