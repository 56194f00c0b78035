"""Cleaning of what people type: one definition for the rules, the FAQ and the store.

Text is cleaned before a rule, a duplicate check or a length check reads it, and again as it is
bound to a column (`HumanLine`, `HumanText` in core.store.tables), so no call site can forget
and both databases store the same thing: PostgreSQL refuses NUL and over-long strings that
SQLite takes as they are.
"""

from __future__ import annotations

import re
import unicodedata

from core.lookalike_letters import LOOKALIKE_LETTERS

ZWNJ, ZWJ = "\u200c", "\u200d"
_VARIATION = "\ufe0e\ufe0f"  # text and emoji presentation
_MONGOLIAN_VARIATION = "\u180b\u180c\u180d\u180f"
# What nobody can see, so what can hide inside a word or pad a comment out: controls other
# than newline and tab, lone surrogates (no encoding can store them), every format character
# (category Cf: soft hyphen, zero-width space and joiners, bidi controls, word joiner,
# invisible operators, BOM, interlinear annotation, tag characters...) and the other default
# ignorable code points (combining grapheme joiner, Hangul fillers, variation selectors...).
# tests/core/test_text.py checks every Cf character of the running Python is here.
_INVISIBLE_CHARS = (
    "\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff"
    "\u00ad\u034f\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u115f\u1160\u17b4\u17b5"
    "\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0"
    "\ufff0-\ufffb\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3"
    "\U0001d173-\U0001d17a\U000e0000-\U000e0fff"
)
# A subdivision flag (🏴 + region tags + cancel tag) is the one legitimate use of tag characters.
_FLAG = "\U0001f3f4[\U000e0030-\U000e0039\U000e0061-\U000e007a]{2,7}\U000e007f"
_INVISIBLE = re.compile(f"(?P<flag>{_FLAG})|[{_INVISIBLE_CHARS}]")
_EVERY_INVISIBLE = re.compile(f"[{_INVISIBLE_CHARS}]+")
# Blank-looking characters that read as layout: the Braille blank pads "empty" names and lines.
_LAYOUT = str.maketrans({"\r": "\n", "\u2028": "\n", "\u2029": "\n", "\u2800": " "})
_BLANK_LINES = re.compile(r"\n{3,}")
# Scripts whose shaping needs ZWJ/ZWNJ between letters (Persian ZWNJ, Indic half forms...).
_JOINING_SCRIPTS = (
    ("\u0600", "\u08ff"),  # Arabic, Syriac, Thaana, N'Ko and the Arabic extensions
    ("\u0900", "\u0dff"),  # Devanagari to Sinhala
    ("\u1000", "\u109f"),  # Myanmar
    ("\u1780", "\u18af"),  # Khmer, Mongolian
    ("\ufb50", "\ufdff"),  # Arabic presentation forms
    ("\ufe70", "\ufefe"),
)


def _joins(char: str) -> bool:
    """A letter or mark of a script that uses ZWJ/ZWNJ between letters."""
    return (
        unicodedata.category(char)[0] in "LM"
        and any(low <= char <= high for low, high in _JOINING_SCRIPTS)
        and not _EVERY_INVISIBLE.match(char)
    )


def _emoji(char: str) -> bool:
    """What may come before a ZWJ in an emoji sequence (👩🏽‍💻, ❤️‍🔥)."""
    skin_tone = "\U0001f3fb" <= char <= "\U0001f3ff"
    return char == "\ufe0f" or skin_tone or unicodedata.category(char) == "So"


def _takes_variation(char: str) -> bool:
    """A symbol a variation selector can follow (❤️, 1️⃣, ℹ️), not a letter or a space."""
    return char == "\u2139" or (unicodedata.category(char)[0] not in "LMCZ" and not char.isspace())


def _keeps(found: str, before: str, after: str) -> bool:
    """Whether an invisible character between `before` (kept) and `after` is legitimate."""
    if not before:  # each one joins or modifies what precedes it
        return False
    if found == ZWJ and after and _emoji(before) and unicodedata.category(after) == "So":
        return True
    if found in (ZWJ, ZWNJ):
        return bool(after) and _joins(before) and _joins(after)
    if found in _VARIATION:
        return _takes_variation(before)
    if found in _MONGOLIAN_VARIATION:
        return "\u1820" <= before <= "\u18aa"
    return False


def strip_invisible(text: str) -> str:
    """Drop invisible characters, keeping the ones emoji and joining scripts need."""
    if _INVISIBLE.search(text) is None:
        return text
    kept: list[str] = []
    before, start = "", 0
    for match in _INVISIBLE.finditer(text):
        visible = text[start : match.start()]
        kept.append(visible)
        before = visible[-1:] or before
        found = match.group()
        if match.group("flag") or _keeps(found, before, text[match.end() : match.end() + 1]):
            kept.append(found)
            before = found[-1]
        start = match.end()
    kept.append(text[start:])
    return "".join(kept)


def drop_invisible(text: str) -> str:
    """Every invisible character gone, joiners and selectors too: for comparing, not storing."""
    return _EVERY_INVISIBLE.sub("", text)


def clean_text(text: str) -> str:
    """What a person typed, fit to store: one kind of newline, nothing invisible, trimmed."""
    text = strip_invisible(text.replace("\r\n", "\n").translate(_LAYOUT))
    text = unicodedata.normalize("NFC", text)
    return _BLANK_LINES.sub("\n\n", text).strip()


def clean_line(text: str) -> str:
    """A name or other one-line text: cleaned, with every run of whitespace one space."""
    return " ".join(clean_text(text).split())


def fit(text: str, length: int) -> str:
    """Cleaned text cut to `length` characters without leaving half an emoji sequence."""
    if len(text) <= length:
        return text
    return strip_invisible(text[:length]).rstrip()


def fold(text: str) -> str:
    """What rules and duplicate checks compare: compatibility forms, case and every invisible
    character folded away (so a joiner inside a word hides nothing)."""
    return drop_invisible(unicodedata.normalize("NFKC", drop_invisible(text))).casefold()


_LOOKALIKES = str.maketrans(LOOKALIKE_LETTERS)
_ANY_LOOKALIKE = re.compile(f"[{''.join(LOOKALIKE_LETTERS)}]")
_LATIN_LETTER = re.compile("[a-z]")
# A word with a Latin letter in it; the others need no look (counting and matching run in C).
_WORD_WITH_LATIN = re.compile(r"\b\w*[a-z]\w*")


def _unmask_word(match: re.Match[str]) -> str:
    return match.group().translate(_LOOKALIKES)


def unmask_lookalikes(folded: str) -> str:
    """Folded text with letters of other scripts read as the Latin letters they imitate where
    they are a disguise: anywhere in a text written mostly in Latin letters ("buy ѵіаԍга", all
    Cyrillic), and elsewhere in words that mix them with Latin letters ("vіаgrа"). A word
    wholly in its own script, in a text of that script ("привет, друг"), is read as itself."""
    if folded.isascii() or _ANY_LOOKALIKE.search(folded) is None:
        return folded
    not_ascii = len(folded) - len(folded.encode("ascii", "ignore"))
    if len(_LATIN_LETTER.findall(folded)) > not_ascii:
        return folded.translate(_LOOKALIKES)
    return _WORD_WITH_LATIN.sub(_unmask_word, folded)
