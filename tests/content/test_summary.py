"""TextRank: the sentences that echo the rest of the article, verbatim and in its order."""

from __future__ import annotations

import pytest

from core.content.importer.summary import MAX_LEAD_CHARS, summarise, textrank

# Every other sentence shares words with the second one, and only with it.
HUB = [
    "Ferries leave the harbour at dawn.",
    "The harbour ferry carries cars, bicycles and walkers across the bay each morning.",
    "Cars wait on the upper deck.",
    "Bicycles ride on the lower deck with walkers.",
    "The bay crossing takes twelve minutes.",
    "Morning tickets cost two euros.",
]


def test_a_sentence_sharing_words_with_every_other_ranks_first() -> None:
    scores = textrank([s.lower().rstrip(".").split() for s in HUB])
    assert max(range(len(HUB)), key=scores.__getitem__) == 1
    assert sum(scores) == pytest.approx(1.0)


def test_the_chosen_sentences_are_verbatim_and_in_article_order() -> None:
    summary = summarise([" ".join(HUB[:3]), " ".join(HUB[3:])])
    assert len(summary.sentences) == 2
    assert summary.sentences[0] == HUB[1]
    assert all(sentence in HUB for sentence in summary.sentences)
    assert list(summary.positions) == sorted(summary.positions)
    assert summary.text == " ".join(summary.sentences)


@pytest.mark.parametrize(("count", "wanted"), [(1, 1), (2, 2), (8, 2), (12, 3), (16, 4), (40, 4)])
def test_two_to_four_sentences_by_length(count: int, wanted: int) -> None:
    text = [
        f"Sentence number {n} talks about the harbour ferry and item {n}." for n in range(count)
    ]
    assert len(summarise(text).sentences) == wanted


def test_the_lead_fits_its_field() -> None:
    long = [f"{'Harbour ferry news ' * 40}part {n}." for n in range(12)]
    summary = summarise(long)
    assert 1 <= len(summary.sentences) < 3
    assert len(summary.text) <= MAX_LEAD_CHARS


def test_fragments_are_no_summary_material() -> None:
    summary = summarise(
        [
            "Yes. No. The ferry returns on Monday with a new engine.",
            "Ok. The ferry carries bicycles on the lower deck.",
        ]
    )
    assert summary.sentences == (
        "The ferry returns on Monday with a new engine.",
        "The ferry carries bicycles on the lower deck.",
    )


def test_no_text_no_summary() -> None:
    assert summarise([]).sentences == ()
    assert textrank([]) == []
