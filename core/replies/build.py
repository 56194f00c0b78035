"""Small constructors that keep reply-building code readable."""

from __future__ import annotations

from collections.abc import Sequence

from core.replies.model import Block, BlockKind, Button, Reply, Span


def _spans(parts: tuple[Span | str, ...]) -> tuple[Span, ...]:
    return tuple(Span.plain(p) if isinstance(p, str) else p for p in parts)


def paragraph(*parts: Span | str) -> Block:
    return Block(kind=BlockKind.PARAGRAPH, spans=_spans(parts))


def heading(*parts: Span | str) -> Block:
    return Block(kind=BlockKind.HEADING, spans=_spans(parts))


def quote(*parts: Span | str) -> Block:
    return Block(kind=BlockKind.QUOTE, spans=_spans(parts))


def item(*parts: Span | str) -> Block:
    return Block(kind=BlockKind.ITEM, spans=_spans(parts))


def reply(
    *blocks: Block,
    buttons: Sequence[Sequence[Button]] | None = None,
    edit_in_place: bool = False,
    ephemeral: bool = False,
) -> Reply:
    return Reply(
        blocks=blocks,
        buttons=tuple(tuple(row) for row in (buttons or []) if row),
        edit_in_place=edit_in_place,
        ephemeral=ephemeral,
    )


def message(text: str, *, ephemeral: bool = False) -> Reply:
    """A reply of one plain paragraph."""
    return Reply(blocks=(paragraph(text),), ephemeral=ephemeral)


def error(text: str) -> Reply:
    """A friendly refusal or problem report, meant for the actor alone."""
    return Reply(blocks=(paragraph(text),), ephemeral=True, is_error=True)
