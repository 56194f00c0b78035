"""Provenance records what an importer generated and which feed entry an article came from."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.content import ContentError, load_library

ARTICLE = """\
slug = "ferry"
title = "Harbour Ferry Returns"
lead = "The ferry sails again."

[provenance]
source_title = "Harbour Ferry Returns"
source = "https://news.example.org/ferry"
version = "1"
updated = 2026-10-02
{extra}

[[sections]]
id = "what"
title = "What changed"
paragraphs = ["The hull was rebuilt."]
"""


def write(directory: Path, extra: str) -> Path:
    path = directory / "ferry.toml"
    path.write_text(ARTICLE.format(extra=extra), encoding="utf-8")
    return path


def test_generated_fields_and_the_feed_entry_load(tmp_path: Path) -> None:
    write(tmp_path, 'generated = ["lead", "sections[0].id"]\nfeed_entry = "urn:ferry:1"')
    provenance = load_library(tmp_path, env={}).default_article.provenance
    assert provenance.generated == ("lead", "sections[0].id")
    assert provenance.feed_entry == "urn:ferry:1"


def test_both_are_optional(tmp_path: Path) -> None:
    write(tmp_path, "")
    provenance = load_library(tmp_path, env={}).default_article.provenance
    assert provenance.generated == ()
    assert provenance.feed_entry is None


def test_a_bad_generated_list_names_its_field(tmp_path: Path) -> None:
    path = write(tmp_path, 'generated = "lead"')
    with pytest.raises(ContentError) as caught:
        load_library(tmp_path, env={})
    assert str(caught.value).startswith(f"{path}: provenance.generated: ")
