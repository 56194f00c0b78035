"""import-feed: each new entry of an RSS or Atom feed once, from a file or over HTTP."""

from __future__ import annotations

import datetime
import shutil
from pathlib import Path

import pytest

from core.content import load_library
from core.content.importer.cli import main
from core.content.importer.errors import ImportProblem
from core.content.importer.fetch import fetch
from core.content.importer.sentences import sentences
from tests.support.http_files import serving, silent_server
from tests.support.imported import squashed
from tests.support.network import free_port
from tests.support.paths import IMPORT_FIXTURES

RSS = IMPORT_FIXTURES / "feed.rss"
ATOM = IMPORT_FIXTURES / "feed.atom"
NIGHT_BUSES = """\
  <item>
    <title>Night Buses Return to the Old Town</title>
    <link>https://news.example.org/2026/night-buses</link>
    <guid isPermaLink="false">urn:harbour-news:night-buses</guid>
    <pubDate>Tue, 06 Oct 2026 06:00:00 GMT</pubDate>
    <content:encoded><![CDATA[<p>Night buses run through the old town again from Friday.</p>
      <h2>Routes</h2><p>Two routes link the old town with the station every half hour.</p>]]>
    </content:encoded>
  </item>
"""


def run(*argv: object) -> int:
    return main([str(arg) for arg in argv])


def slugs(out: Path) -> list[str]:
    return [article.slug for article in load_library(out, env={}).articles]


def test_rss_entries_become_articles(out: Path) -> None:
    assert run("import-feed", RSS, "--out", out) == 0
    library = load_library(out, env={})
    ferry = library.article("harbour_ferry_returns")
    libr = library.article("town_library_extends")
    assert ferry is not None
    assert libr is not None
    assert ferry.title == "Harbour Ferry Returns After Two-Year Repair"
    assert ferry.url == "https://news.example.org/2026/ferry"
    assert ferry.lead.startswith("The city's oldest ferry sails again on Monday")
    assert [s.title for s in ferry.sections] == ["What changed", "Timetable"]
    assert [p.title for p in ferry.sections[1].points] == ["Weekdays", "Weekends"]
    assert [(e.question, e.answer, e.from_article) for e in ferry.faq] == [
        ("Can I take my bicycle?", "Yes, the lower deck has racks for twenty bicycles.", True)
    ]
    assert ferry.provenance.feed_entry == "urn:harbour-news:ferry"
    assert ferry.provenance.source == "https://news.example.org/2026/ferry"
    assert ferry.provenance.updated == datetime.date(2026, 10, 5)
    assert ferry.provenance.generated[0] == "slug"
    # No guid: the link stands for the entry. No heading: a ranked summary.
    assert libr.provenance.feed_entry == "https://news.example.org/2026/library"
    assert libr.provenance.generated[:2] == ("slug", "lead")
    chosen = sentences(libr.lead)
    assert 2 <= len(chosen) <= 4
    assert all(sentence in squashed(RSS.read_text(encoding="utf-8")) for sentence in chosen)


def test_atom_entries_become_articles(out: Path) -> None:
    assert run("import-feed", ATOM, "--out", out) == 0
    library = load_library(out, env={})
    solar = library.article("market_hall_gets")
    light = library.article("old_lighthouse_opens")
    assert solar is not None
    assert light is not None
    assert solar.lead == "The market hall will make its own electricity from next year."
    assert [(e.question, e.answer) for e in solar.faq] == [
        (
            "Will the market close during the work?",
            "No, the stalls stay open while the panels are fitted.",
        )
    ]
    assert solar.provenance.updated == datetime.date(2026, 10, 6)
    # A plain-text body keeps its paragraphs.
    assert light.sections[0].paragraphs[1] == (
        "The lighthouse was built in 1887 and stopped working in 1979. Volunteers repaired the"
        " stairs and the lamp room over three years."
    )
    assert light.url == "https://news.example.org/2026/lighthouse"
    assert light.provenance.updated == datetime.date(2026, 10, 3)


@pytest.mark.parametrize("fixture", [RSS, ATOM], ids=["rss", "atom"])
def test_a_second_run_imports_nothing(
    fixture: Path, out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("import-feed", fixture, "--out", out) == 0
    files = {p: p.read_bytes() for p in out.iterdir()}
    assert len(files) == 2
    capsys.readouterr()
    assert run("import-feed", fixture, "--out", out) == 0
    report = capsys.readouterr().out
    assert report.endswith(f"{fixture}: 0 imported, 2 imported before, 0 failed\n")
    assert {p: p.read_bytes() for p in out.iterdir()} == files


def test_an_entry_added_later_is_imported_alone(
    tmp_path: Path, out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    feed = tmp_path / "feed.rss"
    shutil.copy(RSS, feed)
    assert run("import-feed", feed, "--out", out) == 0
    before = {p: p.read_bytes() for p in out.iterdir()}
    feed.write_text(
        RSS.read_text(encoding="utf-8").replace("  <item>", NIGHT_BUSES + "  <item>", 1),
        encoding="utf-8",
    )
    capsys.readouterr()
    assert run("import-feed", feed, "--out", out) == 0
    assert capsys.readouterr().out.endswith("1 imported, 2 imported before, 0 failed\n")
    assert sorted(slugs(out)) == [
        "harbour_ferry_returns",
        "night_buses_return",
        "town_library_extends",
    ]
    assert {p: p.read_bytes() for p in out.iterdir() if p in before} == before


def test_a_renamed_file_is_still_recognised(out: Path) -> None:
    assert run("import-feed", RSS, "--out", out) == 0
    (out / "harbour_ferry_returns.toml").rename(out / "ferry.toml")
    assert run("import-feed", RSS, "--out", out) == 0
    assert len(list(out.iterdir())) == 2


def test_a_slug_made_from_a_title_never_takes_a_name_in_use(out: Path) -> None:
    (out / "harbour_ferry_returns.toml").write_text("not even TOML", encoding="utf-8")
    assert run("import-feed", RSS, "--out", out) == 0
    assert (out / "harbour_ferry_returns_2.toml").is_file()
    assert (out / "harbour_ferry_returns.toml").read_text() == "not even TOML"


def test_a_feed_over_http_fetches_pages_of_entries_without_text(
    tmp_path: Path, out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = tmp_path / "site"
    (site / "news").mkdir(parents=True)
    shutil.copy(IMPORT_FIXTURES / "bike-lanes.html", site / "news" / "bike-lanes.html")
    template = (IMPORT_FIXTURES / "served" / "feed.xml").read_text(encoding="utf-8")
    with serving(site) as base:
        (site / "feed.xml").write_text(template.replace("{base}", base), encoding="utf-8")
        assert run("import-feed", f"{base}/feed.xml", "--out", out) == 1
        captured = capsys.readouterr()
        # The entry whose page is gone is reported; the other is imported all the same.
        assert captured.err == (
            f"error: “A Story Taken Down”: {base}/news/taken-down.html:"
            " the server answered 404 File not found\n"
        )
        assert captured.out.endswith(f"{base}/feed.xml: 1 imported, 0 imported before, 1 failed\n")
        article = load_library(out, env={}).default_article
        assert article.slug == "city_council_approves"
        assert article.url == f"{base}/news/bike-lanes.html"
        assert article.provenance.feed_entry == f"{base}/news/bike-lanes.html"
        # The page's article, not the feed's one-line teaser.
        assert [s.title for s in article.sections] == ["What was decided", "Why it matters"]
        assert len(article.faq) == 2
        assert "Zoomster" not in (out / "city_council_approves.toml").read_text(encoding="utf-8")
        # The failed entry is not marked imported: the next run tries it again.
        assert run("import-feed", f"{base}/feed.xml", "--out", out) == 1
        assert capsys.readouterr().out.endswith("0 imported, 1 imported before, 1 failed\n")


def test_no_fetch_takes_the_feeds_summary(
    tmp_path: Path, out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    feed = tmp_path / "feed.xml"
    base = f"http://127.0.0.1:{free_port()}"  # nothing listens: a fetch would fail
    template = (IMPORT_FIXTURES / "served" / "feed.xml").read_text(encoding="utf-8")
    feed.write_text(template.replace("{base}", base), encoding="utf-8")
    assert run("import-feed", feed, "--out", out, "--no-fetch") == 0
    articles = {a.slug: a for a in load_library(out, env={}).articles}
    bikes = articles["city_council_approves"]
    assert bikes.sections[0].paragraphs == (
        "The council voted 7 to 2 for twelve kilometres of protected lanes.",
    )
    assert bikes.lead == "The council voted 7 to 2 for twelve kilometres of protected lanes."


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"This is not a feed at all.", "not an RSS or Atom feed"),
        (b"<html><body><p>A page</p></body></html>", "not an RSS or Atom feed"),
    ],
)
def test_a_file_that_is_no_feed(
    content: bytes, problem: str, tmp_path: Path, out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    feed = tmp_path / "feed.xml"
    feed.write_bytes(content)
    assert run("import-feed", feed, "--out", out) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: {feed}: {problem}")
    assert "Traceback" not in err
    assert list(out.iterdir()) == []


def test_a_feed_that_cannot_be_fetched(
    tmp_path: Path, out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    refused = f"http://127.0.0.1:{free_port()}/feed.xml"
    assert run("import-feed", refused, "--out", out) == 1
    assert capsys.readouterr().err.startswith(f"error: {refused}: cannot be fetched (")
    assert run("import-feed", tmp_path / "missing.xml", "--out", out) == 1
    assert capsys.readouterr().err == f"error: {tmp_path / 'missing.xml'}: no such file\n"
    with serving(tmp_path) as base:
        assert run("import-feed", f"{base}/missing.xml", "--out", out) == 1
    assert capsys.readouterr().err == (
        f"error: {base}/missing.xml: the server answered 404 File not found\n"
    )


def test_a_server_that_never_answers_times_out() -> None:
    with silent_server() as base, pytest.raises(ImportProblem) as caught:
        fetch(f"{base}/feed.xml", timeout=0.3)
    assert str(caught.value) == f"{base}/feed.xml: no answer within 0.3 s"
