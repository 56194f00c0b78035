"""Sending rendered replies: acknowledge first, then edit or follow up, mentions always off."""

from __future__ import annotations

import contextlib
import io
import logging
from typing import Any

import discord

from bots.discord.render import Message, render, render_one
from bots.discord.views import build_view
from core.app import SOMETHING_WENT_WRONG
from core.replies import Reply

log = logging.getLogger(__name__)

NO_MENTIONS = discord.AllowedMentions.none()
# Discord's codes for an interaction that can no longer be acknowledged.
UNKNOWN_INTERACTION = 10062
ALREADY_ACKNOWLEDGED = 40060


def files(message: Message) -> list[discord.File]:
    return [discord.File(io.BytesIO(a.content), filename=a.filename) for a in message.attachments]


def send_kwargs(message: Message) -> dict[str, Any]:
    """Arguments for channel.send / followup.send (omitting what is empty)."""
    kwargs: dict[str, Any] = {"allowed_mentions": NO_MENTIONS}
    if message.content:
        kwargs["content"] = message.content
    if message.embeds:
        kwargs["embeds"] = message.embeds
    if view := build_view(message.buttons):
        kwargs["view"] = view
    if message.attachments:
        kwargs["files"] = files(message)
    return kwargs


def edit_kwargs(message: Message) -> dict[str, Any]:
    """Arguments for an edit that replaces the whole message (content, embeds, buttons)."""
    return {
        "content": message.content,
        "embeds": message.embeds,
        "view": build_view(message.buttons),
        "attachments": files(message),
        "allowed_mentions": NO_MENTIONS,
    }


async def acknowledge(
    interaction: discord.Interaction[Any],
    *,
    ephemeral: bool = False,
    update: bool = False,
    think: bool = False,
) -> bool:
    """Defer the interaction; False when Discord says it is gone or already acknowledged.

    Button presses (and forms opened from a button, with `update`) defer as an update of the
    message they sit on, unless `think`; commands and forms defer with a "thinking"
    placeholder.
    """
    try:
        component = interaction.type is discord.InteractionType.component
        if update or (component and not think):
            await interaction.response.defer()
        else:
            await interaction.response.defer(ephemeral=ephemeral, thinking=True)
    except discord.HTTPException as exc:
        if exc.code in (UNKNOWN_INTERACTION, ALREADY_ACKNOWLEDGED):
            log.info("interaction %s not acknowledged: %s", interaction.id, exc.code)
            return False
        raise
    return True


async def reply_to_component(interaction: discord.Interaction[Any], reply: Reply) -> None:
    """After a deferred button press: edit the pressed message or follow up."""
    if reply.edit_in_place:
        await interaction.edit_original_response(**edit_kwargs(render_one(reply)))
        return
    for message in render(reply):
        await interaction.followup.send(ephemeral=reply.ephemeral, **send_kwargs(message))


async def reply_after_thinking(
    interaction: discord.Interaction[Any], reply: Reply, *, deferred_ephemeral: bool
) -> None:
    """After a "thinking" defer: replace the placeholder, then follow up with the rest."""
    messages = render(reply)
    ephemeral = deferred_ephemeral
    if reply.ephemeral and not deferred_ephemeral:
        # A public placeholder cannot become ephemeral: remove it and answer privately.
        await interaction.delete_original_response()
        ephemeral = True
    else:
        first = messages.pop(0)
        await interaction.edit_original_response(**edit_kwargs(first))
    for message in messages:
        await interaction.followup.send(ephemeral=ephemeral, **send_kwargs(message))


async def fill_placeholder(
    interaction: discord.Interaction[Any], reply: Reply, *, deferred_ephemeral: bool
) -> None:
    """Resolve a "thinking" placeholder with one message and send nothing else."""
    if reply.ephemeral and not deferred_ephemeral:
        await interaction.delete_original_response()
        return
    await interaction.edit_original_response(**edit_kwargs(render_one(reply)))


async def apologise(interaction: discord.Interaction[Any]) -> None:
    """Tell the actor alone that something failed, rather than leave them waiting."""
    with contextlib.suppress(discord.HTTPException):
        if interaction.response.is_done():
            await interaction.followup.send(
                SOMETHING_WENT_WRONG, ephemeral=True, allowed_mentions=NO_MENTIONS
            )
        else:
            await interaction.response.send_message(
                SOMETHING_WENT_WRONG, ephemeral=True, allowed_mentions=NO_MENTIONS
            )
