"""`check`: load a content directory as start-up does, and say what loaded or what is wrong."""

from __future__ import annotations

import sys
from pathlib import Path

from core.content.importer.library_dir import reserved_names
from core.content.loader import ContentError, load_library
from core.content.models import Library


def load_as_start_up(directory: Path) -> Library:
    """The library start-up would serve from `directory`, or the ContentError it would raise."""
    from core.app import settings_environment

    return load_library(directory, reserved=reserved_names(), env=settings_environment())


def check(directory: Path) -> int:
    """0 and a one-line summary when the content loads; 1 and each problem on stderr if not."""
    try:
        library = load_as_start_up(directory)
    except ContentError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        count = len(exc.problems)
        print(f"{directory}: {count} problem{'s' * (count != 1)}", file=sys.stderr)
        return 1
    print(summary(directory, library))
    return 0


def summary(directory: Path, library: Library) -> str:
    """One line: the articles by command, their FAQs, the channels, what awaits review."""
    articles = library.articles
    faqs = sum(len(article.faq) for article in articles)
    commands = ", ".join(f"/{article.slug}" for article in articles)
    line = (
        f"{directory}: {len(articles)} article{'s' * (len(articles) != 1)} ({commands}),"
        f" {faqs} FAQs, {len(library.channels)} channels"
        f" ({len(library.configured_channels)} with a URL)"
    )
    if to_review := [a.slug for a in articles if a.provenance.generated]:
        line += f"; generated fields to review in {', '.join(to_review)}"
    return line
