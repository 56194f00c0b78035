"""The reply model: what the core says, without any platform's markup.

A reply is a list of blocks (paragraphs, headings, quotes, list items), each a run of spans
(plain, bold, italic, link, code), plus rows of buttons. Link buttons carry a URL; action buttons
carry a short action id that the core interprets when pressed (at most 64 bytes, Telegram's
`callback_data` limit, which also fits Discord's 100-character `custom_id`).

Models are frozen attrs classes: built on every answer, they check only what a platform would
refuse later (the action id's size). `core/replies/stored.py` turns a reply into JSON and back,
so a replayed event gets the first reply verbatim.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Literal

from attrs import Attribute, field, frozen, validators

ACTION_ID_MAX_BYTES = 64


class SpanStyle(StrEnum):
    PLAIN = "plain"
    BOLD = "bold"
    ITALIC = "italic"
    CODE = "code"
    LINK = "link"


@frozen(kw_only=True)
class Span:
    text: str
    style: SpanStyle = SpanStyle.PLAIN
    url: str | None = None

    @classmethod
    def plain(cls, text: str) -> Span:
        return cls(text=text)

    @classmethod
    def bold(cls, text: str) -> Span:
        return cls(text=text, style=SpanStyle.BOLD)

    @classmethod
    def italic(cls, text: str) -> Span:
        return cls(text=text, style=SpanStyle.ITALIC)

    @classmethod
    def code(cls, text: str) -> Span:
        return cls(text=text, style=SpanStyle.CODE)

    @classmethod
    def link(cls, text: str, url: str) -> Span:
        return cls(text=text, style=SpanStyle.LINK, url=url)


class BlockKind(StrEnum):
    PARAGRAPH = "paragraph"
    HEADING = "heading"
    QUOTE = "quote"
    ITEM = "item"  # one entry of a bulleted list


def _spans(spans: Iterable[Span]) -> tuple[Span, ...]:
    return tuple(spans)


@frozen(kw_only=True)
class Block:
    kind: BlockKind = BlockKind.PARAGRAPH
    # Any iterable is kept as a tuple, so a reply is immutable and compares by value.
    spans: tuple[Span, ...] = field(converter=_spans)

    @property
    def text(self) -> str:
        return "".join(span.text for span in self.spans)


@frozen(kw_only=True)
class LinkButton:
    label: str
    url: str
    type: Literal["link"] = "link"


@frozen(kw_only=True)
class TextInput:
    """Text a platform may ask for before pressing (a Discord modal); the press carries it."""

    title: str  # of the form that asks, e.g. "Reject comment #12"
    label: str  # of the field
    required: bool = False
    max_length: int = field(default=2000, validator=[validators.ge(1), validators.le(4000)])


def _fits_callback_data(_: object, __: Attribute[str], action: str) -> None:
    if not action or len(action.encode()) > ACTION_ID_MAX_BYTES:
        raise ValueError(f"action id must be 1-{ACTION_ID_MAX_BYTES} bytes: {action!r}")


@frozen(kw_only=True)
class ActionButton:
    label: str
    action: str = field(validator=_fits_callback_data)
    # Platforms that can ask for text on a press (Discord) do; others press without it.
    input: TextInput | None = None
    type: Literal["action"] = "action"


Button = LinkButton | ActionButton


@frozen(kw_only=True)
class Attachment:
    filename: str
    media_type: str
    content: bytes


def _blocks(blocks: Iterable[Block]) -> tuple[Block, ...]:
    return tuple(blocks)


def _rows(rows: Iterable[Iterable[Button]]) -> tuple[tuple[Button, ...], ...]:
    return tuple(tuple(row) for row in rows)


def _attachments(attachments: Iterable[Attachment]) -> tuple[Attachment, ...]:
    return tuple(attachments)


@frozen(kw_only=True)
class Reply:
    """What the core answers; adapters render it in their platform's own way."""

    blocks: tuple[Block, ...] = field(default=(), converter=_blocks)
    buttons: tuple[tuple[Button, ...], ...] = field(default=(), converter=_rows)
    attachments: tuple[Attachment, ...] = field(default=(), converter=_attachments)
    # Navigation (sections, pages) replaces the message the button sits on instead of adding one.
    edit_in_place: bool = False
    # Meant for the actor alone (a Discord ephemeral message, a Telegram callback toast).
    ephemeral: bool = False
    is_error: bool = False
    # The next free text from this actor in this chat is the argument of this command
    # (e.g. "comment": send your comment as a reply). Telegram uses ForceReply for it.
    awaits_text_for: str | None = None

    @property
    def text(self) -> str:
        """Plain text of every block, one per line: for logs, tests and plain renderers."""
        return "\n".join(block.text for block in self.blocks)

    @property
    def action_buttons(self) -> tuple[ActionButton, ...]:
        return tuple(b for row in self.buttons for b in row if isinstance(b, ActionButton))
