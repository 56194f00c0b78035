"""An article for the content pack from an outline: its text verbatim, the rest generated and
listed in provenance.generated, with why, for the editor who reviews it."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

import attrs

from core.content.importer.aliases import topic_aliases
from core.content.importer.errors import ImportProblem
from core.content.importer.naming import MAX_FAQ_ID, MAX_SECTION_ID, identifier, unique
from core.content.importer.outline import DraftSection, Outline
from core.content.importer.sentences import sentences
from core.content.importer.summary import summarise
from core.content.models import Article, FaqEntry, Point, Provenance, Section

VERSION = "1"
# Prose's limit in core/content/models.py: a longer paragraph is cut between its sentences.
MAX_PARAGRAPH_CHARS = 1500


@dataclass(frozen=True)
class Origin:
    """Where the text comes from: provenance.source, its date, and its page, if it has one."""

    source: str
    updated: datetime.date
    url: str | None = None
    feed_entry: str | None = None


@dataclass(frozen=True)
class Imported:
    """The article (not yet validated: the written file is) and why each generated field is."""

    article: Article
    reasons: dict[str, str]
    left_out: tuple[str, ...]


def compose(outline: Outline, origin: Origin, slug: str, *, slug_made: bool = False) -> Imported:
    """The article `outline` describes, under `slug` (`slug_made`: from its title)."""
    # Built unchecked, a draft: the file written from it is loaded first, which names every
    # problem at its field path, where attrs would raise at the first one, mid-import.
    with attrs.validators.disabled():
        return _compose(outline, origin, slug, slug_made=slug_made)


def _compose(outline: Outline, origin: Origin, slug: str, *, slug_made: bool) -> Imported:
    # In file order, as provenance.generated lists them.
    reasons: dict[str, str] = {}
    if slug_made:
        reasons["slug"] = f"made from the title; readers type it as /{slug}"
    lead = outline.standfirst
    if lead is None:
        summary = summarise(list(_running_text(outline.sections)))
        if not summary.sentences:
            raise ImportProblem("it has no sentence to summarise")
        lead = summary.text
        chosen = ", ".join(map(str, summary.positions))
        reasons["lead"] = f"no standfirst: TextRank chose sentences {chosen} of the article"
    sections = []
    section_ids: list[str] = []
    for i, draft in enumerate(outline.sections):
        base = identifier(draft.title, MAX_SECTION_ID) or f"part_{i + 1}"
        section_ids.append(unique(base, section_ids, MAX_SECTION_ID))
        reasons[f"sections[{i}].id"] = "made from its title"
        if draft.title_is_stand_in:
            reasons[f"sections[{i}].title"] = "the text has no heading here: the article's title"
        sections.append(_section(section_ids[-1], draft))
    faq = []
    faq_ids: list[str] = []
    aliases = topic_aliases([entry.question for entry in outline.faqs])
    for i, (entry, alias) in enumerate(zip(outline.faqs, aliases, strict=True)):
        base = identifier(entry.question, MAX_FAQ_ID) or f"q{i + 1}"
        faq_ids.append(unique(base, faq_ids, MAX_FAQ_ID))
        reasons[f"faq[{i}].id"] = "made from the question"
        if alias:
            reasons[f"faq[{i}].aliases"] = "the question's topic words; add how readers ask"
        faq.append(
            FaqEntry(
                id=faq_ids[-1],
                question=entry.question,
                answer=entry.answer,
                aliases=alias,
                from_article=True,
            )
        )
    article = Article(
        slug=slug,
        title=outline.title,
        lead=lead,
        sections=tuple(sections),
        faq=tuple(faq),
        provenance=Provenance(
            source_title=outline.title,
            source=origin.source,
            version=VERSION,
            updated=origin.updated,
            generated=tuple(reasons),
            feed_entry=origin.feed_entry,
        ),
        url=origin.url,
    )
    return Imported(article, reasons, outline.left_out)


def _section(section_id: str, draft: DraftSection) -> Section:
    return Section(
        id=section_id,
        title=draft.title,
        paragraphs=tuple(p for paragraph in draft.paragraphs for p in _fitted(paragraph)),
        points=tuple(Point(title=p.title, text=p.text) for p in draft.points),
    )


def _fitted(paragraph: str) -> list[str]:
    """The paragraph, or when it is too long for one field, runs of its whole sentences."""
    if len(paragraph) <= MAX_PARAGRAPH_CHARS:
        return [paragraph]
    runs: list[str] = []
    for sentence in sentences(paragraph):
        if runs and len(runs[-1]) + 1 + len(sentence) <= MAX_PARAGRAPH_CHARS:
            runs[-1] += " " + sentence
        else:
            runs.append(sentence)
    return runs


def _running_text(sections: Iterable[DraftSection]) -> Iterable[str]:
    """The article's prose in order: paragraphs and the text of its points."""
    for section in sections:
        yield from section.paragraphs
        yield from (point.text for point in section.points)
