"""Routers: a feature's commands and button actions, declared where their handlers are.

    router = Router()

    @router.command("approve", "Publish a comment", Argument("comment", kind=int), ...)
    async def approve(ctx: Context, request: Request, args: str) -> Outcome: ...

    @router.action(Moderate, moderators_only=True)
    async def moderate(ctx, request, action: Moderate, text: str | None) -> Outcome: ...

The core gathers every router into one `CommandRegistry` and one `ActionRouter`; adapters see
only what those say (names, arguments, audience, and the flags below).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from core.actions import Action
from core.actors import Request
from core.commands.registry import Argument, Audience, CommandRegistry, CommandSpec
from core.content.models import Library
from core.outcome import Outcome
from core.replies import Reply, TextInput

if TYPE_CHECKING:
    from core.context import Context

A = TypeVar("A", bound=Action)
CommandHandler = Callable[["Context", Request, str], Awaitable[Outcome | Reply]]
ActionHandler = Callable[["Context", Request, A, str | None], Awaitable[Outcome | Reply]]
# Commands made from the content (one per article), rebuilt whenever the content is.
CommandMaker = Callable[[Library], Iterable[tuple[CommandSpec, CommandHandler]]]


def _no_input(action: Any, ctx: Context) -> TextInput | None:
    return None


@dataclass(frozen=True, slots=True)
class ActionRoute(Generic[A]):
    kind: type[A]
    handler: ActionHandler[A]
    moderators_only: bool = False
    mutates: bool = False
    # About the actor's own data: needs a person the bot can tell apart from others.
    personal: bool = False
    # The text a press asks for first, if any (kept here, not only on the button, so a
    # platform can ask again for a button posted before a restart).
    input_for: Callable[[A, Context], TextInput | None] = _no_input


class Router:
    """One feature's commands and actions."""

    def __init__(self) -> None:
        self.commands: list[tuple[CommandSpec, CommandHandler]] = []
        self.actions: list[ActionRoute[Any]] = []
        self.makers: list[CommandMaker] = []

    def command(
        self,
        name: str,
        description: str,
        *arguments: Argument,
        audience: Audience = Audience.READER,
        mutates: bool = False,
        personal: bool = False,
        free_text: bool = False,
        form: bool = False,
        autocompletes: str | None = None,
    ) -> Callable[[CommandHandler], CommandHandler]:
        """Register the decorated handler as `/name` (see CommandSpec for the flags)."""
        spec = CommandSpec(
            name,
            description,
            tuple(arguments),
            audience,
            mutates,
            personal,
            free_text=free_text,
            form=form,
            autocompletes=autocompletes,
        )

        def register(handler: CommandHandler) -> CommandHandler:
            self.commands.append((spec, handler))
            return handler

        return register

    def action(
        self,
        kind: type[A],
        *,
        moderators_only: bool = False,
        mutates: bool = False,
        personal: bool = False,
        input_for: Callable[[A, Context], TextInput | None] = _no_input,
    ) -> Callable[[ActionHandler[A]], ActionHandler[A]]:
        """Register the decorated handler for presses of buttons of `kind`."""

        def register(handler: ActionHandler[A]) -> ActionHandler[A]:
            self.actions.append(
                ActionRoute(
                    kind, handler, moderators_only, mutates or moderators_only, personal, input_for
                )
            )
            return handler

        return register

    def commands_from_content(self, maker: CommandMaker) -> CommandMaker:
        """Register a function that makes commands from the content (e.g. one per article)."""
        self.makers.append(maker)
        return maker


class ActionRouter:
    """Every router's actions, found by the kind of action a button carries."""

    def __init__(self, routers: Iterable[Router]) -> None:
        self._routes: dict[type[Action], ActionRoute[Any]] = {}
        for router in routers:
            for route in router.actions:
                if route.kind in self._routes:
                    raise ValueError(f"{route.kind.__name__} is handled twice")
                self._routes[route.kind] = route

    def resolve(self, packed: str) -> tuple[ActionRoute[Any], Action] | None:
        """The route and the action of a pressed button, or None if nothing handles it."""
        action = Action.parse(packed)
        if action is None:
            return None
        route = self._routes.get(type(action))
        return (route, action) if route is not None else None


def build_registry(routers: Iterable[Router], library: Library) -> CommandRegistry:
    """Every router's commands, and those each makes from the content, in router order."""
    registry = CommandRegistry()
    for router in routers:
        for spec, handler in router.commands:
            registry.add(spec, handler)
        for maker in router.makers:
            for spec, handler in maker(library):
                registry.add(spec, handler)
    return registry


def command_names(routers: Iterable[Router]) -> frozenset[str]:
    """The names of the commands the routers declare: an article may not take one."""
    return frozenset(spec.name for router in routers for spec, _ in router.commands)
