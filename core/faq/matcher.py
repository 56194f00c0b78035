"""Find the FAQ entry a reader means: exact phrasings first, then typo-tolerant token overlap."""

from __future__ import annotations

import heapq
import math
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

from core.faq.normalize import canonical, normalize, split_tokens

if TYPE_CHECKING:
    # Type-only: core.content's loader imports core.faq, so a runtime import would be circular.
    from core.content.models import FaqEntry

# Bands. A confident answer also needs a clear lead over the next entry, so two close readings
# of a question become suggestions instead of a wrong answer.
STRONG_MIN = 0.72
STRONG_MARGIN = 0.1
SUGGEST_MIN = 0.4
MAX_SUGGESTIONS = 3

# Question words and negation tell entries apart but say little about the topic.
WEAK_TOKENS = frozenset({"who", "where", "when", "why", "how", "much", "many", "not"})
WEAK_FACTOR = 0.5
# A word the index has never seen counts against coverage, at half a rare word's weight.
UNKNOWN_FACTOR = 0.5
# A phrase's score is its query coverage, discounted by up to this share when the phrase has
# words the query lacks: readers type short questions, so covering the query matters most.
PHRASE_COVERAGE_SHARE = 0.25
# rapidfuzz's whole-string similarity only nudges near ties among the best candidates.
STRING_SHARE = 0.15
RESCORED = 8
# Below this query coverage a phrase cannot reach SUGGEST_MIN even with a perfect string score,
# so only phrases whose query words weigh this much together are candidates.
CANDIDATE_FLOOR = (SUGGEST_MIN - STRING_SHARE) / (1 - STRING_SHARE)
# Bounds for hostile or degenerate queries (dozens of words, or one word in every phrase).
MAX_SLOTS = 12
MAX_CANDIDATES = 1000
# Coverage asked of the first phrases scored, and how much less each later pass asks.
FIRST_LEVEL = 0.7
LEVEL_STEP = 0.2

# Typo correction: one edit for words of 4+ letters, two for words of 7+.
TYPO_MIN_LEN = 4
TYPO_CUTOFF = 74.0
FAR_TYPO_MIN_LEN = 7
FAR_TYPO_CUTOFF = 82.0
# Autocomplete: the last word may still be being typed.
PREFIX_MIN_LEN = 2
PREFIX_FACTOR = 0.85
PREFIX_LIMIT = 12
_CACHE_LIMIT = 4096


class MatchBand(StrEnum):
    EXACT = "exact"
    STRONG = "strong"
    SUGGEST = "suggest"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class FaqMatch:
    """The outcome of matching one query: an answer, suggestions, or nothing."""

    band: MatchBand
    entry: FaqEntry | None
    suggestions: tuple[FaqEntry, ...] = ()
    score: float = 0.0


@dataclass(frozen=True, slots=True)
class _Phrase:
    entry: int
    text: str
    words: frozenset[str]
    weight: float


@dataclass(slots=True)
class _Slot:
    """One query word: its weight and the index words it may stand for (word, confidence)."""

    weight: float
    alternatives: list[tuple[str, float]] = field(default_factory=list)


def _deletions(word: str) -> list[str]:
    return list(dict.fromkeys(word[:i] + word[i + 1 :] for i in range(len(word))))


class FaqIndex:
    """An in-memory index over FAQ entries; build once, query many times, never blocks."""

    def __init__(
        self,
        entries: tuple[FaqEntry, ...],
        exact: dict[str, tuple[int, ...]],
        phrases: list[_Phrase],
        postings: dict[str, frozenset[int]],
        weights: dict[str, float],
        df: Counter[str],
    ) -> None:
        self._entries = entries
        self._exact = exact
        self._phrases = phrases
        self._phrase_entry = [phrase.entry for phrase in phrases]
        self._phrase_weight = [phrase.weight for phrase in phrases]
        self._postings = postings
        self._weights = weights
        self._unknown_weight = max(weights.values(), default=1.0) * UNKNOWN_FACTOR
        self._vocab = sorted(weights)
        # Deletion neighbourhoods (SymSpell): one-edit typo candidates by dict lookup, no scan.
        self._deletes: dict[str, list[str]] = {}
        self._by_shape: dict[tuple[str, int], list[str]] = {}
        for word in sorted(weights, key=lambda w: (-df[w], w)):
            if not word.isalpha() or len(word) < TYPO_MIN_LEN - 1:
                continue
            for deleted in _deletions(word):
                self._deletes.setdefault(deleted, []).append(word)
            self._by_shape.setdefault((word[0], len(word)), []).append(word)
        self._corrections: dict[str, tuple[str, float] | None] = {}

    @classmethod
    def build(cls, entries: Iterable[FaqEntry]) -> FaqIndex:
        """Precompute exact keys, the inverted index and token weights for these entries."""
        entries = tuple(entries)
        exact: dict[str, list[int]] = {}
        rows: list[tuple[int, str, frozenset[str]]] = []
        df: Counter[str] = Counter()
        for i, entry in enumerate(entries):
            seen: set[str] = set()
            entry_tokens: set[str] = set()
            for phrase in (entry.question, *entry.aliases):
                text = canonical(normalize(phrase))
                if not text or text in seen:
                    continue
                seen.add(text)
                holders = exact.setdefault(text, [])
                if i not in holders:
                    holders.append(i)
                words = frozenset(split_tokens(text))
                if words:
                    rows.append((i, text, words))
                    entry_tokens |= words
            df.update(entry_tokens)
        n = max(len(entries), 1)
        weights = {
            word: math.log(1 + n / count) * (WEAK_FACTOR if word in WEAK_TOKENS else 1.0)
            for word, count in df.items()
        }
        postings: dict[str, list[int]] = {}
        phrases: list[_Phrase] = []
        for pid, (i, text, words) in enumerate(rows):
            phrases.append(_Phrase(i, text, words, sum(weights[w] for w in words)))
            for word in words:
                postings.setdefault(word, []).append(pid)
        return cls(
            entries,
            {text: tuple(ids) for text, ids in exact.items()},
            phrases,
            {word: frozenset(pids) for word, pids in postings.items()},
            weights,
            df,
        )

    @property
    def entries(self) -> tuple[FaqEntry, ...]:
        """The indexed entries, in the order given."""
        return self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def match(self, query: str) -> FaqMatch:
        """Answer, suggest or give up on one reader's question."""
        text = canonical(normalize(query))
        if not text:
            return FaqMatch(MatchBand.NONE, None)
        holders = self._exact.get(text)
        if holders is not None and len(holders) == 1:
            return FaqMatch(MatchBand.EXACT, self._entries[holders[0]], (), 1.0)
        if holders:
            # The same phrasing belongs to several entries: let the reader choose.
            picks = tuple(self._entries[i] for i in holders[:MAX_SUGGESTIONS])
            return FaqMatch(MatchBand.SUGGEST, None, picks, 1.0)
        ranked = self._ranked(text, RESCORED, complete_last=False)
        if not ranked:
            return FaqMatch(MatchBand.NONE, None)
        best_entry, best = ranked[0]
        runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
        if best >= STRONG_MIN and best - runner_up >= STRONG_MARGIN:
            return FaqMatch(MatchBand.STRONG, self._entries[best_entry], (), best)
        if best >= SUGGEST_MIN:
            picks = tuple(
                self._entries[i] for i, s in ranked[:MAX_SUGGESTIONS] if s >= SUGGEST_MIN
            )
            return FaqMatch(MatchBand.SUGGEST, None, picks, best)
        return FaqMatch(MatchBand.NONE, None, (), best)

    def rank(self, query: str, limit: int = 25) -> list[tuple[FaqEntry, float]]:
        """Entries for autocomplete, best first; the last word may be unfinished."""
        if limit <= 0:
            return []
        text = canonical(normalize(query))
        if not split_tokens(text):
            # Nothing typed yet (or only "what is"): offer the entries in their own order.
            return [(entry, 0.0) for entry in self._entries[:limit]]
        first = self._exact.get(text, ())
        out = [(self._entries[i], 1.0) for i in first[:limit]]
        for i, score in self._ranked(text, limit + len(first), complete_last=True):
            if len(out) == limit:
                break
            if i not in first:
                out.append((self._entries[i], score))
        return out

    def _ranked(self, text: str, limit: int, *, complete_last: bool) -> list[tuple[int, float]]:
        """Best entries for canonical text as (entry index, score), best first."""
        slots = self._slots(text, complete_last=complete_last)
        total = sum(slot.weight for slot in slots)
        if total <= 0:
            return []
        holders = [self._holders(slot) for slot in slots]
        keep = max(limit, RESCORED)
        # Score the phrases that could cover most of the query first. Once `keep` entries score
        # at least the coverage asked for, no phrase below it can change the result; otherwise
        # ask less, down to the floor. Common words ("how many jobs") in a large FAQ would
        # otherwise make thousands of phrases candidates for every question.
        per_entry: dict[int, tuple[float, int]] = {}
        seen: set[int] = set()
        level = FIRST_LEVEL
        while True:
            # The margin keeps float rounding from dropping a phrase right at the level.
            fresh = self._reaching(slots, holders, level * total * (1 - 1e-9)) - seen
            fresh = self._capped(fresh, MAX_CANDIDATES - len(seen))
            seen |= fresh
            for entry, found in self._scored(slots, fresh, total).items():
                current = per_entry.get(entry)
                if current is None or found[0] > current[0]:
                    per_entry[entry] = found
            if level <= CANDIDATE_FLOOR or len(seen) >= MAX_CANDIDATES:
                break
            bar = 0.0
            if len(per_entry) >= keep:
                bar = heapq.nlargest(keep, (score for score, _ in per_entry.values()))[-1]
            if bar >= level:
                break
            level = max(CANDIDATE_FLOOR, bar, level - LEVEL_STEP)
        top = heapq.nlargest(keep, per_entry.items(), key=lambda item: (item[1][0], -item[0]))
        # Imported at the first question that is not an exact phrasing, not at start: rapidfuzz
        # is ~3 MB of resident memory that an idle process has no use for.
        from rapidfuzz import fuzz

        rescored = [
            (
                i,
                (1 - STRING_SHARE) * score
                + STRING_SHARE * fuzz.token_sort_ratio(text, self._phrases[pid].text) / 100,
            )
            for i, (score, pid) in top
        ]
        rescored.sort(key=lambda item: (-item[1], item[0]))
        return rescored[:limit]

    @staticmethod
    def _reaching(slots: list[_Slot], holders: list[frozenset[int]], floor: float) -> set[int]:
        """Phrases holding query words that weigh `floor` or more together."""
        # Depth first over the slots a phrase holds, heaviest first, intersecting their
        # postings (set algebra runs in C); a branch ends once even every lighter slot added
        # could not reach the floor.
        lighter = [0.0] * (len(slots) + 1)
        for j in range(len(slots) - 1, -1, -1):
            lighter[j] = lighter[j + 1] + slots[j].weight
        found: set[int] = set()
        stack: list[tuple[int, frozenset[int] | None, float]] = [(-1, None, 0.0)]
        while stack:
            last, held, weight = stack.pop()
            for j in range(last + 1, len(slots)):
                if weight + lighter[j] < floor:
                    break
                both = holders[j] if held is None else held & holders[j]
                if not both:
                    continue
                if weight + slots[j].weight >= floor:
                    found |= both
                else:
                    stack.append((j, both, weight + slots[j].weight))
        return found

    @staticmethod
    def _capped(candidates: set[int], limit: int) -> set[int]:
        return candidates if len(candidates) <= limit else set(sorted(candidates)[: max(0, limit)])

    def _scored(
        self, slots: list[_Slot], candidates: set[int], total: float
    ) -> dict[int, tuple[float, int]]:
        """Each candidate entry's best phrase as entry index -> (score, phrase id)."""
        query_share = dict.fromkeys(candidates, 0.0)
        phrase_share = dict.fromkeys(candidates, 0.0)
        for slot in slots:
            taken: set[int] = set()
            # Alternatives come most confident first; a phrase counts a slot once.
            for word, confidence in slot.alternatives:
                hits = (self._postings[word] & candidates) - taken
                taken |= hits
                q_gain, p_gain = slot.weight * confidence, self._weights[word]
                for pid in hits:
                    query_share[pid] += q_gain
                    phrase_share[pid] += p_gain
        floor = CANDIDATE_FLOOR * total
        kept, share = 1 - PHRASE_COVERAGE_SHARE, PHRASE_COVERAGE_SHARE
        entry_of, weight_of = self._phrase_entry, self._phrase_weight
        per_entry: dict[int, tuple[float, int]] = {}
        for pid, q_gain in query_share.items():
            if q_gain < floor:
                continue
            # min() as conditionals: this loop runs for every candidate phrase.
            cover = phrase_share[pid] / weight_of[pid]
            score = (q_gain / total if q_gain < total else 1.0) * (
                kept + share * (cover if cover < 1.0 else 1.0)
            )
            entry = entry_of[pid]
            current = per_entry.get(entry)
            if current is None or score > current[0]:
                per_entry[entry] = (score, pid)
        return per_entry

    def _holders(self, slot: _Slot) -> frozenset[int]:
        """The phrases holding any of the slot's alternatives."""
        sets = [self._postings[word] for word, _ in slot.alternatives]
        if len(sets) == 1:
            return sets[0]
        return frozenset().union(*sets)

    def _slots(self, text: str, *, complete_last: bool) -> list[_Slot]:
        words = self._join_split_words(split_tokens(text))
        slots: list[_Slot] = []
        for word in dict.fromkeys(words):
            slot = _Slot(self._unknown_weight)
            if word in self._weights:
                slot.weight = self._weights[word]
                slot.alternatives.append((word, 1.0))
            elif corrected := self._correct(word):
                slot.weight = self._weights[corrected[0]]
                slot.alternatives.append(corrected)
            if complete_last and word == words[-1]:
                completions = self._completions(word)
                if completions and not slot.alternatives:
                    slot.weight = sum(self._weights[w] for w in completions) / len(completions)
                slot.alternatives.extend((w, PREFIX_FACTOR) for w in completions)
            slot.alternatives.sort(key=lambda alt: -alt[1])
            slots.append(slot)
        # The heaviest words decide; past a dozen, the rest only cost time.
        return sorted(slots, key=lambda slot: -slot.weight)[:MAX_SLOTS]

    def _join_split_words(self, words: tuple[str, ...]) -> tuple[str, ...]:
        """Rejoin words the index knows as one ("star gate" -> "stargate")."""
        out: list[str] = []
        i = 0
        while i < len(words):
            if i + 1 < len(words) and words[i] + words[i + 1] in self._weights:
                out.append(words[i] + words[i + 1])
                i += 2
            else:
                out.append(words[i])
                i += 1
        return tuple(out)

    def _completions(self, prefix: str) -> list[str]:
        if len(prefix) < PREFIX_MIN_LEN:
            return []
        start = bisect_left(self._vocab, prefix)
        stop = bisect_left(self._vocab, prefix + "\U0010ffff", lo=start)
        found = [w for w in self._vocab[start:stop] if w != prefix]
        if len(found) > PREFIX_LIMIT:
            # The rarer a word, the more it says about which entry is meant.
            found = heapq.nlargest(PREFIX_LIMIT, found, key=self._weights.__getitem__)
        return found

    def _correct(self, word: str) -> tuple[str, float] | None:
        """The index word this unknown word is most likely a typo of, with its similarity."""
        if word in self._corrections:
            return self._corrections[word]
        found = self._find_correction(word)
        if len(self._corrections) >= _CACHE_LIMIT:
            self._corrections.clear()
        self._corrections[word] = found
        return found

    def _find_correction(self, word: str) -> tuple[str, float] | None:
        if len(word) < TYPO_MIN_LEN or not word.isalpha():
            return None
        from rapidfuzz import fuzz, process  # on first use: see _ranked

        near: dict[str, None] = dict.fromkeys(self._deletes.get(word, ()))
        for deleted in _deletions(word):
            if deleted in self._weights:
                near[deleted] = None
            near.update(dict.fromkeys(self._deletes.get(deleted, ())))
        if near:
            # On equal similarity prefer the commoner word (lower weight), then a fixed order.
            ordered = sorted(near, key=lambda w: (self._weights[w], w))
            hit = process.extractOne(word, ordered, scorer=fuzz.ratio, score_cutoff=TYPO_CUTOFF)
            if hit is not None:
                return hit[0], hit[1] / 100
        if len(word) < FAR_TYPO_MIN_LEN:
            return None
        # Two edits: only words of similar length that start with the same letter.
        pool = [
            candidate
            for size in range(len(word) - 2, len(word) + 3)
            for candidate in self._by_shape.get((word[0], size), ())
        ]
        hit = process.extractOne(word, pool, scorer=fuzz.ratio, score_cutoff=FAR_TYPO_CUTOFF)
        return (hit[0], hit[1] / 100) if hit is not None else None
