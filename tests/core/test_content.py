"""The content model, the loader's error messages and the real Stargate pack."""

from __future__ import annotations

import datetime
import re
import shutil
from pathlib import Path

import attrs
import pytest

from core.commands.router import command_names
from core.content import (
    Article,
    Channel,
    ContentError,
    FaqEntry,
    Library,
    Section,
    load_library,
)
from core.content.structure import InvalidContent, structure, unstructure
from core.handlers import ROUTERS
from core.handlers.reading import summary
from core.replies import LinkButton
from tests.support.paths import CONTENT, ROOT, SEED, SHARED_SEED, SHIPPED_CONTENT

CONTENT_DIR = CONTENT
FIXTURES = ROOT / "tests" / "fixtures" / "content"
BROKEN = FIXTURES / "broken"


@pytest.fixture(scope="module")
def library() -> Library:
    return load_library(CONTENT_DIR, env={})


@pytest.fixture(scope="module")
def seed() -> str:
    return SEED.read_text(encoding="utf-8")


def test_the_seed_kept_with_the_tests_is_the_shared_one() -> None:
    if not SHARED_SEED.is_file():
        pytest.skip(f"no shared folder beside the checkout ({SHARED_SEED})")
    assert SEED.read_bytes() == SHARED_SEED.read_bytes()


def test_the_shipped_content_loads() -> None:
    """Whatever articles a publisher added to content/: the bot starts on them."""
    library = load_library(SHIPPED_CONTENT, reserved=command_names(ROUTERS), env={})
    assert library.articles


def test_the_shipped_stargate_article_is_the_one_these_tests_check() -> None:
    """The tests read a copy of the pack (so a publisher's articles change none of them); the
    Stargate article the bot ships must stay that copy, verbatim to the seed as checked here."""
    shipped = SHIPPED_CONTENT / "stargate.toml"
    assert shipped.read_bytes() == (CONTENT / "stargate.toml").read_bytes()


def _seed_faq(seed: str) -> list[tuple[str, str]]:
    return re.findall(r"^Q: (.+)\nA: (.+)$", seed, flags=re.MULTILINE)


# --- the real content ------------------------------------------------------------------------


def test_stargate_pack_loads(library: Library) -> None:
    article = library.default_article
    assert library.article("stargate") is article
    assert article.title == "OpenAI’s Stargate Announcement Signals a Shift in AI Power Dynamics"
    assert [s.id for s in article.sections] == ["what", "highlights", "rift", "industry"]
    assert [len(s.points) for s in article.sections] == [0, 3, 0, 3]
    assert len(article.section("rift").paragraphs) == 2
    assert len(article.faq) >= 10
    assert all(entry.aliases for entry in article.faq)
    assert article.provenance.source_title == article.title
    assert article.provenance.source == "shared/seed/stargate-article.txt"
    assert article.provenance.version == "1"
    assert article.provenance.updated == datetime.date(2026, 11, 27)


def test_article_faqs_are_verbatim(library: Library, seed: str) -> None:
    ours = [(e.question, e.answer) for e in library.default_article.faq if e.from_article]
    assert ours == _seed_faq(seed)
    assert len(ours) == 3


def test_summary_text_is_verbatim(library: Library, seed: str) -> None:
    article = library.default_article
    assert article.title in seed
    assert article.lead in seed
    for section in article.sections:
        assert section.title in seed
        for paragraph in section.paragraphs:
            assert paragraph in seed
        for point in section.points:
            assert f"{point.title}: {point.text}" in seed


def test_added_answers_use_only_the_articles_words(library: Library, seed: str) -> None:
    # A cheap guard against invented facts: no name, number or word the article lacks.
    vocabulary = set(re.findall(r"[\w’$]+", seed.casefold()))
    for entry in library.default_article.faq:
        unknown = set(re.findall(r"[\w’$]+", entry.answer.casefold())) - vocabulary
        assert not unknown, (entry.id, unknown)


def test_channels_are_listed_but_not_configured(library: Library) -> None:
    assert [(c.name, c.label, c.icon) for c in library.channels] == [
        ("Website", "Visit Our Website", "🌍"),
        ("YouTube", "Subscribe to Our YouTube Channel", "📹"),
        ("Instagram", "Follow Us on Instagram", "📸"),
        ("Facebook", "Connect with Us on Facebook", "👍"),
        ("Telegram", "Join Our Telegram Channel", "📢"),
        ("WhatsApp", "Follow Us on WhatsApp", "💬"),
    ]
    assert not any(channel.configured for channel in library.channels)
    assert library.configured_channels == ()


def test_env_override_configures_a_channel() -> None:
    env = {"CHANNEL_YOUTUBE_URL": "https://example.com/our-channel", "CHANNEL_NOPE_URL": "x"}
    library = load_library(CONTENT_DIR, env=env)
    assert [c.id for c in library.configured_channels] == ["youtube"]
    assert library.configured_channels[0].url == "https://example.com/our-channel"


def test_env_override_with_a_bad_url_names_the_variable() -> None:
    with pytest.raises(ContentError) as caught:
        load_library(CONTENT_DIR, env={"CHANNEL_WEBSITE_URL": "www.example.com"})
    assert str(caught.value) == (
        f"{CONTENT_DIR / 'channels.toml'}: channels[0].url: URL must start with http:// or"
        " https:// and name a host: 'www.example.com' (from CHANNEL_WEBSITE_URL)"
    )


def test_second_article_loads_alongside(tmp_path: Path) -> None:
    for source in [*CONTENT_DIR.glob("*.toml"), *(FIXTURES / "second").glob("*.toml")]:
        shutil.copy(source, tmp_path / source.name)
    library = load_library(tmp_path, env={})
    assert [a.slug for a in library.articles] == ["stargate", "townhall"]
    assert library.default_article.slug == "stargate"
    townhall = library.article("townhall")
    assert townhall is not None
    assert townhall.faq_entry("roof") == townhall.faq[1]
    assert townhall.section_index("points") == 1
    assert townhall.faq_entry("nope") is None
    assert townhall.section_index("nope") is None
    assert library.article("nope") is None
    assert len(library.channels) == 6


def test_channels_file_is_optional() -> None:
    library = load_library(FIXTURES / "second", env={})
    assert library.channels == ()
    assert library.configured_channels == ()


# --- broken content ----------------------------------------------------------------------------

# Each problem line is the fixture directory followed by this suffix.
BROKEN_CASES = [
    ("missing_answer", "/article.toml: faq[2].answer: is missing"),
    (
        "bad_slug",
        "/article.toml: slug: String should match pattern '^[a-z][a-z0-9_]{0,31}$': a lower-case"
        " letter, then up to 31 lower-case letters, digits or _ (got 'Star Gate')",
    ),
    ("duplicate_faq_id", "/article.toml: faq: duplicate FAQ id 'cost' at faq[0] and faq[1]"),
    ("bad_toml", "/article.toml: invalid TOML: Illegal character '\\n' (at line 18, column 17)"),
    ("duplicate_slug", "/b.toml: slug: 'same' is already used by {dir}/a.toml"),
    ("only_channels", ": no articles found (*.toml files other than channels.toml)"),
    (
        "bad_channel_url",
        "/channels.toml: channels[1].url: URL must start with http:// or https:// and name a"
        " host: 'javascript:alert(1)'",
    ),
    ("unknown_field", "/article.toml: faq[0].anwser: unknown field, not allowed (got '1')"),
    (
        "empty_section",
        "/article.toml: sections[1]: a section needs at least one paragraph or point",
    ),
    (
        "alias_clash",
        "/article.toml: faq[1].aliases[0]: 'Cost?' reads the same as faq[0].aliases[0]"
        " (FAQ 'price')",
    ),
]


@pytest.mark.parametrize(("name", "expected"), BROKEN_CASES, ids=[c[0] for c in BROKEN_CASES])
def test_broken_content_is_refused_with_file_field_and_problem(name: str, expected: str) -> None:
    directory = BROKEN / name
    with pytest.raises(ContentError) as caught:
        load_library(directory, env={})
    problems = caught.value.problems
    assert f"{directory}{expected.replace('{dir}', str(directory))}" in problems
    assert str(caught.value) == "\n".join(problems)


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(ContentError) as caught:
        load_library(BROKEN / "unknown_field", env={})
    assert [p.split(": ")[1] for p in caught.value.problems] == ["faq[0].answer", "faq[0].anwser"]


def test_missing_and_empty_directories(tmp_path: Path) -> None:
    with pytest.raises(ContentError, match="content directory not found"):
        load_library(tmp_path / "nope")
    with pytest.raises(ContentError, match=r"no articles found"):
        load_library(tmp_path)


def test_reserved_slug_is_refused() -> None:
    with pytest.raises(ContentError) as caught:
        load_library(CONTENT_DIR, reserved={"help", "stargate"}, env={})
    assert caught.value.problems == (
        f"{CONTENT_DIR / 'stargate.toml'}: slug: 'stargate' is a built-in command (/stargate);"
        " choose another slug",
    )


def test_one_bad_file_refuses_the_whole_library(tmp_path: Path) -> None:
    shutil.copy(CONTENT_DIR / "stargate.toml", tmp_path / "stargate.toml")
    shutil.copy(BROKEN / "missing_answer" / "article.toml", tmp_path / "zz.toml")
    with pytest.raises(ContentError) as caught:
        load_library(tmp_path, env={})
    assert caught.value.problems == (f"{tmp_path / 'zz.toml'}: faq[2].answer: is missing",)


def test_not_utf8_is_reported(tmp_path: Path) -> None:
    (tmp_path / "latin.toml").write_bytes(b'slug = "caf\xe9"\n')
    with pytest.raises(ContentError, match=r"latin\.toml: not UTF-8 text \(byte 11\)"):
        load_library(tmp_path, env={})


# --- the models directly, and structured from data ----------------------------------------


def test_models_are_frozen_and_check_their_fields() -> None:
    entry = FaqEntry(id="a", question="Q?", answer="A")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        entry.id = "b"  # type: ignore[misc]
    with pytest.raises(TypeError, match="unexpected keyword argument 'extra'"):
        FaqEntry(id="a", question="Q?", answer="A", extra="x")  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="should match pattern"):
        FaqEntry(id="A b", question="Q?", answer="A")
    with pytest.raises(ValueError, match="at least one paragraph or point"):
        Section(id="s", title="T")


def test_structuring_strips_text_before_checking_its_length() -> None:
    entry = structure({"id": "a", "question": " Q? ", "answer": "A", "aliases": [" b "]}, FaqEntry)
    assert (entry.question, entry.aliases) == ("Q?", ("b",))
    with pytest.raises(InvalidContent) as caught:
        structure({"id": "a", "question": "   ", "answer": "A"}, FaqEntry)
    assert str(caught.value) == "question: String should have at least 1 character (got '')"


def test_structuring_refuses_wrong_types_and_unknown_fields_at_once() -> None:
    data = {"id": "a", "question": 3, "answer": "A", "aliases": "b", "from_article": "yes", "x": 1}
    with pytest.raises(InvalidContent) as caught:
        structure(data, FaqEntry)
    assert [(p.where, p.message) for p in caught.value.problems] == [
        ("question", "should be a string (got 3)"),
        ("aliases", "should be a list (got 'b')"),
        ("from_article", "should be true or false (got 'yes')"),
        ("x", "unknown field, not allowed (got 1)"),
    ]


def test_every_problem_of_an_article_at_every_depth(library: Library) -> None:
    data = unstructure(library.default_article)
    data["slug"] = "Star Gate"
    data["sections"][1]["points"][2]["title"] = "x" * 301
    del data["faq"][2]["answer"]
    data["provenance"]["updated"] = datetime.datetime(2026, 11, 27, 9, 30)
    with pytest.raises(InvalidContent) as caught:
        structure(data, Article)
    assert [p.where for p in caught.value.problems] == [
        "slug",
        "sections[1].points[2].title",
        "faq[2].answer",
        "provenance.updated",
    ]
    assert caught.value.problems[-1].message == (
        "should be a date such as 2026-11-27, without quotes or a time (got 2026-11-27T09:30:00)"
    )


def test_unstructured_content_structures_back_the_same(library: Library) -> None:
    article = library.default_article
    again = structure(unstructure(article), Article)
    assert again == article
    assert again.faq_entry(article.faq[1].id) == article.faq[1]


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://example.com/x", True),
        ("http://example.com", True),
        ("", True),
        (None, True),
        ("ftp://example.com", False),
        ("javascript:alert(1)", False),
        ("https://", False),
        ("https://exa mple.com", False),
    ],
)
def test_channel_urls(url: str | None, ok: bool) -> None:
    fields = {"id": "web", "name": "Website", "label": "Visit", "icon": "🌍", "url": url}
    if not ok:
        with pytest.raises(InvalidContent, match=r"^url: URL must"):
            structure(fields, Channel)
        return
    channel = structure(fields, Channel)
    assert channel.configured is bool(url)


@pytest.mark.parametrize("url", ["javascript:alert(1)", "https://", "https://exa mple.com"])
def test_an_article_url_must_be_a_web_address(library: Library, url: str) -> None:
    with pytest.raises(ValueError, match="URL must"):
        attrs.evolve(library.articles[0], url=url)


def test_an_article_with_a_url_offers_it_under_its_summary(library: Library) -> None:
    article = library.articles[0]
    assert not any(isinstance(b, LinkButton) for row in summary(article, 99).buttons for b in row)
    linked = attrs.evolve(article, url="https://news.example/sg")
    links = [b for row in summary(linked, 99).buttons for b in row if isinstance(b, LinkButton)]
    assert [link.url for link in links] == ["https://news.example/sg"]


def test_library_refuses_duplicate_slugs(library: Library) -> None:
    article: Article = library.default_article
    with pytest.raises(ValueError, match="duplicate article slug 'stargate'"):
        Library(articles=(article, article))
