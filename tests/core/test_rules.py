"""The moderation rules as a table: each row is a comment and where it must go, and why."""

from __future__ import annotations

from typing import Any

import pytest

from core.comments.rules import (
    HELD_FOR_REVIEW,
    count_links,
    digest,
    evaluate,
    length_problem,
)
from core.comments.views import Status
from core.config import CommentRules
from core.text import clean_text


def rules(**overrides: Any) -> CommentRules:
    values: dict[str, Any] = {
        "manual_approval": False,
        "max_links": 2,
        "moderation_words": ("casino", "казино", "赌博", "قمار", "hoc"),
        "disallowed_words": ("viagra", "ставки"),
    }
    values.update(overrides)
    return CommentRules(**values)


@pytest.mark.parametrize(
    ("text", "name", "status", "reasons"),
    [
        ("A fair and balanced piece.", "Ada", Status.APPROVED, ()),
        # Link counts at the boundary: max_links=2 allows two, holds three.
        ("see https://a.example/x and https://b.example/y", "Ada", Status.APPROVED, ()),
        (
            "https://a.example www.b.example c.example/path",
            "Ada",
            Status.PENDING,
            ("3 links (more than 2)",),
        ),
        ("one link http://a.example", "Ada", Status.APPROVED, ()),
        # Moderation words hold, in any script and any case.
        ("Best CASINO bonuses", "Ada", Status.PENDING, ("moderation word “casino”",)),
        ("Лучшее КАЗИНО в городе", "Ada", Status.PENDING, ("moderation word “казино”",)),
        ("网上赌博平台", "Ada", Status.PENDING, ("moderation word “赌博”",)),
        ("أفضل موقع قمار", "Ada", Status.PENDING, ("moderation word “قمار”",)),
        # The display name is checked too, as WordPress checks the author field.
        ("Nice article", "casino king", Status.PENDING, ("moderation word “casino”",)),
        # Disallowed words go to spam whatever else applies.
        ("cheap VIAGRA http://x.example", "Ada", Status.SPAM, ("disallowed word “viagra”",)),
        ("Лучшие Ставки здесь", "Ada", Status.SPAM, ("disallowed word “ставки”",)),
        # Letters of other scripts that imitate Latin ones hide nothing (Cyrillic і, а, с, ѕ, о,
        # Greek ν), and the reason says how the word was written.
        (
            "cheap vіаgrа here",
            "Ada",
            Status.SPAM,
            ("disallowed word “viagra” in look-alike letters",),
        ),
        (
            "Best саѕinо bonus",
            "Ada",
            Status.PENDING,
            ("moderation word “casino” in look-alike letters",),
        ),
        ("Nice", "νiagra fan", Status.SPAM, ("disallowed word “viagra” in look-alike letters",)),
        # In a Latin text, a word wholly in look-alikes is a disguise too (Cyrillic ѵ і а ԍ г а).
        (
            "buy ѵіаԍга at the best price",
            "Ada",
            Status.SPAM,
            ("disallowed word “viagra” in look-alike letters",),
        ),
        # In a text of its own script, such a word is that language's word: Cyrillic "нос"
        # reads "hoc" in look-alikes, and "hoc" is a moderation word here.
        ("Какой у него нос!", "Ada", Status.APPROVED, ()),
        ("ad hoc", "Ada", Status.PENDING, ("moderation word “hoc”",)),
        # Several reasons are all recorded.
        (
            "casino a.example/1 b.example/2 c.example/3",
            "Ada",
            Status.PENDING,
            ("3 links (more than 2)", "moderation word “casino”"),
        ),
    ],
)
def test_rule_table(text: str, name: str, status: Status, reasons: tuple[str, ...]) -> None:
    verdict = evaluate(text, name, rules())
    assert verdict.status is status
    assert verdict.reasons == reasons


def test_manual_approval_holds_everything_and_says_so() -> None:
    verdict = evaluate("A fair and balanced piece.", "Ada", rules(manual_approval=True))
    assert verdict == type(verdict)(Status.PENDING, (HELD_FOR_REVIEW,))


def test_zero_max_links_holds_any_link() -> None:
    assert evaluate("http://a.example", "Ada", rules(max_links=0)).status is Status.PENDING
    assert evaluate("no links here", "Ada", rules(max_links=0)).status is Status.APPROVED


@pytest.mark.parametrize(
    ("text", "links"),
    [
        ("", 0),
        ("e.g. this, i.e. that", 0),
        ("http://a.example", 1),
        ("HTTPS://A.EXAMPLE/x www.b.example", 2),
        ("tg://resolve?domain=x", 1),
        ("example.com/path and example.org/", 2),
    ],
)
def test_link_counting(text: str, links: int) -> None:
    assert count_links(text) == links


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "empty"),
        ("x", "too short"),
        ("ok", None),
        ("y" * 2000, None),
        ("y" * 2001, "2001 characters long; the limit is 2000"),
    ],
)
def test_length_limits(text: str, problem: str | None) -> None:
    found = length_problem(text, rules())
    if problem is None:
        assert found is None
    else:
        assert found is not None and problem in found


def test_clean_text_drops_invisible_controls_and_keeps_lines() -> None:
    raw = "  Hello\r\nworld\x00\u202e!\n\n\n\nBye\t "
    assert clean_text(raw) == "Hello\nworld!\n\nBye"


def test_digest_ignores_case_spacing_and_width() -> None:
    assert digest("Great  Article") == digest("great article")
    assert digest("Ｇｒｅａｔ") == digest("great")
    assert digest("great article") != digest("great articles")
