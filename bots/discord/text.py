"""Escaping and splitting of text for Discord: Markdown and mentions neutralised, limits kept."""

from __future__ import annotations

import re
from urllib.parse import quote

import discord

MESSAGE_LIMIT = 2000
EMBED_DESCRIPTION_LIMIT = 4096
EMBED_TITLE_LIMIT = 256
EMBEDS_TOTAL_LIMIT = 6000
EMBEDS_PER_MESSAGE = 10
LABEL_LIMIT = 80
ELLIPSIS = "…"
ZWSP = "\u200b"

# Any "@" that could start a mention (<@id>, <@!id>, <@&id>, @everyone, @here) gets a zero-width
# space after it: discord.utils.escape_mentions covers 17-20 digit ids only, this covers all.
_AT = re.compile(r"@(?!\u200b)")
# Bare links Discord makes clickable stay as they are (escaping would break them); every
# formatting character elsewhere is escaped. Unlike discord.utils.escape_markdown, nothing in
# angle brackets is spared: Discord reads <@id>, <#id>, <t:…>, </command:id>, <:emoji:id> and
# <a:emoji:id> there, and the bot writes none of them into reader text, so every "<" is
# escaped (a link in brackets stays clickable as a bare link).
_URL = re.compile(r"(?:https?|steam)://[^\s<]+[^<.,:;\"\'\]\s]")
_FORMATTING = re.compile(r"([\\*_~|`\[\]<])")
_LINE_MARKER = re.compile(r"^([ \t]*)(?=[-#>])", re.MULTILINE)
# "1. " at the start of a line opens a numbered list: escape its dot.
_LIST_NUMBER = re.compile(r"^([ \t]*\d+)\.(?=[ \t])", re.MULTILINE)
# Where "<" is not escaped (embed titles, labels): a zero-width space stops the token.
_TOKEN_START = re.compile(r"<(?!\u200b)")
_LINE_START = re.compile(r"\s*-|#|>")
_URL_UNSAFE = re.compile(r"[\s()<>\[\]]")


def neutralise_mentions(text: str) -> str:
    """Make every mention inert, whatever the allowed_mentions of the message say."""
    return _AT.sub("@" + ZWSP, discord.utils.escape_mentions(text))


def _escape_formatting(text: str) -> str:
    parts: list[str] = []
    done = 0
    for link in _URL.finditer(text):
        parts += (_FORMATTING.sub(r"\\\1", text[done : link.start()]), link.group())
        done = link.end()
    parts.append(_FORMATTING.sub(r"\\\1", text[done:]))
    return "".join(parts)


def escape(text: str) -> str:
    """Reader text as literal Discord Markdown: formatting characters and mentions escaped."""
    # Not discord.utils.escape_markdown: it escapes only the first character of anything that
    # looks like a masked link, so `[**x**](y)` would still come out bold.
    escaped = _escape_formatting(text)
    # Every line that opens with a list, header or quote marker.
    escaped = _LINE_MARKER.sub(r"\1\\", escaped)
    escaped = _LIST_NUMBER.sub(r"\1\\.", escaped)
    return neutralise_mentions(escaped)


def plain(text: str) -> str:
    """Text shown without Markdown (embed titles, button labels): mentions and <…> tokens
    neutralised."""
    return _TOKEN_START.sub("<" + ZWSP, neutralise_mentions(text))


def safe_url(url: str) -> str | None:
    """A URL usable in a masked link or link button, or None when it is not http(s)."""
    if not re.match(r"^https?://", url, re.IGNORECASE):
        return None
    return _URL_UNSAFE.sub(lambda m: quote(m.group(0)), url)


def clip(text: str, limit: int) -> str:
    """At most `limit` characters, ending with an ellipsis when shortened."""
    if len(text) <= limit:
        return text
    return _safe_prefix(text, limit - 1) + ELLIPSIS


def _safe_prefix(text: str, end: int) -> str:
    """text[:end], moved back so it does not end inside a backslash escape."""
    prefix = text[:end]
    trailing = len(prefix) - len(prefix.rstrip("\\"))
    if trailing % 2:
        prefix = prefix[:-1]
    return prefix


def split(text: str, limit: int) -> list[str]:
    """Cut text into pieces of at most `limit` characters that concatenate back to it.

    Cuts prefer a line break, then a space, in the second half of the window; they never fall
    between a backslash and the character it escapes, nor (within a line) just before text
    that Markdown reads specially at the start of a message (`#`, `>`, `-`).
    """
    pieces: list[str] = []
    rest = text
    while len(rest) > limit:
        window = rest[:limit]
        cut = window.rfind("\n") + 1
        if cut <= limit // 2:
            cut = window.rfind(" ") + 1
            if cut <= limit // 2:
                cut = limit
            while cut > limit // 4 and _LINE_START.match(rest, cut):
                cut -= 1
        cut = len(_safe_prefix(rest, cut)) or limit
        pieces.append(rest[:cut])
        rest = rest[cut:]
    if rest or not pieces:
        pieces.append(rest)
    return pieces
