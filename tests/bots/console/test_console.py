"""Scripted console sessions: the real `python -m bots.console` with commands on stdin."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.support.paths import CONTENT, ROOT

SCRIPT = """\
/stargate
2
/faq why wasnt microsoft there
/faq stargat objectve
/faq how much money
/faq pizza recipe
/comment Great analysis of the compute race
1
/replay
/approve 1
/as moderator
/pending
/approve 1
/as reader
/comments
/mycomments
/quit
"""


def run_console(script: str, tmp_path: Path, *args: str) -> str:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/console.sqlite3",
        "CONTENT_DIR": str(CONTENT),
        "LOG_LEVEL": "WARNING",
    }
    env.pop("TELEGRAM_BOT_TOKEN", None)
    env.pop("DISCORD_BOT_TOKEN", None)
    done = subprocess.run(
        [sys.executable, "-m", "bots.console", "--name", "Ada", *args],
        input=script,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(ROOT)},
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return done.stdout


def section(output: str, command: str) -> str:
    """What the console printed in answer to one scripted line."""
    start = output.index(f"> {command}\n") + len(command) + 3
    end = output.find("\n> ", start)
    return output[start : end if end != -1 else None]


def test_the_whole_reader_and_moderator_flow(tmp_path: Path) -> None:
    out = run_console(SCRIPT, tmp_path)

    summary = section(out, "/stargate")
    for title in (
        "What is OpenAI’s Stargate?",
        "Key Highlights of the Announcement",
        "The Rift Between OpenAI and Microsoft",
        "What Does Stargate Mean for the AI Industry?",
    ):
        assert title in summary
    assert "Collaborating Giants" in section(out, "2")

    assert "Why wasn’t Microsoft part of the announcement?" in section(
        out, "/faq why wasnt microsoft there"
    )
    assert "What is Stargate’s primary objective?" in section(out, "/faq stargat objectve")
    assert "$500 billion" in section(out, "/faq how much money")
    assert "passed your question on to our editors" in section(out, "/faq pizza recipe")

    assert "Send" in section(out, "/comment Great analysis of the compute race")
    confirmed = section(out, "1")
    assert "#1 is waiting for a moderator" in confirmed
    assert "[to moderators]" in confirmed

    replayed = section(out, "/replay")
    assert "already handled: nothing done again" in replayed

    assert "/approve is for moderators only." in section(out, "/approve 1")
    assert "#1 by Ada" in section(out, "/pending")
    assert "✅ Approved by Moderator" in out
    assert "[to Ada]" in out and "was approved" in out
    assert "Great analysis of the compute race" in section(out, "/comments")
    assert "✅ approved" in section(out, "/mycomments")

    rows = sqlite3.connect(tmp_path / "console.sqlite3").execute("SELECT count(*) FROM comments")
    assert rows.fetchone() == (1,)


def test_bad_input_gets_friendly_answers(tmp_path: Path) -> None:
    script = "/nosuchcommand\n/comment\n/withdraw abc\n/comments 999999999999\n42\n\x00\n/quit\n"
    out = run_console(script, tmp_path)
    assert "I don't know the command /nosuchcommand" in out
    assert "Send your comment" in section(out, "/comment")
    assert "Please give a comment number" in section(out, "/withdraw abc")
    assert "Please give a page number" in section(out, "/comments 999999999999")
    assert "No such button" in section(out, "42")


def test_starting_as_moderator(tmp_path: Path) -> None:
    out = run_console("/help\n/pending\n", tmp_path, "--moderator")
    assert "For moderators" in section(out, "/help")
    assert "queue is empty" in section(out, "/pending")


def test_publish_shows_the_card_as_the_channel_gets_it(tmp_path: Path) -> None:
    out = run_console("/publish stargate\n/publish stargate\n/quit\n", tmp_path, "--moderator")
    published = out[out.index("> /publish stargate\n") :]
    assert "[to channel]" in published
    assert "💬 Comments (0)" in published
    assert "✅ Console channel: posted" in published
    assert "was published on" in published[published.index("> /publish stargate", 5) :]
    assert out.count("[to channel]") == 1


def test_a_second_run_on_the_same_store_posts_its_cards(tmp_path: Path) -> None:
    """The store keeps each card under its message id: a restarted console must not reuse one
    (it did, and the second run's first card failed on the unique key)."""
    first = run_console("/comment The first run's comment\n1\n/quit\n", tmp_path)
    second = run_console("/comment The second run's comment\n1\n/quit\n", tmp_path, "--user", "bo")
    assert "[to moderators]" in first and "The first run's comment" in first
    cards = second[second.index("[to moderators]") :]
    assert "The second run's comment" in cards
    with sqlite3.connect(tmp_path / "console.sqlite3") as db:
        posts = db.execute(
            "SELECT count(*), count(DISTINCT message_id) FROM moderation_posts"
        ).fetchone()
    assert posts[0] == posts[1] == 2


def test_a_moderator_may_ban_the_people_of_every_platform_by_id(tmp_path: Path) -> None:
    """The console process runs no Telegram or Discord adapter, yet their people are authors
    a moderator can name; a platform no adapter serves is not."""
    script = "/ban discord:4242 7d\n/ban telegram:77 forever\n/ban mastodon:1 7d\n/quit\n"
    out = run_console(script, tmp_path, "--moderator")
    assert "discord:4242 may not comment" in section(out, "/ban discord:4242 7d")
    assert "telegram:77 may not comment" in section(out, "/ban telegram:77 forever")
    assert "is not an author" in section(out, "/ban mastodon:1 7d")
