"""Checks of settings values (attrs validators): they hold for keyword arguments and for values
read from the environment alike, and none quotes a secret."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import attrs

from core.secret import Secret, masked

# Characters of a refused value quoted in a problem: enough to recognise it, never a wall.
SHOWN = 40

Check = Callable[[Any, "attrs.Attribute[Any]", Any], None]


class BadValue(ValueError):
    """A value a settings field refuses; `problem` says why without the field's name, so a
    problem read from the environment can name the variable instead."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field} {problem}")
        self.problem = problem


def shown(value: object) -> str:
    """A refused value as a problem quotes it: its repr, any secret masked, cut short."""
    text = repr(masked(value) if isinstance(value, str) else value)
    return text if len(text) <= SHOWN else f"{text[: SHOWN - 1]}…"


def at_least(minimum: float) -> Check:
    """A number no less than `minimum`."""

    def check(instance: object, attribute: attrs.Attribute[Any], value: float) -> None:
        if not value >= minimum:
            raise BadValue(attribute.name, f"must be at least {minimum}, not {shown(value)}")

    return check


def one_of(*words: str) -> Check:
    """One of `words`, in any case."""

    def check(instance: object, attribute: attrs.Attribute[Any], value: str) -> None:
        if not isinstance(value, str) or value.upper() not in words:
            raise BadValue(
                attribute.name, f"must be one of {', '.join(words)}, not {shown(value)}"
            )

    return check


def texts(instance: object, attribute: attrs.Attribute[Any], value: tuple[str, ...]) -> None:
    """A tuple of strings (a list or a bare string here is a caller's slip)."""
    if not (isinstance(value, tuple) and all(isinstance(item, str) for item in value)):
        raise BadValue(attribute.name, "must be a tuple of strings")


def numbers(instance: object, attribute: attrs.Attribute[Any], value: tuple[int, ...]) -> None:
    """A tuple of whole numbers."""
    if not (isinstance(value, tuple) and all(type(item) is int for item in value)):
        raise BadValue(attribute.name, "must be a tuple of whole numbers")


def secret(instance: object, attribute: attrs.Attribute[Any], value: Secret | None) -> None:
    """A Secret or None; the problem never quotes the value, which may be the secret itself."""
    if value is not None and not isinstance(value, Secret):
        raise BadValue(attribute.name, "must be a Secret (or None)")


def unique(values: Iterable[str]) -> tuple[str, ...]:
    """Each item once, in the order given (a converter: an operator may list one twice)."""
    if isinstance(values, str):  # would be its characters
        raise TypeError("give a tuple of strings, not one string")
    return tuple(dict.fromkeys(values))
