"""Drill 7, hostile input: generated messages through every command on both adapters.

Run: `.venv/bin/python -m drills.hostile [--messages 10000] [--seed 11]` (half on each adapter).

A seeded generator mixes Telegram and Discord markup, HTML, SQL, control characters, RTL and
zero-width characters, 10,000-character lines, emoji (surrogate pairs in UTF-16) placed at the
split points of Telegram's and Discord's limits, huge, negative and exotic numbers as ids, empty
arguments and unknown commands, and sends them through every command of the core's registry
(reader and moderator commands, by readers and moderators), as free text, and as forged button
presses. Telegram: the real PTB stack against the fake Bot API, which refuses bad HTML and
over-long text as Telegram does. Discord: the real discord.py client, every request checked
against Discord's limits (tests/support/discord_limits.py). Checked: no ERROR logged (the adapters'
error handlers and the core log every unhandled exception there), no request the platform
refused, and nothing stored that was not asked for.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.actors import Actor, Request
from core.app import Core
from core.store.tables import AuditEntry, Ban, Comment, CommentDraft
from core.text import clean_text
from drills._inprocess import (
    DiscordStack,
    TelegramStack,
    captured_errors,
    discord_stack,
    report,
    settle,
    sqlite_store,
    store_counts,
    telegram_stack,
    verdict,
)
from tests.support import discord_limits
from tests.support.discord_api import Tokened
from tests.support.discord_harness import User
from tests.support.discord_users import MODERATOR as DISCORD_MOD
from tests.support.settings import discord_settings
from tests.support.telegram_api import BOT_USERNAME, FakeBotApi
from tests.support.telegram_users import MOD, MOD2, MOD_CHAT

# Pieces -----------------------------------------------------------------------------------------

MARKUP = [
    "<b>", "</i>", "<a href=\"javascript:alert(1)\">x</a>", "&amp;", "&#0;", "&lt;", "<script>",
    "<tg-spoiler>", "<pre><code class=\"x\">", "</code>", "<", ">", "&", "\"", "'",
    "*bold*", "_it_", "__u__", "~~s~~", "||spoiler||", "`code`", "```py\nx\n```", "> quote",
    "# heading", "-# small", "[link](http://example.invalid)", "<@123>", "<@!1>", "<@&777>",
    "@everyone", "@here", "<#1>", "<t:0:R>", "\\", "\\*", "http://", "https://x.invalid/?a=<b>",
]  # fmt: skip
SQL = [
    "'; DROP TABLE comments; --", "\" OR 1=1 --", "%", "_", "' OR ''='", "1; DELETE FROM bans",
    "$1", ":id", "?", "\\'", "UNION SELECT * FROM audit_log",
]  # fmt: skip
CONTROL = ["\x00", "\x01", "\x07", "\x08", "\x0b", "\x0c", "\r", "\r\n", "\n\n\n", "\t",
           "\x1b[31m", "\x7f", "\x85", "\u2028", "\u2029"]  # fmt: skip
INVISIBLE = ["\u202e", "\u202d", "\u200f", "\u200e", "\u200b", "\u200c", "\u200d", "\ufeff",
             "\u2060", "\u00ad", "\u061c", "مرحبا", "שלום", "\u202egnp.exe"]  # fmt: skip
EMOJI = ["👍", "👨‍👩‍👧‍👦", "🏳️‍🌈", "🇺🇦", "é", "Z̷̢͎a̵l̸g̷o̶", "𝔘𝔫𝔦", "🀄", "\U0001f9d1\u200d\U0001f4bb"]
NUMBERS = [
    "0", "-1", "1", "12", "#1", "#-5", "-9223372036854775809", "9223372036854775808",
    "99999999999999999999999", "1e309", "0x10", "١٢٣", "²", "  7  ", "+5", "1_000", "NaN",
    "9007199254740993", "#99999999999999999999", "٣", "Ⅻ", "00000000000000000001",
]  # fmt: skip
AUTHORS = ["telegram:-1", "discord:" + "9" * 40, "console:operator", ":", "telegram:", "#0",
           "nobody:1", "telegram:501", "discord:601 7d", "telegram:1 -7d",
           "telegram:2 99999999d", "telegram:3 2026-13-45", "telegram:4 9999-12-31 forever",
           "telegram:5 0h", "telegram:6 12h reason <b>bold</b>"]  # fmt: skip
UNKNOWN = ["/unknown", "/" + "a" * 40, "/ДА", "/faq@other_bot", f"/faq@{BOT_USERNAME}", "/",
           "//", "/_", "/1", "/start@", "/FAQ", "/Stargate"]  # fmt: skip
TARGETED = frozenset({"approve", "reject", "spam", "ban", "unban", "withdraw"})
SPLITS = (64, 100, 200, 256, 1024, 2000, 4000, 4096)


def piece(rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.2:
        return rng.choice(MARKUP)
    if kind < 0.3:
        return rng.choice(SQL)
    if kind < 0.4:
        return rng.choice(CONTROL)
    if kind < 0.5:
        return rng.choice(INVISIBLE)
    if kind < 0.6:
        return rng.choice(EMOJI)
    if kind < 0.75:
        return rng.choice(NUMBERS)
    if kind < 0.8:
        return rng.choice(AUTHORS)
    if kind < 0.85:
        return long_text(rng)
    return rng.choice(["how much money", "stargate", "Great read", "why", "", " ", "x"])


def long_text(rng: random.Random) -> str:
    """A long line, or text with an emoji straddling one of the platforms' split points."""
    if rng.random() < 0.3:
        return rng.choice("ab<&*_ ") * 10_000
    at = rng.choice(SPLITS)
    filler = rng.choice(["a", "é", "<", "&", " ", "*", "\n"])
    return filler * (at - 1) + rng.choice(EMOJI) + filler * rng.randint(0, 3)


def arguments(rng: random.Random) -> str:
    return "".join(
        piece(rng) + rng.choice(["", " ", "  ", "\n"]) for _ in range(rng.randint(0, 4))
    )


# Messages ---------------------------------------------------------------------------------------


@dataclass
class Sent:
    """What was sent, so what was stored can be checked against what was asked for."""

    kinds: Counter[str] = field(default_factory=Counter)
    comment_texts: dict[str, set[str]] = field(default_factory=dict)  # author key -> texts
    moderator_bans: int = 0
    mutating: int = 0
    dropped: int = 0

    def may_comment(self, author: str, text: str) -> None:
        texts = self.comment_texts.setdefault(author, set())
        for candidate in (text, text.strip().partition(" ")[2]):
            texts.add(clean_text(candidate))


def command_names(core: Core) -> list[str]:
    return [spec.name for spec in core.registry]


def telegram_messages(core: Core, rng: random.Random, count: int) -> Iterator[tuple[str, str]]:
    """(kind, text) pairs: registry commands with hostile arguments, unknown ones, free text."""
    names = command_names(core)
    for _ in range(count):
        roll = rng.random()
        if roll < 0.75:
            name = rng.choice(names)
            suffix = rng.choice(["", "", "", f"@{BOT_USERNAME}", "@other_bot"])
            args = arguments(rng)
            if name in TARGETED and rng.random() < 0.5:  # aim at a real comment
                args = f"{rng.randint(1, SEEDED)} {args}"
            yield f"/{name}", f"/{name}{suffix} {args}".rstrip(" ")
        elif roll < 0.85:
            yield "unknown command", rng.choice(UNKNOWN) + " " + arguments(rng)
        else:
            yield "free text", arguments(rng) or piece(rng) or "?"


# Telegram ---------------------------------------------------------------------------------------

_NAMES = random.Random(5)


def hostile_name(n: int, limit: int) -> str:
    """Every other reader has a name made of hostile pieces (Telegram allows 64, Discord 32)."""
    name = "".join(piece(_NAMES) for _ in range(2)).strip() if n % 2 else ""
    return (name or f"Hostile{n}")[:limit]


TG_READERS = [FakeBotApi.user(61_000 + n, hostile_name(n, 64)) for n in range(30)]
SEEDED = 20  # comments waiting for a moderator before the hostile traffic starts
TG_GROUP = -100_777


async def telegram_drill(stack: TelegramStack, count: int, seed: int) -> tuple[list[Any], Sent]:
    api, core = stack.api, stack.core
    assert core is not None
    rng = random.Random(seed)
    sent = Sent()
    for n, user in enumerate(TG_READERS[:SEEDED]):  # hostile texts on the moderators' cards
        author = Actor("telegram", str(user["id"]), user["first_name"])
        text = (arguments(rng) or piece(rng) or "?")[:2000]
        request = Request(author, chat_id=str(user["id"]), event_key=f"seed:{n}")
        await core.submit_comment(request, text)
        sent.may_comment(author.key, text)
    await core.events.drain()
    started = time.monotonic()
    batch = 0
    for kind, text in telegram_messages(core, rng, count):
        user = rng.choice([*TG_READERS, MOD, MOD2]) if rng.random() < 0.9 else MOD
        chat = rng.choice([user["id"], user["id"], user["id"], TG_GROUP, MOD_CHAT])
        if rng.random() < 0.05:
            forged = text.encode()[:64].decode(errors="ignore") or "x"
            message = {"message_id": 1, "date": 0, "chat": FakeBotApi.chat(chat), "text": "x"}
            api.press(user, message, forged)
            sent.kinds["forged button press"] += 1
            continue
        api.message(user, text, chat if chat != user["id"] else None)
        sent.kinds[kind] += 1
        author_key = f"telegram:{user['id']}"
        if kind == "/comment" or kind == "free text":
            sent.may_comment(author_key, text.partition(" ")[2] if kind == "/comment" else text)
        if user in (MOD, MOD2) and kind in ("/ban", "/unban"):
            sent.moderator_bans += 1
        batch += 1
        if batch % 200 == 0:  # keep the queue bounded: let the bot catch up
            await settle(lambda: len(api.calls), 0.3, within=60)
    await settle(lambda: len(api.calls), 1.0, within=120)
    elapsed = time.monotonic() - started
    refused = [c for c in api.calls if not c.ok]
    reasons = Counter(f"{c.method} {c.status}: {(c.error or '')[:60]}" for c in refused)
    rows = [["telegram", count, len([c for c in api.calls if c.ok and c.method != "getUpdates"]),
             len(refused), f"{elapsed:.1f}"]]  # fmt: skip
    for reason, n in reasons.most_common(5):
        print(f"  refused by the fake Bot API: {n} x {reason}")
    return rows, sent


# Discord ----------------------------------------------------------------------------------------

DC_READERS = [User(71_000 + n, hostile_name(n, 32)) for n in range(30)]
INT_RANGE = 2**53  # Discord refuses integer options outside ±2^53


def option_value(rng: random.Random, kind: type) -> Any:
    if kind is int:
        if rng.random() < 0.5:
            return rng.randint(1, SEEDED)  # a real comment, most of the time
        text = rng.choice(NUMBERS)
        try:
            value = int(text.strip().lstrip("#"))
        except ValueError:
            value = rng.randint(-(2**60), 2**60)
        return max(-INT_RANGE, min(INT_RANGE, value))
    return (arguments(rng) or piece(rng) or "?")[:6000]  # Discord's limit on a string option


async def discord_drill(stack: DiscordStack, count: int, seed: int) -> tuple[list[Any], Sent]:
    bot, fake, core = stack.bot, stack.fake, stack.core
    assert bot is not None and core is not None
    rng = random.Random(seed + 1)
    sent = Sent()
    specs = [s for s in core.registry]
    started = time.monotonic()
    waiting: list[int] = []
    kinds: dict[int, str] = {}
    dropped: Counter[str] = Counter()

    def feed(payload: dict[str, Any], kind: str) -> None:
        kinds[int(payload["id"])] = kind
        message = payload.get("message")
        fake.interactions[payload["token"]] = Tokened(
            channel_id=payload["channel_id"], message_id=message["id"] if message else None
        )
        bot.handled.setdefault(int(payload["id"]), asyncio.Event())
        waiting.append(int(payload["id"]))
        bot.client._connection.parse_interaction_create(payload)  # type: ignore[arg-type]

    for _ in range(count):
        user = rng.choice([*DC_READERS, DISCORD_MOD]) if rng.random() < 0.9 else DISCORD_MOD
        roll = rng.random()
        if roll < 0.06:  # the comment form, filled with hostile text
            opened = await bot.send(bot.slash("comment", user))
            text = (arguments(rng) or piece(rng))[:2000] or "?"
            name = (arguments(rng) or "")[:64]
            values = {"Comment": text, "Name (optional)": name}
            await bot.send(bot.submit(bot.modal_of(opened), values, user))
            sent.kinds["comment form"] += 1
            sent.may_comment(f"discord:{user.id}", text)
            sent.mutating += 1
        elif roll < 0.12:
            # Discord only delivers presses of buttons on the message: a stale or odd one.
            action = " ".join((arguments(rng) or piece(rng)).splitlines()).strip() or "x"
            forged = f"nb:{action}"[:100]
            button = {"type": 2, "style": 2, "label": "x", "custom_id": forged}
            body = {"content": "x", "components": [{"type": 1, "components": [button]}]}
            message = fake.message(str(DC_READERS[0].id), body)
            fake.messages[message["id"]] = message
            feed(bot.press(message, forged, user), "forged button press")
            sent.kinds["forged button press"] += 1
        elif roll < 0.13:  # a command Discord still shows that this version lacks
            name = rng.choice(["oldcommand", "stargate2", "removed_article"])
            feed(bot.slash(name, user, guild=rng.random() < 0.8), "stale command")
            sent.kinds["stale command"] += 1
        elif roll < 0.18:
            value = option_value(rng, str)[:100]
            feed(bot.autocomplete("faq", "question", value, user), "autocomplete")
            sent.kinds["autocomplete"] += 1
        else:
            spec = rng.choice(specs)
            if spec.name == "comment":
                continue
            options = {
                a.name: option_value(rng, a.kind)
                for a in spec.arguments
                if a.required or rng.random() < 0.7
            }
            guild = rng.random() < 0.8
            feed(bot.slash(spec.name, user, guild=guild, **options), f"/{spec.name}")
            sent.kinds[f"/{spec.name}"] += 1
            if spec.name in ("ban", "unban") and user == DISCORD_MOD:
                sent.moderator_bans += 1
        if len(waiting) >= 100:
            await drain(bot, waiting, kinds, dropped)
    await drain(bot, waiting, kinds, dropped)
    await core.events.drain()
    await settle(lambda: len(fake.requests), 0.5)
    elapsed = time.monotonic() - started
    broken = [(r, p) for r in fake.requests for p in discord_limits.problems(r)]
    refused = [r for r in fake.requests if r.status >= 400]
    for kind, n in dropped.items():
        print(f"  never handled (discord.py dropped it): {n} x {kind}")
    for record, problem in broken[:5]:
        print(f"  over Discord's limits: {record.method} {record.path}: {problem}")
    for record in refused[:5]:
        print(f"  refused by the fake Discord: {record.method} {record.path} {record.status}")
    rows = [["discord", count, len(fake.requests), len(refused) + len(broken), f"{elapsed:.1f}"]]
    sent.dropped = sum(dropped.values())
    return rows, sent


async def drain(
    bot: Any, waiting: list[int], kinds: dict[int, str], dropped: Counter[str]
) -> None:
    """Wait for the adapter to finish each fed interaction; count those it never saw."""
    for iid in waiting:
        try:
            await asyncio.wait_for(bot.handled[iid].wait(), 5)
        except TimeoutError:
            dropped[kinds[iid]] += 1
    waiting.clear()


# What was stored ------------------------------------------------------------------------------


async def stored_problems(core: Core, sent: Sent, platform: str) -> tuple[list[Any], list[str]]:
    """Every stored comment/draft was asked for by its author; bans only by moderators."""

    def load(session: Session) -> tuple[list[Any], list[Any], list[Any], list[Any]]:
        return (
            list(session.scalars(select(Comment))),
            list(session.scalars(select(CommentDraft))),
            list(session.scalars(select(AuditEntry))),
            list(session.scalars(select(Ban))),
        )

    comments, drafts, audit, bans = await core.database.read(load)
    problems = []
    for row in [*comments, *drafts]:
        key = f"{row.author_platform}:{row.author_user_id}"
        if row.text not in sent.comment_texts.get(key, set()):
            problems.append(f"{platform}: stored text nobody asked for: {row.text[:60]!r} ({key})")
    for entry in audit:
        if entry.action in ("banned", "unbanned", "decided") and not core.is_moderator(
            _actor(entry.actor_key)
        ):
            problems.append(f"{platform}: {entry.action} by a non-moderator {entry.actor_key}")
    submitted = sum(1 for e in audit if e.action == "submitted")
    if submitted != len(comments):
        problems.append(
            f"{platform}: {submitted} 'submitted' audit rows, {len(comments)} comments"
        )
    if len(bans) > sent.moderator_bans:
        problems.append(f"{platform}: {len(bans)} bans from {sent.moderator_bans} /ban commands")
    counts = await store_counts(core)
    rows = [[platform, counts["comments"], counts["drafts"], counts["audit"], counts["bans"],
             counts["unanswered"], "yes" if not problems else "NO"]]  # fmt: skip
    return rows, problems


def _actor(key: str) -> Actor:
    platform, _, user_id = key.partition(":")
    is_role_mod = platform == "discord" and user_id == str(DISCORD_MOD.id)
    return Actor(platform, user_id, "", role_ids=frozenset({"777"} if is_role_mod else ()))


# Entry point ------------------------------------------------------------------------------------


async def run(messages: int, seed: int) -> list[str]:
    problems: list[str] = []
    traffic: list[Any] = []
    storage: list[Any] = []
    kinds: Counter[str] = Counter()
    with captured_errors() as errors:
        with sqlite_store() as url:
            async with telegram_stack(url) as stack:
                rows, sent = await telegram_drill(stack, messages // 2, seed)
                traffic += rows
                kinds.update(sent.kinds)
                assert stack.core is not None
                rows, found = await stored_problems(stack.core, sent, "telegram")
                storage += rows
                problems += found
        with sqlite_store() as url:
            # Global commands (no guild id): they may be used in direct messages too.
            async with discord_stack(url, discord_settings(guild_id=None)) as dstack:
                rows, sent = await discord_drill(dstack, messages - messages // 2, seed)
                traffic += rows
                kinds.update({f"discord {k}": v for k, v in sent.kinds.items()})
                assert dstack.core is not None
                if sent.dropped:
                    problems.append(f"discord: {sent.dropped} interactions never answered")
                rows, found = await stored_problems(dstack.core, sent, "discord")
                storage += rows
                problems += found
    refused = sum(int(r[3]) for r in traffic)
    if refused:
        problems.append(f"{refused} requests the platform refused or would refuse")
    problems += [f"logged error: {line}" for line in errors.summary(limit=10)]
    report(f"{messages} hostile messages (seed {seed})",
           ["adapter", "messages", "requests to the platform", "refused by the platform",
            "seconds"], traffic)  # fmt: skip
    report("What was sent", ["kind", "count"], sorted(kinds.items()))
    report("What was stored", ["adapter", "comments", "drafts", "audit rows", "bans",
                               "unanswered questions", "all asked for"], storage)  # fmt: skip
    report("Unhandled exceptions", ["ERROR records logged"], [[len(errors.records)]])
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args(argv)
    return verdict(asyncio.run(run(args.messages, args.seed)))


if __name__ == "__main__":
    raise SystemExit(main())
