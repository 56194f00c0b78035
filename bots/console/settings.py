"""The console adapter's settings (`CONSOLE_*`)."""

from __future__ import annotations

from collections.abc import Callable

import attrs

from core.actors import Actor
from core.checks import texts
from core.environment import Reading


@attrs.frozen
class ConsoleSettings:
    # Console identities that count as moderators (`python -m bots.console --moderator`).
    moderator_ids: tuple[str, ...] = attrs.field(default=("operator",), validator=texts)

    @classmethod
    def from_environment(cls) -> ConsoleSettings:
        """`CONSOLE_*` from the environment and `.env`; SettingsError names every bad one."""
        reading = Reading()
        with reading.prefixed("CONSOLE_"):
            values = reading.checked(cls, {"moderator_ids": reading.texts("MODERATOR_IDS")})
        return reading.finish(lambda: cls(**values))

    def moderator_rule(self) -> Callable[[Actor], bool]:
        """Who moderates on the console (for `Core.grant_moderators`): the listed ids."""
        ids = frozenset(self.moderator_ids)
        return lambda actor: actor.user_id in ids
