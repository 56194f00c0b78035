"""Slugs and ids made from titles and questions fit their patterns and take no name in use."""

from __future__ import annotations

import re

import pytest

from core.commands.router import command_names
from core.content.importer.naming import MAX_FAQ_ID, article_slug, identifier, unique
from core.content.models import FAQ_ID_PATTERN, SLUG_PATTERN
from core.handlers import ROUTERS

RESERVED = command_names(ROUTERS)


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Harbour Ferry Returns After Two-Year Repair", "harbour_ferry_returns"),
        ("OpenAI’s Stargate Announcement", "openai_stargate"),
        ("Café Reopens", "cafe_reopens"),
        ("2026 in Review", "article_2026_review"),
        ("Ελληνικά νέα", "article"),
        ("Help", "help_2"),
        ("FAQ", "faq_2"),
        ("Supercalifragilisticexpialidocious Weather Returns", "supercalifragilisticexpi"),
    ],
)
def test_an_article_slug_from_its_title(title: str, slug: str) -> None:
    made = article_slug(title, RESERVED)
    assert made == slug
    assert re.fullmatch(SLUG_PATTERN, made)


def test_a_taken_slug_gets_the_next_free_number() -> None:
    taken = {"harbour_ferry_returns", "harbour_ferry_returns_2"}
    assert article_slug("Harbour Ferry Returns", taken) == "harbour_ferry_returns_3"
    assert unique("a" * 24, {"a" * 24}, 24) == "a" * 22 + "_2"


def test_faq_ids_fit_their_pattern() -> None:
    made = identifier("Why wasn’t Microsoft part of the announcement?", MAX_FAQ_ID)
    assert made == "why_wasnt_microsoft_part"
    assert re.fullmatch(FAQ_ID_PATTERN, made)
