"""Plain-text layouts of our own, and the import's friendly refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.content import load_library
from core.content.importer.cli import main
from core.content.importer.sentences import sentences
from tests.support.imported import marked_keys, read_toml, squashed
from tests.support.paths import IMPORT_FIXTURES

FERRY = IMPORT_FIXTURES / "ferry-no-faq.txt"
LIBRARY = IMPORT_FIXTURES / "library-no-headings.txt"


def run(*argv: str) -> int:
    return main([str(arg) for arg in argv])


def test_a_text_with_no_faq_block(out: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("import", FERRY, "--slug", "ferry", "--out", out) == 0
    article = load_library(out, env={}).default_article
    assert article.title == "Harbour Ferry Returns After Two-Year Repair"
    assert article.lead == (
        "The city's oldest ferry sails again on Monday, with a new engine and room for bicycles."
    )
    assert [s.title for s in article.sections] == ["What changed", "Timetable", "What riders said"]
    assert article.sections[0].paragraphs == (
        "The hull was rebuilt at the north yard and the diesel engine was replaced by a hybrid"
        " one. Crossings take twelve minutes instead of fifteen.",
        "Tickets cost the same as before.",
    )
    assert [(p.title, p.text) for p in article.sections[1].points] == [
        ("Weekdays", "The first ferry leaves at 6:30 and the last at 22:00."),
        ("Weekends", "Ferries run every half hour from 8:00 to 20:00."),
    ]
    # A line wrapped in the source is one paragraph.
    assert article.sections[2].paragraphs == (
        "Riders who tried the test crossings last week praised the quiet engine and the bicycle"
        " racks.",
    )
    assert article.faq == ()
    text = (out / "ferry.toml").read_text(encoding="utf-8")
    assert "Share this" not in text
    assert "Scroll to Top" not in text
    report = capsys.readouterr().out
    assert "left out: “Share this article”" in report
    assert "left out: “Scroll to Top”" in report


def test_a_text_with_no_headings_is_summarised_by_ranking(out: Path) -> None:
    assert run("import", LIBRARY, "--slug", "library", "--out", out) == 0
    article = load_library(out, env={}).default_article
    source = squashed(LIBRARY.read_text(encoding="utf-8"))
    chosen = sentences(article.lead)
    assert 2 <= len(chosen) <= 4
    assert all(sentence in source for sentence in chosen)
    # No standfirst and no heading: one section holds every paragraph, titled by the article.
    (section,) = article.sections
    assert section.title == article.title
    assert len(section.paragraphs) == 4
    assert all(paragraph in source for paragraph in section.paragraphs)
    assert article.provenance.generated == ("lead", "sections[0].id", "sections[0].title")
    text = (out / "library.toml").read_text(encoding="utf-8")
    assert marked_keys(text) == ["lead", "sections.id", "sections.title"]
    assert "TextRank chose sentences" in text


def test_every_string_written_is_in_the_source_but_ids_and_aliases(out: Path) -> None:
    assert run("import", FERRY, "--slug", "ferry", "--out", out) == 0
    source = squashed(FERRY.read_text(encoding="utf-8"))
    data = read_toml(out / "ferry.toml")
    quoted = [data["title"], data["lead"]]
    for section in data["sections"]:
        quoted += [section["title"], *section.get("paragraphs", ())]
        quoted += [f"{p['title']}: {p['text']}" for p in section.get("points", ())]
    assert all(text in source for text in quoted)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"", "it has no title"),
        (LIBRARY.read_bytes().split(b"\n", 2)[2], "it has no title"),
        ("Caf\u00e9 Opens\n\nIt opens.\n".encode("latin-1"), "not UTF-8 text (byte 3 is 0xe9)"),
        (b"Only a Title\n", "it has no text besides its title and FAQs"),
    ],
    ids=["empty", "no-title", "latin-1", "title-only"],
)
def test_a_text_it_cannot_import_is_refused_by_name(
    content: bytes, problem: str, tmp_path: Path, out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "article.txt"
    source.write_bytes(content)
    assert run("import", source, "--slug", "article", "--out", out) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: {source}: {problem}")
    assert "Traceback" not in err
    assert list(out.iterdir()) == []


def test_a_missing_file_or_a_directory(
    tmp_path: Path, out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("import", tmp_path / "nope.txt", "--slug", "nope", "--out", out) == 1
    assert capsys.readouterr().err == f"error: {tmp_path / 'nope.txt'}: no such file\n"
    assert run("import", tmp_path, "--slug", "nope", "--out", out) == 1
    assert capsys.readouterr().err == f"error: {tmp_path}: is a directory, not a file\n"


@pytest.mark.parametrize(
    ("slug", "problem"),
    [
        ("Ferry", "slug 'Ferry' is not valid: a lower-case letter, then up to 31 lower-case"),
        ("2ferry", "slug '2ferry' is not valid"),
        ("f" * 33, f"slug '{'f' * 33}' is not valid"),
        ("help", "slug 'help' is a built-in command (/help): choose another"),
        ("faq", "slug 'faq' is a built-in command (/faq)"),
        ("channels", "slug 'channels' would overwrite the channel list, channels.toml"),
    ],
)
def test_a_slug_it_cannot_take(
    slug: str, problem: str, out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("import", FERRY, "--slug", slug, "--out", out) == 1
    assert capsys.readouterr().err.startswith(f"error: {problem}")
    assert list(out.iterdir()) == []


def test_an_existing_file_is_replaced_only_with_force(
    out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("import", FERRY, "--slug", "ferry", "--out", out) == 0
    before = (out / "ferry.toml").read_text(encoding="utf-8")
    assert run("import", LIBRARY, "--slug", "ferry", "--out", out) == 1
    assert capsys.readouterr().err == (
        f"error: {out / 'ferry.toml'} already exists: pass --force to replace it\n"
    )
    assert (out / "ferry.toml").read_text(encoding="utf-8") == before
    assert run("import", LIBRARY, "--slug", "ferry", "--out", out, "--force") == 0
    assert load_library(out, env={}).default_article.title == "Town Library Extends Opening Hours"
    assert [p.name for p in out.iterdir()] == ["ferry.toml"]


def test_a_slug_another_file_declares_is_taken_even_with_force(
    out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("import", FERRY, "--slug", "ferry", "--out", out) == 0
    (out / "ferry.toml").rename(out / "boats.toml")
    assert run("import", LIBRARY, "--slug", "ferry", "--out", out, "--force") == 1
    assert capsys.readouterr().err == (
        f"error: slug 'ferry' is already used by {out / 'boats.toml'}\n"
    )


def test_the_default_directory_is_content_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env of the checkout
    monkeypatch.setenv("CONTENT_DIR", str(tmp_path / "articles"))
    assert run("import", FERRY, "--slug", "ferry") == 0
    assert (tmp_path / "articles" / "ferry.toml").is_file()


def test_page_furniture_right_under_the_last_answer_stays_out(out: Path, tmp_path: Path) -> None:
    source = tmp_path / "harbour.txt"
    source.write_text(
        "Harbour Bridge Reopens\n\n"
        "The harbour bridge reopens on Monday after two years of repairs.\n\n"
        "What Changed\n\n"
        "Engineers replaced the deck and the cables.\n\n"
        "FAQs\n\n"
        "Q: Who paid for the repair?\n"
        "A: The city and the port authority paid for it.\n"
        "Leave a Comment\n"
        "Your email address will not be published.\n",
        encoding="utf-8",
    )
    assert run("import", source, "--slug", "harbour", "--out", out) == 0
    [faq] = load_library(out, env={}).default_article.faq
    assert faq.answer == "The city and the port authority paid for it."
    assert "email address" not in (out / "harbour.toml").read_text(encoding="utf-8")
