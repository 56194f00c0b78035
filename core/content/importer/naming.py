"""Identifiers made from text: article slugs, section and FAQ ids (ASCII, lower case, `_`)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection

from core.faq.normalize import STOPWORDS

# The limits of SLUG_PATTERN, SECTION_ID_PATTERN and FAQ_ID_PATTERN in core/content/models.py.
MAX_SLUG = 32
MAX_SECTION_ID = 32
MAX_FAQ_ID = 24
# A slug made from a title stays shorter than the limit: readers type it as /<slug>.
MAX_SLUG_MADE = 24
_POSSESSIVE = re.compile(r"['’]s\b")


def words(text: str) -> list[str]:
    """The text's words in lower-case ASCII: "OpenAI’s Stargate?" gives openai, stargate."""
    folded = unicodedata.normalize("NFKD", _POSSESSIVE.sub("", text.casefold()))
    ascii_text = folded.encode("ascii", "ignore").decode().replace("'", "")
    return re.findall(r"[a-z0-9]+", ascii_text)


def identifier(text: str, limit: int, *, most_words: int | None = None) -> str:
    """The text's meaningful words joined by `_`, cut at a word to fit `limit` ("" if none)."""
    found = words(text)
    found = [w for w in found if w not in STOPWORDS] or found
    out = ""
    for word in found[:most_words]:
        candidate = f"{out}_{word}" if out else word
        if len(candidate) > limit:
            break
        out = candidate
    return out or (found[0][:limit] if found else "")


def unique(base: str, taken: Collection[str], limit: int) -> str:
    """`base`, or `base_2`, `base_3`... (shortened to fit `limit`): the first not in `taken`."""
    if base not in taken:
        return base
    n = 2
    while True:
        suffix = f"_{n}"
        candidate = base[: limit - len(suffix)].rstrip("_") + suffix
        if candidate not in taken:
            return candidate
        n += 1


def article_slug(title: str, taken: Collection[str]) -> str:
    """A slug for the title (its first three meaningful words: a command people can type),
    a lower-case letter first, not one of `taken`."""
    base = identifier(title, MAX_SLUG_MADE, most_words=3)
    if not base[:1].isalpha():
        base = identifier(f"article {base}", MAX_SLUG_MADE, most_words=3)
    return unique(base, taken, MAX_SLUG)
