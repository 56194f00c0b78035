"""Per interaction: acknowledge, extract who/where/key, call one core method, render the result.

Nothing here decides what an actor may do or touches the store: the core does both.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import discord
from discord import app_commands

from bots.discord import deliver
from bots.discord import text as t
from bots.discord.extract import actor_of, lane_of, request_of
from bots.discord.render import render_one
from bots.discord.views import CommentModal, InputModal
from core.app import Core, Outcome
from core.commands import Audience, CommandSpec
from core.inbox import Lanes
from core.replies import TextInput
from core.throttle import Verdict

log = logging.getLogger(__name__)

CHOICE_LIMIT = 100  # characters in an autocomplete choice's name and value
AUTOCOMPLETE_CHOICES = 25
LANE_CONCURRENCY = 16
_ALREADY_ANSWERED = frozenset({deliver.UNKNOWN_INTERACTION, deliver.ALREADY_ACKNOWLEDGED})


class Adapter:
    """The adapter's handlers, shared by commands, buttons and modals of one client."""

    def __init__(
        self,
        core: Core,
        announce_channel_ids: Iterable[str] = (),
        concurrency: int = LANE_CONCURRENCY,
    ) -> None:
        self.core = core
        # A card there is everyone's: a press answers the presser alone, never edits it.
        self.announce_channels = frozenset(int(c) for c in announce_channel_ids)
        # After the acknowledgement, the core call and the answer run in the member's lane: in
        # order per member, fair across members, with the same bounded slots as Telegram.
        self.lanes = Lanes(concurrency, name="discord-lane")
        # Called with the interaction id when its handling is over (tests wait on it).
        self.on_handled: Callable[[int], None] | None = None

    async def _guard(self, interaction: discord.Interaction[Any], work: Awaitable[None]) -> None:
        try:
            await work
        except Exception as exc:
            if isinstance(exc, discord.HTTPException) and exc.code in _ALREADY_ANSWERED:
                # A re-delivered interaction (e.g. a form's): its first delivery answered it.
                log.info("interaction %s not answered: %s", interaction.id, exc)
                return
            log.exception("failed to answer interaction %s", interaction.id)
            await deliver.apologise(interaction)
        finally:
            if self.on_handled is not None:
                self.on_handled(interaction.id)

    # Slash commands ----------------------------------------------------------------------

    async def command(
        self, interaction: discord.Interaction[Any], spec: CommandSpec, args: str
    ) -> None:
        """Run a core command: defer at once, execute, then answer."""
        await self._guard(interaction, self._command(interaction, spec, args))

    async def _command(
        self, interaction: discord.Interaction[Any], spec: CommandSpec, args: str
    ) -> None:
        admission = self.core.admit(actor_of(interaction))
        if admission.verdict is Verdict.SKIP:
            return  # over the rate and already told: not worth a request to Discord
        if admission.verdict is Verdict.WARN:
            message = render_one(self.core.slow_down(admission))
            await interaction.response.send_message(ephemeral=True, **deliver.send_kwargs(message))
            return
        # Answers about the actor alone are deferred privately, so they can stay private.
        private = spec.audience is Audience.MODERATOR or spec.personal
        if not await deliver.acknowledge(interaction, ephemeral=private):
            return

        async def handle() -> None:
            outcome = await self.core.execute(request_of(interaction), spec.name, args)
            await self._answer(interaction, outcome, deferred_ephemeral=private)

        await self.lanes.run(lane_of(interaction), handle)

    async def unknown_command(self, interaction: discord.Interaction[Any], name: str) -> None:
        """A command Discord still offers that this version lacks (e.g. a removed article)."""

        async def answer() -> None:
            if interaction.type is discord.InteractionType.autocomplete:
                await interaction.response.autocomplete([])
                return
            outcome = await self.core.execute(request_of(interaction), name)  # no store work
            message = render_one(outcome.reply)
            await interaction.response.send_message(ephemeral=True, **deliver.send_kwargs(message))

        await self._guard(interaction, answer())

    async def faq_autocomplete(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        """FAQ questions ranked by the core's in-memory matcher; no defer, no store."""
        choices: list[app_commands.Choice[str]] = []
        try:
            for choice in self.core.faq_choices(current, AUTOCOMPLETE_CHOICES):
                label = t.clip(" ".join(choice.label.split()), CHOICE_LIMIT)
                if label:
                    choices.append(app_commands.Choice(name=label, value=label))
        finally:
            if self.on_handled is not None:
                self.on_handled(interaction.id)
        return choices[:AUTOCOMPLETE_CHOICES]

    async def open_comment_form(
        self, interaction: discord.Interaction[Any], article: str | None = None
    ) -> None:
        """Answer with the comment modal: the initial response, before any store work."""

        async def show() -> None:
            rules = self.core.settings.comment_rules
            modal = CommentModal(
                min_length=rules.min_length,
                max_length=rules.max_length,
                max_name_length=rules.max_name_length,
                article=article,
            )
            await interaction.response.send_modal(modal)

        await self._guard(interaction, show())

    async def submit_comment(
        self,
        interaction: discord.Interaction[Any],
        text: str,
        display_name: str | None,
        article: str | None,
    ) -> None:
        """A submitted comment modal: defer privately, store via the core, confirm privately."""

        async def submit() -> None:
            if not await deliver.acknowledge(interaction, ephemeral=True):
                return

            async def handle() -> None:
                request = request_of(interaction)
                outcome = await self.core.submit_comment(request, text, display_name, article)
                await self._answer(interaction, outcome, deferred_ephemeral=True)

            await self.lanes.run(lane_of(interaction), handle)

        await self._guard(interaction, submit())

    # Buttons -----------------------------------------------------------------------------

    async def press(
        self, interaction: discord.Interaction[Any], action: str, text: str | None = None
    ) -> None:
        """A core action button (or its form): defer (update), press, edit or follow up."""

        async def run() -> None:
            if await self._refused(interaction, action):
                return
            on_channel_card = self._on_channel_card(interaction)
            if on_channel_card:
                acknowledged = await deliver.acknowledge(interaction, ephemeral=True, think=True)
            else:
                acknowledged = await deliver.acknowledge(interaction, update=True)
            if not acknowledged:
                return

            async def handle() -> None:
                outcome = await self.core.press(request_of(interaction), action, text)
                if on_channel_card:
                    await self._answer(interaction, outcome, deferred_ephemeral=True)
                elif outcome.should_send:
                    async with self.core.delivering(outcome) as reply:
                        await deliver.reply_to_component(interaction, reply)

            await self.lanes.run(lane_of(interaction), handle)

        await self._guard(interaction, run())

    def _on_channel_card(self, interaction: discord.Interaction[Any]) -> bool:
        """Whether the press is on an article card in an announce channel (not on an answer
        the presser alone sees, which is theirs to page through in place)."""
        message = interaction.message
        return (
            interaction.channel_id in self.announce_channels
            and message is not None
            and not message.flags.ephemeral
        )

    async def ask_for_text(
        self, interaction: discord.Interaction[Any], action: str, wanted: TextInput
    ) -> None:
        """The action wants text first: the form is the initial response, nothing is stored."""

        async def ask() -> None:
            if not await self._refused(interaction, action):
                await interaction.response.send_modal(InputModal(action, wanted))

        await self._guard(interaction, ask())

    async def _refused(self, interaction: discord.Interaction[Any], action: str) -> bool:
        """Answer a press the core refuses outright (e.g. a moderators' button pressed by a
        reader) privately, as the initial response; True if it was refused.

        Deferred first, the refusal would hang on the first follow-up of a silent deferred
        update, and a form would open for someone who may not use it."""
        refusal = self.core.refusal(actor_of(interaction), action)
        if refusal is None:
            return False
        message = render_one(refusal)
        await interaction.response.send_message(ephemeral=True, **deliver.send_kwargs(message))
        return True

    # Answering ---------------------------------------------------------------------------

    async def _answer(
        self, interaction: discord.Interaction[Any], outcome: Outcome, *, deferred_ephemeral: bool
    ) -> None:
        if not outcome.should_send:
            # Discord accepted this acknowledgement, so this token has no answer yet: the first
            # reply fills the placeholder. Nothing was done again and nothing else is sent.
            await deliver.fill_placeholder(
                interaction, outcome.reply, deferred_ephemeral=deferred_ephemeral
            )
            return
        async with self.core.delivering(outcome) as reply:
            await deliver.reply_after_thinking(
                interaction, reply, deferred_ephemeral=deferred_ephemeral
            )
