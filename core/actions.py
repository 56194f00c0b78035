"""Routing of action-button ids (`prefix:arg:arg`) to core handlers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from core.actors import Request
from core.outcome import Outcome
from core.replies import Reply, TextInput

# (request, the action id's arguments, text the actor typed into the button's input if any)
ActionHandler = Callable[[Request, list[str], str | None], Awaitable[Outcome | Reply]]


def action_id(prefix: str, *args: object) -> str:
    return ":".join([prefix, *(str(a) for a in args)])


InputFor = Callable[[list[str]], TextInput | None]


def _no_input(args: list[str]) -> TextInput | None:
    return None


@dataclass(frozen=True, slots=True)
class ActionRoute:
    handler: ActionHandler
    moderators_only: bool = False
    mutates: bool = False
    # The text a press of this action asks for, if any (kept here, not only on the button, so
    # a platform can ask again for a button posted before a restart).
    input_for: InputFor = _no_input
    # About the actor's own comments (see CommandSpec.personal).
    personal: bool = False


class ActionRouter:
    def __init__(self) -> None:
        self._routes: dict[str, ActionRoute] = {}

    def add(
        self,
        prefix: str,
        handler: ActionHandler,
        *,
        moderators_only: bool = False,
        mutates: bool = False,
        input_for: InputFor = _no_input,
        personal: bool = False,
    ) -> None:
        if prefix in self._routes or ":" in prefix:
            raise ValueError(f"bad or duplicate action prefix {prefix!r}")
        self._routes[prefix] = ActionRoute(
            handler, moderators_only, mutates or moderators_only, input_for, personal
        )

    def resolve(self, action: str) -> tuple[ActionRoute, list[str]] | None:
        prefix, *args = action.split(":")
        route = self._routes.get(prefix)
        return (route, args) if route else None
