"""The article as a TOML file, laid out like the hand-written packs, generated values marked."""

from __future__ import annotations

from collections.abc import Sequence

import tomlkit
from tomlkit.container import Container
from tomlkit.items import Table

from core.content.importer.compose import Imported
from core.content.models import Article

MARK = "generated: review"
HEADER = (
    "Imported by `python -m core.content` from {source}.",
    "Text is quoted from it verbatim. A value under a `# generated: review` comment was made",
    "by the importer: check it (README, Publishing an article), then take its path out of",
    "provenance.generated.",
)


def render(imported: Imported) -> str:
    """The file's text; `tomllib` reads it back as the article."""
    article, reasons = imported.article, imported.reasons
    doc = tomlkit.document()
    for line in HEADER:
        doc.add(tomlkit.comment(line.format(source=article.provenance.source)))
    doc.add(tomlkit.nl())
    _add(doc, "slug", article.slug, reasons.get("slug"))
    doc.add("title", article.title)
    _add(doc, "lead", article.lead, reasons.get("lead"))
    if article.url:
        doc.add("url", article.url)
    doc.add(tomlkit.nl())
    doc.add("provenance", _provenance(article))
    sections = tomlkit.aot()
    for i, section in enumerate(article.sections):
        table = tomlkit.table()
        _add(table, "id", section.id, reasons.get(f"sections[{i}].id"))
        _add(table, "title", section.title, reasons.get(f"sections[{i}].title"))
        if section.paragraphs:
            table.add("paragraphs", _lines(section.paragraphs))
        if section.points:
            points = tomlkit.aot()
            for point in section.points:
                row = tomlkit.table()
                row.add("title", point.title)
                row.add("text", point.text)
                points.append(row)
            table.add("points", points)
        sections.append(table)
    doc.add("sections", sections)
    if article.faq:
        doc.add(tomlkit.nl())
        doc.add(tomlkit.comment("The article's own FAQs, verbatim."))
        faq = tomlkit.aot()
        for i, entry in enumerate(article.faq):
            table = tomlkit.table()
            _add(table, "id", entry.id, reasons.get(f"faq[{i}].id"))
            table.add("from_article", entry.from_article)
            table.add("question", entry.question)
            table.add("answer", entry.answer)
            if entry.aliases:
                _add(table, "aliases", _lines(entry.aliases), reasons.get(f"faq[{i}].aliases"))
            faq.append(table)
        doc.add("faq", faq)
    return tomlkit.dumps(doc)


def _provenance(article: Article) -> Table:
    provenance = article.provenance
    table = tomlkit.table()
    table.add("source_title", provenance.source_title)
    table.add("source", provenance.source)
    table.add("version", provenance.version)
    table.add("updated", provenance.updated)
    if provenance.feed_entry:
        table.add("feed_entry", provenance.feed_entry)
    if provenance.generated:
        table.add(tomlkit.comment("What the importer made; empty once an editor reviewed it."))
        table.add("generated", _lines(provenance.generated))
    return table


def _add(container: Container | Table, key: str, value: object, reason: str | None) -> None:
    if reason:
        container.add(tomlkit.comment(f"{MARK} ({reason})"))
    container.add(key, value)


def _lines(values: Sequence[str]) -> object:
    array = tomlkit.array()
    array.extend(values)
    return array.multiline(True)
