"""The content directory an import writes into: what it holds already, the names an article may
not take, and the write itself, checked as start-up checks it before the file lands."""

from __future__ import annotations

import os
import re
import tempfile
import tomllib
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from core.content.importer.errors import ImportProblem
from core.content.loader import CHANNELS_FILE, ContentError, load_library
from core.content.models import PATTERN_HINTS, SLUG_PATTERN


@dataclass(frozen=True)
class Existing:
    """What the directory's article files say of themselves (files that don't parse left out:
    `check` reports them)."""

    slugs: dict[str, Path]
    feed_entries: dict[str, Path]
    urls: dict[str, Path]
    stems: frozenset[str]


def scan(directory: Path) -> Existing:
    """The slugs, feed entries and URLs of the article files in `directory`."""
    slugs: dict[str, Path] = {}
    entries: dict[str, Path] = {}
    urls: dict[str, Path] = {}
    paths = sorted(directory.glob("*.toml")) if directory.is_dir() else []
    for path in paths:
        if path.name == CHANNELS_FILE or path.name.startswith("."):
            continue
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            continue
        if isinstance(slug := data.get("slug"), str):
            slugs.setdefault(slug, path)
        if isinstance(url := data.get("url"), str) and url:
            urls.setdefault(url, path)
        provenance = data.get("provenance")
        if isinstance(provenance, dict) and isinstance(entry := provenance.get("feed_entry"), str):
            entries.setdefault(entry, path)
    return Existing(slugs, entries, urls, frozenset(p.stem for p in paths))


def reserved_names() -> frozenset[str]:
    """The built-in commands, which no article may take as its slug."""
    from core.commands.router import command_names
    from core.handlers import ROUTERS

    return command_names(ROUTERS)


def target_for(
    slug: str, directory: Path, existing: Existing, reserved: Collection[str], *, force: bool
) -> Path:
    """The file `slug` is written to; ImportProblem when the slug can't be used there."""
    if not re.fullmatch(SLUG_PATTERN, slug):
        raise ImportProblem(f"slug {slug!r} is not valid: {PATTERN_HINTS[SLUG_PATTERN]}")
    if slug == Path(CHANNELS_FILE).stem:
        raise ImportProblem(f"slug {slug!r} would overwrite the channel list, {CHANNELS_FILE}")
    if slug in reserved:
        raise ImportProblem(f"slug {slug!r} is a built-in command (/{slug}): choose another")
    target = directory / f"{slug}.toml"
    owner = existing.slugs.get(slug)
    if owner is not None and owner.name != target.name:
        raise ImportProblem(f"slug {slug!r} is already used by {owner}")
    if target.exists() and not force:
        raise ImportProblem(f"{target} already exists: pass --force to replace it")
    return target


def write_checked(target: Path, text: str, reserved: Collection[str]) -> None:
    """Write `text` to `target` once it loads as start-up would load it, and only then."""
    with tempfile.TemporaryDirectory() as scratch:
        trial = Path(scratch) / target.name
        trial.write_text(text, encoding="utf-8")
        try:
            load_library(Path(scratch), reserved=reserved, env={})
        except ContentError as exc:
            problems = (p.replace(str(trial), str(target)) for p in exc.problems)
            raise ImportProblem(
                "the imported article would not load:\n" + "\n".join(problems)
            ) from None
    partial = target.with_name(f".{target.name}.partial")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        partial.write_text(text, encoding="utf-8")
        # A reader (the bot, a reload) sees the old file or the new one, never half of one.
        os.replace(partial, target)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise ImportProblem(f"{target}: cannot be written ({exc.strerror or exc})") from None
