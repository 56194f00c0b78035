"""FAQ normalisation and matching against the real article and a large generated corpus."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from core.content import FaqEntry, load_library
from core.faq import FaqIndex, MatchBand, normalize, tokens
from core.faq.normalize import MAX_INPUT_CHARS
from tests.support.faq_cases import AMBIGUOUS_CASES, ARTICLE_CASES, GIBBERISH_CASES
from tests.support.typos import typo

CONTENT_DIR = Path(__file__).resolve().parents[2] / "content"
ANSWERED = {MatchBand.EXACT, MatchBand.STRONG}


@pytest.fixture(scope="module")
def index() -> FaqIndex:
    return FaqIndex.build(load_library(CONTENT_DIR, env={}).article("stargate").faq)


# --- normalize / tokens ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Why wasn’t Microsoft part of the announcement?",
            "why wasnt microsoft part of the announcement",
        ),
        ("What is Stargate’s primary objective?", "what is stargate primary objective"),
        ("Stargate's", "stargate"),
        ("wasn’t", "wasnt"),
        ("  MÍCROSOFT\t\n absent!!  ", "microsoft absent"),
        ("data centers in the U.S. with $500 billion", "data centers in the us with 500 billion"),
        ("OpenAI–Microsoft “more compute”", "openai microsoft more compute"),
        ("cutting-edge_data", "cutting edge data"),
        ("ﬁnancé", "finance"),
        ("?!…", ""),
    ],
)
def test_normalize(text: str, expected: str) -> None:
    assert normalize(text) == expected


def test_normalize_caps_hostile_input() -> None:
    assert len(normalize("a " * 100_000)) <= MAX_INPUT_CHARS
    # NFKC can expand a character many times over; the cap still holds afterwards.
    assert len(normalize("\ufdfa" * 1000)) <= MAX_INPUT_CHARS


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Question words, quantity and negation carry meaning and stay.
        ("Who is behind Stargate?", ("who", "behind", "stargate")),
        ("Where are the data centers?", ("where", "data", "center")),
        ("How much money", ("how", "much", "money")),
        ("Why wasn't Microsoft there", ("why", "not", "microsoft")),
        ("why was microsoft not there", ("why", "microsoft", "not")),
        # Contractions and plain plurals fold onto the same words.
        ("what's stargate", ("stargate",)),
        ("whats STARGATES", ("stargate",)),
        ("industries companies", ("industry", "company")),
        ("business analysis bonus", ("business", "analysis", "bonus")),
        ("what is it", ()),
    ],
)
def test_tokens(text: str, expected: tuple[str, ...]) -> None:
    assert tokens(text) == expected


# --- the real article ------------------------------------------------------------------------


@pytest.mark.parametrize(("query", "entry_id", "band"), ARTICLE_CASES)
def test_article_queries_answer(
    index: FaqIndex, query: str, entry_id: str, band: MatchBand
) -> None:
    match = index.match(query)
    assert (match.band, match.entry and match.entry.id) == (band, entry_id)
    assert match.suggestions == ()
    assert 0.0 < match.score <= 1.0


@pytest.mark.parametrize(("query", "first"), AMBIGUOUS_CASES)
def test_ambiguous_queries_suggest(index: FaqIndex, query: str, first: str | None) -> None:
    match = index.match(query)
    assert match.band is MatchBand.SUGGEST
    assert match.entry is None
    assert 1 <= len(match.suggestions) <= 3
    assert len({entry.id for entry in match.suggestions}) == len(match.suggestions)
    if first is not None:
        assert match.suggestions[0].id == first


def test_bare_microsoft_suggests_several_microsoft_entries(index: FaqIndex) -> None:
    match = index.match("microsoft")
    assert len(match.suggestions) >= 2
    assert all("Microsoft" in entry.question for entry in match.suggestions)


@pytest.mark.parametrize("query", GIBBERISH_CASES)
def test_gibberish_matches_nothing(index: FaqIndex, query: str) -> None:
    match = index.match(query)
    assert match.band is MatchBand.NONE
    assert (match.entry, match.suggestions) == (None, ())


def test_same_phrase_in_two_entries_suggests_both() -> None:
    one = FaqEntry(id="one", question="First question?", answer="1", aliases=("shared",))
    two = FaqEntry(id="two", question="Second question?", answer="2", aliases=("Shared!",))
    match = FaqIndex.build([one, two]).match("shared")
    assert match.band is MatchBand.SUGGEST
    assert [entry.id for entry in match.suggestions] == ["one", "two"]


def test_empty_index_matches_nothing() -> None:
    index = FaqIndex.build([])
    assert index.match("stargate").band is MatchBand.NONE
    assert index.rank("stargate") == []
    assert index.rank("") == []


# --- rank (autocomplete) ---------------------------------------------------------------------


def test_rank_empty_query_lists_entries_in_order(index: FaqIndex) -> None:
    assert [entry for entry, _ in index.rank("")] == list(index.entries)
    assert [entry for entry, _ in index.rank("what is ", limit=3)] == list(index.entries[:3])


def test_rank_limits_and_orders(index: FaqIndex) -> None:
    ranked = index.rank("microsoft", limit=4)
    assert len(ranked) == 4
    scores = [score for _, score in ranked]
    assert scores == sorted(scores, reverse=True)
    assert len({entry.id for entry, _ in ranked}) == 4
    assert index.rank("microsoft", limit=0) == []
    assert len(index.rank("microsoft", limit=25)) <= 25


def test_rank_puts_exact_phrase_first(index: FaqIndex) -> None:
    ranked = index.rank("stargate objective")
    assert ranked[0] == (index.entries[0], 1.0)
    assert len({entry.id for entry, _ in ranked}) == len(ranked)


@pytest.mark.parametrize(
    ("partial", "entry_id"),
    [("stargate obj", "objective"), ("micros", None), ("why wasnt micro", "microsoft_absent")],
)
def test_rank_completes_the_last_word(index: FaqIndex, partial: str, entry_id: str | None) -> None:
    ranked = index.rank(partial, limit=5)
    assert ranked
    if entry_id is None:
        assert all("Microsoft" in entry.question for entry, _ in ranked[:3])
    else:
        assert ranked[0][0].id == entry_id


def test_rank_unknown_words_give_nothing(index: FaqIndex) -> None:
    assert index.rank("asdf qwer") == []


# --- a large generated corpus ----------------------------------------------------------------


def _words(text: str) -> list[str]:
    return text.split()


ADJECTIVES = _words("""
ancient bright coastal digital electric frozen golden hidden imperial jagged kinetic lunar
magnetic nuclear orbital polar quantum rural solar tropical urban vintage wooden yearly
zealous acoustic botanical civic dental elastic fiscal genetic harmonic industrial judicial
maritime nautical optical postal quarterly regional seasonal thermal vocal
""")
NOUNS = _words("""
airport bakery bridge canal castle cathedral ceremony clinic concert courthouse dam
embassy factory festival garden harbor highway hospital laboratory library lighthouse
market monument museum observatory orchard palace pipeline pharmacy railway reservoir
satellite school stadium subway telescope temple theater tower tunnel university vineyard
warehouse zoo aquarium archive battery carnival compass dictionary engine forest glacier
helmet journal kettle lantern meadow notebook orchestra parliament quarry
""")
VERBS = _words("""
affect approve borrow celebrate close delay design expand finance fund govern host inspect
launch maintain measure monitor operate organize protect rebuild regulate renovate repair
replace restore schedule supervise survey transport upgrade
""")
PLACES = _words("""
amsterdam berlin cairo denver edinburgh florence geneva havana istanbul jakarta kyoto lisbon
madrid nairobi oslo prague quebec rome santiago toronto utrecht vienna warsaw yokohama zurich
athens boston chicago dublin helsinki
""")
OPENERS = ["How does", "Why does", "When will", "Where can", "Who will"]


def _corpus(size: int, seed: int = 20261127) -> list[FaqEntry]:
    rng = random.Random(seed)
    seen: set[tuple[str, str, str, str]] = set()
    entries: list[FaqEntry] = []
    while len(entries) < size:
        key = (rng.choice(VERBS), rng.choice(ADJECTIVES), rng.choice(NOUNS), rng.choice(PLACES))
        if key in seen:
            continue
        seen.add(key)
        verb, adjective, noun, place = key
        entries.append(
            FaqEntry(
                id=f"q{len(entries)}",
                question=f"{rng.choice(OPENERS)} {place} {verb} the {adjective} {noun}?",
                answer=f"Answer {len(entries)}.",
                aliases=(f"{adjective} {noun} {place} {verb}", f"{verb} {noun} in {place}"),
            )
        )
    return entries


@pytest.fixture(scope="module")
def corpus() -> tuple[list[FaqEntry], FaqIndex]:
    entries = _corpus(5000)
    return entries, FaqIndex.build(entries)


def test_corpus_is_built_as_intended(corpus: tuple[list[FaqEntry], FaqIndex]) -> None:
    entries, index = corpus
    assert len(index) == 5000
    assert len({entry.question for entry in entries}) == 5000


def test_corpus_own_questions_are_exact(corpus: tuple[list[FaqEntry], FaqIndex]) -> None:
    entries, index = corpus
    for entry in random.Random(1).sample(entries, 200):
        match = index.match(entry.question)
        assert (match.band, match.entry) == (MatchBand.EXACT, entry)


def test_corpus_typos_still_find_the_entry(corpus: tuple[list[FaqEntry], FaqIndex]) -> None:
    entries, index = corpus
    rng = random.Random(2)
    misses = []
    for entry in rng.sample(entries, 200):
        query = typo(entry.question, rng)
        match = index.match(query)
        if match.band not in ANSWERED or match.entry != entry:
            misses.append((query, entry.question, match.band))
    assert misses == []


def test_corpus_reordered_words_find_the_entry(corpus: tuple[list[FaqEntry], FaqIndex]) -> None:
    entries, index = corpus
    rng = random.Random(3)
    for entry in rng.sample(entries, 200):
        words = entry.question.rstrip("?").split()
        rng.shuffle(words)
        match = index.match(" ".join(words))
        assert match.band in ANSWERED
        assert match.entry == entry


def test_corpus_rank_finds_the_entry_first(corpus: tuple[list[FaqEntry], FaqIndex]) -> None:
    entries, index = corpus
    for entry in random.Random(4).sample(entries, 50):
        ranked = index.rank(entry.question, limit=25)
        assert ranked[0][0] == entry
        assert len(ranked) <= 25
