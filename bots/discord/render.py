"""Reply -> Discord messages: escaped Markdown in content or embeds, split within the limits.

A reply whose first block is a heading becomes embeds (the heading is the title); any other
reply becomes plain message content. Buttons and attachments go with the last message.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import discord

from bots.discord import text as t
from core.replies import Attachment, Block, BlockKind, Button, Reply, Span, SpanStyle

EMBED_COLOUR = discord.Colour.blurple()


@dataclass(slots=True)
class Message:
    """One Discord message to send or edit; `buttons` are still the core's buttons."""

    content: str | None = None
    embeds: list[discord.Embed] = field(default_factory=list)
    buttons: tuple[tuple[Button, ...], ...] = ()
    attachments: tuple[Attachment, ...] = ()


Rows = tuple[tuple[Button, ...], ...]
BUTTONS_PER_ROW = 5
ROWS = 5


def pack_buttons(buttons: Rows) -> list[Rows]:
    """The core's button rows as pages of at most 5 rows of 5 (one page per message).

    Rows keep their shape when they fit; Telegram-shaped replies (one button a row, more than
    5 rows) are packed 5 to a row.
    """
    rows = [
        row[i : i + BUTTONS_PER_ROW]
        for row in buttons
        for i in range(0, len(row), BUTTONS_PER_ROW)
    ]
    if len(rows) > ROWS:
        flat = [button for row in rows for button in row]
        rows = [tuple(flat[i : i + BUTTONS_PER_ROW]) for i in range(0, len(flat), BUTTONS_PER_ROW)]
    return [tuple(rows[i : i + ROWS]) for i in range(0, len(rows), ROWS)]


def render_span(span: Span) -> str:
    if span.style is SpanStyle.LINK and span.url and (url := t.safe_url(span.url)):
        return f"[{t.escape(span.text)}]({url})" if span.text.strip() else url
    body = t.escape(span.text)
    if not span.text.strip():
        return body
    if span.style is SpanStyle.BOLD:
        return f"**{body}**"
    if span.style is SpanStyle.ITALIC:
        return f"*{body}*"
    if span.style is SpanStyle.CODE:
        return f"`{t.neutralise_mentions(span.text.replace('`', 'ˋ'))}`"
    if span.style is SpanStyle.LINK and span.url:
        return f"{body} ({t.escape(span.url)})"
    return body


def render_block(block: Block) -> str:
    body = "".join(render_span(span) for span in block.spans)
    if block.kind is BlockKind.HEADING:
        return f"**{body}**" if block.text.strip() else body
    if block.kind is BlockKind.QUOTE:
        return "> " + body.replace("\n", "\n> ")
    if block.kind is BlockKind.ITEM:
        return "• " + body
    return body


def render_body(blocks: tuple[Block, ...]) -> str:
    out: list[str] = []
    previous: Block | None = None
    for block in blocks:
        if previous is not None:
            tight = previous.kind is BlockKind.ITEM and block.kind is BlockKind.ITEM
            out.append("\n" if tight else "\n\n")
        out.append(render_block(block))
        previous = block
    return "".join(out)


def _body(blocks: tuple[Block, ...]) -> str:
    body = render_body(blocks)
    return body if body.strip() else ""


def _title(reply: Reply) -> tuple[str | None, tuple[Block, ...]]:
    if reply.blocks and reply.blocks[0].kind is BlockKind.HEADING:
        return t.clip(t.plain(reply.blocks[0].text), t.EMBED_TITLE_LIMIT), reply.blocks[1:]
    return None, reply.blocks


def _embed_messages(title: str, body: str) -> list[Message]:
    pieces = t.split(body, t.EMBED_DESCRIPTION_LIMIT) if body else [""]
    messages: list[Message] = []
    current: list[discord.Embed] = []
    size = 0
    for piece in pieces:
        embed_title = title if not messages and not current else None
        cost = len(piece) + len(embed_title or "")
        if current and (
            size + cost > t.EMBEDS_TOTAL_LIMIT or len(current) == t.EMBEDS_PER_MESSAGE
        ):
            messages.append(Message(embeds=current))
            current, size = [], 0
        current.append(
            discord.Embed(title=embed_title, description=piece or None, colour=EMBED_COLOUR)
        )
        size += cost
    messages.append(Message(embeds=current))
    return messages


def render(reply: Reply) -> list[Message]:
    """Every message needed to show the reply, each within Discord's limits."""
    title, rest = _title(reply)
    body = _body(rest)
    if title is not None:
        messages = _embed_messages(title, body)
    else:
        messages = [Message(content=piece) for piece in t.split(body, t.MESSAGE_LIMIT) if piece]
        if not messages:
            messages = [
                Message(content=None if reply.buttons or reply.attachments else t.ELLIPSIS)
            ]
    pages = pack_buttons(reply.buttons)
    if pages:
        messages[-1].buttons = pages[0]
        messages.extend(Message(content=t.ELLIPSIS, buttons=page) for page in pages[1:])
    messages[-1].attachments = reply.attachments
    return messages


def render_one(reply: Reply) -> Message:
    """The reply as a single message (editing one in place), shortened if it must be."""
    title, rest = _title(reply)
    body = _body(rest)
    if title is not None:
        room = min(t.EMBED_DESCRIPTION_LIMIT, t.EMBEDS_TOTAL_LIMIT - len(title))
        description = t.clip(body, room) if body else None
        embed = discord.Embed(title=title, description=description, colour=EMBED_COLOUR)
        message = Message(embeds=[embed])
    else:
        message = Message(content=t.clip(body, t.MESSAGE_LIMIT) if body else None)
        if message.content is None and not (reply.buttons or reply.attachments):
            message.content = t.ELLIPSIS
    pages = pack_buttons(reply.buttons)
    message.buttons = pages[0] if pages else ()
    message.attachments = reply.attachments
    return message
