"""The reply model: what the core says, without any platform's markup.

A reply is a list of blocks (paragraphs, headings, quotes, list items), each a run of spans
(plain, bold, italic, link, code), plus rows of buttons. Link buttons carry a URL; action buttons
carry a short action id that the core interprets when pressed (at most 64 bytes, Telegram's
`callback_data` limit, which also fits Discord's 100-character `custom_id`).

Models are pydantic so a reply can be stored as JSON and returned verbatim when an event is
replayed.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

ACTION_ID_MAX_BYTES = 64


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class SpanStyle(StrEnum):
    PLAIN = "plain"
    BOLD = "bold"
    ITALIC = "italic"
    CODE = "code"
    LINK = "link"


class Span(_Frozen):
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


class Block(_Frozen):
    kind: BlockKind = BlockKind.PARAGRAPH
    spans: tuple[Span, ...]

    @property
    def text(self) -> str:
        return "".join(span.text for span in self.spans)


class LinkButton(_Frozen):
    type: Literal["link"] = "link"
    label: str
    url: str


class TextInput(_Frozen):
    """Text a platform may ask for before pressing (a Discord modal); the press carries it."""

    title: str  # of the form that asks, e.g. "Reject comment #12"
    label: str  # of the field
    required: bool = False
    max_length: int = Field(default=2000, ge=1, le=4000)


class ActionButton(_Frozen):
    type: Literal["action"] = "action"
    label: str
    action: str
    # Platforms that can ask for text on a press (Discord) do; others press without it.
    input: TextInput | None = None

    @field_validator("action")
    @classmethod
    def _fits_callback_data(cls, action: str) -> str:
        if not action or len(action.encode()) > ACTION_ID_MAX_BYTES:
            raise ValueError(f"action id must be 1-{ACTION_ID_MAX_BYTES} bytes: {action!r}")
        return action


Button = Annotated[LinkButton | ActionButton, Field(discriminator="type")]


class Attachment(_Frozen):
    filename: str
    media_type: str
    content: bytes


class Reply(_Frozen):
    """What the core answers; adapters render it in their platform's own way."""

    blocks: tuple[Block, ...] = ()
    buttons: tuple[tuple[Button, ...], ...] = ()
    attachments: tuple[Attachment, ...] = ()
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
