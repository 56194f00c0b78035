"""RSS and Atom feeds (feedparser): each entry's id, title, link, date and text."""

from __future__ import annotations

import datetime
import hashlib
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from core.content.importer.errors import ImportProblem
from core.content.importer.html_page import html_blocks

_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
# provenance.feed_entry is a Line (300 characters at most): a longer id is kept as its digest.
MAX_KEY_CHARS = 300


@dataclass(frozen=True)
class FeedEntry:
    """One entry, as the feed gives it: the full text (HTML or plain), or only a summary."""

    key: str | None
    title: str | None
    link: str | None
    published: datetime.date | None
    html: str | None = None
    text: str | None = None
    summary_html: str | None = None


@dataclass(frozen=True)
class Feed:
    """A feed's title and its entries in the feed's order."""

    title: str | None
    entries: tuple[FeedEntry, ...]


def parse_feed(data: bytes, *, base_url: str | None = None) -> Feed:
    """The feed in `data`; ImportProblem when it is no feed feedparser can read."""
    import feedparser

    # The feed's address lets feedparser resolve links relative to it.
    headers = {"content-location": base_url} if base_url else None
    parsed: Any = feedparser.parse(data, response_headers=headers)
    if not parsed.get("version") and not parsed.entries:
        reason = parsed.get("bozo_exception")
        raise ImportProblem(
            "not an RSS or Atom feed" + (f" ({reason})" if reason else "") + " that can be read"
        )
    return Feed(
        title=parsed.feed.get("title"), entries=tuple(_entry(raw) for raw in parsed.entries)
    )


def _entry(raw: Mapping[str, Any]) -> FeedEntry:
    link = raw.get("link") or None
    html = text = None
    for content in raw.get("content") or ():
        if content.get("type") in _HTML_TYPES and content.get("value"):
            html = content["value"]
            break
        if content.get("value"):
            text = text or content["value"]
    summary = raw.get("summary") or None
    return FeedEntry(
        key=_key(raw.get("id") or link or None),
        title=_title(raw),
        link=link,
        published=_date(raw.get("published_parsed") or raw.get("updated_parsed")),
        html=html,
        text=None if html else text,
        summary_html=summary,
    )


def _title(raw: Mapping[str, Any]) -> str | None:
    title = raw.get("title") or ""
    if "<" in title and (raw.get("title_detail") or {}).get("type") in _HTML_TYPES:
        # An Atom title of type html: its text, not its markup.
        title = " ".join(b.text for b in html_blocks(title))
    return " ".join(title.split()) or None


def _key(key: str | None) -> str | None:
    if key is None or len(key) <= MAX_KEY_CHARS:
        return key
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()


def _date(parsed: time.struct_time | None) -> datetime.date | None:
    return datetime.date(*parsed[:3]) if parsed else None
