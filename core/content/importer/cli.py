"""The command line: `import`, `import-feed` and `check`, each ending in an exit status."""

from __future__ import annotations

import argparse
import datetime
import re
import sys
from collections import Counter
from collections.abc import Sequence, Sized
from pathlib import Path

from core.content.importer.compose import Imported
from core.content.importer.errors import ImportProblem
from core.content.loader import ContentError

PROG = "python -m core.content"
# What each kind of generated field is called in the report.
_KINDS = {
    "slug": "the slug",
    "lead": "the lead",
    "sections[].id": "section ids",
    "sections[].title": "section titles",
    "faq[].id": "FAQ ids",
    "faq[].aliases": "FAQ aliases",
}


def parser() -> argparse.ArgumentParser:
    """The arguments of every subcommand."""
    top = argparse.ArgumentParser(
        prog=PROG, description="Import articles into the content directory, and check it."
    )
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    one = commands.add_parser(
        "import", help="an article from a text or HTML file", description="Write DIR/SLUG.toml."
    )
    one.add_argument("path", type=Path, metavar="PATH", help="a .txt or .html file")
    one.add_argument("--slug", required=True, help="its command, e.g. stargate for /stargate")
    one.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="DIR",
        help="default: CONTENT_DIR (content/)",
    )
    one.add_argument("--force", action="store_true", help="replace DIR/SLUG.toml if it exists")
    feed = commands.add_parser(
        "import-feed",
        help="each new entry of an RSS or Atom feed",
        description="Write an article for each entry not imported before.",
    )
    feed.add_argument("location", metavar="PATH_OR_URL", help="a feed file or http(s) URL")
    feed.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="DIR",
        help="default: CONTENT_DIR (content/)",
    )
    feed.add_argument(
        "--no-fetch",
        dest="fetch_pages",
        action="store_false",
        help="never fetch an entry's page: use the feed's summary when it has no full text",
    )
    check = commands.add_parser(
        "check",
        help="load a content directory as start-up does",
        description="Exit 0 if it loads.",
    )
    check.add_argument(
        "directory",
        type=Path,
        nargs="?",
        default=None,
        metavar="DIR",
        help="default: CONTENT_DIR (content/)",
    )
    return top


def main(argv: Sequence[str] | None = None) -> int:
    """Run one subcommand; the exit status (0 done, 1 a problem reported on stderr, 2 usage)."""
    args = parser().parse_args(argv)
    try:
        if args.command == "check":
            from core.content.importer.check import check

            return check(args.directory or _content_dir())
        out = args.out or _content_dir()
        if args.command == "import":
            return _import(args.path, args.slug, out, force=args.force)
        return _import_feed(args.location, out, fetch_pages=args.fetch_pages)
    except ImportProblem as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def _content_dir() -> Path:
    """CONTENT_DIR, as the bot reads it (environment, then .env)."""
    from core.config import Settings
    from core.environment import SettingsError

    try:
        return Settings.from_environment().content_dir
    except SettingsError as exc:
        raise ImportProblem(f"the settings cannot be read:\n{exc}") from None


def _import(path: Path, slug: str, out: Path, *, force: bool) -> int:
    from core.content.importer.importing import import_file
    from core.content.importer.library_dir import reserved_names

    written = import_file(
        path, slug, out, reserved=reserved_names(), today=datetime.date.today(), force=force
    )
    _report(written.path, written.imported)
    _warn_if_directory_fails(out)
    return 0


def _import_feed(location: str, out: Path, *, fetch_pages: bool) -> int:
    from core.content.importer.importing import import_feed
    from core.content.importer.library_dir import reserved_names

    run = import_feed(
        location,
        out,
        reserved=reserved_names(),
        today=datetime.date.today(),
        fetch_pages=fetch_pages,
    )
    for written in run.written:
        _report(written.path, written.imported)
    for name, path in run.skipped:
        print(f"Skipped “{name}”: imported before, as {path}")
    for name, problem in run.failed:
        print(f"error: “{name}”: {problem}", file=sys.stderr)
    imported, skipped, failed = len(run.written), len(run.skipped), len(run.failed)
    if run.written:
        _warn_if_directory_fails(out)
    print(f"{location}: {imported} imported, {skipped} imported before, {failed} failed")
    return 1 if run.failed else 0


def _report(path: Path, imported: Imported) -> None:
    article = imported.article
    print(
        f"Wrote {path}: /{article.slug} “{article.title}”, {_count(article.sections, 'section')},"
        f" {_count(article.faq, 'FAQ')}"
        + ("" if "lead" in imported.reasons else "; the lead is the standfirst")
    )
    kinds = Counter(re.sub(r"\[\d+\]", "[]", field) for field in imported.reasons)
    if kinds:
        listed = ", ".join(
            f"{_KINDS.get(kind, kind)}" + (f" ({n})" if n > 1 else "") for kind, n in kinds.items()
        )
        print(f"  to review, marked “# generated: review”: {listed}")
    for item in imported.left_out:
        print(f"  left out: {item}")


def _count(things: Sized, name: str) -> str:
    return f"{len(things)} {name}{'s' * (len(things) != 1)}"


def _warn_if_directory_fails(directory: Path) -> None:
    """The new file loads; say so if the directory as a whole still would not, else which
    article is the default (a file named before the others takes that place)."""
    from core.content.importer.check import load_as_start_up

    try:
        library = load_as_start_up(directory)
    except ContentError as exc:
        print(f"warning: {directory} does not load as a whole yet:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return
    default = library.default_article.slug
    print(
        f"  /{default} is the default article (the first file by name): /faq, /comments and "
        "/comment without #article use it"
    )
