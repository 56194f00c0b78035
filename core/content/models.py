"""Articles, their FAQ and the publisher's channels, as validated immutable data."""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Iterable
from typing import Annotated, Self
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

# Telegram's command-name rule (Discord accepts it too): the slug becomes the command /<slug>.
SLUG_PATTERN = r"^[a-z][a-z0-9_]{0,31}$"
# Short because FAQ ids travel inside button payloads (Telegram allows 64 bytes in total).
FAQ_ID_PATTERN = r"^[a-z0-9_]{1,24}$"
SECTION_ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,31}$"
CHANNEL_ID_PATTERN = r"^[a-z][a-z0-9_]{0,31}$"
# What each pattern means, for error messages operators can act on.
PATTERN_HINTS = {
    SLUG_PATTERN: "a lower-case letter, then up to 31 lower-case letters, digits or _",
    FAQ_ID_PATTERN: "1 to 24 lower-case letters, digits or _",
    SECTION_ID_PATTERN: "a lower-case letter or digit, then up to 31 of those, - or _",
}

# Generous caps that still leave room for a whole answer in one Discord message (2000 chars).
Line = Annotated[str, Field(min_length=1, max_length=300)]
Prose = Annotated[str, Field(min_length=1, max_length=1500)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


def _duplicates(values: Iterable[str]) -> list[str]:
    return [value for value, count in Counter(values).items() if count > 1]


def http_url_or_none(url: str | None) -> str | None:
    """An http(s) URL as given; blank means "not set up yet" (None)."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ValueError(f"URL must start with http:// or https:// and name a host: {url!r}")
    if any(ch.isspace() for ch in url):
        raise ValueError(f"URL must not contain spaces: {url!r}")
    return url


class Provenance(_Frozen):
    """Where the article's text comes from and which edition this pack is."""

    source_title: Line
    source: Line
    version: Annotated[str, Field(min_length=1, max_length=32)]
    updated: datetime.date
    # Fields an importer made rather than quoted (ids, aliases, a ranked summary), as field
    # paths such as "faq[0].aliases": an editor reviews each and removes it from the list.
    generated: tuple[Line, ...] = ()
    # The feed entry (its id, or link) this article was imported from, so it is imported once.
    feed_entry: Line | None = None


class Point(_Frozen):
    """A numbered highlight such as "Collaborating Giants: ..."."""

    title: Line
    text: Prose


class Section(_Frozen):
    """One headed part of the article's summary."""

    id: Annotated[str, Field(pattern=SECTION_ID_PATTERN)]
    title: Line
    paragraphs: tuple[Prose, ...] = ()
    points: tuple[Point, ...] = ()

    @model_validator(mode="after")
    def _not_empty(self) -> Self:
        if not self.paragraphs and not self.points:
            raise ValueError("a section needs at least one paragraph or point")
        return self


class FaqEntry(_Frozen):
    """A question readers ask, its answer and other phrasings that should find it."""

    id: Annotated[str, Field(pattern=FAQ_ID_PATTERN)]
    question: Line
    answer: Prose
    aliases: tuple[Line, ...] = ()
    # True for the article's own FAQs, quoted verbatim; False for questions the pack adds.
    from_article: bool = False


class Article(_Frozen):
    """One article: its summary sections, FAQ and provenance."""

    slug: Annotated[str, Field(pattern=SLUG_PATTERN)]
    title: Line
    lead: Prose
    sections: tuple[Section, ...] = Field(min_length=1)
    faq: tuple[FaqEntry, ...] = ()
    provenance: Provenance
    # The article on the publisher's site: a link button under its summary and its cards.
    url: str | None = None

    _faq_by_id: dict[str, FaqEntry] = PrivateAttr(default_factory=dict)
    _section_by_id: dict[str, int] = PrivateAttr(default_factory=dict)

    _article_url = field_validator("url")(http_url_or_none)

    @field_validator("sections")
    @classmethod
    def _unique_sections(cls, sections: tuple[Section, ...]) -> tuple[Section, ...]:
        if dupes := _duplicates(section.id for section in sections):
            raise ValueError(f"duplicate section id {', '.join(map(repr, dupes))}")
        return sections

    @field_validator("faq")
    @classmethod
    def _unique_faq(cls, faq: tuple[FaqEntry, ...]) -> tuple[FaqEntry, ...]:
        if dupes := _duplicates(entry.id for entry in faq):
            details = "; ".join(
                f"{d!r} at " + " and ".join(f"faq[{i}]" for i, e in enumerate(faq) if e.id == d)
                for d in dupes
            )
            raise ValueError(f"duplicate FAQ id {details}")
        return faq

    def model_post_init(self, context: object, /) -> None:
        """Index FAQ entries and sections by id once."""
        self._faq_by_id = {entry.id: entry for entry in self.faq}
        self._section_by_id = {section.id: i for i, section in enumerate(self.sections)}

    def faq_entry(self, entry_id: str) -> FaqEntry | None:
        """The FAQ entry with this id, if any."""
        return self._faq_by_id.get(entry_id)

    def section(self, section_id: str) -> Section | None:
        """The section with this id, if any."""
        index = self._section_by_id.get(section_id)
        return None if index is None else self.sections[index]

    def section_index(self, section_id: str) -> int | None:
        """The position of the section with this id, if any."""
        return self._section_by_id.get(section_id)


class Channel(_Frozen):
    """One of the publisher's "Connect with Us" channels; shown only once it has a URL."""

    id: Annotated[str, Field(pattern=CHANNEL_ID_PATTERN)]
    name: Annotated[str, Field(min_length=1, max_length=64)]
    label: Annotated[str, Field(min_length=1, max_length=80)]
    icon: Annotated[str, Field(min_length=1, max_length=16)]
    url: str | None = None

    _http_url = field_validator("url")(http_url_or_none)

    @property
    def configured(self) -> bool:
        """Whether the operator has given this channel a URL."""
        return bool(self.url)


class Library(_Frozen):
    """Every article the bot serves plus the publisher's channels."""

    articles: tuple[Article, ...] = Field(min_length=1)
    channels: tuple[Channel, ...] = ()

    _by_slug: dict[str, Article] = PrivateAttr(default_factory=dict)

    @field_validator("articles")
    @classmethod
    def _unique_slugs(cls, articles: tuple[Article, ...]) -> tuple[Article, ...]:
        if dupes := _duplicates(article.slug for article in articles):
            raise ValueError(f"duplicate article slug {', '.join(map(repr, dupes))}")
        return articles

    @field_validator("channels")
    @classmethod
    def _unique_channels(cls, channels: tuple[Channel, ...]) -> tuple[Channel, ...]:
        if dupes := _duplicates(channel.id for channel in channels):
            raise ValueError(f"duplicate channel id {', '.join(map(repr, dupes))}")
        return channels

    def model_post_init(self, context: object, /) -> None:
        """Index articles by slug once."""
        self._by_slug = {article.slug: article for article in self.articles}

    def article(self, slug: str) -> Article | None:
        """The article with this slug, if any."""
        return self._by_slug.get(slug)

    def title_of(self, slug: str) -> str:
        """The article's title; the slug itself for an article no longer in the library."""
        article = self._by_slug.get(slug)
        return article.title if article else slug

    @property
    def default_article(self) -> Article:
        """The first article (by file name), used when a command names none."""
        return self.articles[0]

    @property
    def configured_channels(self) -> tuple[Channel, ...]:
        """The channels that have a URL, in file order."""
        return tuple(channel for channel in self.channels if channel.configured)
