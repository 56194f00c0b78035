"""Drill: several bot processes on one PostgreSQL, killed, restarted and failed over under load.

Run: `.venv/bin/python -m drills.processes [--scenario scale|rolling|failover|all]
[--processes 3] [--updates 2000] [--chats 200] [--rate 100] [--every 5] [--seed 1]`

Every process is `python -m bots` (as the Procfile runs it) on one throwaway PostgreSQL server,
against the loopback fake Bot API. Each chat sends its own sequence of commands with distinct
answers (/links, /help, two FAQ questions) and questions nobody can answer, each unique (the
store counts an unanswered question: that count is the update's effect).

- scale: webhook mode. The fake POSTs each update to one of the processes at random, as a
  host's router would, retrying elsewhere until one answers 200. Every `--every` seconds a
  random process is killed with SIGKILL and started again at once.
- rolling: webhook mode; every `--every` seconds the next process gets SIGTERM, exits and is
  started again (a rolling deploy).
- failover: polling mode; one process is elected to poll, the others stand by. The poller is
  killed with SIGKILL every `--every` seconds (and restarted, as a standby); the time until
  another process polls is measured.

Checked for every update: its effect exactly once (the unanswered count is 1), its answer
delivered, each chat's answers in the order it asked; repeated answers are counted (a kill
between sending an answer and recording it handled repeats it, at the next worker: the
send-then-record instant). Exits non-zero if anything is lost, doubled or out of order, or a
SIGTERM repeated anything, or (failover) a standby took more than 10 s, or 409s looped.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import aiohttp
import asyncpg

from core.inbox.claims import LEASE
from drills._inprocess import new_postgres_database
from drills._process import (
    BotProcess,
    DrillReport,
    PgCluster,
    bot_env,
    quiet_fake_server,
    settle,
    workdir,
)
from drills._webhook import Webhook, WebhookBotApi
from tests.support.network import free_port
from tests.support.postgres import find_bindir
from tests.support.telegram_api import FakeBotApi

COMMANDS = ("/links", "/help", "/faq how much money", "/faq why wasnt microsoft there")
FIRST_CHAT = 20_000
LEARNER = 19_999
FAILOVER_TARGET = 10.0
HEADERS = [
    "scenario",
    "processes",
    "updates",
    "interruptions",
    "answered",
    "effects once",
    "lost",
    "doubled effects",
    "chats out of order",
    "repeated answers",
    "takeover s (max)",
    "409s",
]


class RoutedBotApi(WebhookBotApi):
    """The webhook fake behind a router: each delivery goes to one of the processes' ports."""

    def __init__(self, ports: list[int], rng: random.Random) -> None:
        super().__init__()
        self.ports = ports
        self.rng = rng

    def route(self, url: str) -> str:
        if not url:
            return url
        parts = urlsplit(url)
        host = f"127.0.0.1:{self.rng.choice(self.ports)}"
        return urlunsplit((parts.scheme, host, parts.path, parts.query, ""))


@dataclass
class Plan:
    """What each chat asks, in order, and the answer each ask is known by."""

    chats: int
    updates: int
    asks: dict[int, list[str]] = field(default_factory=dict)

    def build(self, rng: random.Random) -> list[tuple[int, str]]:
        """The updates in the order they are offered: chats in turn, each in its sequence."""
        per_chat = max(1, self.updates // self.chats)
        for n in range(self.chats):
            chat = FIRST_CHAT + n
            self.asks[chat] = [
                rng.choice(COMMANDS) if k % 2 == 0 else f"/faq zq{chat}x{k}"
                for k in range(per_chat)
            ]
        order = []
        for k in range(per_chat):
            for n in range(self.chats):
                chat = FIRST_CHAT + n
                order.append((chat, self.asks[chat][k]))
        return order


@dataclass
class Answers:
    """The answer to each command, and to an unanswerable question (with the question as {q})."""

    fixed: dict[str, str]
    unknown: str

    def to(self, ask: str) -> str:
        """The answer `ask` gets."""
        if ask in self.fixed:
            return self.fixed[ask]
        return self.unknown.replace("{q}", ask.removeprefix("/faq "))


@dataclass
class Outcome:
    answered: int = 0
    lost: int = 0
    out_of_order: int = 0
    repeated: int = 0
    effects_once: int = 0
    doubled: int = 0
    missing_effects: int = 0


async def learn(api: FakeBotApi) -> Answers:
    """What each command answers, asked once from a chat of its own."""
    user = FakeBotApi.user(LEARNER, "Learner")
    fixed = {}
    for command in (*COMMANDS, "/faq zqlearnx0"):
        mark = len(api.calls)
        api.message(user, command)
        call = await api.wait_sent(LEARNER, after=mark, within=30)
        fixed[command] = str(call.params["text"])
    unknown = fixed.pop("/faq zqlearnx0").replace("zqlearnx0", "{q}")
    return Answers(fixed, unknown)


def judge(api: FakeBotApi, plan: Plan, answers: Answers) -> Outcome:
    """Each chat's answers against what it asked: every answer there (as many of each as were
    asked; more are repeats), and what was asked found in order (repeats may fall anywhere)."""
    outcome = Outcome()
    by_chat: dict[int, list[str]] = {}
    for call in api.sent():
        by_chat.setdefault(int(call.params["chat_id"]), []).append(str(call.params["text"]))
    for chat, asks in plan.asks.items():
        wanted = [answers.to(ask) for ask in asks]
        got = by_chat.get(chat, [])
        want_counts, got_counts = Counter(wanted), Counter(got)
        missing = sum((want_counts - got_counts).values())
        outcome.lost += missing
        outcome.answered += len(wanted) - missing
        outcome.repeated += sum((got_counts - want_counts).values())
        if not missing and not _in_order(wanted, got):
            outcome.out_of_order += 1
    return outcome


def _in_order(wanted: list[str], got: list[str]) -> bool:
    """Whether `wanted` occurs in `got` in order (extra answers anywhere in between)."""
    replies = iter(got)
    return all(any(text == answer for text in replies) for answer in wanted)


async def count_effects(database_url: str, plan: Plan, outcome: Outcome) -> None:
    """Each unanswerable question asked once must be counted once."""
    dsn = database_url.replace("postgresql+asyncpg://", "postgresql://")
    connection = await asyncpg.connect(dsn)
    try:
        rows = await connection.fetch(
            "SELECT normalized, times_asked FROM unanswered_questions WHERE normalized LIKE 'zq%'"
        )
    finally:
        await connection.close()
    counted = {str(row["normalized"]): int(row["times_asked"]) for row in rows}
    for asks in plan.asks.values():
        for ask in asks:
            if not ask.startswith("/faq zq"):
                continue
            times = counted.get(ask.removeprefix("/faq "), 0)
            if times == 1:
                outcome.effects_once += 1
            elif times == 0:
                outcome.missing_effects += 1
            else:
                outcome.doubled += 1


async def pending_summary(database_url: str) -> str:
    """Who holds what is still pending (to tell a stuck claim from a slow one)."""
    dsn = database_url.replace("postgresql+asyncpg://", "postgresql://")
    connection = await asyncpg.connect(dsn)
    try:
        rows = await connection.fetch(
            """
            SELECT CASE WHEN i.owner IS NULL THEN 'no owner'
                        WHEN w.expires_at > now() THEN 'live owner' ELSE 'dead owner' END AS who,
                   CASE WHEN l.owner IS NULL THEN 'lane free'
                        WHEN lw.expires_at > now() THEN
                            CASE WHEN l.owner = i.owner THEN 'lane same' ELSE 'lane live' END
                        ELSE 'lane dead' END AS lane,
                   count(*) AS n
            FROM inbox i
            LEFT JOIN workers w ON w.id = i.owner
            LEFT JOIN inbox_lanes l ON l.platform = i.platform AND l.chat_key = i.chat_key
            LEFT JOIN workers lw ON lw.id = l.owner
            WHERE i.state = 'pending' GROUP BY 1, 2
            """
        )
        sessions = await connection.fetch(
            "SELECT state, count(*) AS n FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() GROUP BY state"
        )
        async with connection.transaction():
            unlocked = await connection.fetch(
                "SELECT id FROM inbox WHERE state = 'pending' FOR UPDATE SKIP LOCKED"
            )
    finally:
        await connection.close()
    held = "; ".join(f"{r['who']}, {r['lane']}: {r['n']}" for r in rows) or "nothing"
    states = ", ".join(f"{r['state']}: {r['n']}" for r in sessions)
    return f"{held} ({len(unlocked)} not locked; sessions {states})"


async def role_of(port: int) -> str:
    """The process's Telegram role, from its /healthz ("" if it does not answer)."""
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as http,
            http.get(f"http://127.0.0.1:{port}/healthz") as answer,
        ):
            return str((await answer.json()).get("roles", {}).get("telegram", ""))
    except (aiohttp.ClientError, TimeoutError, ValueError):
        return ""


async def offer(api: FakeBotApi, order: list[tuple[int, str]], rate: float) -> None:
    began = time.monotonic()
    for i, (chat, text) in enumerate(order):
        delay = began + i / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        api.message(FakeBotApi.user(chat), text)


@dataclass
class Fleet:
    """The bot processes, each in a work directory of its own (its log), with its port."""

    processes: list[BotProcess]
    ports: list[int]

    async def close(self) -> None:
        await asyncio.gather(*(process.close() for process in self.processes))


def make_fleet(
    root: Path, count: int, api_root: str, database_url: str, webhook: Webhook | None
) -> Fleet:
    processes, ports = [], []
    for n in range(count):
        port = free_port()
        extra = {"PORT": str(port)}
        if webhook is not None:
            extra.update(webhook.env())
            extra["PORT"] = str(port)  # each process listens on its own; the router spreads
        directory = root / f"process-{n}"
        directory.mkdir(parents=True, exist_ok=True)
        processes.append(BotProcess(bot_env(api_root, database_url, **extra), directory, "bots"))
        ports.append(port)
    return Fleet(processes, ports)


async def run_scenario(
    scenario: str,
    admin_url: str,
    root: Path,
    *,
    processes: int,
    updates: int,
    chats: int,
    rate: float,
    every: float,
    seed: int,
    report: DrillReport,
) -> None:
    rng = random.Random(seed)
    database_url = await new_postgres_database(admin_url)
    webhook = Webhook() if scenario in {"scale", "rolling"} else None
    api: FakeBotApi = RoutedBotApi([], rng) if webhook else FakeBotApi()
    await api.start()
    fleet = make_fleet(root / scenario, processes, api.root, database_url, webhook)
    if isinstance(api, RoutedBotApi):
        api.ports = fleet.ports
    interruptions = 0
    takeovers: list[float] = []
    try:
        # One first, so the schema is migrated once and the others start against it.
        await fleet.processes[0].start(within=60)
        await asyncio.gather(*(p.start(within=60) for p in fleet.processes[1:]))
        answers = await learn(api)
        plan = Plan(chats, updates)
        order = plan.build(rng)
        load = asyncio.create_task(offer(api, order, rate))
        while not load.done():
            await asyncio.wait({load}, timeout=every)
            if load.done():
                break
            interruptions += 1
            if scenario == "scale":
                victim = rng.choice(fleet.processes)
                await victim.kill()
                await victim.start(within=60)
            elif scenario == "rolling":
                victim = fleet.processes[(interruptions - 1) % processes]
                await victim.close()
                await victim.start(within=60)
            else:
                takeovers.append(await fail_over(fleet))
        await load
        if not await settle(api, quiet=2.0, within=120):
            report.problems.append(f"{scenario}: updates still unconfirmed after 120 s")
        # A killed worker's chats wait for its lease to run out before another takes them.
        for _ in range(int(LEASE.total_seconds() + 30) * 2):
            if not judge(api, plan, answers).lost:
                break
            await asyncio.sleep(0.5)
        with contextlib.suppress(TimeoutError):
            # Bounded: a bot stuck in a loop of calls must fail the drill, not hang it.
            await asyncio.wait_for(api.idle(1.0), 30)
        outcome = judge(api, plan, answers)
        await count_effects(database_url, plan, outcome)
        if outcome.lost:
            report.notes.append(
                f"{scenario}: still pending: {await pending_summary(database_url)}"
            )
    finally:
        await fleet.close()
        await api.stop()
    asked = sum(len(asks) for asks in plan.asks.values())
    report.rows.append(
        [
            scenario,
            processes,
            asked,
            interruptions,
            outcome.answered,
            outcome.effects_once,
            outcome.lost + outcome.missing_effects,
            outcome.doubled,
            outcome.out_of_order,
            outcome.repeated,
            f"{max(takeovers):.1f}" if takeovers else "-",
            api.conflicts,
        ]
    )
    _problems(scenario, outcome, takeovers, api.conflicts, report)


async def fail_over(fleet: Fleet) -> float:
    """SIGKILL the elected poller, restart it (it comes back as a standby), and return the
    seconds until another process polls."""
    roles = await asyncio.gather(*(role_of(port) for port in fleet.ports))
    leaders = [n for n, role in enumerate(roles) if role.startswith("poller")]
    if len(leaders) != 1:
        raise RuntimeError(f"expected one poller, found roles {roles}")
    victim = fleet.processes[leaders[0]]
    killed = time.monotonic()
    await victim.kill()
    others = [port for n, port in enumerate(fleet.ports) if n != leaders[0]]
    while True:
        roles = await asyncio.gather(*(role_of(port) for port in others))
        if any(role.startswith("poller") for role in roles):
            took = time.monotonic() - killed
            break
        if time.monotonic() - killed > 60:
            took = float("inf")
            break
        await asyncio.sleep(0.1)
    await victim.start(within=60)
    return took


def _problems(
    scenario: str,
    outcome: Outcome,
    takeovers: list[float],
    conflicts: int,
    report: DrillReport,
) -> None:
    if outcome.lost or outcome.missing_effects:
        report.problems.append(
            f"{scenario}: {outcome.lost} answers and {outcome.missing_effects} effects lost"
        )
    if outcome.doubled:
        report.problems.append(f"{scenario}: {outcome.doubled} effects happened twice")
    if outcome.out_of_order:
        report.problems.append(f"{scenario}: {outcome.out_of_order} chats answered out of order")
    if scenario == "rolling" and outcome.repeated:
        report.problems.append(f"rolling: {outcome.repeated} answers repeated after SIGTERM")
    if takeovers and max(takeovers) > FAILOVER_TARGET:
        report.problems.append(
            f"failover: a standby took {max(takeovers):.1f} s to poll (target 10 s)"
        )
    if conflicts > 3:
        report.problems.append(f"{scenario}: {conflicts} polls answered 409 (a 409 loop)")


async def run(
    scenarios: tuple[str, ...] = ("scale", "rolling", "failover"),
    processes: int = 3,
    updates: int = 2000,
    chats: int = 200,
    rate: float = 100.0,
    every: float = 5.0,
    seed: int = 1,
    keep: Path | None = None,
) -> DrillReport:
    quiet_fake_server()
    bindir = find_bindir()
    if bindir is None:
        raise SystemExit("PostgreSQL is not installed (`make postgres` installs it)")
    report = DrillReport(
        f"Processes drill: {processes} processes on one PostgreSQL, {updates} updates over "
        f"{chats} chats at {rate:g}/s, an interruption every {every:g} s, seed {seed}",
        HEADERS,
    )
    root = keep or workdir("drill-processes-")
    cluster = PgCluster(bindir)
    cluster.create()
    cluster.start()
    try:
        for n, scenario in enumerate(scenarios):
            await run_scenario(
                scenario,
                cluster.url,
                root,
                processes=processes,
                updates=updates,
                chats=chats,
                rate=rate,
                every=every,
                seed=seed + n,
                report=report,
            )
    finally:
        cluster.destroy()
    report.notes.append(
        "repeated answers: sent by a worker killed before it recorded them handled, sent again "
        "by the worker that took the chat over (the send-then-record instant)"
    )
    report.tidy(root, keep=keep, what="the processes' logs")
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--scenario", choices=["scale", "rolling", "failover", "all"], default="all"
    )
    parser.add_argument("--processes", type=int, default=3)
    parser.add_argument("--updates", type=int, default=2000)
    parser.add_argument("--chats", type=int, default=200)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--every", type=float, default=5.0)
    parser.add_argument("--seed", type=int, default=1)
    opts = parser.parse_args(argv)
    scenarios: tuple[str, ...] = (
        ("scale", "rolling", "failover") if opts.scenario == "all" else (opts.scenario,)
    )
    report = asyncio.run(
        run(
            scenarios,
            processes=opts.processes,
            updates=opts.updates,
            chats=opts.chats,
            rate=opts.rate,
            every=opts.every,
            seed=opts.seed,
        )
    )
    print(report.render())
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
