"""Deep links: a channel card's buttons as `/start` payloads, and back."""

from __future__ import annotations

import re

import pytest

from core.actions import (
    CommentsPage,
    ListQuestions,
    Moderate,
    Move,
    OpenCommentForm,
    ShowSection,
    ShowSummary,
)
from core.publishing.deep_links import action_of, as_links, start_payload
from core.replies import ActionButton, LinkButton, Reply

SLUGS = {"stargate", "townhall", "faq_news", "news"}
PAYLOAD = re.compile(r"[A-Za-z0-9_-]{1,64}")


@pytest.mark.parametrize(
    ("action", "payload"),
    [
        (ShowSummary("stargate"), "stargate"),
        (ListQuestions("stargate"), "faq_stargate"),
        (CommentsPage("stargate", 1), "comments_stargate"),
        (OpenCommentForm("stargate"), "comment_stargate"),
        (OpenCommentForm("townhall"), "comment_townhall"),
    ],
)
def test_payloads_round_trip(action: object, payload: str) -> None:
    assert start_payload(action.pack()) == payload  # type: ignore[attr-defined]
    assert PAYLOAD.fullmatch(payload)
    assert action_of(payload, SLUGS.__contains__) == action


def test_the_longest_slug_fits_a_payload() -> None:
    slug = "a" * 32
    payload = start_payload(CommentsPage(slug, 1).pack())
    assert payload is not None and PAYLOAD.fullmatch(payload)


def test_an_articles_own_slug_wins_and_unknown_words_open_nothing() -> None:
    assert action_of("faq_news", SLUGS.__contains__) == ShowSummary("faq_news")
    assert action_of("comments_nope", SLUGS.__contains__) is None
    assert action_of("commentsstargate", SLUGS.__contains__) is None
    assert action_of("", SLUGS.__contains__) is None


def test_actions_with_no_link_are_dropped_and_links_kept() -> None:
    reply = Reply(
        blocks=(),
        buttons=(
            (ActionButton(label="Read", action=ShowSummary("stargate").pack()),),
            (ActionButton(label="Approve", action=Moderate(Move.APPROVE, 1).pack()),),
            (
                ActionButton(label="2", action=ShowSection("stargate", 2).pack()),
                LinkButton(label="Site", url="https://news.example/"),
            ),
        ),
    )
    linked = as_links(reply, lambda payload: f"https://t.me/bot?start={payload}")
    assert linked.buttons == (
        (LinkButton(label="Read", url="https://t.me/bot?start=stargate"),),
        (LinkButton(label="Site", url="https://news.example/"),),
    )
