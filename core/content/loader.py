"""Load every article and the channel list from a content directory, all or nothing."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Collection, Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs

from core.content.models import Article, Channel, Library, unique_by
from core.content.structure import InvalidContent, Problem, structure
from core.faq.normalize import canonical, normalize, split_tokens

CHANNELS_FILE = "channels.toml"


class ContentError(Exception):
    """The content cannot be served; the message lists every problem, one per line."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(self.problems))


@attrs.frozen
class _ChannelsFile:
    """channels.toml: its channels, each id once."""

    channels: tuple[Channel, ...] = attrs.field(
        default=(), validator=unique_by("channel id", "id")
    )


def load_library(
    content_dir: Path,
    *,
    reserved: Collection[str] = (),
    env: Mapping[str, str] | None = None,
) -> Library:
    """Read `*.toml` articles (by file name) and optional `channels.toml`; raise ContentError."""
    content_dir = Path(content_dir)
    env = os.environ if env is None else env
    if not content_dir.is_dir():
        raise ContentError([f"{content_dir}: content directory not found"])
    files = sorted(
        (p for p in content_dir.glob("*.toml") if p.is_file() and not p.name.startswith(".")),
        key=lambda p: p.name,
    )
    article_files = [p for p in files if p.name != CHANNELS_FILE]
    if not article_files:
        raise ContentError(
            [f"{content_dir}: no articles found (*.toml files other than {CHANNELS_FILE})"]
        )
    problems: list[str] = []
    articles: list[Article] = []
    owners: dict[str, Path] = {}
    for path in article_files:
        article = _load_article(path, problems)
        if article is None:
            continue
        if article.slug in reserved:
            problems.append(
                f"{path}: slug: {article.slug!r} is a built-in command (/{article.slug});"
                " choose another slug"
            )
        elif article.slug in owners:
            problems.append(
                f"{path}: slug: {article.slug!r} is already used by {owners[article.slug]}"
            )
        else:
            owners[article.slug] = path
            articles.append(article)
    channels = _load_channels(content_dir / CHANNELS_FILE, env, problems)
    if problems:
        # A partial library would silently drop an article or a channel: refuse instead.
        raise ContentError(problems)
    try:
        return Library(articles=tuple(articles), channels=channels)
    except ValueError as exc:  # the files were checked one by one: this is a bug, said clearly
        raise ContentError([f"{content_dir}: {exc}"]) from None


def _read_toml(path: Path, problems: list[str]) -> dict[str, Any] | None:
    try:
        return tomllib.loads(path.read_bytes().decode("utf-8"))
    except tomllib.TOMLDecodeError as exc:
        problems.append(f"{path}: invalid TOML: {exc}")
    except UnicodeDecodeError as exc:
        problems.append(f"{path}: not UTF-8 text (byte {exc.start})")
    except OSError as exc:
        problems.append(f"{path}: cannot be read: {exc.strerror or exc}")
    return None


def _load_article(path: Path, problems: list[str]) -> Article | None:
    data = _read_toml(path, problems)
    if data is None:
        return None
    try:
        article = structure(data, Article)
    except InvalidContent as exc:
        problems.extend(_describe(path, exc.problems))
        return None
    clashes = _phrase_clashes(article)
    problems.extend(f"{path}: {clash}" for clash in clashes)
    return None if clashes else article


def _phrase_clashes(article: Article) -> list[str]:
    """Phrases of two entries that read alike would make the matcher guess: report them."""
    by_text: dict[str, tuple[str, str]] = {}
    by_words: dict[frozenset[str], tuple[str, str]] = {}
    clashes: list[str] = []
    for i, entry in enumerate(article.faq):
        for j, phrase in enumerate((entry.question, *entry.aliases)):
            where = f"faq[{i}].question" if j == 0 else f"faq[{i}].aliases[{j - 1}]"
            text = canonical(normalize(phrase))
            if not text:
                clashes.append(f"{where}: {phrase!r} has no letters or digits to match")
                continue
            first = by_text.setdefault(text, (entry.id, where))
            if first[0] != entry.id:
                clashes.append(
                    f"{where}: {phrase!r} reads the same as {first[1]} (FAQ {first[0]!r})"
                )
                continue
            words = frozenset(split_tokens(text))
            first = by_words.setdefault(words, (entry.id, where)) if words else first
            if first[0] != entry.id:
                clashes.append(
                    f"{where}: {phrase!r} has the same key words as {first[1]}"
                    f" (FAQ {first[0]!r}) once common words are ignored"
                )
    return clashes


def _load_channels(path: Path, env: Mapping[str, str], problems: list[str]) -> tuple[Channel, ...]:
    if not path.is_file():
        return ()
    data = _read_toml(path, problems)
    if data is None:
        return ()
    overridden: dict[int, str] = {}
    raw_channels = data.get("channels")
    if isinstance(raw_channels, list):
        for i, raw in enumerate(raw_channels):
            if isinstance(raw, dict) and isinstance(raw.get("id"), str):
                variable = f"CHANNEL_{raw['id'].upper()}_URL"
                if variable in env:
                    raw["url"] = env[variable].strip()
                    overridden[i] = variable
    try:
        return structure(data, _ChannelsFile).channels
    except InvalidContent as exc:
        found = exc.problems
    described = _describe(path, found)
    for k, problem in enumerate(found):
        match problem.loc:
            case ("channels", int(i), "url") if i in overridden:
                described[k] += f" (from {overridden[i]})"
    problems.extend(described)
    return ()


def _describe(path: Path, found: Iterable[Problem]) -> list[str]:
    """One line per problem: file, field path such as faq[2].answer, and what is wrong."""
    return [f"{path}: {problem.where}: {problem.message}" for problem in found]
