"""An article page: its main text lands in the pack, the page around it does not."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from core.content import load_library
from core.content.importer.blocks import Heading, Item, Paragraph
from core.content.importer.cli import main
from core.content.importer.html_page import html_blocks
from tests.support.paths import IMPORT_FIXTURES

PAGE = IMPORT_FIXTURES / "bike-lanes.html"
# What the page carries besides the article: none of it may reach the pack.
AROUND_THE_ARTICLE = (
    "cookies",  # the banner
    "Manage preferences",
    "Daily Bugle",  # the header, the <title>'s suffix, the footer
    "Weather",  # the navigation
    "Subscribe today",
    "Zoomster",  # the ad
    "ADVERTISEMENT",
    "morning briefing",  # the newsletter box
    "newsletter",
    "Share on",
    "Related stories",
    "Bus fares",
    "3 Comments",  # the comments and their form
    "Great news for cyclists",
    "waste of money",
    "Pedalpusher",
    "Leave a Comment",
    "Your email address",
    "All rights reserved",  # the footer
    "Privacy policy",
    "Scroll to Top",
    "dataLayer",  # scripts and styles
    "border:",
)


def test_an_article_page_keeps_the_article_and_only_it(out: Path) -> None:
    assert main(["import", str(PAGE), "--slug", "bikes", "--out", str(out)]) == 0
    text = (out / "bikes.toml").read_text(encoding="utf-8")
    for boilerplate in AROUND_THE_ARTICLE:
        assert boilerplate not in text, boilerplate
    article = load_library(out, env={}).default_article
    assert article.title == "City Council Approves New Bike Lanes"
    assert article.lead == (
        "The council voted 7 to 2 for twelve kilometres of protected lanes. Work starts in spring."
    )
    assert [(s.title, s.paragraphs) for s in article.sections] == [
        (
            "What was decided",
            (
                "The council approved a plan for twelve kilometres of protected bike lanes on"
                " four main streets. The first lanes open next summer.",
                "The plan costs 4 million euros, paid from the transport budget.",
            ),
        ),
        ("Why it matters", ()),
    ]
    assert [(p.title, p.text) for p in article.sections[1].points] == [
        ("Safety", "Cyclists were involved in 40 collisions on these streets last year."),
        ("Traffic", "The city expects fewer cars in the centre at rush hour."),
    ]
    # Under the FAQ heading, sub-headings that ask are questions; the text under them answers.
    assert [(e.question, e.answer, e.from_article) for e in article.faq] == [
        ("When does work start?", "Work starts in spring, on Market Street first.", True),
        ("Who pays for the lanes?", "The lanes are paid from the city's transport budget.", True),
    ]
    # The page's own metadata: its canonical address and its date.
    assert article.url == "https://bugle.example.org/news/bike-lanes"
    assert article.provenance.updated == datetime.date(2026, 10, 2)
    assert article.provenance.source == str(PAGE)


def test_a_page_in_its_declared_charset(tmp_path: Path, out: Path) -> None:
    page = tmp_path / "page.html"
    page.write_bytes(
        (
            '<!DOCTYPE html><html><head><meta charset="windows-1252"><title>x</title></head>'
            "<body><article><h1>Caf\u00e9 Reopens on the Square</h1>"
            "<p>The caf\u00e9 on the square reopens on Friday after a year of repairs to its"
            " roof and its kitchen. The owners kept the old counter.</p>"
            "<h2>What is new</h2><p>Q: Is the menu the same?</p><p>A: The menu is the same,"
            " with two new soups.</p><p>The terrace has twelve new tables under an awning, and"
            " the kitchen has a new oven that bakes bread every morning.</p>"
            "</article></body></html>"
        ).encode("cp1252")
    )
    assert main(["import", str(page), "--slug", "cafe", "--out", str(out)]) == 0
    article = load_library(out, env={}).default_article
    assert article.title == "Caf\u00e9 Reopens on the Square"
    assert article.lead.startswith("The caf\u00e9 on the square reopens on Friday")
    assert [(e.question, e.answer) for e in article.faq] == [
        ("Is the menu the same?", "The menu is the same, with two new soups.")
    ]
    assert article.sections[0].paragraphs[0].startswith("The terrace has twelve new tables")


def test_a_page_with_no_article_is_refused(
    tmp_path: Path, out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = tmp_path / "front.html"
    page.write_text(
        "<!DOCTYPE html><html><head><title>Front page</title></head><body><nav><ul>"
        "<li><a href='/'>Home</a></li><li><a href='/n'>News</a></li></ul></nav>"
        "<footer><p>© 2026 Bugle</p></footer></body></html>"
    )
    assert main(["import", str(page), "--slug", "front", "--out", str(out)]) == 1
    assert capsys.readouterr().err == f"error: {page}: no article text found in the page\n"
    page.write_text("<!DOCTYPE html><html><body><nav><a href='/'>Home</a></nav></body></html>")
    assert main(["import", str(page), "--slug", "front", "--out", str(out)]) == 1
    assert capsys.readouterr().err == (
        f"error: {page}: it has no title: the page has no <h1> and no <title>\n"
    )


def test_html_blocks_reads_headings_paragraphs_and_list_entries() -> None:
    fragment = (
        "<p>Loose <b>bold</b>\n text.</p><h3>Part</h3><ul><li>One: first<ul><li>Inner</li>"
        "</ul></li><li>Two</li></ul><div>A div of text</div><table><tr><td>cell</td></tr>"
        "</table><script>alert(1)</script>tail text"
    )
    assert html_blocks(fragment) == (
        Paragraph("Loose bold text."),
        Heading("Part", level=3),
        Item("One: first"),
        Item("Inner"),
        Item("Two"),
        Paragraph("A div of text"),
        Paragraph("tail text"),
    )
