"""The Discord adapter's settings (`DISCORD_*`); imports no Discord library, so the runner can
read them to decide whether to load the adapter at all."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs

from core.actors import Actor
from core.checks import BadValue, at_least, numbers, secret, shown, texts, unique
from core.environment import Reading
from core.secret import Secret


def channels(instance: object, attribute: attrs.Attribute[Any], value: tuple[str, ...]) -> None:
    """Channel ids: numbers (snowflakes) of at most 20 digits."""
    texts(instance, attribute, value)
    for channel in value:
        if not (channel.isascii() and channel.isdigit() and len(channel) <= 20):
            raise BadValue(
                attribute.name, f"{shown(channel)} is not a channel id: give its number"
            )


@attrs.frozen
class DiscordSettings:
    bot_token: Secret | None = attrs.field(default=None, validator=secret)
    guild_id: str | None = None
    moderation_channel_id: str | None = None
    moderator_role_ids: tuple[str, ...] = attrs.field(default=(), validator=texts)
    moderator_ids: tuple[str, ...] = attrs.field(default=(), validator=texts)
    # Channels where /publish posts article cards (an announcement channel's are crossposted).
    announce_channel_ids: tuple[str, ...] = attrs.field(
        default=(), converter=unique, validator=channels
    )
    # Shards to open; unset follows Discord's recommendation (needed from 2,500 guilds).
    shard_count: int | None = attrs.field(
        default=None, validator=attrs.validators.optional(at_least(1))
    )
    # The shards this process opens (e.g. "0,1" of 4); the others run in other processes.
    shard_ids: tuple[int, ...] = attrs.field(default=(), validator=numbers)

    def __attrs_post_init__(self) -> None:
        ids = self.shard_ids
        if not ids:
            return
        if self.shard_count is None:
            raise ValueError("DISCORD_SHARD_IDS: needs DISCORD_SHARD_COUNT (the shards in all)")
        if len(set(ids)) != len(ids) or not all(0 <= i < self.shard_count for i in ids):
            raise ValueError(
                f"DISCORD_SHARD_IDS: must be distinct numbers from 0 to "
                f"{self.shard_count - 1} (DISCORD_SHARD_COUNT is {self.shard_count})"
            )

    @classmethod
    def from_environment(cls) -> DiscordSettings:
        """`DISCORD_*` from the environment and `.env`; SettingsError names every bad one."""
        reading = Reading()
        with reading.prefixed("DISCORD_"):
            values = reading.checked(
                cls,
                {
                    "bot_token": reading.secret("BOT_TOKEN"),
                    "guild_id": reading.text("GUILD_ID"),
                    "moderation_channel_id": reading.text("MODERATION_CHANNEL_ID"),
                    "moderator_role_ids": reading.texts("MODERATOR_ROLE_IDS"),
                    "moderator_ids": reading.texts("MODERATOR_IDS"),
                    "announce_channel_ids": reading.texts("ANNOUNCE_CHANNEL_IDS"),
                    "shard_count": reading.integer("SHARD_COUNT"),
                    "shard_ids": reading.numbers("SHARD_IDS"),
                },
            )
        return reading.finish(lambda: cls(**values))

    def moderator_rule(self) -> Callable[[Actor], bool]:
        """Who moderates on Discord (for `Core.grant_moderators`): the listed user ids, and
        members holding any of the listed roles."""
        ids, roles = frozenset(self.moderator_ids), frozenset(self.moderator_role_ids)
        return lambda actor: actor.user_id in ids or not roles.isdisjoint(actor.role_ids)
