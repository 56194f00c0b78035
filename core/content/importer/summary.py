"""An extractive summary: the article's most central sentences by TextRank, each verbatim.

TextRank (Mihalcea and Tarau, 2004): sentences are nodes, edges weigh the words two sentences
share (normalised by their lengths), and PageRank scores each sentence by how much of the rest
it echoes. The power iteration is written out below: networkx's pagerank needs numpy and scipy,
a hundred megabytes for a graph of a few dozen sentences.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from core.content.importer.sentences import sentences
from core.faq.normalize import STOPWORDS, stem

MIN_SENTENCES = 2
MAX_SENTENCES = 4
# The lead field's limit (Prose in core/content/models.py).
MAX_LEAD_CHARS = 1500
# Shorter "sentences" are captions or fragments ("Yes."): no summary material.
MIN_WORDS = 4
DAMPING = 0.85
TOLERANCE = 1e-9
MAX_ITERATIONS = 200


@dataclass(frozen=True)
class Summary:
    """The chosen sentences in article order, and where each stands (1 is the first)."""

    sentences: tuple[str, ...]
    positions: tuple[int, ...]

    @property
    def text(self) -> str:
        """The sentences as one paragraph."""
        return " ".join(self.sentences)


def summarise(paragraphs: Sequence[str]) -> Summary:
    """2 to 4 of the paragraphs' sentences (fewer only if the text has fewer), verbatim."""
    candidates: list[str] = []
    for paragraph in paragraphs:
        candidates += (s for s in sentences(paragraph) if s not in candidates)
    long_enough = [s for s in candidates if len(s.split()) >= MIN_WORDS]
    if len(long_enough) >= MIN_SENTENCES:
        candidates = long_enough
    if not candidates:
        return Summary((), ())
    scores = textrank([_words(s) for s in candidates])
    wanted = min(MAX_SENTENCES, max(MIN_SENTENCES, len(candidates) // 4))
    chosen: list[int] = []
    length = 0
    for i in sorted(range(len(candidates)), key=lambda i: (-scores[i], i)):
        if len(chosen) == wanted:
            break
        if length + len(candidates[i]) + 1 <= MAX_LEAD_CHARS:
            chosen.append(i)
            length += len(candidates[i]) + 1
    chosen.sort()
    return Summary(tuple(candidates[i] for i in chosen), tuple(i + 1 for i in chosen))


def _words(sentence: str) -> list[str]:
    words = re.findall(r"\w+", sentence.casefold().replace("’", "'"))
    return [stem(w) for w in words if w not in STOPWORDS]


def textrank(sentences: Sequence[Sequence[str]]) -> list[float]:
    """Each sentence's PageRank in the graph of shared words (the scores sum to 1)."""
    n = len(sentences)
    if n == 0:
        return []
    sets = [set(words) for words in sentences]
    edges: list[list[tuple[int, float]]] = [[] for _ in range(n)]
    for i in range(n):
        for j in range(i + 1, n):
            shared = len(sets[i] & sets[j])
            if not shared:
                continue
            norm = math.log(len(sentences[i])) + math.log(len(sentences[j]))
            weight = shared / norm if norm > 0 else float(shared)
            edges[i].append((j, weight))
            edges[j].append((i, weight))
    strength = [sum(w for _, w in links) for links in edges]
    rank = [1.0 / n] * n
    for _ in range(MAX_ITERATIONS):
        # A sentence sharing no word with any other passes its rank to all alike.
        loose = sum(rank[i] for i in range(n) if not strength[i]) / n
        new = [(1 - DAMPING) / n + DAMPING * loose] * n
        for i in range(n):
            for j, weight in edges[i]:
                new[j] += DAMPING * rank[i] * weight / strength[i]
        done = sum(abs(a - b) for a, b in zip(new, rank, strict=True)) < TOLERANCE
        rank = new
        if done:
            break
    return rank
