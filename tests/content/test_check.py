"""`check`: the content directory as start-up would load it, problems named by file and field."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from core.commands.router import command_names
from core.content import ContentError, load_library
from core.content.importer.cli import main
from tests.support.paths import CONTENT, ROOT

BROKEN = ROOT / "tests" / "fixtures" / "content" / "broken"
STARGATE_FAQS = len(load_library(CONTENT, env={}).default_article.faq)


@pytest.fixture(autouse=True)
def no_channel_urls(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Start-up's environment: none of the CHANNEL_*_URL a developer may have set, no .env."""
    for name in list(os.environ):
        if name.startswith("CHANNEL_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def test_a_good_directory_passes_with_a_one_line_summary(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["check", str(CONTENT)]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    assert captured.out == (
        f"{CONTENT}: 1 article (/stargate), {STARGATE_FAQS} FAQs, 6 channels (0 with a URL)\n"
    )


def test_a_broken_directory_fails_naming_file_and_field(
    capsys: pytest.CaptureFixture[str],
) -> None:
    directory = BROKEN / "missing_answer"
    assert main(["check", str(directory)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        f"{directory / 'article.toml'}: faq[2].answer: is missing\n{directory}: 1 problem\n"
    )


@pytest.mark.parametrize("case", sorted(p.name for p in BROKEN.iterdir()))
def test_it_prints_what_start_up_raises(case: str, capsys: pytest.CaptureFixture[str]) -> None:
    from core.handlers import ROUTERS

    with pytest.raises(ContentError) as caught:
        load_library(BROKEN / case, reserved=command_names(ROUTERS), env={})
    assert main(["check", str(BROKEN / case)]) == 1
    problems = capsys.readouterr().err.splitlines()[:-1]
    assert problems == list(caught.value.problems)


def test_a_channel_url_from_the_environment_counts(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CHANNEL_YOUTUBE_URL", "https://example.org/channel")
    assert main(["check", str(CONTENT)]) == 0
    assert "6 channels (1 with a URL)" in capsys.readouterr().out


def test_a_missing_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(tmp_path / "nope")]) == 1
    assert capsys.readouterr().err.startswith(
        f"{tmp_path / 'nope'}: content directory not found\n"
    )


def test_imported_articles_awaiting_review_are_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "content"
    shutil.copytree(CONTENT, out)
    fixture = ROOT / "tests" / "fixtures" / "import" / "ferry-no-faq.txt"
    assert main(["import", str(fixture), "--slug", "ferry", "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["check", str(out)]) == 0
    assert capsys.readouterr().out.endswith(
        f"2 articles (/ferry, /stargate), {STARGATE_FAQS} FAQs, 6 channels (0 with a URL);"
        " generated fields to review in ferry\n"
    )


def test_python_m_core_content_check(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHANNEL_")}
    env["PYTHONPATH"] = str(ROOT)

    def check(directory: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "core.content", "check", str(directory)],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env=env,
            timeout=120,
        )

    good = check(CONTENT)
    assert (good.returncode, good.stderr) == (0, "")
    bad = check(BROKEN / "unknown_field")
    assert bad.returncode == 1
    assert bad.stdout == ""
    assert str(BROKEN / "unknown_field" / "article.toml") in bad.stderr
    assert "Traceback" not in bad.stderr
