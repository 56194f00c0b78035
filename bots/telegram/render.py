"""Reply -> Telegram HTML chunks and an inline keyboard. The only place that writes markup."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import MessageLimit

from core.replies import ActionButton, Block, BlockKind, Button, Reply, Span, SpanStyle

MAX_TEXT = MessageLimit.MAX_TEXT_LENGTH
# Telegram shows at most 8 buttons a row; wider rows are wrapped rather than rejected.
MAX_ROW = 8
# Text for a message that only carries buttons or a ForceReply: Telegram refuses empty text.
PLACEHOLDER = "…"
_SAFE_SCHEMES = ("https://", "http://", "tg://")
# Unicode categories Cc (controls) and Cs (surrogates) except tab and newline; one regex pass
# instead of a category lookup per character (rendering is on every reply's path).
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


@dataclass(frozen=True, slots=True)
class Rendered:
    """A reply as Telegram messages: HTML chunks (keyboard goes on the last) and the keyboard."""

    chunks: tuple[str, ...]
    markup: InlineKeyboardMarkup | None


def utf16_len(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units), never less than the code points."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def clean(text: str) -> str:
    """Drop what Telegram or JSON cannot carry: lone surrogates and control characters."""
    return _UNSAFE.sub("", text)


def safe_url(url: str | None) -> str | None:
    """The URL if Telegram will accept it as a link, else None (shown as plain text)."""
    if not url:
        return None
    url = url.strip()
    if not url.lower().startswith(_SAFE_SCHEMES) or any(ch.isspace() for ch in url):
        return None
    return url if clean(url) == url else None


@dataclass(frozen=True, slots=True)
class _Segment:
    style: SpanStyle
    text: str
    url: str | None = None

    def html(self, in_heading: bool) -> str:
        body = html.escape(self.text, quote=False)
        if self.style is SpanStyle.BOLD:
            return body if in_heading else f"<b>{body}</b>"
        if self.style is SpanStyle.ITALIC:
            return f"<i>{body}</i>"
        if self.style is SpanStyle.CODE:
            return f"<code>{body}</code>"
        if self.style is SpanStyle.LINK and self.url:
            return f'<a href="{html.escape(self.url, quote=True)}">{body}</a>'
        return body


@dataclass(frozen=True, slots=True)
class _Piece:
    """One block (or a slice of an oversized one) ready to render."""

    kind: BlockKind
    segments: tuple[_Segment, ...]

    @property
    def prefix(self) -> str:
        return "• " if self.kind is BlockKind.ITEM else ""

    @property
    def visible(self) -> int:
        return utf16_len(self.prefix) + sum(utf16_len(s.text) for s in self.segments)

    def html(self) -> str:
        heading = self.kind is BlockKind.HEADING
        body = "".join(s.html(heading) for s in self.segments)
        if heading:
            return f"<b>{body}</b>"
        if self.kind is BlockKind.QUOTE:
            return f"<blockquote>{body}</blockquote>"
        return self.prefix + body


def _segment(span: Span) -> _Segment:
    text = clean(span.text)
    if span.style is SpanStyle.LINK:
        url = safe_url(span.url)
        return _Segment(SpanStyle.LINK if url else SpanStyle.PLAIN, text, url)
    return _Segment(span.style, text)


def _cut_index(text: str, budget: int) -> int:
    """Code-point index to cut `text` so the head fits `budget` UTF-16 units, at a space if any."""
    used = 0
    hard = 0
    for index, ch in enumerate(text):
        used += utf16_len(ch)
        if used > budget:
            break
        hard = index + 1
    else:
        return len(text)
    head = text[:hard]
    # A word boundary in the second half of the budget reads better than a hard cut.
    soft = max(head.rfind("\n"), head.rfind(" "))
    return soft + 1 if soft >= hard // 2 else hard


def _split_block(kind: BlockKind, segments: list[_Segment], limit: int) -> list[_Piece]:
    """Slice a block wider than `limit` into pieces that each fit, closing tags in each."""
    budget = limit - utf16_len("• " if kind is BlockKind.ITEM else "")
    pieces: list[_Piece] = []
    current: list[_Segment] = []
    room = budget
    queue = list(segments)
    while queue:
        seg = queue.pop(0)
        size = utf16_len(seg.text)
        if size <= room:
            current.append(seg)
            room -= size
            continue
        cut = _cut_index(seg.text, room)
        if cut == 0 and current:
            pieces.append(_Piece(kind, tuple(current)))
            current, room = [], budget
            queue.insert(0, seg)
            continue
        cut = max(cut, 1)
        current.append(_Segment(seg.style, seg.text[:cut], seg.url))
        pieces.append(_Piece(kind, tuple(current)))
        current, room = [], budget
        queue.insert(0, _Segment(seg.style, seg.text[cut:], seg.url))
    if current:
        pieces.append(_Piece(kind, tuple(current)))
    return [p for p in pieces if _has_text(p)]


def _has_text(piece: _Piece) -> bool:
    return any(s.text.strip() for s in piece.segments)


def _pieces(blocks: tuple[Block, ...], limit: int) -> list[_Piece]:
    pieces: list[_Piece] = []
    for block in blocks:
        segments = [s for s in (_segment(span) for span in block.spans) if s.text]
        piece = _Piece(block.kind, tuple(segments))
        if not _has_text(piece):
            continue
        if piece.visible <= limit:
            pieces.append(piece)
        else:
            pieces.extend(_split_block(block.kind, segments, limit))
    return pieces


def _separator(previous: _Piece, current: _Piece) -> str:
    both_items = previous.kind is BlockKind.ITEM and current.kind is BlockKind.ITEM
    return "\n" if both_items else "\n\n"


def render_text(blocks: tuple[Block, ...], limit: int = MAX_TEXT) -> list[str]:
    """Blocks as HTML chunks, each within `limit` visible characters, split between blocks."""
    chunks: list[str] = []
    parts: list[str] = []
    used = 0
    last: _Piece | None = None
    for piece in _pieces(blocks, limit):
        sep = _separator(last, piece) if last is not None else ""
        if parts and used + utf16_len(sep) + piece.visible > limit:
            chunks.append("".join(parts))
            parts, used, sep = [], 0, ""
        parts.append(sep + piece.html())
        used += utf16_len(sep) + piece.visible
        last = piece
    if parts:
        chunks.append("".join(parts))
    return chunks


def _button(button: Button) -> InlineKeyboardButton | None:
    label = clean(button.label).strip() or "·"
    if isinstance(button, ActionButton):
        return InlineKeyboardButton(label, callback_data=button.action)
    url = safe_url(button.url)
    return InlineKeyboardButton(label, url=url) if url else None


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    """The reply's buttons as an inline keyboard; link buttons with unusable URLs are left out."""
    rows: list[list[InlineKeyboardButton]] = []
    for row in reply.buttons:
        buttons = [b for b in (_button(button) for button in row) if b is not None]
        rows.extend(buttons[i : i + MAX_ROW] for i in range(0, len(buttons), MAX_ROW))
    return InlineKeyboardMarkup(rows) if rows else None


def render(reply: Reply, limit: int = MAX_TEXT) -> Rendered:
    """The whole reply; a reply with buttons but no text gets a placeholder to carry them."""
    chunks = render_text(reply.blocks, limit)
    markup = keyboard(reply)
    if not chunks and (markup is not None or reply.awaits_text_for):
        chunks = [PLACEHOLDER]
    return Rendered(tuple(chunks), markup)


def plain_text(reply: Reply, limit: int) -> str:
    """The reply as plain text cut to `limit` characters (callback toasts, inline descriptions)."""
    text = clean(reply.text).strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
