"""Load every article and the channel list from a content directory, all or nothing."""

from __future__ import annotations

import datetime
import os
import tomllib
from collections.abc import Collection, Iterable, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator
from pydantic_core import ErrorDetails

from core.content.models import PATTERN_HINTS, Article, Channel, Library
from core.faq.normalize import canonical, normalize, split_tokens

CHANNELS_FILE = "channels.toml"
_SHOWN_INPUT = (str, int, float, bool, datetime.date)


class ContentError(Exception):
    """The content cannot be served; the message lists every problem, one per line."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(self.problems))


class _ChannelsFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    channels: tuple[Channel, ...] = ()

    @field_validator("channels")
    @classmethod
    def _unique(cls, channels: tuple[Channel, ...]) -> tuple[Channel, ...]:
        ids = [channel.id for channel in channels]
        if dupes := sorted({i for i in ids if ids.count(i) > 1}):
            raise ValueError(f"duplicate channel id {', '.join(map(repr, dupes))}")
        return channels


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
    except ValidationError as exc:
        raise ContentError(_describe(content_dir, exc.errors())) from None


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
        article = Article.model_validate(data)
    except ValidationError as exc:
        problems.extend(_describe(path, exc.errors()))
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
        return _ChannelsFile.model_validate(data).channels
    except ValidationError as exc:
        errors = exc.errors()
    described = _describe(path, errors)
    for k, error in enumerate(errors):
        loc = error["loc"]
        if len(loc) == 3 and loc[2] == "url" and isinstance(loc[1], int) and loc[1] in overridden:
            described[k] += f" (from {overridden[loc[1]]})"
    problems.extend(described)
    return ()


def _describe(path: Path, errors: Iterable[ErrorDetails]) -> list[str]:
    """One line per pydantic error: file, field path such as faq[2].answer, and the problem."""
    lines = []
    for error in errors:
        message = error["msg"].removeprefix("Value error, ")
        if hint := PATTERN_HINTS.get(str(error.get("ctx", {}).get("pattern"))):
            message += f": {hint}"
        shown = error.get("input")
        if error["type"] not in {"missing", "value_error"} and isinstance(shown, _SHOWN_INPUT):
            text = repr(shown)
            message += f" (got {text[:60] + '...' if len(text) > 60 else text})"
        lines.append(f"{path}: {_field_path(error['loc'])}: {message}")
    return lines


def _field_path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out or "(top level)"
