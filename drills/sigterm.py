"""Drill: SIGTERM the Telegram bot while updates are flowing, then restart it.

Run: `.venv/bin/python -m drills.sigterm [--rounds 5] [--chats 40] [--rate 80] [--seed 1]`

A feeder pushes updates into the fake Bot API at a steady rate over many chats, before, during
and after each SIGTERM: half are `/comment <text>` (a stored draft and a preview), half an
unknown command (answered from memory, so a second delivery would be answered twice). Each
run must stop taking updates, finish the ones in flight, confirm the offset and exit 0 within
10 s; the next run picks up what was not confirmed. At the end every update must have been
answered exactly once across all runs. Exits non-zero otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import signal
import sys
import time
from collections.abc import Hashable
from pathlib import Path

from drills._process import (
    BotProcess,
    CallIndex,
    DrillReport,
    bot_env,
    pending_ids,
    quiet_fake_server,
    settle,
    workdir,
)
from tests.support.telegram_api import Call, FakeBotApi

TOKEN_RE = re.compile(r"\bs\d+x\d+\b")
EXIT_LIMIT = 10.0
FIRST_CHAT = 30_001
MAX_UPDATES = 20_000  # bounds the feeder whatever the rate
HEADERS = [
    "round", "SIGTERM after s", "pushed", "answered by this run", "exit status", "exit s",
    "left unconfirmed", "answered and unconfirmed", "taken and unanswered",
]  # fmt: skip


def keys(call: Call) -> list[Hashable]:
    chat = call.params.get("chat_id")
    if call.method == "sendMessage" and isinstance(chat, int) and chat > 0:
        found = TOKEN_RE.search(str(call.params.get("text") or ""))
        return [found.group()] if found else []
    return []


class Feeder:
    """Pushes updates at a steady rate over many chats; remembers each one's token."""

    def __init__(self, api: FakeBotApi, chats: int, rate: float) -> None:
        self.api = api
        self.users = [FakeBotApi.user(FIRST_CHAT + i, f"Reader{i}") for i in range(chats)]
        self.rate = rate
        self.tokens: dict[str, int] = {}  # token -> update_id
        self._n = 0

    async def feed(self, round_: int, stop: asyncio.Event) -> None:
        interval = 1 / self.rate
        next_at = time.monotonic()
        while not stop.is_set() and self._n < MAX_UPDATES:
            user = self.users[self._n % len(self.users)]
            token = f"s{round_}x{self._n}"
            text = f"/comment Drill {token} says hello" if self._n % 2 else f"/{token}"
            self.tokens[token] = self.api.message(user, text)["update_id"]
            self._n += 1
            next_at += interval
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))


async def run(
    rounds: int = 5,
    chats: int = 40,
    rate: float = 80.0,
    seed: int = 1,
    entry: str = "bots.telegram",
    keep: Path | None = None,
) -> DrillReport:
    quiet_fake_server()
    rng = random.Random(seed)
    report = DrillReport(
        f"SIGTERM drill: {rounds} rounds, {rate:g} updates/s over {chats} chats, SQLite, "
        f"seed {seed}",
        HEADERS,
    )
    root = keep or workdir("drill-sigterm-")
    api = FakeBotApi()
    await api.start()
    bot = BotProcess(bot_env(api.root, f"sqlite+aiosqlite:///{root / 'bot.sqlite3'}"), root, entry)
    try:
        async with CallIndex(api, keys) as index:
            feeder = Feeder(api, chats, rate)
            await bot.start()
            for round_ in range(1, rounds + 1):
                await _one_round(api, index, feeder, bot, round_, rng, report)
            await settle(api, quiet=1.0, within=60)
            index.scan()
            _final_checks(feeder, index, report)
    finally:
        await bot.close()
        await api.stop()
        report.tidy(root, keep=keep, what="store and bot log")
    return report


async def _one_round(
    api: FakeBotApi,
    index: CallIndex,
    feeder: Feeder,
    bot: BotProcess,
    round_: int,
    rng: random.Random,
    report: DrillReport,
) -> None:
    """Feed, SIGTERM mid-flow (the feed goes on), time the exit, restart."""
    answered_before = set(index.by_key)
    pushed_before = len(feeder.tokens)
    stop = asyncio.Event()
    feeding = asyncio.create_task(feeder.feed(round_, stop))
    term_after = rng.uniform(1.0, 2.5)
    await asyncio.sleep(term_after)
    bot.signal(signal.SIGTERM)
    began = time.monotonic()
    status = await bot.wait(EXIT_LIMIT + 5)
    exit_s = time.monotonic() - began
    stop.set()
    await feeding
    if status is None:
        await bot.kill()
    index.scan()
    answered = set(index.by_key) - answered_before
    unconfirmed = pending_ids(api)
    answered_unconfirmed = {t for t in answered if feeder.tokens.get(str(t)) in unconfirmed}
    # Taken (offset confirmed) but not answered: an in-flight update the shutdown dropped.
    dropped = {
        t for t, uid in feeder.tokens.items() if uid not in unconfirmed and t not in index.by_key
    }
    report.rows.append(
        [
            round_, term_after, len(feeder.tokens) - pushed_before, len(answered),
            "timeout" if status is None else status, exit_s, len(unconfirmed),
            len(answered_unconfirmed), len(dropped),
        ]
    )  # fmt: skip
    if status != 0:
        report.problems.append(f"round {round_}: exit status {status}\n{bot.tail()}")
    elif exit_s > EXIT_LIMIT:
        report.problems.append(f"round {round_}: exit took {exit_s:.1f} s")
    if answered_unconfirmed:
        report.problems.append(f"round {round_}: {len(answered_unconfirmed)} answered updates "
                               "left unconfirmed (they will be delivered again)")  # fmt: skip
    if dropped:
        report.problems.append(
            f"round {round_}: {len(dropped)} updates taken but never answered, "
            f"e.g. {sorted(dropped)[:3]}"
        )
    await bot.start()


def _final_checks(feeder: Feeder, index: CallIndex, report: DrillReport) -> None:
    never = [t for t in feeder.tokens if t not in index.by_key]
    twice = [t for t in feeder.tokens if len(index.by_key.get(t, [])) > 1]
    if never:
        report.problems.append(f"{len(never)} updates never answered, e.g. {never[:3]}")
    if twice:
        report.problems.append(f"{len(twice)} updates answered more than once, e.g. {twice[:3]}")
    report.notes.append(
        f"{len(feeder.tokens)} updates pushed over {len(report.rows)} SIGTERMs; "
        f"{len(feeder.tokens) - len(never)} answered, {len(never)} never, {len(twice)} twice"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--chats", type=int, default=40)
    parser.add_argument("--rate", type=float, default=80.0, help="updates pushed per second")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--entry", default="bots.telegram", help="module the bot runs as: bots.telegram or bots"
    )
    args = parser.parse_args(argv)
    report = asyncio.run(run(args.rounds, args.chats, args.rate, args.seed, args.entry))
    print(f"bot: python -m {args.entry}")
    print(report.render())
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
