"""What a source reads as, whatever its format: headings, paragraphs and list items in order."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Heading:
    """A heading; level 1 is the page's title, 2 and below its parts."""

    text: str
    level: int = 2


@dataclass(frozen=True)
class Paragraph:
    """A paragraph of running text, its lines joined."""

    text: str


@dataclass(frozen=True)
class Item:
    """One entry of a numbered or bulleted list, without its marker."""

    text: str


Block = Heading | Paragraph | Item


@dataclass(frozen=True)
class Source:
    """A source read into blocks: its title (None when it has none) and its body."""

    title: str | None
    blocks: tuple[Block, ...]


def squash(text: str) -> str:
    """Runs of whitespace (line breaks of a wrapped paragraph) as single spaces."""
    return " ".join(text.split())
