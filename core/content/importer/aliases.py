"""Other ways to ask an article's questions: their topic words, for an editor to review."""

from __future__ import annotations

from collections.abc import Sequence

from core.faq.normalize import STOPWORDS, canonical, normalize, split_tokens

# Beside the stopwords: the question words and negations, which a topic does not need.
_NOT_TOPIC = STOPWORDS | {"who", "what", "when", "where", "why", "how", "which", "whose", "not"}


def topic_aliases(questions: Sequence[str]) -> list[tuple[str, ...]]:
    """For each question, its topic words as one alias ("What is Stargate’s primary
    objective?" gives "stargate primary objective"); none when the alias would add nothing
    or read like another question's phrase, which the loader refuses."""
    owners: dict[object, int] = {}
    for i, question in enumerate(questions):
        text = canonical(normalize(question))
        owners.setdefault(text, i)
        owners.setdefault(frozenset(split_tokens(text)), i)
    out: list[tuple[str, ...]] = []
    for i, question in enumerate(questions):
        own = canonical(normalize(question))
        alias = " ".join(w for w in own.split() if w not in _NOT_TOPIC)
        keys = (alias, frozenset(split_tokens(alias)))
        if len(alias.split()) < 2 or alias == own or any(owners.get(k, i) != i for k in keys):
            out.append(())
            continue
        for key in keys:
            owners.setdefault(key, i)
        out.append((alias,))
    return out
