"""A console session driven in-process: lines in, what it wrote collected."""

from __future__ import annotations

from bots.console.dispatch import ConsoleSession
from core.actors import Actor
from core.app import Core


def console_session(core: Core, written: list[str]) -> ConsoleSession:
    """A session on `core` as the reader Ada (`/as moderator`: the operator), writing into
    `written`."""
    return ConsoleSession(
        core=core,
        write=written.append,
        reader=Actor("console", "reader", "Ada"),
        moderator=Actor("console", "operator", "Moderator"),
    )
