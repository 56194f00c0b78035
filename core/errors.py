"""Errors the core turns into friendly replies instead of tracebacks."""

from __future__ import annotations


class UserError(Exception):
    """Something the actor can fix; the message is shown to them as it is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotAllowed(UserError):
    """The actor may not do this."""


class NotFound(UserError):
    """The thing the actor named does not exist (or is not theirs to see)."""
