"""Reading back what the importer wrote: the TOML, its generated marks, and the source's text."""

from __future__ import annotations

import re
import tomllib
from itertools import pairwise
from pathlib import Path
from typing import Any

MARK = "# generated: review"


def read_toml(path: Path) -> dict[str, Any]:
    """The file as data."""
    return tomllib.loads(path.read_text(encoding="utf-8"))


def squashed(text: str) -> str:
    """Whitespace runs as single spaces: a wrapped line reads as the paragraph it belongs to."""
    return " ".join(text.split())


def resolve(data: dict[str, Any], path: str) -> object:
    """The value at a field path such as `faq[2].aliases` (KeyError or IndexError if none)."""
    value: Any = data
    for name, index in re.findall(r"([a-z_]+)|\[(\d+)\]", path):
        value = value[int(index)] if index else value[name]
    return value


def marked_keys(text: str) -> list[str]:
    """The keys written right under a `# generated: review` comment, in file order, each with
    the table it is in (`sections`, `faq` or `` at the top)."""
    keys: list[str] = []
    table = ""
    lines = text.splitlines()
    for line, after in pairwise(lines):
        if header := re.match(r"^\[\[?([a-z_.]+)\]\]?$", line):
            table = header[1]
        if line.startswith(MARK):
            keys.append(f"{table}.{after.split(' = ')[0]}".lstrip("."))
    return keys
