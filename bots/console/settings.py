"""The console adapter's settings (`CONSOLE_*`)."""

from __future__ import annotations

from collections.abc import Callable

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.actors import Actor
from core.config import CsvList, split_csv


class ConsoleSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CONSOLE_", env_file=".env", extra="ignore")

    # Console identities that count as moderators (`python -m bots.console --moderator`).
    moderator_ids: CsvList = Field(default_factory=lambda: ["operator"])

    _csv = field_validator("moderator_ids", mode="before")(split_csv)

    def moderator_rule(self) -> Callable[[Actor], bool]:
        """Who moderates on the console (for `Core.grant_moderators`): the listed ids."""
        ids = frozenset(self.moderator_ids)
        return lambda actor: actor.user_id in ids
