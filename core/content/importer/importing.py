"""The two imports: one article from a file, and every new entry of a feed."""

from __future__ import annotations

import datetime
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

from core.content.importer.blocks import Source
from core.content.importer.compose import Imported, Origin, compose
from core.content.importer.decoding import decode_html, decode_text, looks_like_html
from core.content.importer.errors import ImportProblem
from core.content.importer.feed import FeedEntry, parse_feed
from core.content.importer.fetch import fetch, is_url
from core.content.importer.html_page import html_blocks, read_page
from core.content.importer.library_dir import Existing, scan, target_for, write_checked
from core.content.importer.naming import article_slug
from core.content.importer.outline import outline
from core.content.importer.text_layout import read_text, text_blocks
from core.content.importer.toml_writer import render
from core.content.loader import CHANNELS_FILE
from core.content.models import http_url_or_none

HTML_SUFFIXES = frozenset({".html", ".htm", ".xhtml"})


@dataclass(frozen=True)
class Written:
    """An article written to `path`, with what the editor should know of it."""

    path: Path
    imported: Imported


@dataclass
class FeedRun:
    """What one import-feed did with each entry."""

    written: list[Written] = field(default_factory=list)
    skipped: list[tuple[str, Path]] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)


def import_file(
    path: Path,
    slug: str,
    out: Path,
    *,
    reserved: Collection[str],
    today: datetime.date,
    force: bool = False,
) -> Written:
    """Read the article at `path` (plain text or HTML) and write `out/<slug>.toml`."""
    target = target_for(slug, out, scan(out), reserved, force=force)
    data = read_bytes(path)
    try:
        if path.suffix.lower() in HTML_SUFFIXES or looks_like_html(data):
            page = read_page(decode_html(data))
            source, updated, url = page.source, page.published or today, page.url
            no_title = "the page has no <h1> and no <title>"
        else:
            source, updated, url = read_text(decode_text(data)), today, None
            no_title = "the first line should be the article's title, alone on its line"
        drafted = outline(source, no_title=no_title)
    except ImportProblem as exc:
        raise ImportProblem(f"{path}: {exc}") from None
    origin = Origin(source=str(path), updated=updated, url=_http_or_none(url))
    imported = compose(drafted, origin, slug)
    write_checked(target, render(imported), reserved)
    return Written(target, imported)


def import_feed(
    location: str,
    out: Path,
    *,
    reserved: Collection[str],
    today: datetime.date,
    fetch_pages: bool = True,
) -> FeedRun:
    """Write an article for each entry of the feed at `location` not imported before."""
    if is_url(location):
        fetched = fetch(location)
        data, base_url = fetched.content, fetched.url
    else:
        data, base_url = read_bytes(Path(location)), None
    try:
        feed = parse_feed(data, base_url=base_url)
    except ImportProblem as exc:
        raise ImportProblem(f"{location}: {exc}") from None
    existing = scan(out)
    taken = {*existing.slugs, *existing.stems, *reserved, Path(CHANNELS_FILE).stem}
    run = FeedRun()
    for n, entry in enumerate(feed.entries, start=1):
        name = entry.title or entry.link or f"entry {n}"
        if done := _imported_before(entry, existing):
            run.skipped.append((name, done))
            continue
        try:
            written = _import_entry(
                entry, location, out, existing, taken, reserved, today, fetch_pages
            )
        except ImportProblem as exc:
            run.failed.append((name, str(exc)))
            continue
        taken.add(written.imported.article.slug)
        run.written.append(written)
    return run


def _imported_before(entry: FeedEntry, existing: Existing) -> Path | None:
    """The file an earlier run wrote for this entry (recognised by its id or its link)."""
    if entry.key and (path := existing.feed_entries.get(entry.key)):
        return path
    return existing.urls.get(entry.link) if entry.link else None


def _import_entry(
    entry: FeedEntry,
    location: str,
    out: Path,
    existing: Existing,
    taken: set[str],
    reserved: Collection[str],
    today: datetime.date,
    fetch_pages: bool,
) -> Written:
    if not entry.title:
        raise ImportProblem("the entry has no title")
    link = _http_or_none(entry.link)
    source_name, published = link or location, entry.published
    if entry.html:
        source = Source(None, html_blocks(entry.html))
    elif entry.text:
        source = Source(None, text_blocks(entry.text))
    elif link and fetch_pages:
        # Only a summary, or nothing: the article is on its page.
        fetched = fetch(link)
        page = read_page(decode_html(fetched.content, fetched.charset), url=fetched.url)
        source, published = page.source, published or page.published
    elif entry.summary_html:
        source = Source(None, html_blocks(entry.summary_html))
    else:
        raise ImportProblem("the entry has no text, and no link to fetch it from")
    slug = article_slug(entry.title, taken)
    origin = Origin(source=source_name, updated=published or today, url=link, feed_entry=entry.key)
    imported = compose(outline(source, title=entry.title), origin, slug, slug_made=True)
    target = target_for(slug, out, existing, reserved, force=False)
    write_checked(target, render(imported), reserved)
    return Written(target, imported)


def read_bytes(path: Path) -> bytes:
    """The file's bytes; ImportProblem when it is missing or unreadable."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise ImportProblem(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ImportProblem(f"{path}: is a directory, not a file") from None
    except OSError as exc:
        raise ImportProblem(f"{path}: cannot be read ({exc.strerror or exc})") from None


def _http_or_none(url: str | None) -> str | None:
    try:
        return http_url_or_none(url)
    except ValueError:
        return None
