"""What a button does, as a typed value packed into its id.

Each kind is a frozen dataclass with a short prefix; `pack()` writes `prefix:field:field` (at
most 64 bytes: Telegram's `callback_data`, well within Discord's 100-character `custom_id`) and
`Action.parse()` reads one back, or None for what no kind can read (a button from an older
version, a forged id). Fields are `int`, `str` (no `:`) or a `StrEnum` whose values are short
codes; a trailing field left at its default is not written, so a kind can grow a field and
its buttons already posted keep working.
"""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ClassVar, Self

from core.comments.views import Status
from core.replies.model import ACTION_ID_MAX_BYTES

# Larger numbers are never ids or pages: refused before they reach the database.
MAX_NUMBER = 2**53


class Action:
    """Base of every button kind; subclasses are dataclasses declared with a `prefix`."""

    prefix: ClassVar[str]
    _kinds: ClassVar[dict[str, type[Action]]] = {}
    _types: ClassVar[dict[str, Any]]

    def __init_subclass__(cls, prefix: str = "", **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not prefix or ":" in prefix or prefix in Action._kinds:
            raise TypeError(f"bad or duplicate action prefix {prefix!r} for {cls.__name__}")
        cls.prefix = prefix
        Action._kinds[prefix] = cls

    def pack(self) -> str:
        """`prefix:field:…`, trailing defaults left out."""
        parts: list[str] = []
        fields = dataclasses.fields(self)  # type: ignore[arg-type]
        values = [getattr(self, field.name) for field in fields]
        while fields and values and _is_default(fields[len(values) - 1], values[-1]):
            values.pop()
        for value in values:
            text = value.value if isinstance(value, StrEnum) else str(value)
            if ":" in text or not text:
                raise ValueError(f"{type(self).__name__}: field {text!r} can't be packed")
            parts.append(text)
        packed = ":".join([self.prefix, *parts])
        if len(packed.encode()) > ACTION_ID_MAX_BYTES:
            raise ValueError(f"action id over {ACTION_ID_MAX_BYTES} bytes: {packed!r}")
        return packed

    @classmethod
    def unpack(cls, args: list[str]) -> Self | None:
        """The action from the fields of a packed id, or None if they don't fit."""
        fields = dataclasses.fields(cls)  # type: ignore[arg-type]
        if not (_required(fields) <= len(args) <= len(fields)):
            return None
        types = cls._resolved_types()
        values: dict[str, Any] = {}
        for field, text in zip(fields, args, strict=False):
            value = _decode(types[field.name], text)
            if value is None or _is_default(field, value):  # one spelling per action
                return None
            values[field.name] = value
        return cls(**values)

    @classmethod
    def _resolved_types(cls) -> dict[str, Any]:
        if "_types" not in cls.__dict__:
            cls._types = typing.get_type_hints(cls)
        return cls._types

    @staticmethod
    def parse(packed: str) -> Action | None:
        """Whatever kind of action `packed` is, or None."""
        prefix, *args = packed.split(":")
        kind = Action._kinds.get(prefix)
        return kind.unpack(args) if kind is not None else None


def _is_default(field: dataclasses.Field[Any], value: object) -> bool:
    return field.default is not dataclasses.MISSING and value == field.default


def _required(fields: tuple[dataclasses.Field[Any], ...]) -> int:
    return sum(1 for f in fields if f.default is dataclasses.MISSING)


def _decode(kind: Any, text: str) -> object | None:
    if kind is int:
        if not (text.isascii() and text.isdigit()) or not 0 < int(text) < MAX_NUMBER:
            return None
        return int(text)
    if isinstance(kind, type) and issubclass(kind, StrEnum):
        try:
            return kind(text)
        except ValueError:
            return None
    return text if text else None


# Reading ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShowSummary(Action, prefix="a"):
    slug: str


@dataclass(frozen=True)
class ShowSection(Action, prefix="s"):
    slug: str
    number: int


@dataclass(frozen=True)
class ShowLinks(Action, prefix="l"):
    pass


@dataclass(frozen=True)
class ShowAnswer(Action, prefix="f"):
    slug: str
    entry_id: str


@dataclass(frozen=True)
class ListQuestions(Action, prefix="fl"):
    slug: str


# Comments --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CommentsPage(Action, prefix="c"):
    slug: str
    page: int


@dataclass(frozen=True)
class OpenCommentForm(Action, prefix="k"):
    slug: str


@dataclass(frozen=True)
class SendDraft(Action, prefix="cc"):
    draft_id: int


@dataclass(frozen=True)
class CancelDraft(Action, prefix="cx"):
    draft_id: int


@dataclass(frozen=True)
class Withdraw(Action, prefix="w"):
    comment_id: int


class Answer(StrEnum):
    YES = "y"
    NO = "n"


@dataclass(frozen=True)
class ForgetMe(Action, prefix="fm"):
    answer: Answer
    # Who asked: in a group anyone may press the button ("" on buttons from before).
    asker: str = ""


# Moderation ------------------------------------------------------------------------------


class Move(StrEnum):
    """What a moderator's button does to a comment."""

    APPROVE = "a"
    REJECT = "r"
    SPAM = "s"
    BAN = "b"  # the author, and the comment as spam

    @property
    def status(self) -> Status:
        return _MOVED_TO[self]

    @classmethod
    def to(cls, status: Status) -> Move:
        return next(move for move, moved in _MOVED_TO.items() if moved is status)


class Seen(StrEnum):
    """The status the moderator saw when pressing (cards name it; a stale press does nothing)."""

    PENDING = "p"
    APPROVED = "a"
    REJECTED = "r"
    SPAM = "s"

    @property
    def status(self) -> Status:
        return Status(self.name.lower())

    @classmethod
    def of(cls, status: Status) -> Seen:
        return cls[status.name]


_MOVED_TO = {
    Move.APPROVE: Status.APPROVED,
    Move.REJECT: Status.REJECTED,
    Move.SPAM: Status.SPAM,
    Move.BAN: Status.SPAM,
}


@dataclass(frozen=True)
class Moderate(Action, prefix="m"):
    move: Move
    comment_id: int
    # Left out while pending, as on the cards posted before decisions could change.
    seen: Seen = Seen.PENDING
