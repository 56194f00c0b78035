"""Drill 5, platform faults: Bot API timeouts, 5xx and 429 bursts under load -> every reply once,
in order per chat, polling never stops; a second poller (409) stops the process clearly.

Run: `.venv/bin/python -m drills.platform_faults [--chats 40] [--per-chat 25] [--seed 7]`.

The real PTB stack and `TelegramAdapter` against the loopback fake Bot API, extended here (not
changed) with chaos: each Bot API call fails with probability `--rate` (default 5%), half as a
5xx, half as a timeout (the fake holds the request past the client's read timeout and never
acts on it: a request Telegram never received, the kind a retry can repair; one Telegram acted
on but whose answer was lost cannot be told apart by any client). Every few seconds a burst of
429s with `retry_after` hits sendMessage. The client's read timeout is lowered to 2 s so that a
timeout costs seconds, not minutes. Each chat sends a sequence of commands whose replies are
known; the messages each chat received must be exactly those replies, in the order sent.
Then, under the same load, another poller appears (409 Conflict): the adapter must fail with
PollingConflict promptly, finish what it took, and answer nothing twice.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import random
import sys
import tempfile
import time
from collections import Counter
from typing import Any

from bots.telegram.run import PollingConflict, TelegramAdapter
from bots.telegram.transport import AiohttpRequest
from drills._inprocess import (
    captured_errors,
    fast_limiter,
    open_drill_core,
    report,
    sqlite_store,
    verdict,
)
from tests.support.paths import ROOT
from tests.support.settings import telegram_settings
from tests.support.telegram_api import TOKEN, ApiError, FakeBotApi

READ_TIMEOUT = 2.0
HELD = READ_TIMEOUT + 0.5
CHAOTIC = ("sendMessage", "getUpdates")
SERVER_ERRORS = (500, 502, 503, 504)
BURST, BURST_EVERY = 0.5, 1.5  # seconds
KNOWN = ("/help", "/faq how much money", "/stargate", "/links")


class ChaoticBotApi(FakeBotApi):
    """The fake Bot API plus random faults at a fixed seed, counted per method and kind."""

    def __init__(self, rate: float, seed: int, first_update_id: int = 1000) -> None:
        super().__init__(first_update_id)
        self.rate = 0.0
        self.target_rate = rate
        self.rng = random.Random(seed)
        self.injected: Counter[tuple[str, str]] = Counter()
        self.flooded_until = 0.0

    async def _fault(self, method: str, params: dict[str, Any]) -> None:
        await super()._fault(method, params)  # scheduled faults: the 409 of a second poller
        if method == "sendMessage" and time.monotonic() < self.flooded_until:
            self.injected[(method, "429 retry_after 1 s (in a burst)")] += 1
            raise ApiError(429, "Too Many Requests: retry after 1", retry_after=1)
        if method not in CHAOTIC or self.rng.random() >= self.rate:
            return
        if method == "getUpdates" or self.rng.random() < 0.5:
            self.injected[(method, "5xx")] += 1
            raise ApiError(self.rng.choice(SERVER_ERRORS), "Internal Server Error")
        self.injected[(method, "timeout")] += 1
        await asyncio.sleep(HELD)  # the client has given up by now; nothing was done
        raise ApiError(504, "Gateway Timeout")

    def burst(self, seconds: float) -> None:
        """For `seconds`, every sendMessage is told to retry after 1 s (flood control)."""
        self.flooded_until = time.monotonic() + seconds


def short_timeouts(adapter: TelegramAdapter) -> None:
    """Lower the read timeout of every request but getUpdates (whose own margin stays)."""
    request = adapter.app.bot._request[1]
    assert isinstance(request, AiohttpRequest)
    request.read_timeout = READ_TIMEOUT


async def learn_replies(api: ChaoticBotApi) -> dict[str, list[str]]:
    """What each known command answers when nothing goes wrong (one private chat)."""
    learnt = {}
    user = FakeBotApi.user(3_999, "Baseline")
    for command in KNOWN:
        mark = len(api.calls)
        api.message(user, command)
        await api.wait_sent(user["id"], after=mark, within=10)
        await api.idle(0.2)
        learnt[command] = [
            c.params["text"]
            for c in api.calls[mark:]
            if c.ok and c.method == "sendMessage" and c.params.get("chat_id") == user["id"]
        ]
    return learnt


def unknown(chat: int, n: int) -> str:
    return f"/x{chat}_{n}"


async def load(
    api: FakeBotApi,
    chats: list[dict[str, Any]],
    per_chat: int,
    learnt: dict[str, list[str]] | None = None,
    pause: float = 0.02,
) -> dict[int, list[str]]:
    """Send each chat `per_chat` commands, round robin; return what each chat should receive."""
    expected: dict[int, list[str]] = {u["id"]: [] for u in chats}
    for n in range(per_chat):
        for user in chats:
            known = learnt is not None and n % 2
            command = KNOWN[n % len(KNOWN)] if known else unknown(user["id"], n)
            api.message(user, command)
            if learnt is not None and command in learnt:
                expected[user["id"]] += learnt[command]
            else:
                expected[user["id"]].append(f"/x{user['id']}_{n}")
        await asyncio.sleep(pause)
    return expected


def matches(received: list[str], expected: list[str]) -> bool:
    """Known replies compare whole; an unknown command's reply must name that command."""
    if len(received) != len(expected):
        return False
    for got, want in zip(received, expected, strict=True):
        if want.startswith("/x"):
            if f"command {want}." not in got and f"command {want} " not in got:
                return False
        elif got != want:
            return False
    return True


async def floods(api: ChaoticBotApi, until: asyncio.Event, every: float, burst: float) -> int:
    bursts = 0
    while not until.is_set():
        await asyncio.sleep(every)
        api.burst(burst)
        bursts += 1
    return bursts


async def faults_under_load(
    url: str, chats: int, per_chat: int, rate: float, seed: int
) -> tuple[list[list[object]], list[list[object]], list[str]]:
    api = ChaoticBotApi(rate, seed)
    await api.start()
    problems: list[str] = []
    core = await open_drill_core(url)
    adapter = TelegramAdapter(
        core, telegram_settings(api.root), poll_timeout=1, limiter=fast_limiter()
    )
    short_timeouts(adapter)
    try:
        await adapter.start()
        learnt = await learn_replies(api)
        api.rate = api.target_rate
        users = [FakeBotApi.user(40_000 + n, f"Chat{n}") for n in range(chats)]
        done = asyncio.Event()
        flooding = asyncio.create_task(floods(api, done, every=BURST_EVERY, burst=BURST))
        started = time.monotonic()
        expected = await load(api, users, per_chat, learnt, pause=0.2)
        total = sum(len(v) for v in expected.values())
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            got = sum(len(api.sent(chat_id=u["id"])) for u in users)
            if got >= total:
                break
            await asyncio.sleep(0.2)
        await api.idle(0.5)
        elapsed = time.monotonic() - started
        done.set()
        bursts = await flooding
        api.rate = 0.0
        polls = [c.at for c in api.polls]
        gaps = [b - a for a, b in itertools.pairwise(polls)]
        rows = []
        lost = repeated = disordered = 0
        for user in users:
            received = [c.params["text"] for c in api.sent(chat_id=user["id"])]
            want = expected[user["id"]]
            lost += max(0, len(want) - len(received))
            repeated += max(0, len(received) - len(want))
            if len(received) == len(want) and not matches(received, want):
                disordered += 1
        rows.append(
            [chats * per_chat, total, sum(len(api.sent(chat_id=u["id"])) for u in users), lost,
             repeated, disordered, f"{max(gaps):.1f}", f"{elapsed:.1f}"]
        )  # fmt: skip
        injected = [[m, kind, n] for (m, kind), n in sorted(api.injected.items())]
        injected.append(
            ["sendMessage", f"bursts of 429 ({BURST} s each, every {BURST_EVERY} s)", bursts]
        )
        if lost or repeated or disordered:
            problems.append(f"{lost} lost, {repeated} repeated, {disordered} chats out of order")
        if adapter.failure is not None:
            problems.append(f"the adapter failed: {adapter.failure}")
        if max(gaps) > 10:
            problems.append(f"polling paused for {max(gaps):.1f} s")
        return rows, injected, problems
    finally:
        await adapter.stop()
        await core.close()
        await api.stop()


def intake(api: FakeBotApi) -> tuple[set[int], Counter[tuple[object, object]], int]:
    """Update ids this poller took, the distinct replies it sent, and how many went twice."""
    taken = {u["update_id"] for c in api.polls if c.ok for u in c.result or []}
    answered = Counter(
        (c.params["chat_id"], c.params["text"])
        for c in api.calls
        if c.ok and c.method == "sendMessage"
    )
    return taken, answered, sum(1 for n in answered.values() if n > 1)


async def conflict_under_load(
    url: str, chats: int, per_chat: int
) -> tuple[list[object], list[str]]:
    """A second poller appears mid-load: the adapter fails promptly, answers nothing twice."""
    api = ChaoticBotApi(0.0, 0, first_update_id=500_000)
    await api.start()
    problems: list[str] = []
    core = await open_drill_core(url)
    adapter = TelegramAdapter(
        core, telegram_settings(api.root), poll_timeout=1, limiter=fast_limiter()
    )
    try:
        await adapter.start()
        users = [FakeBotApi.user(50_000 + n, f"Chat{n}") for n in range(chats)]
        feeding = asyncio.create_task(load(api, users, per_chat, pause=0.1))
        await asyncio.sleep(0.1 * per_chat / 2)
        api.conflict()
        began = time.monotonic()
        try:
            async with asyncio.timeout(15):
                await adapter.wait(asyncio.Event())
            problems.append("the adapter kept running after 409 Conflict")
        except PollingConflict:
            pass
        except TimeoutError:
            problems.append("no PollingConflict within 15 s of the 409")
        noticed = time.monotonic() - began
        await feeding
        stopping = time.monotonic()
        await adapter.stop()
        stopped = time.monotonic() - stopping
        taken, answered, twice = intake(api)
        if twice:
            problems.append(f"{twice} replies sent twice")
        if len(answered) != len(taken):
            problems.append(f"took {len(taken)} updates but answered {len(answered)}")
        row: list[object] = [
            chats * per_chat, len(taken), len(answered), twice,
            chats * per_chat - len(taken), f"{noticed:.2f}", f"{stopped:.2f}",
        ]  # fmt: skip
        return row, problems
    finally:
        await adapter.stop()
        await core.close()
        await api.stop()


async def conflict_as_a_process(chats: int, per_chat: int) -> tuple[list[object], list[str]]:
    """The same under `python -m bots.telegram`: it must exit with status 3 and say why."""
    api = FakeBotApi()
    await api.start()
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="drill-") as directory:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DISCORD_"))}
        env.update(
            TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_BASE_URL=api.root, TELEGRAM_RATE_LIMIT="off",
            DATABASE_URL=f"sqlite+aiosqlite:///{directory}/bot.sqlite3",
            CONTENT_DIR=str(ROOT / "content"), PYTHONPATH=str(ROOT),
        )  # fmt: skip
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bots.telegram", cwd=directory, env=env,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        try:
            # Polling starts right after the webhook is cleared.
            await api.wait_for(lambda c: c.method == "deleteWebhook", within=30)
            await asyncio.sleep(0.3)
            users = [FakeBotApi.user(60_000 + n, f"Chat{n}") for n in range(chats)]
            feeding = asyncio.create_task(load(api, users, per_chat, pause=0.1))
            await asyncio.sleep(0.1 * per_chat / 2)
            api.conflict()
            began = time.monotonic()
            _, stderr = await asyncio.wait_for(process.communicate(), 30)
            exited = time.monotonic() - began
            await feeding
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
            await api.stop()
    log = stderr.decode()
    taken, answered, twice = intake(api)
    if process.returncode != 3 or "another instance is polling with this bot token" not in log:
        problems.append(f"exit status {process.returncode}; log: {log[-300:]!r}")
    if twice or len(answered) != len(taken):
        problems.append(f"process: took {len(taken)}, answered {len(answered)}, {twice} twice")
    row: list[object] = [
        chats * per_chat,
        len(taken),
        len(answered),
        twice,
        process.returncode,
        f"{exited:.2f}",
    ]
    return row, problems


async def run(chats: int, per_chat: int, rate: float, seed: int) -> list[str]:
    problems: list[str] = []
    with sqlite_store() as url:
        with captured_errors() as errors:
            rows, injected, found = await faults_under_load(url, chats, per_chat, rate, seed)
        # Retries are logged as warnings; an ERROR means a reply was given up.
        problems += found + [f"logged error: {line}" for line in errors.summary()]
        report("Injected", ["method", "fault", "count"], injected)
        report(
            f"{chats} chats x {per_chat} commands under {rate:.0%} faults and 429 bursts",
            ["updates", "replies due", "replies", "lost", "repeated", "chats out of order",
             "longest poll gap s", "seconds"],
            rows,
        )  # fmt: skip
        with captured_errors() as errors:
            row, found = await conflict_under_load(url, chats, per_chat)
        problems += found
        conflict = ("409", "Conflict", "mark all fetched updates")
        problems += [
            f"logged error: {line}"
            for line in errors.summary(limit=50)
            if not any(word in line for word in conflict)
        ]
        report(
            "A second poller appears (409) under load",
            ["updates sent", "taken", "answered", "answered twice", "left for the other poller",
             "409 -> PollingConflict s", "stop() s"],
            [row],
        )  # fmt: skip
        row, found = await conflict_as_a_process(chats, per_chat)
        problems += found
        report(
            "The same, `python -m bots.telegram` as a process",
            ["updates sent", "taken", "answered", "answered twice", "exit status",
             "409 -> exit s"],
            [row],
        )  # fmt: skip
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=40)
    parser.add_argument("--per-chat", type=int, default=25)
    parser.add_argument("--rate", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    return verdict(asyncio.run(run(args.chats, args.per_chat, args.rate, args.seed)))


if __name__ == "__main__":
    raise SystemExit(main())
