"""Slash commands generated from the core's registry: one per CommandSpec, none written twice.

Each generated callback carries a real signature (`inspect.Signature` with `str`/`int`
annotations) so discord.py builds typed options from it as it does for hand-written commands.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from typing import Any

import discord
from discord import app_commands

from bots.discord.dispatch import Adapter
from bots.discord.text import clip
from core.commands import Audience, CommandSpec

MODERATOR_PERMISSIONS = discord.Permissions(manage_messages=True)
# Commands whose Discord form differs from the text form: /comment opens a modal.


def _signature(spec: CommandSpec) -> inspect.Signature:
    parameters = [
        inspect.Parameter(
            "interaction", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=discord.Interaction
        )
    ]
    for argument in spec.arguments:
        parameters.append(
            inspect.Parameter(
                argument.name,
                inspect.Parameter.KEYWORD_ONLY,
                annotation=argument.kind,
                default=inspect.Parameter.empty if argument.required else None,
            )
        )
    return inspect.Signature(parameters)


def core_command(adapter: Adapter, spec: CommandSpec) -> app_commands.Command[Any, ..., None]:
    """A slash command whose options are the spec's arguments; it runs the core command."""

    async def callback(interaction: discord.Interaction[Any], **values: Any) -> None:
        """Run the core command with the options joined as its argument text."""
        parts = [str(values[a.name]) for a in spec.arguments if values.get(a.name) is not None]
        await adapter.command(interaction, spec, " ".join(parts))

    callback.__signature__ = _signature(spec)  # type: ignore[attr-defined]
    callback.__discord_app_commands_param_description__ = {  # type: ignore[attr-defined]
        a.name: clip(a.description or a.name, 100) for a in spec.arguments
    }
    command: app_commands.Command[Any, ..., None] = app_commands.Command(
        name=spec.name, description=clip(spec.description, 100), callback=callback
    )
    if spec.autocompletes is not None:

        async def suggest(
            interaction: discord.Interaction[Any], current: str
        ) -> list[app_commands.Choice[str]]:
            """Rank FAQ questions for what the reader has typed so far."""
            return await adapter.faq_autocomplete(interaction, current)

        command.autocomplete(spec.autocompletes)(suggest)
    return command


def form_command(adapter: Adapter, spec: CommandSpec) -> app_commands.Command[Any, ..., None]:
    """/comment: answers with the comment form instead of taking the text as an option."""

    async def comment(interaction: discord.Interaction[Any]) -> None:
        """Open the comment form."""
        await adapter.open_comment_form(interaction)

    return app_commands.Command(
        name=spec.name, description=clip(spec.description, 100), callback=comment
    )


def build_commands(
    adapter: Adapter, specs: Iterable[CommandSpec]
) -> list[app_commands.Command[Any, ..., None]]:
    commands = []
    for spec in specs:
        make = form_command if spec.form else core_command
        command = make(adapter, spec)
        if spec.audience is Audience.MODERATOR:
            command.default_permissions = MODERATOR_PERMISSIONS
        commands.append(command)
    return commands
