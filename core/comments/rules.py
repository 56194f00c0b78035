"""The moderation rule pipeline as pure functions (WordPress's knobs, each a setting).

`core.text.clean_text` and `length_problem` run before anything is stored; `evaluate` decides
where a stored comment goes and records every rule that fired as a reason.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cached_property, lru_cache

from core.comments.views import Status
from core.config import CommentRules
from core.text import clean_line, fit, fold, unmask_lookalikes

# Schemes, www. hosts and bare domains with a path all count: readers paste links every way.
_LINK = re.compile(
    r"(?:\b[a-z][a-z0-9+.-]*://\S+|\bwww\.\S+|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}/\S*)",
    re.IGNORECASE,
)
HELD_FOR_REVIEW = "held for review"


@dataclass(frozen=True, slots=True)
class Verdict:
    status: Status
    reasons: tuple[str, ...]


def length_problem(text: str, rules: CommentRules) -> str | None:
    """A friendly refusal when the cleaned text is empty, too short or too long."""
    if not text:
        return "Your comment is empty: please write something."
    if len(text) < rules.min_length:
        return f"Your comment is too short: please write at least {rules.min_length} characters."
    if len(text) > rules.max_length:
        return (
            f"Your comment is {len(text)} characters long; the limit is {rules.max_length}. "
            "Please shorten it and send it again."
        )
    return None


def clean_name(name: str, rules: CommentRules) -> str:
    return fit(clean_line(name), rules.max_name_length) or "Reader"


def digest(text: str) -> str:
    """Identity of a comment's wording: case, spacing, width and invisible characters ignored."""
    folded = " ".join(fold(text).split())
    return hashlib.sha256(folded.encode()).hexdigest()


def count_links(text: str) -> int:
    return len(_LINK.findall(text))


class _Haystack:
    """A comment as the word rules read it: folded, and with look-alike letters unmasked."""

    def __init__(self, text: str) -> None:
        self.folded = fold(text)

    @cached_property
    def unmasked(self) -> str:  # only once a word was not found as written
        return unmask_lookalikes(self.folded)

    def first_of(self, words: tuple[str, ...]) -> str | None:
        """The first of `words` found, quoted, and said so when look-alike letters hid it."""
        # Substring matching, as WordPress does: word boundaries do not exist in many scripts.
        for word, needle, unmasked in _needles(words):
            if needle in self.folded:
                return f"“{word}”"
            if unmasked in self.unmasked:
                return f"“{word}” in look-alike letters"
        return None


@lru_cache(maxsize=16)  # the settings' few word lists, folded once rather than per comment
def _needles(words: tuple[str, ...]) -> tuple[tuple[str, str, str], ...]:
    """Each word with what is looked for: folded, and folded with look-alikes unmasked."""
    folded = ((word, fold(word).strip()) for word in words)
    return tuple((word, needle, unmask_lookalikes(needle)) for word, needle in folded if needle)


def evaluate(text: str, author_name: str, rules: CommentRules) -> Verdict:
    """Where a comment goes and why: spam, held (pending) or approved."""
    haystack = _Haystack(f"{author_name}\n{text}")
    disallowed = haystack.first_of(rules.disallowed_words)
    if disallowed is not None:
        return Verdict(Status.SPAM, (f"disallowed word {disallowed}",))

    reasons: list[str] = []
    links = count_links(text)
    if links > rules.max_links:
        reasons.append(f"{links} links (more than {rules.max_links})")
    word = haystack.first_of(rules.moderation_words)
    if word is not None:
        reasons.append(f"moderation word {word}")
    if rules.manual_approval:
        reasons.append(HELD_FOR_REVIEW)
    return Verdict(Status.PENDING if reasons else Status.APPROVED, tuple(reasons))
