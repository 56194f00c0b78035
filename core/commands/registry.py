"""Commands as data: name, description, arguments, audience. Handlers are core coroutines."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from core.actors import Request
from core.outcome import Outcome
from core.replies import Reply

if TYPE_CHECKING:
    from core.context import Context

# Telegram's rule for command names, which Discord also accepts: the strictest of the two.
COMMAND_NAME = re.compile(r"^[a-z][a-z0-9_]{0,31}$")

Handler = Callable[["Context", Request, str], Awaitable[Outcome | Reply]]


class Audience(StrEnum):
    READER = "reader"
    MODERATOR = "moderator"


@dataclass(frozen=True, slots=True)
class Argument:
    name: str
    description: str
    required: bool = False
    kind: type[str] | type[int] = str
    # Takes the rest of the line (free text) rather than one word.
    rest: bool = False


@dataclass(frozen=True, slots=True)
class CommandSpec:
    name: str
    description: str
    arguments: tuple[Argument, ...] = ()
    audience: Audience = Audience.READER
    # Changes stored state, so it needs an event key to be safe against re-delivery.
    mutates: bool = False
    # About the actor's own comments: needs a person the bot can tell apart from others.
    personal: bool = False
    # Free text in a private chat that answers no prompt is this command's argument.
    free_text: bool = False
    # Platforms with forms (Discord's modal) open the comment form for it instead of taking
    # the text as an option.
    form: bool = False
    # The argument whose values platforms suggest as the user types (FAQ questions).
    autocompletes: str | None = None

    @property
    def usage(self) -> str:
        parts = [f"/{self.name}"]
        for arg in self.arguments:
            parts.append(f"<{arg.name}>" if arg.required else f"[{arg.name}]")
        return " ".join(parts)


@dataclass(frozen=True, slots=True)
class _Entry:
    spec: CommandSpec
    handler: Handler


class CommandRegistry:
    def __init__(self) -> None:
        self._entries: dict[str, _Entry] = {}

    def add(self, spec: CommandSpec, handler: Handler) -> None:
        if not COMMAND_NAME.match(spec.name):
            raise ValueError(f"invalid command name {spec.name!r}")
        if spec.name in self._entries:
            raise ValueError(f"command /{spec.name} is defined twice")
        if len(spec.description) > 100:
            raise ValueError(f"/{spec.name}: description over 100 characters")
        self._entries[spec.name] = _Entry(spec, handler)

    def spec(self, name: str) -> CommandSpec | None:
        entry = self._entries.get(name)
        return entry.spec if entry else None

    def handler(self, name: str) -> Handler | None:
        entry = self._entries.get(name)
        return entry.handler if entry else None

    def __iter__(self) -> Iterator[CommandSpec]:
        return (entry.spec for entry in self._entries.values())

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def names(self) -> frozenset[str]:
        return frozenset(self._entries)

    @property
    def free_text(self) -> CommandSpec | None:
        """The command free text in a private chat goes to, if any."""
        return next((spec for spec in self if spec.free_text), None)

    def visible_to(self, *, moderator: bool) -> list[CommandSpec]:
        """The commands an actor may use, readers' first, in registration order."""
        specs = [s for s in self if moderator or s.audience is Audience.READER]
        return sorted(specs, key=lambda s: s.audience is Audience.MODERATOR)
