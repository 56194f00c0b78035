"""Articles, their FAQ and the publisher's channels, as validated immutable data."""

from __future__ import annotations

import datetime
import re
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

import attrs
from cattrs.errors import IterableValidationError, IterableValidationNote

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

# An attrs validator: (instance, attribute, value); the instance is None when structuring.
Check = Callable[[Any, "attrs.Attribute[Any]", Any], None]


class FieldError(ValueError):
    """A value its field refuses; the loader shows `value` (cut short) after the message."""

    def __init__(self, message: str, value: object) -> None:
        super().__init__(message)
        self.value = value


class ItemErrors(IterableValidationError, ValueError):
    """Problems of a tuple field's items, each noted with its position for the loader; a
    ValueError too, like every other check, for code that builds models directly."""


def _text(low: int, high: int) -> Check:
    def check(instance: object, attribute: attrs.Attribute[Any], value: str) -> None:
        if len(value) < low:
            raise FieldError(
                f"String should have at least {low} character{'s' * (low > 1)}", value
            )
        if len(value) > high:
            raise FieldError(f"String should have at most {high} characters", value)

    return check


def _matches(pattern: str) -> Check:
    fullmatch = re.compile(pattern).fullmatch
    message = f"String should match pattern '{pattern}'"
    if hint := PATTERN_HINTS.get(pattern):
        message += f": {hint}"

    def check(instance: object, attribute: attrs.Attribute[Any], value: str) -> None:
        if not fullmatch(value):
            raise FieldError(message, value)

    return check


def _each(check: Check) -> Check:
    """`check` on every item, each problem reported at its position (aliases[2])."""

    def check_all(instance: object, attribute: attrs.Attribute[Any], values: Any) -> None:
        errors = []
        for i, value in enumerate(values):
            try:
                check(instance, attribute, value)
            except ValueError as exc:
                exc.add_note(IterableValidationNote(f"item {i}", i, object))
                errors.append(exc)
        if errors:
            raise ItemErrors(f"invalid items in {attribute.name}", errors, tuple)

    return check_all


def _at_least_one(noun: str) -> Check:
    def check(instance: object, attribute: attrs.Attribute[Any], values: tuple[Any, ...]) -> None:
        if not values:
            raise ValueError(f"needs at least one {noun}")

    return check


def _duplicates(values: Iterable[str]) -> list[str]:
    return [value for value, count in Counter(values).items() if count > 1]


def unique_by(what: str, key: str) -> Check:
    """Items whose `key` attribute is each different (`what` names it in the problem)."""

    def check(instance: object, attribute: attrs.Attribute[Any], values: Iterable[Any]) -> None:
        if dupes := _duplicates(getattr(value, key) for value in values):
            raise ValueError(f"duplicate {what} {', '.join(map(repr, dupes))}")

    return check


def _unique_faq(
    instance: object, attribute: attrs.Attribute[Any], faq: tuple[FaqEntry, ...]
) -> None:
    if dupes := _duplicates(entry.id for entry in faq):
        details = "; ".join(
            f"{d!r} at " + " and ".join(f"faq[{i}]" for i, e in enumerate(faq) if e.id == d)
            for d in dupes
        )
        raise ValueError(f"duplicate FAQ id {details}")


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


# Generous caps that still leave room for a whole answer in one Discord message (2000 chars).
LINE = _text(1, 300)
PROSE = _text(1, 1500)


@attrs.frozen(kw_only=True)
class Provenance:
    """Where the article's text comes from and which edition this pack is."""

    source_title: str = attrs.field(validator=LINE)
    source: str = attrs.field(validator=LINE)
    version: str = attrs.field(validator=_text(1, 32))
    updated: datetime.date
    # Fields an importer made rather than quoted (ids, aliases, a ranked summary), as field
    # paths such as "faq[0].aliases": an editor reviews each and removes it from the list.
    generated: tuple[str, ...] = attrs.field(default=(), validator=_each(LINE))
    # The feed entry (its id, or link) this article was imported from, so it is imported once.
    feed_entry: str | None = attrs.field(default=None, validator=attrs.validators.optional(LINE))


@attrs.frozen(kw_only=True)
class Point:
    """A numbered highlight such as "Collaborating Giants: ..."."""

    title: str = attrs.field(validator=LINE)
    text: str = attrs.field(validator=PROSE)


@attrs.frozen(kw_only=True)
class Section:
    """One headed part of the article's summary."""

    id: str = attrs.field(validator=_matches(SECTION_ID_PATTERN))
    title: str = attrs.field(validator=LINE)
    paragraphs: tuple[str, ...] = attrs.field(default=(), validator=_each(PROSE))
    points: tuple[Point, ...] = ()

    def __attrs_post_init__(self) -> None:
        # A check of two fields together: reported at the section (sections[1]), not a field.
        if not self.paragraphs and not self.points:
            raise ValueError("a section needs at least one paragraph or point")


@attrs.frozen(kw_only=True)
class FaqEntry:
    """A question readers ask, its answer and other phrasings that should find it."""

    id: str = attrs.field(validator=_matches(FAQ_ID_PATTERN))
    question: str = attrs.field(validator=LINE)
    answer: str = attrs.field(validator=PROSE)
    aliases: tuple[str, ...] = attrs.field(default=(), validator=_each(LINE))
    # True for the article's own FAQs, quoted verbatim; False for questions the pack adds.
    from_article: bool = False


@attrs.frozen(kw_only=True)
class Article:
    """One article: its summary sections, FAQ and provenance."""

    slug: str = attrs.field(validator=_matches(SLUG_PATTERN))
    title: str = attrs.field(validator=LINE)
    lead: str = attrs.field(validator=PROSE)
    sections: tuple[Section, ...] = attrs.field(
        validator=[_at_least_one("section"), unique_by("section id", "id")]
    )
    faq: tuple[FaqEntry, ...] = attrs.field(default=(), validator=_unique_faq)
    provenance: Provenance
    # The article on the publisher's site: a link button under its summary and its cards.
    url: str | None = attrs.field(default=None, converter=http_url_or_none)

    # Lookups built once from the fields, in __attrs_post_init__: not part of the value.
    _faq_by_id: dict[str, FaqEntry] = attrs.field(init=False, eq=False, repr=False)
    _section_by_id: dict[str, int] = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        # Frozen: the indexes are set past attrs' guard, once, while the instance is new.
        object.__setattr__(self, "_faq_by_id", {entry.id: entry for entry in self.faq})
        sections = {section.id: i for i, section in enumerate(self.sections)}
        object.__setattr__(self, "_section_by_id", sections)

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


@attrs.frozen(kw_only=True)
class Channel:
    """One of the publisher's "Connect with Us" channels; shown only once it has a URL."""

    id: str = attrs.field(validator=_matches(CHANNEL_ID_PATTERN))
    name: str = attrs.field(validator=_text(1, 64))
    label: str = attrs.field(validator=_text(1, 80))
    icon: str = attrs.field(validator=_text(1, 16))
    url: str | None = attrs.field(default=None, converter=http_url_or_none)

    @property
    def configured(self) -> bool:
        """Whether the operator has given this channel a URL."""
        return bool(self.url)


@attrs.frozen(kw_only=True)
class Library:
    """Every article the bot serves plus the publisher's channels."""

    articles: tuple[Article, ...] = attrs.field(
        validator=[_at_least_one("article"), unique_by("article slug", "slug")]
    )
    channels: tuple[Channel, ...] = attrs.field(
        default=(), validator=unique_by("channel id", "id")
    )

    _by_slug: dict[str, Article] = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_by_slug", {article.slug: article for article in self.articles})

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
