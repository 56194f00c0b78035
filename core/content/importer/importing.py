"""The import of one article from a file."""

from __future__ import annotations

import datetime
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from core.content.importer.compose import Imported, Origin, compose
from core.content.importer.decoding import decode_html, decode_text, looks_like_html
from core.content.importer.errors import ImportProblem
from core.content.importer.html_page import read_page
from core.content.importer.library_dir import scan, target_for, write_checked
from core.content.importer.outline import outline
from core.content.importer.text_layout import read_text
from core.content.importer.toml_writer import render
from core.content.models import http_url_or_none

HTML_SUFFIXES = frozenset({".html", ".htm", ".xhtml"})


@dataclass(frozen=True)
class Written:
    """An article written to `path`, with what the editor should know of it."""

    path: Path
    imported: Imported


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
