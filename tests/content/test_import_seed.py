"""Importing the seed article gives the facts of the hand-made content/stargate.toml."""

from __future__ import annotations

import datetime
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from core.commands.router import command_names
from core.content import Article, load_library
from core.content.importer.cli import main
from core.content.importer.sentences import sentences
from core.handlers import ROUTERS
from tests.support.imported import MARK, marked_keys, read_toml, resolve
from tests.support.paths import CONTENT, ROOT


def hand_made() -> Article:
    article = load_library(CONTENT, env={}).article("stargate")
    assert article is not None
    return article


def imported(seed: Path, out: Path, capsys: pytest.CaptureFixture[str]) -> Article:
    assert main(["import", str(seed), "--slug", "stargate", "--out", str(out)]) == 0
    assert capsys.readouterr().err == ""
    shutil.copy(CONTENT / "channels.toml", out)
    library = load_library(out, reserved=command_names(ROUTERS), env={})
    assert len(library.channels) == 6
    article = library.article("stargate")
    assert article is not None
    return article


def test_sections_points_and_faqs_are_the_hand_made_packs(
    seed: Path, out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ours, theirs = imported(seed, out, capsys), hand_made()
    assert ours.title == theirs.title
    assert [(s.title, s.paragraphs, s.points) for s in ours.sections] == [
        (s.title, s.paragraphs, s.points) for s in theirs.sections
    ]
    assert [(e.question, e.answer, e.from_article) for e in ours.faq] == [
        (e.question, e.answer, True) for e in theirs.faq if e.from_article
    ]
    assert len(ours.faq) == 3


def test_the_summary_is_the_standfirst_every_sentence_from_the_article(
    seed: Path, out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    article = imported(seed, out, capsys)
    assert article.lead == hand_made().lead
    text = seed.read_text(encoding="utf-8")
    assert len(sentences(article.lead)) == 2
    assert all(sentence in text for sentence in sentences(article.lead))
    assert "lead" not in article.provenance.generated


def test_provenance_names_the_source(
    seed: Path, out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    provenance = imported(seed, out, capsys).provenance
    assert provenance.source_title == hand_made().title
    assert provenance.source == str(seed)
    assert provenance.version == "1"
    assert provenance.updated == datetime.date.today()
    assert provenance.feed_entry is None


def test_generated_fields_are_listed_and_marked(
    seed: Path, out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    article = imported(seed, out, capsys)
    generated = article.provenance.generated
    assert sorted(generated) == sorted(
        [f"sections[{i}].id" for i in range(4)]
        + [f"faq[{i}].{field}" for i in range(3) for field in ("id", "aliases")]
    )
    text = (out / "stargate.toml").read_text(encoding="utf-8")
    data = read_toml(out / "stargate.toml")
    for path in generated:
        assert resolve(data, path)
    # One mark above each generated value, and none anywhere else.
    assert marked_keys(text) == [
        *(["sections.id"] * 4),
        *(["faq.id", "faq.aliases"] * 3),
    ]
    assert sum(line.startswith(MARK) for line in text.splitlines()) == len(generated)
    assert article.faq[0].aliases == ("stargate primary objective",)


def test_the_channel_table_and_page_furniture_stay_out(
    seed: Path, out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["import", str(seed), "--slug", "stargate", "--out", str(out)]) == 0
    report = capsys.readouterr().out
    text = (out / "stargate.toml").read_text(encoding="utf-8")
    for furniture in (
        "Connect with Us",
        "Visit Our Website",
        "Leave a Comment",
        "Your email address",
        "Scroll to Top",
    ):
        assert furniture not in text
    assert "FAQs" not in [
        section["title"] for section in read_toml(out / "stargate.toml")["sections"]
    ]
    assert "left out: “Connect with Us:”" in report
    assert "left out: “Leave a Comment” and everything after it" in report


def test_without_its_standfirst_the_summary_is_ranked_and_verbatim(
    seed: Path, out: Path, tmp_path: Path
) -> None:
    text = seed.read_text(encoding="utf-8")
    standfirst = hand_made().lead
    headless = tmp_path / "no-standfirst.txt"
    headless.write_text(text.replace(standfirst + "\n", ""), encoding="utf-8")
    assert main(["import", str(headless), "--slug", "stargate", "--out", str(out)]) == 0
    article = load_library(out, env={}).default_article
    chosen = sentences(article.lead)
    assert 2 <= len(chosen) <= 4
    assert all(sentence in text for sentence in chosen)
    assert standfirst not in article.lead
    assert article.provenance.generated[0] == "lead"


def test_python_m_core_content_imports_the_seed(seed: Path, out: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "core.content", "import", seed, "--slug", "stargate", "--out", out],
        capture_output=True,
        text=True,
        cwd=out.parent,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"Wrote {out / 'stargate.toml'}: /stargate")
    sections = load_library(out, env={}).default_article.sections
    assert [s.paragraphs for s in sections] == [s.paragraphs for s in hand_made().sections]
