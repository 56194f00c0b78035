"""The Discord adapter's settings (`DISCORD_*`); imports no Discord library, so the runner can
read them to decide whether to load the adapter at all."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from core.actors import Actor
from core.config import CsvList, blank_is_unset, split_csv


class DiscordSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DISCORD_", env_file=".env", extra="ignore")

    bot_token: SecretStr | None = None
    guild_id: str | None = None
    moderation_channel_id: str | None = None
    moderator_role_ids: CsvList = Field(default_factory=list)
    moderator_ids: CsvList = Field(default_factory=list)
    # Channels where /publish posts article cards (an announcement channel's are crossposted).
    announce_channel_ids: CsvList = Field(default_factory=list)
    # Shards to open; unset follows Discord's recommendation (needed from 2,500 guilds).
    shard_count: int | None = Field(default=None, ge=1)
    # The shards this process opens (e.g. "0,1" of 4); the others run in other processes.
    shard_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)

    _csv = field_validator(
        "moderator_role_ids", "moderator_ids", "announce_channel_ids", mode="before"
    )(split_csv)

    @field_validator("announce_channel_ids")
    @classmethod
    def _channels(cls, channels: list[str]) -> list[str]:
        for channel in channels:
            if not (channel.isascii() and channel.isdigit() and len(channel) <= 20):
                raise ValueError(f"{channel[:40]!r} is not a channel id: give its number")
        return list(dict.fromkeys(channels))  # each once, in the order given

    @field_validator("shard_ids", mode="before")
    @classmethod
    def _shard_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return [int(part) for part in value.split(",") if part.strip()]
        return value

    @model_validator(mode="after")
    def _shards_within_count(self) -> DiscordSettings:
        ids = self.shard_ids
        if not ids:
            return self
        if self.shard_count is None:
            raise ValueError("DISCORD_SHARD_IDS needs DISCORD_SHARD_COUNT (the shards in all)")
        if len(set(ids)) != len(ids) or not all(0 <= i < self.shard_count for i in ids):
            raise ValueError(
                f"DISCORD_SHARD_IDS must be distinct numbers from 0 to "
                f"{self.shard_count - 1} (DISCORD_SHARD_COUNT is {self.shard_count})"
            )
        return self

    @field_validator("bot_token", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return blank_is_unset(value)

    def moderator_rule(self) -> Callable[[Actor], bool]:
        """Who moderates on Discord (for `Core.grant_moderators`): the listed user ids, and
        members holding any of the listed roles."""
        ids, roles = frozenset(self.moderator_ids), frozenset(self.moderator_role_ids)
        return lambda actor: actor.user_id in ids or not roles.isdisjoint(actor.role_ids)
