"""Drill 2, replays: every update and interaction delivered several times -> one effect, one reply.

Run: `.venv/bin/python -m drills.replays [--readers 20] [--copies 3]`.

Through the real PTB stack (fake Bot API) and the real discord.py stack (fake Discord), on one
SQLite store per platform. Each reader event and each moderator decision is delivered `copies`
times at once (the same update_id / interaction id), once more after it was answered, and once
more after a restart (a new Core and adapter on the same store, fresh memory). Counted: rows in
the store (comments, drafts, audit entries, event keys, cards), and the replies each original
event got (messages, edits, callback answers; on Discord, successful requests on its token,
cards and direct messages). After a restart nothing is answered again: state changes by their
event keys, Telegram reads because the inbox holds every update it took (DESIGN §5).
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

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
from tests.support.discord_api import MOD_CHANNEL_ID, FakeDiscord, Recorded, Tokened
from tests.support.discord_harness import User
from tests.support.discord_users import MODERATOR as DISCORD_MOD
from tests.support.telegram_api import Call, FakeBotApi
from tests.support.telegram_chat import buttons
from tests.support.telegram_users import MOD, MOD2, MOD_CHAT

QUIET = 0.25


@dataclass
class Ledger:
    """Per kind of event: how many originals, replies expected and got, effects, repeats."""

    rows: dict[str, Counter[str]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def add(self, kind: str, *, copies: int, expected: int, got: int, mutating: bool) -> None:
        row = self.rows.setdefault(kind, Counter())
        row["events"] += 1
        row["deliveries"] += copies
        row["mutating"] = int(mutating)
        row["expected"] += expected
        row["got"] += got
        if got != expected:
            self.problems.append(f"{kind}: {got} replies where {expected} were due")

    def table(self, title: str) -> None:
        report(
            title,
            ["event", "state change", "events", "deliveries", "replies due", "replies", "lost",
             "repeated"],
            [
                [kind, "yes" if r["mutating"] else "no", r["events"], r["deliveries"],
                 r["expected"], r["got"], max(0, r["expected"] - r["got"]),
                 max(0, r["got"] - r["expected"])]
                for kind, r in self.rows.items()
            ],
        )  # fmt: skip


# Telegram ------------------------------------------------------------------------------------


def tg_replies(api: FakeBotApi, mark: int, chat_id: int, query_id: str | None) -> list[Call]:
    """Successful answers since `mark`: messages/edits in the chat, answers to the query."""
    return [
        c
        for c in api.calls[mark:]
        if c.ok
        and (
            (c.method in ("sendMessage", "editMessageText") and c.params.get("chat_id") == chat_id)
            or (query_id is not None and c.params.get("callback_query_id") == query_id)
        )
    ]


async def tg_deliver(
    api: FakeBotApi, update: dict[str, Any], copies: int, chat_id: int
) -> list[Call]:
    """Deliver the update `copies` times at once and once more later; the replies it got."""
    query_id = callback_query_id(update)
    mark = await tg_redeliver(
        api,
        update,
        copies,
        lambda c: (
            c.params.get("chat_id") == chat_id or c.params.get("callback_query_id") == query_id
        ),
        ok=False,
    )
    return tg_replies(api, mark, chat_id, query_id)


def callback_query_id(update: dict[str, Any]) -> str | None:
    query = update.get("callback_query")
    return query["id"] if query else None


async def tg_redeliver(
    api: FakeBotApi,
    update: dict[str, Any],
    copies: int,
    answered: Callable[[Call], bool],
    *,
    ok: bool = True,
) -> int:
    """Push `copies` copies at once, wait for the answer, push one more late; the calls mark."""
    mark = len(api.calls)
    for _ in range(copies - 1):
        api.push(copy.deepcopy(update))
    await api.wait_for(answered, within=15, after=mark, ok=ok)
    await api.idle(QUIET)
    api.push(copy.deepcopy(update))  # late: after it was answered
    await api.idle(QUIET)
    return mark


@dataclass
class TgReader:
    user: dict[str, Any]
    updates: list[tuple[str, dict[str, Any], bool]] = field(default_factory=list)
    comment_id: int = 0


async def tg_reader(
    api: FakeBotApi, reader: TgReader, copies: int, ledger: Ledger, due: dict[str, int]
) -> None:
    chat = reader.user["id"]
    steps: list[tuple[str, str, bool]] = [
        ("/start", "/start", False),
        ("/faq", "/faq how much money", False),
        ("/comment <text>", f"/comment Replayed comment number {chat}", True),
    ]
    preview: Call | None = None
    for kind, text, mutating in steps:
        update = api.message(reader.user, text)
        replies = await tg_deliver(api, update, copies, chat)
        reader.updates.append((kind, update, mutating))
        ledger.add(kind, copies=copies + 1, expected=due[kind], got=len(replies),
                   mutating=mutating)  # fmt: skip
        preview = replies[0] if replies else None
    assert preview is not None and isinstance(preview.result, dict)
    mark = len(api.calls)
    update = api.press(reader.user, preview.result, buttons(preview)["✅ Send"])
    replies = await tg_deliver(api, update, copies, chat)
    reader.updates.append(("press Send", update, True))
    ledger.add("press Send", copies=copies + 1, expected=due["press Send"], got=len(replies),
               mutating=True)  # fmt: skip
    card = await api.wait_for(
        lambda c: (
            c.method == "sendMessage"
            and c.params.get("chat_id") == MOD_CHAT
            and f"Replayed comment number {chat}" in c.params["text"]
        ),
        within=15,
        after=mark,
    )
    reader.comment_id = int(buttons(card)["✅ Approve"].rsplit(":", 1)[1])
    update = api.message(reader.user, "/mycomments")
    replies = await tg_deliver(api, update, copies, chat)
    reader.updates.append(("/mycomments", update, False))
    ledger.add("/mycomments", copies=copies + 1, expected=due["/mycomments"], got=len(replies),
               mutating=False)  # fmt: skip


def card_message(api: FakeBotApi, comment_id: int) -> dict[str, Any]:
    for call in api.sent(chat_id=MOD_CHAT):
        if buttons(call).get("✅ Approve") == f"m:a:{comment_id}":
            assert isinstance(call.result, dict)
            return call.result
    raise AssertionError(f"no card for #{comment_id}")


async def tg_moderate(
    api: FakeBotApi, reader: TgReader, n: int, copies: int, ledger: Ledger
) -> list[tuple[str, dict[str, Any], bool]]:
    """Approve by button (even n) or reject by command (odd n), each delivered many times."""
    comment = reader.comment_id
    if n % 2 == 0:
        update = api.press(MOD, card_message(api, comment), f"m:a:{comment}")
        kind = "moderator presses Approve"
    else:
        update = api.message(MOD2, f"/reject {comment} off topic", MOD_CHAT)
        kind = "moderator sends /reject"
    query_id = callback_query_id(update)
    mark = await tg_redeliver(
        api,
        update,
        copies,
        lambda c: c.method == "sendMessage" and c.params.get("chat_id") == reader.user["id"],
    )
    calls = [c for c in api.calls[mark:] if c.ok]
    card_id = card_message(api, comment)["message_id"]
    answers = [c for c in calls if query_id and c.params.get("callback_query_id") == query_id]
    command_replies = [
        c
        for c in calls
        if c.method == "sendMessage"
        and c.params.get("chat_id") == MOD_CHAT
        and (c.params.get("reply_parameters") or {}).get("message_id")
        == update.get("message", {}).get("message_id")
    ]
    card_edits = [
        c
        for c in calls
        if c.method == "editMessageText"
        and c.params.get("chat_id") == MOD_CHAT
        and c.params.get("message_id") == card_id
    ]
    notices = [c for c in calls if c.params.get("chat_id") == reader.user["id"]]
    got = len(answers) + len(command_replies) + len(card_edits) + len(notices)
    ledger.add(kind, copies=copies + 1, expected=3, got=got, mutating=True)
    return [(kind, update, True)]


async def telegram_drill(readers: int, copies: int) -> tuple[Ledger, Ledger, list[str]]:
    ledger, after_restart = Ledger(), Ledger()
    problems: list[str] = []
    with sqlite_store() as url:
        async with telegram_stack(url) as stack:
            api = stack.api
            # The replies one delivery gets, learnt from a reader whose events come once.
            base = TgReader(FakeBotApi.user(4999, "Base"))
            learn = Ledger()
            await tg_reader(api, base, 1, learn, Counter())
            due = {kind: row["got"] for kind, row in learn.rows.items()}
            people = [TgReader(FakeBotApi.user(5000 + n, f"Reader{n}")) for n in range(readers)]
            await asyncio.gather(*(tg_reader(api, r, copies, ledger, due) for r in people))
            moderated = []
            for n, reader in enumerate(people):  # one moderator event at a time: shared chat
                moderated += await tg_moderate(api, reader, n, copies, ledger)
            before = await tg_effects(stack, [base, *people])
            # A new process on the same store receives every update again.
            await stack.restart()
            everything = [u for r in [base, *people] for u in r.updates] + moderated
            for label, mutating in (("state changes", True), ("reads", False)):
                mark = len(api.calls)
                chosen = [u for _, u, m in everything if m == mutating]
                for update in chosen:
                    api.push(copy.deepcopy(update))
                    await api.idle(0.05)
                await api.idle(QUIET * 2)
                answered = [
                    c
                    for c in api.calls[mark:]
                    if c.ok and c.method in ("sendMessage", "editMessageText")
                ]
                after_restart.rows[f"{label} (after restart)"] = Counter(
                    events=len(chosen), deliveries=len(chosen), got=len(answered),
                    mutating=int(mutating),
                )  # fmt: skip
                if answered:  # reads too: the inbox knows every update it took
                    problems.append(
                        f"telegram: {len(answered)} replies to replayed {label} after restart"
                    )
            after = await tg_effects(stack, [base, *people])
            problems += compare_effects("telegram", before, after)
            problems += expect_effects("telegram", after, readers + 1)
    return ledger, after_restart, problems


async def tg_effects(stack: TelegramStack, readers: list[TgReader]) -> Counter[str]:
    assert stack.core is not None
    counts = await store_counts(stack.core)
    api = stack.api
    counts["cards posted"] = len(
        [c for c in api.sent(chat_id=MOD_CHAT) if "✅ Approve" in buttons(c)]
    )
    counts["author notices"] = sum(
        1
        for r in readers
        for c in api.sent(chat_id=r.user["id"])
        if "was approved" in c.params["text"]
        or "was rejected" in c.params["text"]
        or "not published" in c.params["text"]
    )
    return counts


def compare_effects(platform: str, before: Counter[str], after: Counter[str]) -> list[str]:
    return [
        f"{platform}: {key} went from {before[key]} to {after[key]} after the restart replays"
        for key in sorted(set(before) | set(after))
        if before[key] != after[key]
    ]


def expect_effects(platform: str, counts: Counter[str], comments: int) -> list[str]:
    """One comment, one submitted and one decided audit row per commenter; no drafts left."""
    expected = {
        "comments": comments,
        "drafts": 0,
        "audit:submitted": comments,
        "audit:decided": comments - 1,  # the baseline reader's comment is not decided
        "cards": comments,
    }
    return [
        f"{platform}: {key} = {counts[key]}, expected {value}"
        for key, value in expected.items()
        if counts[key] != value
    ]


# Discord -------------------------------------------------------------------------------------


def ok_on(fake: FakeDiscord, payload: dict[str, Any], mark: int = 0) -> list[Recorded]:
    token, iid = payload["token"], payload["id"]
    return [
        r
        for r in fake.requests[mark:]
        if (r.token == token or r.interaction_id == iid) and 200 <= r.status < 300
    ]


async def dc_deliver(
    stack: DiscordStack, payload: dict[str, Any], copies: int, *, late: bool = True
) -> list[Recorded]:
    """Feed the same INTERACTION_CREATE `copies` times at once (and once later)."""
    bot, fake = stack.bot, stack.fake
    assert bot is not None
    message = payload.get("message")
    fake.interactions.setdefault(
        payload["token"],
        Tokened(channel_id=payload["channel_id"], message_id=message["id"] if message else None),
    )
    mark = len(fake.requests)
    iid = int(payload["id"])
    event = bot.handled.setdefault(iid, asyncio.Event())
    for _ in range(copies):
        bot.client._connection.parse_interaction_create(copy.deepcopy(payload))  # type: ignore[arg-type]
    if late:  # a first delivery: wait for its handling (replays may be dropped: a closed form)
        await asyncio.wait_for(event.wait(), 10)
    await settle(lambda: len(fake.requests), QUIET)
    await stack.core.events.drain()  # type: ignore[union-attr]
    if late:
        bot.client._connection.parse_interaction_create(copy.deepcopy(payload))  # type: ignore[arg-type]
        await settle(lambda: len(fake.requests), QUIET)
    return ok_on(fake, payload, mark)


def replay(stack: DiscordStack, payload: dict[str, Any]) -> None:
    """Hand the payload to discord.py once more, without waiting."""
    assert stack.bot is not None
    stack.bot.client._connection.parse_interaction_create(copy.deepcopy(payload))  # type: ignore[arg-type]


def modal_of(fake: FakeDiscord, payload: dict[str, Any]) -> dict[str, Any]:
    body = next(
        r.body
        for r in ok_on(fake, payload)
        if r.path.endswith("/callback") and r.body["type"] == 9
    )
    data: dict[str, Any] = body["data"]
    return data


def dc_card(fake: FakeDiscord, comment_id: int) -> dict[str, Any]:
    for message in fake.messages.values():
        embeds = message.get("embeds") or []
        if (
            message["channel_id"] == str(MOD_CHANNEL_ID)
            and embeds
            and (f"#{comment_id} " in embeds[0].get("title", ""))
        ):
            return message
    raise AssertionError(f"no Discord card for #{comment_id}")


def dc_cards(fake: FakeDiscord) -> list[Recorded]:
    path = f"/channels/{MOD_CHANNEL_ID}/messages"
    return [r for r in fake.requests if r.method == "POST" and r.path == path and r.status == 200]


def dc_dms(fake: FakeDiscord, user: User) -> list[Recorded]:
    channels = {c for c, u in fake.dm_channels.items() if u == str(user.id)}
    return [
        r
        for r in fake.requests
        if r.method == "POST" and r.status == 200
        and any(r.path == f"/channels/{c}/messages" for c in channels)
    ]  # fmt: skip


async def dc_reader(
    stack: DiscordStack, user: User, copies: int, ledger: Ledger, due: dict[str, int]
) -> tuple[list[tuple[str, dict[str, Any], bool]], int]:
    bot, fake = stack.bot, stack.fake
    assert bot is not None
    sent: list[tuple[str, dict[str, Any], bool]] = []

    async def one(kind: str, payload: dict[str, Any], mutating: bool, late: bool = True) -> None:
        replies = await dc_deliver(stack, payload, copies, late=late)
        sent.append((kind, payload, mutating))
        ledger.add(kind, copies=copies + late, expected=due.get(kind, len(replies)),
                   got=len(replies), mutating=mutating)  # fmt: skip

    summary = bot.slash("stargate", user)
    await one("/stargate", summary, False)
    original = fake.messages[fake.interactions[summary["token"]].message_id or ""]
    await one("press section 2", bot.press(original, "nb:s:stargate:2", user), False)
    await one("/faq", bot.slash("faq", user, question="how much money"), False)
    form = bot.slash("comment", user)
    await one("/comment (form)", form, False)
    cards_before = len(dc_cards(fake))
    text = f"Replayed Discord comment by user {user.id}."
    submission = bot.submit(modal_of(fake, form), {"Comment": text, "Name (optional)": ""}, user)
    await one("submit comment form", submission, True)
    await one("/mycomments", bot.slash("mycomments", user), False)
    await stack.core.events.drain()  # type: ignore[union-attr]
    new_cards = dc_cards(fake)[cards_before:]
    titles = [r.body["embeds"][0]["title"] for r in new_cards if text in str(r.body)]
    comment_id = int(titles[0].split("#", 1)[1].split(" ", 1)[0]) if titles else 0
    return sent, comment_id


async def discord_drill(readers: int, copies: int) -> tuple[Ledger, Ledger, list[str]]:
    ledger, after_restart = Ledger(), Ledger()
    problems: list[str] = []
    with sqlite_store() as url:
        async with discord_stack(url) as stack:
            fake = stack.fake
            assert stack.bot is not None and stack.core is not None
            learn = Ledger()
            base_user = User(6999, "Base Reader")
            base_events, _ = await dc_reader(stack, base_user, 1, learn, {})
            due = {kind: row["got"] for kind, row in learn.rows.items()}
            users = [User(7000 + n, f"Reader {n}") for n in range(readers)]
            results = await asyncio.gather(
                *(dc_reader(stack, u, copies, ledger, due) for u in users)
            )
            events = list(base_events)
            for user, (sent, comment_id) in zip(users, results, strict=True):
                events += sent
                if not comment_id:
                    problems.append(f"discord: no card for {user.name}'s comment")
                    continue
                mark = len(fake.requests)
                if comment_id % 2:
                    payload = stack.bot.press(
                        dc_card(fake, comment_id), f"nb:m:a:{comment_id}", DISCORD_MOD
                    )
                    kind = "moderator presses Approve"
                else:
                    payload = stack.bot.slash(
                        "reject", DISCORD_MOD, comment=comment_id, reason="off topic"
                    )
                    kind = "moderator sends /reject"
                replies = await dc_deliver(stack, payload, copies)
                await stack.core.events.drain()
                dms = [r for r in dc_dms(fake, user) if fake.requests.index(r) >= mark]
                # Press: ack + edit of the card. Command: ack + placeholder filled. Plus one DM.
                ledger.add(kind, copies=copies + 1, expected=3, got=len(replies) + len(dms),
                           mutating=True)  # fmt: skip
                events.append((kind, payload, True))
            before = await dc_effects(stack, [base_user, *users])
            await stack.restart()
            mark = len(fake.requests)
            for _kind, payload, _mutating in events:
                replay(stack, payload)
            await settle(lambda: len(fake.requests), 0.5)
            await stack.core.events.drain()
            repeated = [r for r in fake.requests[mark:] if 200 <= r.status < 300]
            after = await dc_effects(stack, [base_user, *users])
            problems += compare_effects("discord", before, after)
            problems += expect_effects("discord", after, readers + 1)
            mutating = sum(1 for _, _, m in events if m)
            after_restart.rows["every interaction (after restart)"] = Counter(
                events=len(events), deliveries=len(events), expected=0, got=len(repeated),
                mutating=int(mutating > 0),
            )  # fmt: skip
            if repeated:
                problems.append(
                    f"discord: {len(repeated)} requests answered replays after restart"
                )
            problems += await accepted_again(stack, events, before, after_restart)
            broken = [p for r in fake.requests for p in discord_limits.problems(r)]
            problems += [f"discord: request Discord would refuse: {p}" for p in broken[:5]]
    return ledger, after_restart, problems


async def accepted_again(
    stack: DiscordStack,
    events: list[tuple[str, dict[str, Any], bool]],
    before: Counter[str],
    ledger: Ledger,
) -> list[str]:
    """State changes again, with Discord taking the acknowledgement (its first never arrived).

    Only the core's event keys stand between these and a second effect. A command's
    placeholder is filled with the first reply; a press or a form gets nothing more.
    """
    fake = stack.fake
    fake.reject_duplicate_acks = False
    mark = len(fake.requests)
    chosen = [payload for _, payload, mutating in events if mutating]
    for payload in chosen:
        replay(stack, payload)
    await settle(lambda: len(fake.requests), 0.5)
    await stack.core.events.drain()  # type: ignore[union-attr]
    answers = [
        r for r in fake.requests[mark:] if r.interaction_id is None and 200 <= r.status < 300
    ]
    commands = sum(1 for p in chosen if p["type"] == 2)
    ledger.rows["state changes, ack accepted again (after restart)"] = Counter(
        events=len(chosen), deliveries=len(chosen), got=len(answers), mutating=1
    )
    after = await dc_effects(stack, [])
    problems = [
        f"discord: {key} went from {before[key]} to {after[key]} when acks were accepted again"
        for key in ("comments", "drafts", "audit", "bans", "events", "cards", "cards posted")
        if before[key] != after[key]
    ]
    if len(answers) > commands:
        problems.append(f"discord: {len(answers)} answers to {commands} replayed commands")
    return problems


async def dc_effects(stack: DiscordStack, users: list[User]) -> Counter[str]:
    assert stack.core is not None
    counts = await store_counts(stack.core)
    counts["cards posted"] = len(dc_cards(stack.fake))
    counts["author DMs"] = sum(len(dc_dms(stack.fake, u)) for u in users)
    return counts


# Entry point -----------------------------------------------------------------------------------


async def run(readers: int, copies: int) -> list[str]:
    problems: list[str] = []
    started = time.monotonic()
    with captured_errors() as errors:
        tg, tg_restart, found = await telegram_drill(readers, copies)
        problems += found + tg.problems
        tg.table(f"Telegram: {readers} readers, each event delivered {copies}x at once + 1x late")
        report_restart("Telegram: every update again after a restart", tg_restart)
        dc, dc_restart, found = await discord_drill(readers, copies)
        problems += found + dc.problems
        dc.table(f"Discord: {readers} readers, each interaction delivered {copies}x + 1x late")
        report_restart("Discord: every interaction again after a restart", dc_restart)
    problems += [f"logged error: {line}" for line in errors.summary()]
    print(f"\n{time.monotonic() - started:.1f} s")
    return problems


def report_restart(title: str, ledger: Ledger) -> None:
    report(
        title,
        ["events re-delivered", "state change", "deliveries", "replies", "note"],
        [
            [kind, "yes" if r["mutating"] else "no", r["deliveries"], r["got"],
             note(kind, r)]
            for kind, r in ledger.rows.items()
        ],
    )  # fmt: skip


def note(kind: str, row: Counter[str]) -> str:
    if "accepted again" in kind:
        return "only /reject's placeholder, filled with the first reply"
    return "must be 0 (state changes: event keys; Telegram reads: the inbox)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readers", type=int, default=20)
    parser.add_argument("--copies", type=int, default=3)
    args = parser.parse_args(argv)
    return verdict(asyncio.run(run(args.readers, args.copies)))


if __name__ == "__main__":
    raise SystemExit(main())
