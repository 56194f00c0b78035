"""Reader-like typos for FAQ matching: the tests and the benchmark misspell the same way."""

from __future__ import annotations

import random


def typo(text: str, rng: random.Random) -> str:
    """One random edit (drop, swap, replace or add a letter) inside one of the longer words."""
    words = text.split()
    longest = max(len(word.strip("?'")) for word in words)
    i = rng.choice([i for i, w in enumerate(words) if len(w.strip("?'")) >= min(5, longest)])
    word = words[i].strip("?'")
    at = rng.randrange(1, len(word) - 1)
    letter = rng.choice("abcdefghijklmnopqrstuvwxyz")
    edit = rng.choice(["drop", "swap", "replace", "add"])
    if edit == "drop":
        word = word[:at] + word[at + 1 :]
    elif edit == "swap":
        word = word[:at] + word[at + 1] + word[at] + word[at + 2 :]
    elif edit == "replace":
        word = word[:at] + letter + word[at + 1 :]
    else:
        word = word[:at] + letter + word[at:]
    words[i] = word
    return " ".join(words)
