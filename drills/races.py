"""Drill 3, races: many moderators decide the same comments at once -> one decision, full audit.

Run: `.venv/bin/python -m drills.races [--comments 50] [--seed 3] [--databases sqlite,postgresql]`.

One Core (as `python -m bots` runs it) with the real Telegram adapter (PTB, fake Bot API) and the
real Discord client (discord.py, fake Discord) on SQLite, then on a throwaway PostgreSQL server.
Each comment gets five moderators at once, each pressing or sending approve, reject or spam
(seeded at random): two on Telegram (a card button in the moderators' chat, a command in a
private chat), two on Discord (a card button or /reject, a slash command) and the console
operator through `Core.execute`. Checked: one winner per comment, every loser told who decided
(the name in the store), exactly one "decided" audit row naming the winner, the author told once,
and every card on both platforms showing the decision.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import copy
import random
import time
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bots.telegram.run import TelegramAdapter
from core.actions import Seen
from core.actors import Actor, Request
from core.app import Core
from core.comments.views import Status
from core.store.tables import AuditEntry, Comment
from drills._inprocess import (
    captured_errors,
    discord_fake,
    fast_limiter,
    new_postgres_database,
    open_drill_core,
    postgres_server,
    report,
    settle,
    sqlite_store,
    verdict,
)
from tests.support import discord_limits
from tests.support.actors import OPERATOR
from tests.support.discord_api import MOD_CHANNEL_ID, FakeDiscord, Tokened
from tests.support.discord_harness import Harness
from tests.support.discord_users import ID_MODERATOR as ID_MOD
from tests.support.discord_users import MODERATOR as ROLE_MOD
from tests.support.settings import telegram_settings
from tests.support.telegram_api import FakeBotApi
from tests.support.telegram_chat import buttons
from tests.support.telegram_users import MOD, MOD2, MOD2_ID, MOD_CHAT

VERBS = ("approve", "reject", "spam")
TELEGRAM_HEAD_START = 0.005  # seconds; the others act within 100 ms of the comment's start
MODERATORS = ("telegram card", "telegram private", "discord card", "discord command", "console")


@dataclass
class Attempt:
    """One moderator's decision on one comment, and what they were told."""

    comment_id: int
    moderator: str
    verb: str
    won: bool | None = None  # None: never answered
    told: str = ""


@dataclass
class Race:
    core: Core
    api: FakeBotApi
    fake: FakeDiscord
    bot: Harness
    attempts: list[Attempt] = field(default_factory=list)


@contextlib.asynccontextmanager
async def both_adapters(url: str) -> AsyncIterator[Race]:
    api = FakeBotApi()
    await api.start()
    try:
        core = await open_drill_core(url)
        try:
            telegram = TelegramAdapter(
                core, telegram_settings(api.root), poll_timeout=1, limiter=fast_limiter()
            )
            await telegram.start()
            try:
                async with discord_fake() as fake:
                    bot = await Harness.start(fake, core)
                    try:
                        yield Race(core, api, fake, bot)
                    finally:
                        await bot.close()
            finally:
                await telegram.stop()
        finally:
            await core.close()
    finally:
        await api.stop()


def author(n: int) -> Actor:
    if n % 2:
        return Actor("discord", str(9_100 + n), f"Discord Author {n}")
    return Actor("telegram", str(9_100 + n), f"Telegram Author {n}")


async def queue_comments(race: Race, count: int) -> list[int]:
    ids = []
    for n in range(count):
        request = Request(author(n), chat_id=str(9_100 + n), event_key=f"drill:submit:{n}")
        outcome = await race.core.submit_comment(request, f"Race comment number {n}")
        ids.append(int(outcome.reply.text.split("#", 1)[1].split()[0]))
    await race.core.events.drain()
    await settle(lambda: len(race.api.calls) + len(race.fake.requests), 0.3)
    return ids


def tg_card(api: FakeBotApi, comment_id: int) -> dict[str, Any]:
    for call in api.sent(chat_id=MOD_CHAT):
        if buttons(call).get("✅ Approve") == f"m:a:{comment_id}":
            assert isinstance(call.result, dict)
            return call.result
    raise AssertionError(f"no Telegram card for #{comment_id}")


def dc_card(fake: FakeDiscord, comment_id: int) -> dict[str, Any]:
    for message in fake.messages.values():
        embeds = message.get("embeds") or []
        title = embeds[0].get("title", "") if embeds else ""
        if message["channel_id"] == str(MOD_CHANNEL_ID) and f"#{comment_id} " in title:
            return message
    raise AssertionError(f"no Discord card for #{comment_id}")


async def decide_all(race: Race, ids: list[int], rng: random.Random, spread: float) -> None:
    """Every moderator decides every comment, all within `spread` seconds in random order."""
    api, fake, bot = race.api, race.fake, race.bot
    tg_pending: list[tuple[Attempt, dict[str, Any]]] = []
    dc_pending: list[tuple[Attempt, dict[str, Any]]] = []
    # The cards as moderators saw them: a press carries the message it was made on, and the
    # fake edits its stored messages in place once a comment is decided.
    cards = {cid: (tg_card(api, cid), copy.deepcopy(dc_card(fake, cid))) for cid in ids}

    def telegram(attempt: Attempt) -> None:
        cid, verb = attempt.comment_id, attempt.verb
        if attempt.moderator == "telegram private":
            update = api.message(MOD2, f"/{verb} {cid}")
        elif verb == "reject":
            update = api.message(MOD, f"/reject {cid} not for us", MOD_CHAT)
        else:
            update = api.press(MOD, cards[cid][0], f"m:{verb[0]}:{cid}")
        tg_pending.append((attempt, update))

    def discord(attempt: Attempt) -> None:
        cid, verb = attempt.comment_id, attempt.verb
        if attempt.moderator == "discord command":
            payload = bot.slash(verb, ID_MOD, comment=cid)
        elif verb == "reject":
            payload = bot.slash("reject", ROLE_MOD, comment=cid, reason="not for us")
        else:
            payload = bot.press(cards[cid][1], f"nb:m:{verb[0]}:{cid}", ROLE_MOD)
        message = payload.get("message")
        fake.interactions[payload["token"]] = Tokened(
            channel_id=payload["channel_id"], message_id=message["id"] if message else None
        )
        bot.handled.setdefault(int(payload["id"]), asyncio.Event())
        dc_pending.append((attempt, payload))
        bot.client._connection.parse_interaction_create(payload)  # type: ignore[arg-type]

    async def console(attempt: Attempt) -> None:
        request = Request(OPERATOR, chat_id="console", event_key=f"console:{attempt.comment_id}")
        outcome = await race.core.execute(request, attempt.verb, str(attempt.comment_id))
        attempt.told = outcome.reply.text
        attempt.won = "already" not in attempt.told

    async def at(delay: float, attempt: Attempt) -> None:
        await asyncio.sleep(delay)
        if attempt.moderator.startswith("telegram"):
            telegram(attempt)
        elif attempt.moderator.startswith("discord"):
            discord(attempt)
        else:
            await console(attempt)

    timed = []
    for cid in ids:
        start = rng.uniform(0, spread)
        for moderator in MODERATORS:
            attempt = Attempt(cid, moderator, rng.choice(VERBS))
            race.attempts.append(attempt)
            # Telegram's updates travel through a long poll first: give them a head start so
            # every platform wins some races.
            window = TELEGRAM_HEAD_START if moderator.startswith("telegram") else 0.1
            timed.append(at(start + rng.uniform(0, window), attempt))
    await asyncio.gather(*timed)
    # An interaction never handled shows up below as an attempt that got no answer.
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(60):
            for _, payload in dc_pending:
                await bot.handled[int(payload["id"])].wait()
    await race.core.events.drain()
    await settle(lambda: len(api.calls) + len(fake.requests), 0.5, within=60)
    tg_pending.sort(key=lambda pair: pair[1]["update_id"])
    read_telegram(race, tg_pending)
    read_discord(race, dc_pending)


def read_telegram(race: Race, pending: list[tuple[Attempt, dict[str, Any]]]) -> None:
    api = race.api
    private = iter(c for c in api.sent(chat_id=MOD2_ID))
    for attempt, update in pending:
        if "callback_query" in update:
            query_id = update["callback_query"]["id"]
            answers = [
                c
                for c in api.calls
                if c.ok and c.method == "answerCallbackQuery"
                and c.params.get("callback_query_id") == query_id
            ]  # fmt: skip
            if answers:
                attempt.told = answers[0].params.get("text") or ""
                attempt.won = not attempt.told
        elif update["message"]["chat"]["id"] == MOD_CHAT:
            command_id = update["message"]["message_id"]
            replies = [
                c
                for c in api.sent(chat_id=MOD_CHAT)
                if (c.params.get("reply_parameters") or {}).get("message_id") == command_id
            ]
            if replies:
                attempt.told = replies[0].params["text"]
                attempt.won = "already" not in attempt.told
        else:  # one private chat: its replies come in the order of its updates
            reply = next(private, None)
            if reply is not None:
                attempt.told = reply.params["text"]
                attempt.won = "already" not in attempt.told


def read_discord(race: Race, pending: list[tuple[Attempt, dict[str, Any]]]) -> None:
    for attempt, payload in pending:
        token = payload["token"]
        answers = [
            r
            for r in race.fake.requests
            if r.token == token and r.interaction_id is None and 200 <= r.status < 300
        ]
        if answers:
            attempt.told = " ".join(str(r.body) for r in answers)
            attempt.won = "already" not in attempt.told


async def check(race: Race, ids: list[int]) -> tuple[list[list[object]], list[str]]:
    def stored(session: Session) -> tuple[dict[int, Comment], Counter[int], dict[int, str]]:
        comments = {c.id: c for c in session.scalars(select(Comment))}
        decided = session.scalars(select(AuditEntry).where(AuditEntry.action == "decided"))
        audit: Counter[int] = Counter()
        audit_actor: dict[int, str] = {}
        for row in decided:
            assert row.comment_id is not None
            audit[row.comment_id] += 1
            audit_actor[row.comment_id] = row.actor_key
        return comments, audit, audit_actor

    comments, audit, audit_actor = await race.core.database.read(stored)
    problems: list[str] = []
    per_comment: dict[int, list[Attempt]] = {}
    for attempt in race.attempts:
        per_comment.setdefault(attempt.comment_id, []).append(attempt)
    wins: Counter[str] = Counter()
    losses: Counter[str] = Counter()
    for cid in ids:
        row = comments[cid]
        attempts = per_comment[cid]
        winners = [a for a in attempts if a.won]
        if row.status == "pending":
            problems.append(f"#{cid} is still pending")
        if len(winners) != 1:
            problems.append(f"#{cid}: {len(winners)} moderators were told they decided")
        if audit[cid] != 1:
            problems.append(f"#{cid}: {audit[cid]} 'decided' audit rows")
        if audit_actor.get(cid) != row.decided_by_key:
            problems.append(
                f"#{cid}: audit names {audit_actor.get(cid)}, comment {row.decided_by_key}"
            )
        for attempt in attempts:
            if attempt.won is None:
                problems.append(f"#{cid}: {attempt.moderator} got no answer")
            elif attempt.won:
                wins[attempt.moderator] += 1
            else:
                losses[attempt.moderator] += 1
                if f"by {row.decided_by_name}" not in attempt.told:
                    problems.append(
                        f"#{cid}: {attempt.moderator} not told who decided: {attempt.told!r}"
                    )
        problems += card_problems(race, cid, row)
    problems += notice_problems(race, ids, comments)
    broken = [p for r in race.fake.requests for p in discord_limits.problems(r)]
    problems += [f"Discord would refuse: {p}" for p in broken[:5]]
    refused = [
        c for c in race.api.calls if c.status == 400 and "not modified" not in (c.error or "")
    ]
    problems += [f"Telegram refused {c.method}: {c.error}" for c in refused[:5]]
    rows = [[m, wins[m], losses[m]] for m in MODERATORS]
    return rows, problems


def card_problems(race: Race, cid: int, row: Comment) -> list[str]:
    card = tg_card(race.api, cid)
    tg_text = race.api.messages[(MOD_CHAT, card["message_id"])]["text"]
    dc = dc_card(race.fake, cid)
    dc_text = str(dc["embeds"])
    # A decided card offers the other decisions, each naming the decision shown as seen.
    seen = f":{cid}:{Seen.of(Status(row.status)).value}"
    tg_rows = (race.api.messages[(MOD_CHAT, card["message_id"])].get("reply_markup") or {}).get(
        "inline_keyboard", []
    )
    tg_actions = [b.get("callback_data", "") for r in tg_rows for b in r]
    dc_actions = [
        c.get("custom_id", "") for r in dc.get("components") or [] for c in r["components"]
    ]
    problems = []
    decider = str(row.decided_by_name)  # "None", on no card, for a comment left pending
    if decider not in tg_text or not all(a.endswith(seen) for a in tg_actions):
        problems.append(f"#{cid}: Telegram card does not show the decision")
    if decider not in dc_text or not all(a.endswith(seen) for a in dc_actions):
        problems.append(f"#{cid}: Discord card does not show the decision")
    return problems


def notice_problems(race: Race, ids: list[int], comments: dict[int, Comment]) -> list[str]:
    problems = []
    for cid in ids:
        row = comments[cid]
        told: Sequence[object]
        if row.author_platform == "telegram":
            told = [
                c
                for c in race.api.sent(chat_id=int(row.author_user_id))
                if f"#{cid} " in c.params["text"]
            ]
        else:
            channels = {c for c, u in race.fake.dm_channels.items() if u == row.author_user_id}
            told = [
                r
                for r in race.fake.requests
                if r.method == "POST" and r.status == 200
                and any(r.path == f"/channels/{c}/messages" for c in channels)
            ]  # fmt: skip
        if len(told) != 1:
            problems.append(f"#{cid}: its author was told {len(told)} times")
    return problems


async def race_on(
    url: str, comments: int, seed: int
) -> tuple[list[list[object]], list[str], float]:
    """One race on the store at `url`: the table rows, the problems, seconds taken to decide."""
    async with both_adapters(url) as race:
        ids = await queue_comments(race, comments)
        started = time.monotonic()
        await decide_all(race, ids, random.Random(seed), spread=0.05 * comments)
        elapsed = time.monotonic() - started
        rows, problems = await check(race, ids)
    return rows, problems, elapsed


async def run(comments: int, seed: int, databases: list[str]) -> list[str]:
    problems: list[str] = []
    with captured_errors() as errors:
        for database in databases:
            with contextlib.ExitStack() as stack:
                if database == "sqlite":
                    url = stack.enter_context(sqlite_store())
                else:
                    url = await new_postgres_database(stack.enter_context(postgres_server()))
                rows, found, elapsed = await race_on(url, comments, seed)
            report(
                f"{database}: {comments} comments x {len(MODERATORS)} moderators at once "
                f"({comments * len(MODERATORS)} decisions in {elapsed:.1f} s)",
                ["moderator", "told they decided", "told who decided first"],
                rows,
            )
            print(f"\none winner per comment, one 'decided' audit row each, author told once: "
                  f"{'yes' if not found else 'NO'}")  # fmt: skip
            problems += [f"{database}: {p}" for p in found]
    return problems + [f"logged error: {line}" for line in errors.summary()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--comments", type=int, default=50)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--databases", default="sqlite,postgresql")
    args = parser.parse_args(argv)
    return verdict(asyncio.run(run(args.comments, args.seed, args.databases.split(","))))


if __name__ == "__main__":
    raise SystemExit(main())
