"""Replies as structure: blocks of styled spans plus buttons. Adapters render them."""

from __future__ import annotations

from core.replies.model import (
    ActionButton,
    Attachment,
    Block,
    BlockKind,
    Button,
    LinkButton,
    Reply,
    Span,
    SpanStyle,
    TextInput,
)

__all__ = [
    "ActionButton",
    "Attachment",
    "Block",
    "BlockKind",
    "Button",
    "LinkButton",
    "Reply",
    "Span",
    "SpanStyle",
    "TextInput",
]
