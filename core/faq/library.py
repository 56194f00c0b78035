"""FAQ answering across every article: one precomputed index per article, best match wins."""

from __future__ import annotations

from dataclasses import dataclass

from core.actions import ShowAnswer
from core.content.models import Article, FaqEntry, Library
from core.faq.matcher import FaqIndex, FaqMatch, MatchBand
from core.outcome import FaqChoice

_BAND_RANK = {MatchBand.EXACT: 3, MatchBand.STRONG: 2, MatchBand.SUGGEST: 1, MatchBand.NONE: 0}


@dataclass(frozen=True, slots=True)
class ArticleMatch:
    article: Article
    match: FaqMatch


class FaqLibrary:
    def __init__(self, library: Library) -> None:
        self._library = library
        self._indexes = [(a, FaqIndex.build(a.faq)) for a in library.articles]

    def match(self, query: str) -> ArticleMatch:
        best: ArticleMatch | None = None
        for article, index in self._indexes:
            found = index.match(query)
            if best is None or (_BAND_RANK[found.band], found.score) > (
                _BAND_RANK[best.match.band],
                best.match.score,
            ):
                best = ArticleMatch(article, found)
        assert best is not None  # a library always has an article
        return best

    def ranked(self, query: str, limit: int = 25) -> list[tuple[Article, FaqEntry, float]]:
        """Best entries across every article for a partial question (autocomplete, inline)."""
        found = [
            (article, entry, score)
            for article, index in self._indexes
            for entry, score in index.rank(query, limit)
        ]
        found.sort(key=lambda hit: -hit[2])
        return found[: max(0, limit)]

    def choices(self, query: str, limit: int = 25) -> list[FaqChoice]:
        return [
            FaqChoice(
                label=entry.question, action=ShowAnswer(article.slug, entry.id).pack(), score=s
            )
            for article, entry, s in self.ranked(query, min(limit, 25))
        ]

    def find(self, entry_id: str, slug: str | None = None) -> tuple[Article, FaqEntry] | None:
        for article, _ in self._indexes:
            if slug is not None and article.slug != slug:
                continue
            entry = article.faq_entry(entry_id)
            if entry is not None:
                return article, entry
        return None
