"""Fairness: one group flooding commands must not hold up another chat's replies.

Run: `.venv/bin/python -m bench.fairness [--runs 3] [--flood 300] [--seconds 30]
[--baseline-rev REV | --no-baseline] [--no-one-user] [--command-rate 60]`

The bot, `python -m bots.telegram` with `TELEGRAM_RATE_LIMIT=on` (groups paced at 20 messages
a minute, private chats ~1/s with a small burst) on a fresh SQLite store, runs as its own
process against the loopback Bot API fake (bench/_telegram_fake.py), which answers every call
at once and never with a 429: the only pacing is the bot's own. Per run:

- warm-up: one `/help` in another private chat and one `/links` in another group, until quiet
  (this also counts the sendMessages one `/help` reply takes);
- flood: `--flood` `/links` made available at once in one group, from `--flooders` readers in
  turn (30 x 10 by default: within a per-reader command rate of 20/min); a second row has one
  reader send them all;
- from the flood's first group reply on, one private chat sends `/help` every second for
  `--seconds` seconds. Per `/help`: the time from "available to getUpdates" to its reply's last
  sendMessage arriving at the fake. A `/help` not answered by `--grace` seconds after the window
  counts as infinitely late (it stays in the percentiles); group replies are the sendMessages
  to the flooded group within the same `--seconds`.

That reader asks 60 times a minute: the bot runs with `COMMAND_RATE_PER_MINUTE=60`
(`--command-rate`), or the product's per-reader limit (20 by default) would answer its 21st
`/help` with "slow down" and ignore the rest, flood or not. The one-reader flood still meets
that limit.

The baseline is the same scenario against `--baseline-rev` (default dc71ead, before the
durable inbox and per-chat lanes), checked out with `git worktree add --detach` into /tmp and
removed afterwards. Product and baseline alternate order each run; latency percentiles are over
all runs' samples, group replies a median of runs.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bench._telegram_fake import TOKEN, LeanBotApi
from bench._telegram_proc import ROOT, BotProcess, clean_env
from bench.report import machine, median, percentile, table
from drills._process import READY_LINE

BASELINE_REV = "dc71ead"
TARGET_P99_MS = 250.0
GROUP = -100_777
READER = 42_000  # the private chat (and its one user) that asks for /help
FIRST_FLOODER = 500_000
WARM_GROUP = -100_778
WARM_READER = 41_000
WARM_USER = 499_999
FLOOD_TEXT = "/links"
START_WITHIN = 60.0
# The flood's first group reply shows it is being worked off; the /help window starts then
# (or after this long: a bot that answers nothing in the group is measured all the same).
FIRST_REPLY_WITHIN = 15.0


@dataclass(frozen=True)
class Code:
    """The code a bot process runs: the working tree, or a revision checked out in /tmp."""

    label: str
    root: Path


@dataclass(frozen=True)
class Scenario:
    label: str
    flooders: int


@dataclass
class Run:
    latencies: list[float] = field(default_factory=list)  # seconds per /help; inf: unanswered
    group_replies: int = 0  # sendMessages to the flooded group within the /help window
    exit_status: int = 0
    failed_calls: list[str] = field(default_factory=list)


async def spawn(code: Code, env: dict[str, str], logs: Path, name: str) -> BotProcess:
    """`python -m bots.telegram` from `code.root` (cwd and PYTHONPATH), logging into `logs`."""
    log = logs / f"{name}.log"
    with log.open("ab") as sink:
        started = time.monotonic()
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bots.telegram",
            cwd=code.root, env=env, stdin=asyncio.subprocess.DEVNULL, stdout=sink, stderr=sink,
        )  # fmt: skip
    return BotProcess(process, log, started)


async def until(
    condition: Callable[[], bool], within: float, bot: BotProcess | None = None
) -> bool:
    """Poll `condition()` every 10 ms for up to `within` s; False on timeout."""
    deadline = time.monotonic() + within
    while not condition():
        if bot is not None:
            bot.check_alive()
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.01)
    return True


async def quiet(api: LeanBotApi, gap: float = 0.5, within: float = 30.0) -> None:
    """Wait until no sendMessage has arrived for `gap` s (bounded)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        before = api.sends
        await asyncio.sleep(gap)
        if api.sends == before:
            return


async def one_run(
    code: Code, scenario: Scenario, opts: argparse.Namespace, tmp: Path, name: str
) -> Run:
    api = LeanBotApi()
    await api.start()
    sent: dict[int, list[float]] = {}
    api.sent_at = sent
    store = tmp / f"{name}-{time.time_ns()}.db"
    env = clean_env(
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=api.root,
        TELEGRAM_RATE_LIMIT="on",
        DATABASE_URL=f"sqlite+aiosqlite:///{store}",
        CONTENT_DIR=str(code.root / "content"),
        PYTHONPATH=str(code.root),
        # The per-reader command rate (the baseline has none and ignores it): see --command-rate.
        COMMAND_RATE_PER_MINUTE=str(opts.command_rate),
    )
    run = Run()
    bot = await spawn(code, env, tmp, name)
    try:
        if not await until(lambda: READY_LINE in bot.tail(), START_WITHIN, bot):
            raise RuntimeError(f"{name}: not polling after {START_WITHIN:.0f} s\n{bot.tail()}")

        api.push(WARM_READER, "/help")
        api.push(WARM_GROUP, FLOOD_TEXT, user_id=WARM_USER)
        if not await until(lambda: WARM_READER in sent and WARM_GROUP in sent, 30, bot):
            raise RuntimeError(f"{name}: warm-up unanswered\n{bot.tail()}")
        await quiet(api)
        per_help = len(sent[WARM_READER])  # sendMessages that make up one /help reply

        for n in range(opts.flood):
            api.push(GROUP, FLOOD_TEXT, user_id=FIRST_FLOODER + n % scenario.flooders)
        await until(lambda: GROUP in sent, FIRST_REPLY_WITHIN, bot)

        count = max(1, int(opts.seconds))
        asked: list[float] = []
        began = time.monotonic()
        for i in range(count):
            await asyncio.sleep(max(0.0, began + i - time.monotonic()))
            asked.append(api.push(READER, "/help", replies=per_help))
        window_end = began + opts.seconds
        await asyncio.sleep(max(0.0, window_end - time.monotonic()))
        await until(lambda: len(sent.get(READER, [])) >= count * per_help, opts.grace, bot)

        replies = sent.get(READER, [])
        for i, at in enumerate(asked):
            # A chat's replies keep its order: the i-th /help is answered by the i-th reply.
            last = (i + 1) * per_help - 1
            run.latencies.append(replies[last] - at if last < len(replies) else math.inf)
        run.group_replies = sum(began <= t <= window_end for t in sent.get(GROUP, []))
        run.failed_calls = list(api.failed_calls)
    finally:
        run.exit_status = await bot.stop()
        await api.stop()
    if run.exit_status != 0:
        raise RuntimeError(f"{name} exited with {run.exit_status}:\n{bot.tail()}")
    return run


async def run_all(
    codes: list[Code], scenarios: list[Scenario], opts: argparse.Namespace, tmp: Path
) -> dict[tuple[str, str], list[Run]]:
    results: dict[tuple[str, str], list[Run]] = {
        (c.label, s.label): [] for c in codes for s in scenarios
    }
    for run in range(opts.runs):
        for scenario in scenarios:
            order = codes if run % 2 == 0 else codes[::-1]
            for code in order:
                name = f"{code.label}-{scenario.flooders}-{run}".replace(" ", "_")
                result = await one_run(code, scenario, opts, tmp, name)
                results[code.label, scenario.label].append(result)
                answered = sum(math.isfinite(x) for x in result.latencies)
                print(
                    f"  run {run + 1}/{opts.runs} {code.label}, {scenario.label}: /help "
                    f"answered {answered}/{len(result.latencies)}, p99 "
                    f"{percentile(result.latencies, 0.99) * 1000:,.0f} ms, group replies "
                    f"{result.group_replies}",
                    file=sys.stderr,
                    flush=True,
                )
    return results


# Revisions ------------------------------------------------------------------------------------


def _git(*args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(ROOT), *args], check=True, capture_output=True, text=True
    )
    return done.stdout.strip()


@contextlib.contextmanager
def checked_out(rev: str, role: str) -> Iterator[Code]:
    """`rev` in a detached worktree under /tmp, removed afterwards (the main tree untouched)."""
    short = _git("rev-parse", "--short", f"{rev}^{{commit}}")
    path = Path(tempfile.mkdtemp(prefix=f"fairness-{role}-{short}-"))
    try:
        _git("worktree", "add", "--detach", str(path), short)
        yield Code(short, path)
    finally:
        try:
            _git("worktree", "remove", "--force", str(path))
        except subprocess.CalledProcessError:
            shutil.rmtree(path, ignore_errors=True)
            _git("worktree", "prune")


# Report ---------------------------------------------------------------------------------------


def row(code: str, scenario: str, runs: list[Run]) -> list[object]:
    latencies = [x for r in runs for x in r.latencies]
    return [
        code,
        scenario,
        len(latencies),
        sum(math.isfinite(x) for x in latencies),
        percentile(latencies, 0.5) * 1000,
        percentile(latencies, 0.99) * 1000,
        max(latencies, default=math.nan) * 1000,
        median([r.group_replies for r in runs]),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--flood", type=int, default=300, help="commands in the flooded group")
    parser.add_argument("--flooders", type=int, default=30, help="readers sending the flood")
    parser.add_argument("--seconds", type=float, default=30.0, help="length of the /help window")
    parser.add_argument(
        "--grace", type=float, default=5.0, help="wait for replies after the last /help"
    )
    parser.add_argument(
        "--command-rate",
        type=int,
        default=60,
        help="COMMAND_RATE_PER_MINUTE for the bot (default 60: the /help reader's own rate)",
    )
    parser.add_argument("--baseline-rev", default=BASELINE_REV)
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--no-one-user", action="store_true", help="skip the one-reader flood")
    # Run a revision as "the product" too (e.g. while the working tree is mid-change).
    parser.add_argument("--product-rev", help=argparse.SUPPRESS)
    opts = parser.parse_args()

    per_reader = math.ceil(opts.flood / opts.flooders)
    scenarios = [Scenario(f"{opts.flooders} readers x {per_reader}", opts.flooders)]
    if not opts.no_one_user and opts.flooders != 1:
        scenarios.append(Scenario(f"1 reader x {opts.flood}", 1))

    with contextlib.ExitStack() as stack:
        product = Code("product", ROOT)
        if opts.product_rev:
            product = stack.enter_context(checked_out(opts.product_rev, "product"))
            product = Code(f"product @{product.label}", product.root)
        codes = [product]
        if not opts.no_baseline:
            baseline = stack.enter_context(checked_out(opts.baseline_rev, "baseline"))
            codes.append(Code(f"baseline @{baseline.label}", baseline.root))
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="fairness-")))
        results = asyncio.run(run_all(codes, scenarios, opts, tmp))

    rows = [row(c, s, runs) for (c, s), runs in results.items()]
    print(
        f"Fairness: {opts.flood} {FLOOD_TEXT} at once in one group, one private chat sending "
        f"/help every second for {opts.seconds:.0f} s, TELEGRAM_RATE_LIMIT=on; {opts.runs} runs "
        f"(latency percentiles over all runs' /help, unanswered {opts.grace:.0f} s after the "
        f"window counted as infinite; group replies a median of runs); {machine()}"
    )
    print(
        table(
            [
                "code",
                "flood",
                "/help sent",
                "answered",
                "p50 ms",
                "p99 ms",
                "max ms",
                f"group replies in {opts.seconds:.0f} s",
            ],
            rows,
        )
    )
    p99 = float(rows[0][5])  # type: ignore[arg-type]
    print(
        f"target: /help p99 < {TARGET_P99_MS:.0f} ms while a group floods "
        f"({scenarios[0].label}): product {p99:,.0f} ms, "
        f"{'met' if p99 < TARGET_P99_MS else 'missed'}"
    )
    failed = sorted({m for runs in results.values() for r in runs for m in r.failed_calls})
    if failed:
        print(f"note: Bot API methods the fake does not serve were called: {', '.join(failed)}")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(130)  # every process and worktree is gone by now; no traceback
