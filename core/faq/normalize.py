"""Text normalisation shared by the FAQ index and the queries it answers."""

from __future__ import annotations

import re
import unicodedata

from core.text import drop_invisible

# Readers' questions are short; capping first keeps hostile input from costing real time.
MAX_INPUT_CHARS = 500
MAX_TOKENS = 24

_QUOTES = str.maketrans(
    {ch: "'" for ch in "\u2019\u2018\u201b\u02bc\u02bb`\u00b4\u2032"}
    | {ch: '"' for ch in "\u201c\u201d\u201e\u201f\u00ab\u00bb\u2033"}
)
_POSSESSIVE = re.compile(r"(?<=\w)'s\b")
# "U.S." and "a.i." would otherwise fall apart into one-letter tokens.
_DOTTED_ABBREVIATION = re.compile(r"\b[^\W\d_](?:\.[^\W\d_])+\b\.?")
_NON_WORD = re.compile(r"[\W_]+")


def _words(text: str) -> list[str]:
    return text.split()


# Only words that carry no meaning in a reader's question. Interrogatives such as "who",
# "where", "why", "how", "much" and negation stay: they tell questions apart.
STOPWORDS = frozenset(
    _words("""
    a an the is are was were be been being am do does did doing done of to in on at by for
    from with about into onto as and or but if so than then this that these those it its
    i me my we our you your he she him his her they them their what which there here can
    could would should will shall may might must has have had tell please explain know
    want get any some just also really thing things hey hi hello thanks thank
    """)
)
# Contractions once their apostrophe is gone: "wasn't" -> "wasnt" -> "not".
_CONTRACTIONS = {
    **dict.fromkeys(
        _words("""
        isnt arent wasnt werent dont doesnt didnt cant couldnt wont wouldnt shouldnt hasnt
        havent hadnt aint
        """),
        "not",
    ),
    "whats": "what",
    "whos": "who",
    "wheres": "where",
    "whens": "when",
    "whys": "why",
    "hows": "how",
}


def normalize(text: str) -> str:
    """Fold text to lower-case ASCII-ish words separated by single spaces."""
    # Invisible characters go first: left to the word splitting, they would cut words in two.
    text = drop_invisible(unicodedata.normalize("NFKC", drop_invisible(text[:MAX_INPUT_CHARS])))
    text = text[:MAX_INPUT_CHARS]
    text = text.translate(_QUOTES)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    text = _POSSESSIVE.sub("", text).replace("'", "")
    text = _DOTTED_ABBREVIATION.sub(lambda m: m.group().replace(".", ""), text)
    return _NON_WORD.sub(" ", text).strip()


def canonical(normalized: str) -> str:
    """Already-normalised text with contractions unified ("whats" and "what's" read alike)."""
    return " ".join(_CONTRACTIONS.get(word, word) for word in normalized.split())


def stem(word: str) -> str:
    """Fold plain English plurals so "centers" finds "center" (and "stargates" "stargate")."""
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def split_tokens(normalized: str) -> tuple[str, ...]:
    """The meaningful, stemmed words of already-normalised text, in order."""
    out: list[str] = []
    for word in normalized.split():
        word = _CONTRACTIONS.get(word, word)
        if word in STOPWORDS:
            continue
        out.append(stem(word))
        if len(out) == MAX_TOKENS:
            break
    return tuple(out)


def tokens(text: str) -> tuple[str, ...]:
    """The meaningful, stemmed words of raw text, in order (stopwords dropped)."""
    return split_tokens(normalize(text))
