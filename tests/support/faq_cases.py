"""Reader phrasings of questions on the real article and what matching must make of each."""

from __future__ import annotations

from core.faq import MatchBand

# (query, entry id, band): a confident answer with that entry.
ARTICLE_CASES: list[tuple[str, str, MatchBand]] = [
    # The article's own questions, with and without typography.
    ("What is Stargate’s primary objective?", "objective", MatchBand.EXACT),
    ("Why wasn't Microsoft part of the announcement?", "microsoft_absent", MatchBand.EXACT),
    ("why wasnt microsoft part of the announcement", "microsoft_absent", MatchBand.EXACT),
    ("How does Stargate impact the AI industry", "industry_impact", MatchBand.EXACT),
    # Aliases, any case or punctuation.
    ("why wasnt microsoft there", "microsoft_absent", MatchBand.EXACT),
    ("stargate objective", "objective", MatchBand.EXACT),
    ("how much money", "investment", MatchBand.EXACT),
    ("HOW MUCH MONEY???", "investment", MatchBand.EXACT),
    ("whats stargate", "what_is", MatchBand.EXACT),
    ("What's Stargate?", "what_is", MatchBand.EXACT),
    ("Who is behind Stargate??!", "who_involved", MatchBand.EXACT),
    ("cost", "investment", MatchBand.EXACT),
    ("azure", "azure", MatchBand.EXACT),
    ("mícrosoft absent", "microsoft_absent", MatchBand.EXACT),
    # Same words, different form or order.
    ("WHAT IS STARGATES PRIMARY OBJECTIVE", "objective", MatchBand.STRONG),
    ("objective of stargate", "objective", MatchBand.STRONG),
    ("what is the goal of stargate", "objective", MatchBand.STRONG),
    ("why was microsoft not there", "microsoft_absent", MatchBand.STRONG),
    ("star gate objective", "objective", MatchBand.STRONG),
    ("open ai stargate", "what_is", MatchBand.STRONG),
    # Typos.
    ("microsfot absent", "microsoft_absent", MatchBand.STRONG),
    ("stargat objectve", "objective", MatchBand.STRONG),
    ("primary objectiv", "objective", MatchBand.STRONG),
    ("llamma", "microsoft_bets", MatchBand.STRONG),
    ("Where are the data centres?", "location", MatchBand.STRONG),
    # Free phrasings of the added questions.
    ("how much does it cost", "investment", MatchBand.STRONG),
    ("where will the data centers be", "location", MatchBand.STRONG),
    ("how much did microsoft invest in openai", "microsoft_investment", MatchBand.STRONG),
    ("is the partnership over", "partnership", MatchBand.STRONG),
    ("tell me about the rift", "partnership", MatchBand.STRONG),
    ("what did altman say", "altman", MatchBand.STRONG),
    ("what does stargate mean for microsoft", "azure", MatchBand.STRONG),
    ("microsoft azure", "azure", MatchBand.STRONG),
    ("will stargate create jobs", "economy", MatchBand.STRONG),
    ("what about cancer", "economy", MatchBand.STRONG),
    ("why does openai need more compute power", "compute", MatchBand.STRONG),
    ("who is involved", "who_involved", MatchBand.STRONG),
]

# (query, first suggestion or None): several entries offered, none answered.
AMBIGUOUS_CASES: list[tuple[str, str | None]] = [
    # Several entries are about Microsoft: a confident answer would often be wrong.
    ("microsoft", None),
    ("Microsoft?", None),
    ("how much", None),
    ("how is microsoft affected", None),
    # Partial matches worth offering, not worth asserting.
    ("why wasnt microsoft at the stargate event", "microsoft_absent"),
    ("mistral ai investment", "microsoft_bets"),
    ("how much did microsoft put in", "microsoft_investment"),
    ("what is the weather in stargate", "what_is"),
]

# Nothing answered, nothing suggested.
GIBBERISH_CASES = [
    "asdf qwer",
    "pizza recipe",
    "",
    "   ",
    "???",
    "the",
    "what is it",
    "x" * 10_000,
]
