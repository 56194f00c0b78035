"""Plain text laid out like the seed article: a title line, then blank-line separated blocks."""

from __future__ import annotations

import re

from core.content.importer.blocks import Block, Heading, Item, Paragraph, Source, squash
from core.content.importer.outline import is_page_marker

# "1. ", "2) ", "- ", "* ", "• ": a list entry; the marker is not part of the text.
_LIST_MARKER = re.compile(r"^\s*(?:\d{1,3}[.)]|[-*•–])\s+(?=\S)")
# "Q: ..." and "A: ...": each starts a paragraph of its own, even without a blank line between.
_QA_LINE = re.compile(r"^\s*[QA]\s*:\s*\S", re.IGNORECASE)
# Markdown-style "## Heading".
_HASH_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.+?)[\s#]*$")
# A heading is one short line that does not read as a sentence.
MAX_HEADING_CHARS = 120
MAX_HEADING_WORDS = 16
MAX_TITLE_CHARS = 300


def read_text(text: str) -> Source:
    """The title (the first line, when it reads as one) and the blocks of the rest."""
    chunks = _chunks(text)
    if not chunks:
        return Source(title=None, blocks=())
    first, *rest = chunks
    title = _as_heading(first[0], max_chars=MAX_TITLE_CHARS)
    # A title stands alone (or is a "# " line): the first line of a wrapped paragraph is none.
    if title is None or (len(first) > 1 and not _HASH_HEADING.match(first[0])):
        return Source(title=None, blocks=text_blocks(text))
    body = ([first[1:]] if len(first) > 1 else []) + rest
    return Source(title=title.text, blocks=tuple(b for chunk in body for b in _blocks(chunk)))


def text_blocks(text: str) -> tuple[Block, ...]:
    """The blocks of a text that has no title line (a feed entry's plain-text body)."""
    return tuple(block for chunk in _chunks(text) for block in _blocks(chunk))


def _chunks(text: str) -> list[list[str]]:
    """Runs of non-blank lines, the blank lines between them dropped."""
    chunks: list[list[str]] = [[]]
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if line.strip():
            chunks[-1].append(line.rstrip())
        elif chunks[-1]:
            chunks.append([])
    return [chunk for chunk in chunks if chunk]


def _as_heading(line: str, *, max_chars: int = MAX_HEADING_CHARS) -> Heading | None:
    """The line as a heading, or None when it reads as running text, a list entry or a Q/A."""
    if match := _HASH_HEADING.match(line):
        return Heading(squash(match[2]), level=len(match[1]))
    text = squash(line)
    if (
        len(text) > max_chars
        or len(text.split()) > MAX_HEADING_WORDS
        or text.endswith((".", ",", ";"))
        or ". " in text
        or _LIST_MARKER.match(line)
        or _QA_LINE.match(line)
    ):
        return None
    return Heading(text)


def _blocks(chunk: list[str]) -> list[Block]:
    """One chunk: a heading when it is one short line; else paragraphs and list entries."""
    if len(chunk) == 1 and (heading := _as_heading(chunk[0])):
        return [heading]
    blocks: list[Block] = []
    lines: list[str] = []
    kind: type[Paragraph] | type[Item] = Paragraph

    def flush() -> None:
        if lines:
            blocks.append(kind(squash(" ".join(lines))))
            lines.clear()

    for line in chunk:
        if marker := _LIST_MARKER.match(line):
            flush()
            kind = Item
            lines.append(line[marker.end() :])
        elif _QA_LINE.match(line):
            flush()
            kind = Paragraph
            lines.append(line)
        elif is_page_marker(line):
            # "Leave a Comment" right under the last answer must not become part of it.
            flush()
            kind = Paragraph
            blocks.append(Paragraph(squash(line)))
        else:
            # A wrapped line continues the entry or paragraph above it.
            lines.append(line)
    flush()
    return blocks
