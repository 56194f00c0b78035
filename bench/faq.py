"""FAQ matching: per-question latency over a generated 5,000-entry corpus, and the real article.

Run: `.venv/bin/python -m bench.faq [--runs 5] [--entries 5000]`.

- matching: every run builds a fresh `FaqIndex` (so its typo cache starts cold) and asks it
  exact, typo'd, reordered, partial and junk questions drawn with that run's seed; p50/p99 are
  per question, medians over the runs. The baseline, measured in the same runs on a sample of
  the same questions, is the naive approach: `rapidfuzz.process.extractOne` with `fuzz.WRatio`
  over every phrasing (questions and aliases, lower-cased once up front).
- build: `FaqIndex.build` over the 5,000 entries; autocomplete: `Core.faq_choices` (25 choices)
  on a Core whose article holds the corpus, for prefixes of questions cut mid-word.
- quality: "right" is a confident answer (exact/strong) with the intended entry; "wrong" a
  confident answer with another one. Junk is right when nothing is answered.
- the real article: the reader phrasings of tests/support/faq_cases.py (the ones
  tests/core/test_faq.py asserts) through the product's `FaqLibrary` over `content/`, with
  band, answered question and pass/fail.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import attrs
from rapidfuzz import fuzz, process, utils

from bench.report import machine, median, percentile, table
from core.app import Core
from core.config import Settings
from core.content import FaqEntry, load_library
from core.content.models import Library
from core.faq import FaqIndex, MatchBand
from core.faq.library import FaqLibrary
from core.store.engine import Database
from tests.support.faq_cases import AMBIGUOUS_CASES, ARTICLE_CASES, GIBBERISH_CASES
from tests.support.typos import typo

ROOT = Path(__file__).resolve().parents[1]
CONTENT_DIR = ROOT / "content"
CORPUS_SEED = 20261127
ANSWERED = {MatchBand.EXACT, MatchBand.STRONG}
KINDS = ("exact", "typo", "reordered", "partial", "junk")


def _words(text: str) -> list[str]:
    return text.split()


# A city desk's FAQ: projects in places, and what readers ask about them.
PROJECTS = [
    "light rail line", "data center", "solar farm", "wind farm", "bus depot", "ferry terminal",
    "stadium", "concert hall", "children's hospital", "water treatment plant", "bike lane",
    "housing estate", "tram extension", "airport runway", "bridge repair", "sea wall",
    "public library", "science museum", "recycling plant", "battery factory", "chip factory",
    "metro station", "ring road", "harbour dredging", "flood barrier", "school campus",
    "cancer clinic", "market hall", "convention centre", "ice rink", "city park",
    "tunnel project", "high-speed rail link", "nuclear plant", "gas pipeline", "heat network",
    "charging network", "fibre rollout", "cycle bridge", "river cleanup",
]  # fmt: skip
PLACES = _words("""
amsterdam berlin cairo denver edinburgh florence geneva havana istanbul jakarta kyoto lisbon
madrid nairobi oslo prague quebec rome santiago toronto utrecht vienna warsaw yokohama zurich
athens boston chicago dublin helsinki glasgow leeds lyon munich naples porto seville turin
valencia bristol cardiff hamburg krakow marseille milan rotterdam stockholm tallinn riga
""")
ORGS = _words("""
siemens oracle softbank microsoft alstom vinci skanska bechtel hitachi iberdrola orsted
vattenfall ericsson nokia bosch
""")
PEOPLE = _words("""
mayor governor minister councillor senator chancellor premier commissioner
""")
GROUPS = _words("""
commuters renters homeowners cyclists drivers students pensioners shopkeepers residents
farmers nurses teachers tourists
""")
# (question, aliases); {p} project, {c} place, {o} company, {w} who spoke, {g} group.
TEMPLATES = [
    ("How much will the {p} in {c} cost?", ["{c} {p} cost", "price of the {c} {p}"]),
    ("When will the {p} in {c} open?", ["{c} {p} opening date", "when does the {p} open"]),
    ("Who is paying for the {p} in {c}?", ["who funds the {c} {p}", "{c} {p} funding"]),
    ("Why was the {p} in {c} delayed?", ["{c} {p} delay", "why is the {c} {p} late"]),
    ("Where exactly will the {p} in {c} be built?", ["{c} {p} location", "{c} {p} site"]),
    ("How will the {p} in {c} affect {g}?", ["{c} {p} impact on {g}", "{p} and {g}"]),
    ("What did the {w} say about the {p} in {c}?", ["{w} on the {c} {p}"]),
    ("Is {o} involved in the {p} in {c}?", ["{o} {c} {p}", "{o} role in {c}"]),
    ("How many jobs will the {p} in {c} create?", ["{c} {p} jobs", "jobs at the {c} {p}"]),
    ("Can {g} object to the {p} in {c}?", ["object to {c} {p}", "{c} {p} objections"]),
]
JUNK = [
    "asdf qwer", "pizza recipe", "lorem ipsum dolor sit amet", "what time is it", "???",
    "zxcvb nmqwe", "best pasta in town", "hello bot", "weather tomorrow", "football scores",
    "x" * 500, "the the the the", "how do i reset my password", "🙂🙂🙂", "qwertyuiop asdfghjkl",
]  # fmt: skip


def corpus(size: int, seed: int = CORPUS_SEED) -> list[FaqEntry]:
    """`size` distinct entries with realistic questions and aliases, the same for a seed."""
    rng = random.Random(seed)
    seen: set[str] = set()
    entries: list[FaqEntry] = []
    while len(entries) < size:
        question, aliases = rng.choice(TEMPLATES)
        slots = {
            "p": rng.choice(PROJECTS),
            "c": rng.choice(PLACES).title(),
            "o": rng.choice(ORGS).title(),
            "w": rng.choice(PEOPLE),
            "g": rng.choice(GROUPS),
        }
        text = question.format(**slots)
        if text in seen:
            continue
        seen.add(text)
        n = len(entries)
        entries.append(
            FaqEntry(
                id=f"q{n}",
                question=text,
                answer=f"Answer {n}: what the newsroom knows so far.",
                aliases=tuple(alias.format(**slots) for alias in aliases),
            )
        )
    return entries


def queries(entries: list[FaqEntry], per_kind: int, seed: int) -> list[tuple[str, str, str]]:
    """(kind, query, intended entry id) for every kind; junk intends nothing ("")."""
    rng = random.Random(seed)
    out: list[tuple[str, str, str]] = []
    for entry in rng.sample(entries, per_kind):
        out.append(("exact", entry.question, entry.id))
    for entry in rng.sample(entries, per_kind):
        out.append(("typo", typo(entry.question, rng), entry.id))
    for entry in rng.sample(entries, per_kind):
        words = entry.question.rstrip("?").split()
        rng.shuffle(words)
        out.append(("reordered", " ".join(words), entry.id))
    for entry in rng.sample(entries, per_kind):
        # What a reader types in a hurry: the question less its first word and one other.
        words = entry.question.rstrip("?").split()[1:]
        del words[rng.randrange(len(words))]
        out.append(("partial", " ".join(words), entry.id))
    for _ in range(per_kind):
        junk = rng.choice(JUNK)
        if rng.random() < 0.5:
            junk = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz ") for _ in range(24))
        out.append(("junk", junk, ""))
    return out


@dataclass
class Tally:
    times: list[float]
    cpu: list[float] = field(default_factory=list)
    right: int = 0
    wrong: int = 0
    suggested: int = 0


def timed(call: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    result = call()
    return time.perf_counter() - started, result


def run_matcher(entries: list[FaqEntry], asked: list[tuple[str, str, str]]) -> dict[str, Tally]:
    index = FaqIndex.build(entries)
    tallies = {kind: Tally([]) for kind in KINDS}
    for kind, query, wanted in asked:
        started, cpu = time.perf_counter(), time.thread_time()
        result = index.match(query)
        elapsed, cpu = time.perf_counter() - started, time.thread_time() - cpu
        tally = tallies[kind]
        tally.times.append(elapsed)
        tally.cpu.append(cpu)
        if result.band in ANSWERED:
            hit = result.entry is not None and result.entry.id == wanted
            tally.right += hit
            tally.wrong += not hit
        else:
            tally.right += not wanted
            tally.suggested += any(s.id == wanted for s in result.suggestions)
    return tallies


def run_baseline(entries: list[FaqEntry], asked: list[tuple[str, str, str]]) -> dict[str, Tally]:
    phrasings: list[str] = []
    owners: list[str] = []
    for entry in entries:
        for phrase in (entry.question, *entry.aliases):
            phrasings.append(utils.default_process(phrase))
            owners.append(entry.id)
    tallies = {kind: Tally([]) for kind in KINDS}
    for kind, query, wanted in asked:
        started = time.perf_counter()
        hit = process.extractOne(utils.default_process(query), phrasings, scorer=fuzz.WRatio)
        elapsed = time.perf_counter() - started
        tally = tallies[kind]
        tally.times.append(elapsed)
        top = owners[hit[2]] if hit else ""
        tally.right += top == wanted if wanted else 0
    return tallies


def autocomplete_prefixes(entries: list[FaqEntry], count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    out = [""]
    for entry in rng.sample(entries, count - 1):
        out.append(entry.question[: rng.randrange(3, len(entry.question))])
    return out


def time_choices(
    entries: list[FaqEntry], prefixes: list[str], tmp: str
) -> tuple[list[float], list[float]]:
    """`Core.faq_choices` on a Core whose only article carries the corpus (no store use)."""
    real = load_library(CONTENT_DIR, env={})
    article = attrs.evolve(real.default_article, faq=tuple(entries))
    library = Library(articles=(article,), channels=real.channels)
    url = f"sqlite+aiosqlite:///{tmp}/faq.sqlite3"
    settings = Settings(database_url=url, content_dir=CONTENT_DIR)
    core = Core(settings, Database.connect(url), library)
    try:
        wall, cpu = [], []
        for prefix in prefixes:
            started, used = time.perf_counter(), time.thread_time()
            core.faq_choices(prefix, 25)
            wall.append(time.perf_counter() - started)
            cpu.append(time.thread_time() - used)
        return wall, cpu
    finally:
        asyncio.run(core.close())


def article_rows() -> tuple[list[list[object]], int]:
    """The real article's reader phrasings with the test suite's expectations."""
    expected: list[tuple[str, str | None, set[MatchBand]]] = [
        (query, entry_id, {band}) for query, entry_id, band in ARTICLE_CASES
    ]
    expected += [(query, first, {MatchBand.SUGGEST}) for query, first in AMBIGUOUS_CASES]
    expected += [(query, None, {MatchBand.NONE}) for query in GIBBERISH_CASES]
    library = FaqLibrary(load_library(CONTENT_DIR, env={}))
    rows: list[list[object]] = []
    failures = 0
    for query, wanted, bands in expected:
        match = library.match(query).match
        shown = match.entry or (match.suggestions[0] if match.suggestions else None)
        got = shown.id if shown else None
        ok = match.band in bands and (wanted is None or got == wanted)
        failures += not ok
        rows.append(
            [
                _clip(query, 44),
                "/".join(sorted(b.value for b in bands)),
                wanted or "-",
                match.band.value,
                _clip(shown.question if shown else "-", 52)
                + (f" (+{len(match.suggestions) - 1})" if len(match.suggestions) > 1 else ""),
                "pass" if ok else "FAIL",
            ]
        )
    return rows, failures


def _clip(text: str, width: int) -> str:
    text = " ".join(text.split()) or repr(text)
    return text if len(text) <= width else text[: width - 1] + "…"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--entries", type=int, default=5000)
    parser.add_argument("--per-kind", type=int, default=400, help="questions per kind and run")
    parser.add_argument("--baseline-per-kind", type=int, default=20)
    args = parser.parse_args()
    entries = corpus(args.entries)
    matcher_runs: list[dict[str, Tally]] = []
    baseline_runs: list[dict[str, Tally]] = []
    builds: list[float] = []
    choices: list[list[float]] = []
    choices_cpu: list[list[float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for run in range(args.runs):
            asked = queries(entries, args.per_kind, seed=run)
            builds.append(timed(lambda: FaqIndex.build(entries))[0])
            matcher_runs.append(run_matcher(entries, asked))
            # The naive scan is slow: the first questions of each kind.
            sample = [a for i, a in enumerate(asked) if i % args.per_kind < args.baseline_per_kind]
            baseline_runs.append(run_baseline(entries, sample))
            prefixes = autocomplete_prefixes(entries, args.per_kind, seed=run)
            wall, cpu = time_choices(entries, prefixes, tmp)
            choices.append(wall)
            choices_cpu.append(cpu)
    rows = []
    for kind in (*KINDS, "all"):
        kinds = KINDS if kind == "all" else (kind,)

        def stat(
            runs: list[dict[str, Tally]],
            fraction: float,
            kinds: tuple[str, ...] = kinds,
            clock: str = "times",
        ) -> float:
            return median(
                [
                    percentile([t for k in kinds for t in getattr(r[k], clock)], fraction)
                    for r in runs
                ]
            )

        def share(runs: list[dict[str, Tally]], name: str, kinds: tuple[str, ...] = kinds) -> str:
            asked = sum(len(r[k].times) for r in runs for k in kinds)
            return f"{100 * sum(getattr(r[k], name) for r in runs for k in kinds) / asked:.1f}%"

        naive_p50 = stat(baseline_runs, 0.50)
        rows.append(
            [
                kind,
                stat(matcher_runs, 0.50) * 1e3,
                stat(matcher_runs, 0.99) * 1e3,
                stat(matcher_runs, 0.99, clock="cpu") * 1e3,
                naive_p50 * 1e3,
                stat(baseline_runs, 0.99) * 1e3,
                naive_p50 / stat(matcher_runs, 0.50),
                share(matcher_runs, "right"),
                share(matcher_runs, "wrong"),
                share(matcher_runs, "suggested"),
                # The naive scan always names an entry: junk has no right answer for it.
                share(baseline_runs, "right", tuple(k for k in kinds if k != "junk"))
                if kind != "junk"
                else "-",
            ]
        )
    print(
        f"FAQ matching, {args.entries:,} generated entries "
        f"({sum(1 + len(e.aliases) for e in entries):,} phrasings); {args.per_kind} questions "
        f"per kind and run ({args.baseline_per_kind} for the baseline); medians of "
        f"{args.runs} runs; {machine()}"
    )
    print(
        table(
            [
                "questions",
                "p50 ms",
                "p99 ms",
                "p99 CPU ms",
                "naive p50 ms",
                "naive p99 ms",
                "naive/ours p50",
                "right",
                "wrong",
                "suggested",
                "naive top-1 right",
            ],
            rows,
        )
    )
    print()
    print(
        table(
            ["operation", "p50 ms", "p99 ms", "p99 CPU ms", "calls per run"],
            [
                ["FaqIndex.build (median of runs)", median(builds) * 1e3, "-", "-", 1],
                [
                    "Core.faq_choices, 25 choices",
                    median([percentile(c, 0.5) for c in choices]) * 1e3,
                    median([percentile(c, 0.99) for c in choices]) * 1e3,
                    median([percentile(c, 0.99) for c in choices_cpu]) * 1e3,
                    len(choices[0]),
                ],
            ],
        )
    )
    rows, failures = article_rows()
    print()
    source = "tests/support/faq_cases.py"
    print(f"The real article (content/), {len(rows)} reader phrasings from {source}")
    print(table(["question", "expected", "entry", "band", "answer / first suggestion", ""], rows))
    print(f"{len(rows) - failures} pass, {failures} fail")


if __name__ == "__main__":
    main()
