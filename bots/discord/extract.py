"""What the core needs from an interaction: who (with their roles), where, and the replay key."""

from __future__ import annotations

from typing import Any

import discord

from core.actors import Actor, Request
from core.relay.port import PostRef

PLATFORM = "discord"


def role_ids(user: discord.User | discord.Member) -> frozenset[str]:
    """The role ids Discord sent with the interaction.

    Without a member cache `Member.roles` only lists roles found in the guild's role cache;
    the interaction payload always carries the ids, which discord.py keeps in `_roles`.
    """
    if not isinstance(user, discord.Member):
        return frozenset()
    ids = {str(role_id) for role_id in getattr(user, "_roles", ())}
    ids.update(str(role.id) for role in user.roles if not role.is_default())
    return frozenset(ids)


def actor_of(interaction: discord.Interaction[Any]) -> Actor:
    user = interaction.user
    return Actor(
        platform=PLATFORM,
        user_id=str(user.id),
        display_name=user.display_name,
        role_ids=role_ids(user),
    )


def request_of(interaction: discord.Interaction[Any]) -> Request:
    pressed = interaction.message  # the message of a pressed button, if any
    return Request(
        actor=actor_of(interaction),
        chat_id=str(interaction.channel_id or ""),
        event_key=f"discord:interaction:{interaction.id}",
        is_private_chat=interaction.guild_id is None,
        message=(PostRef(PLATFORM, str(pressed.channel.id), str(pressed.id)) if pressed else None),
    )


def lane_of(interaction: discord.Interaction[Any]) -> str:
    """Whose interactions are handled in order: each member's own.

    Unlike a Telegram chat's messages, the interactions of different members in one channel do
    not depend on each other (each has its own token and answer): ordering a busy channel as
    one would make every member wait for every other member's slow store work.
    """
    return f"user:{interaction.user.id}"
