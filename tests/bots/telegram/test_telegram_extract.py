"""Command parsing and request extraction."""

from __future__ import annotations

import pytest

from bots.telegram.extract import Command, parse_command


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/start", Command("start", "")),
        ("/start faq_investment", Command("start", "faq_investment")),
        ("/FAQ How much?", Command("faq", "How much?")),
        ("/help@newsroom_test_bot", Command("help", "")),
        ("/help@Other_Bot", None),
        ("/comment first line\nsecond line", Command("comment", "first line\nsecond line")),
        ("/comment\nline one\nline two", Command("comment", "line one\nline two")),
        ("/reject 12   off topic  ", Command("reject", "12   off topic")),
        ("not a command", None),
    ],
)
def test_parse_command(text: str, expected: Command | None) -> None:
    assert parse_command(text, "newsroom_test_bot") == expected
