"""The comment rules' cost per comment: `core.comments.rules.evaluate`, this tree against a
baseline tree, in one run.

Run: `.venv/bin/python -m bench.rules [--runs 5] [--baseline-ref fc08696]`.

Each run times `evaluate` in a fresh interpreter per code (the baseline's tree exported with
`git archive` and put first on PYTHONPATH; both on this .venv's libraries), the codes taking
turns, over comments of 400 characters: English, Russian, an English spam in look-alike letters
and, with no words configured (the default), English. A figure is the best of 3 repeats of
2,000 calls, in µs per comment; the table shows medians over the runs, and the ratio of this
tree to the baseline.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bench.memory import Code, export
from bench.report import machine, median, table

ROOT = Path(__file__).resolve().parents[1]

# Runs inside the child, on whichever tree comes first on its PYTHONPATH.
TIMER = """\
import json, timeit
from core.comments.rules import evaluate
from core.config import CommentRules

WORDS = CommentRules(
    manual_approval=False,
    moderation_words=("casino", "казино", "bet", "poker"),
    disallowed_words=("viagra", "ставки", "payday loan"),
)
NONE = CommentRules(manual_approval=False)
ENGLISH = "This is a thoughtful comment about the Stargate deal and what it means for us. " * 5
RUSSIAN = "Это вдумчивый комментарий о проекте Stargate и о том, что он значит для нас всех. " * 5
DISGUISED = "Cheap vіаgrа and the best саѕinо bonus, payday lоаn today, click here now!! " * 5
CASES = {
    "English, words configured": (ENGLISH, WORDS),
    "Russian, words configured": (RUSSIAN, WORDS),
    "English spam in look-alikes, words configured": (DISGUISED, WORDS),
    "English, no words (the default)": (ENGLISH, NONE),
}
timings = {}
for name, (text, rules) in CASES.items():
    text = text[:400]
    best = min(timeit.repeat(lambda: evaluate(text, "Ada", rules), number=2000, repeat=3))
    timings[name] = best / 2000 * 1e6
print(json.dumps(timings))
"""


@dataclass
class Figures:
    runs: dict[str, list[float]]

    def add(self, timings: dict[str, float]) -> None:
        for name, micros in timings.items():
            self.runs.setdefault(name, []).append(micros)


def time_once(code: Code) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", TIMER],
        capture_output=True,
        text=True,
        check=True,
        cwd=code.root,
        env={"PYTHONPATH": str(code.root), "PATH": "/usr/bin:/bin"},
    )
    timings: dict[str, float] = json.loads(done.stdout)
    return timings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--baseline-ref", default="fc08696")
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        baseline = export(opts.baseline_ref, Path(tmp) / "baseline")
        current = Code("this tree", ROOT)
        figures = {baseline.label: Figures({}), current.label: Figures({})}
        for _ in range(opts.runs):
            for code in (baseline, current):
                figures[code.label].add(time_once(code))
    before, after = figures[baseline.label].runs, figures[current.label].runs
    rows = []
    for name, runs in after.items():
        was, now = median(before[name]), median(runs)
        rows.append([name, was, now, now / was])
    print(
        f"`evaluate` per 400-character comment, µs; medians of {opts.runs} runs, the codes in "
        f"turns; {machine()}."
    )
    print(table(["comment", baseline.label, "this tree", "ratio"], rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
