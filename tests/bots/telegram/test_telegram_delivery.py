"""At-least-once intake, exactly-once replies across crashes, cards missed while down.

The offset confirms only updates whose handling finished; intake is bounded and never spins;
a reply whose sending was never confirmed is sent when the update comes again after a restart,
once; moderation cards the dead process never posted are posted at start-up.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import logging
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from telegram import Update

from bots.telegram.extract import request_of
from bots.telegram.run import PollingFailed, TelegramAdapter
from core.actors import Actor, Request
from core.app import Core
from core.config import Settings
from tests.support.gated import GatedCore, until
from tests.support.settings import telegram_settings
from tests.support.telegram_api import FakeBotApi
from tests.support.telegram_chat import (
    Conversation,
    buttons,
    fast_limiter,
    message_of,
    sent,
    text_of,
)
from tests.support.telegram_users import MOD_CHAT, MOD_ID, OTHER_READER, READER, READER_ID

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")

_update_ids = itertools.count(90_000)


def offsets(api: FakeBotApi) -> list[int]:
    return [int(p.params.get("offset") or 0) for p in api.polls]


@pytest.fixture
async def gated(api: FakeBotApi, tg_core: Core) -> AsyncIterator[Callable[..., Any]]:
    """Starts adapters whose core calls wait at a gate; opens every gate and stops them after."""
    started: list[tuple[TelegramAdapter, GatedCore]] = []

    async def start(held: set[int] | None = None, **kwargs: Any) -> tuple[Any, GatedCore]:
        bot = TelegramAdapter(
            tg_core, telegram_settings(api.root), poll_timeout=1, limiter=fast_limiter(), **kwargs
        )
        gate = GatedCore(tg_core, held)
        bot.handlers.core = gate  # type: ignore[assignment]
        await bot.start()
        started.append((bot, gate))
        return bot, gate

    try:
        yield start
    finally:
        for bot, gate in started:
            gate.gate.set()
            await bot.stop()


# Intake ------------------------------------------------------------------------------------


async def test_offset_passes_an_update_once_the_inbox_holds_it_even_while_handled(
    api: FakeBotApi, gated: Callable[..., Any]
) -> None:
    _, gate = await gated(held={READER_ID})
    slow = api.message(READER, "/help")
    await until(lambda: gate.waiting == 1)
    fast = api.message(OTHER_READER, "/help")
    await api.wait_sent(OTHER_READER["id"])  # other chats go on meanwhile
    # Both are committed, so both are confirmed: Telegram need not keep either.
    await until(lambda: max(offsets(api)) == fast["update_id"] + 1)
    assert slow["update_id"] < fast["update_id"]
    assert len(api.sent(chat_id=READER_ID)) == 0
    gate.gate.set()
    await api.wait_sent(READER_ID)
    assert len(api.sent(chat_id=READER_ID)) == 1


async def test_an_update_unhandled_at_stop_is_handled_at_the_next_start_once(
    api: FakeBotApi, tg_core: Core, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bots.telegram.run as app_module

    monkeypatch.setattr(app_module, "IN_FLIGHT_SECONDS", 0.3)
    first = TelegramAdapter(
        tg_core, telegram_settings(api.root), poll_timeout=1, limiter=fast_limiter()
    )
    gate = GatedCore(tg_core, {READER_ID})
    first.handlers.core = gate  # type: ignore[assignment]
    await first.start()
    held = api.message(READER, "/help")
    await until(lambda: gate.waiting == 1)
    await first.stop()  # the held update is cancelled: it stays pending in the inbox
    assert max(offsets(api)) == held["update_id"] + 1  # and Telegram forgot it

    second = TelegramAdapter(
        tg_core, telegram_settings(api.root), poll_timeout=1, limiter=fast_limiter()
    )
    await second.start()
    try:
        await api.wait_sent(READER_ID)
        await api.idle(0.3)
    finally:
        await second.stop()
    assert len(api.sent(chat_id=READER_ID)) == 1


async def test_each_update_is_fetched_and_parsed_once(
    api: FakeBotApi, gated: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    parsed: list[int] = []
    de_json = Update.de_json.__func__  # type: ignore[attr-defined]

    def spy(cls: type[Update], data: dict[str, Any], bot: Any = None) -> Update:
        parsed.append(data["update_id"])
        return de_json(cls, data, bot)  # type: ignore[no-any-return]

    monkeypatch.setattr(Update, "de_json", classmethod(spy))
    _, gate = await gated(held={READER_ID})
    slow = api.message(READER, "/help")
    await until(lambda: gate.waiting == 1)
    users = [FakeBotApi.user(800 + n, f"Reader{n}") for n in range(3)]
    fast = [api.message(user, "/help") for user in users]
    for user in users:
        await api.wait_sent(user["id"])
    gate.gate.set()
    await api.wait_sent(READER_ID)
    fetched = [u["update_id"] for p in api.polls if p.ok and p.result for u in p.result]
    ids = [u["update_id"] for u in [slow, *fast]]
    assert sorted(fetched) == ids  # no poll brought an update back
    assert sorted(i for i in parsed if i in ids) == ids
    assert [len(api.sent(chat_id=u["id"])) for u in [READER, *users]] == [1] * 4


async def test_an_update_that_cannot_be_parsed_is_skipped_not_polled_forever(
    api: FakeBotApi, adapter: TelegramAdapter, caplog: pytest.LogCaptureFixture
) -> None:
    # Telegram's JSON, yet one PTB cannot read (a shape it does not expect): it must not
    # block the updates behind it, or come back on every poll.
    broken = api.push({"message": {"message_id": "x", "date": "never", "chat": 5}})
    after = api.message(READER, "/help")
    await api.wait_sent(READER_ID)
    await until(lambda: offsets(api)[-1] == after["update_id"] + 1)
    assert broken["update_id"] < after["update_id"]
    assert any(f"update:{broken['update_id']}" in r.getMessage() for r in caplog.records)


async def test_concurrency_and_memory_are_bounded(
    api: FakeBotApi, gated: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    import bots.telegram.intake as intake_module

    monkeypatch.setattr(intake_module, "MAX_QUEUED", 4)
    bot, gate = await gated(concurrency=3)
    users = [FakeBotApi.user(700 + n, f"Reader{n}") for n in range(8)]
    for user in users[:4]:
        api.message(user, "/help")
    await until(lambda: gate.waiting == 3)  # three slots, the fourth update waits for one
    await until(lambda: len(bot.intake.lanes) == 4)
    rest = {api.message(user, "/help")["update_id"] for user in users[4:]}
    await asyncio.sleep(0.5)
    assert gate.waiting == 3
    # Four queued is the most: the rest stay with Telegram, not in memory.
    fetched = {u["update_id"] for p in api.polls if p.ok and p.result for u in p.result}
    assert not rest & fetched
    assert len(bot.intake.lanes) == 4

    gate.gate.set()
    for user in users:
        await api.wait_sent(user["id"])
    assert [len(api.sent(chat_id=u["id"])) for u in users] == [1] * 8


async def test_a_slow_chat_holds_one_slot_not_all(
    api: FakeBotApi, gated: Callable[..., Any]
) -> None:
    _, gate = await gated(held={READER_ID}, concurrency=2)
    for _ in range(4):
        api.message(READER, "/help")
    await until(lambda: gate.waiting == 1)  # its others wait for their turn, not for a slot
    api.message(OTHER_READER, "/help")
    await api.wait_sent(OTHER_READER["id"])
    gate.gate.set()
    await until(lambda: len(api.sent(chat_id=READER_ID)) == 4)


async def test_polls_wait_long_while_an_update_is_being_handled(
    api: FakeBotApi, gated: Callable[..., Any]
) -> None:
    _, gate = await gated(held={READER_ID})
    api.message(READER, "/help")
    await until(lambda: gate.waiting == 1)
    before = len(api.polls)
    await asyncio.sleep(1.0)
    # Nothing unconfirmed is left with Telegram, so every poll is a long poll (1 s here).
    assert len(api.polls) - before <= 2
    gate.gate.set()
    await api.wait_sent(READER_ID)


# Replies across a crash -------------------------------------------------------------------


def message_update(user: dict[str, Any], text: str) -> dict[str, Any]:
    uid = next(_update_ids)
    return {
        "update_id": uid,
        "message": {
            "message_id": uid,
            "date": int(time.time()),
            "chat": FakeBotApi.chat(user["id"]),
            "from": user,
            "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}],
        },
    }


def press_update(user: dict[str, Any], message: dict[str, Any], data: str) -> dict[str, Any]:
    uid = next(_update_ids)
    query = {"id": f"crash{uid}", "from": user, "chat_instance": "ci", "message": message}
    return {"update_id": uid, "callback_query": {**query, "data": data}}


def request_for_update(raw: dict[str, Any]) -> Request:
    request = request_of(Update.de_json(copy.deepcopy(raw), None))
    assert request is not None
    return request


async def run_once_more(api: FakeBotApi, settings: Settings, raw: dict[str, Any]) -> None:
    """A new process (Core and adapter on the same store) receives `raw` again."""
    core = await Core.open(settings)
    bot = TelegramAdapter(
        core, telegram_settings(api.root), poll_timeout=1, limiter=fast_limiter()
    )
    await bot.start()
    try:
        mark = len(api.calls)
        api.push(copy.deepcopy(raw))
        await api.wait_for(lambda c: c.method == "getUpdates", after=mark)
        await until(lambda: raw["update_id"] not in {u["update_id"] for u in api._updates})
        await api.idle(0.3)
        # What the crashed process owed is delivered at start-up; stopping would cancel it.
        assert bot.catching_up is not None
        await bot.catching_up
    finally:
        await bot.stop()
        await core.close()


async def test_a_reply_lost_in_a_crash_is_sent_when_the_update_comes_again(
    api: FakeBotApi, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bots.telegram")
    caplog.set_level(logging.INFO, logger="core.app")  # confirms (and logs) re-sent replies
    raw = message_update(READER, "/comment Said just before the crash")
    crashed = await Core.open(settings)
    # The dead process stored the draft, then died before its preview went out.
    first = await crashed.execute(request_for_update(raw), "comment", "Said just before the crash")
    assert first.confirm_key is not None and not first.replayed
    await crashed.close()

    await run_once_more(api, settings, raw)
    [preview] = api.sent(chat_id=READER_ID)
    assert "Said just before the crash" in text_of([preview])
    assert "✅ Send" in buttons(preview)
    assert f"re-sent the reply to telegram:update:{raw['update_id']}" in caplog.text

    await run_once_more(api, settings, raw)  # sent and confirmed: never again
    assert len(api.sent(chat_id=READER_ID)) == 1


async def test_a_press_answered_by_no_one_is_answered_after_the_restart(
    api: FakeBotApi, settings: Settings, tg_core: Core
) -> None:
    bot = TelegramAdapter(
        tg_core, telegram_settings(api.root), poll_timeout=1, limiter=fast_limiter()
    )
    await bot.start()
    [preview] = sent(await Conversation(api).say(READER, "/comment Sent as the lights went out"))
    await bot.stop()
    raw = press_update(READER, message_of(preview), buttons(preview)["✅ Send"])
    crashed = await Core.open(settings)
    # Stored, then the process died: no confirmation to the author, no card for moderators.
    stored = await crashed.press(request_for_update(raw), buttons(preview)["✅ Send"])
    assert "is waiting for a moderator" in stored.reply.text
    await crashed.close()

    await run_once_more(api, settings, raw)
    [thanks] = api.sent("editMessageText", chat_id=READER_ID)
    assert "is waiting for a moderator" in text_of([thanks])
    [card] = api.sent(chat_id=MOD_CHAT)  # posted at start-up
    assert "Sent as the lights went out" in text_of([card])

    await run_once_more(api, settings, raw)
    assert len(api.sent("editMessageText", chat_id=READER_ID)) == 1
    assert len(api.sent(chat_id=MOD_CHAT)) == 1


# Cards missed while down -------------------------------------------------------------------


async def test_cards_never_posted_are_posted_at_start_up_oldest_first(
    api: FakeBotApi, settings: Settings, tg_core: Core
) -> None:
    author = Actor("discord", "42", "Remote Author")  # any platform's comments reach Telegram
    for n in range(3):
        await tg_core.submit_comment(
            Request(author, "chan", f"discord:interaction:{n}"), f"Missed card {n}"
        )
    bot = TelegramAdapter(
        tg_core, telegram_settings(api.root), poll_timeout=1, limiter=fast_limiter()
    )
    await bot.start()
    try:
        # The catch-up, not the fake's log of sends: a card counts as posted once recorded.
        assert bot.catching_up is not None
        assert (await bot.catching_up).cards == 3
        texts = [text_of([c]) for c in api.sent(chat_id=MOD_CHAT)]
        assert [n for t in texts for n in range(3) if f"Missed card {n}" in t] == [0, 1, 2]
        assert await tg_core.relay.ledger.unposted("telegram") == []
    finally:
        await bot.stop()

    again = TelegramAdapter(
        tg_core, telegram_settings(api.root), poll_timeout=1, limiter=fast_limiter()
    )
    await again.start()
    try:
        assert again.catching_up is not None
        assert (await again.catching_up).cards == 0
    finally:
        await again.stop()
    assert len(api.sent(chat_id=MOD_CHAT)) == 3


async def test_authors_never_told_of_a_decision_are_told_at_start_up(
    api: FakeBotApi, settings: Settings, tg_core: Core
) -> None:
    author = Actor("telegram", "4242", "Ada")
    stored = await tg_core.submit_comment(Request(author, "4242", "telegram:update:1"), "Hi")
    assert "waiting for a moderator" in stored.reply.text
    moderator = Actor("telegram", str(MOD_ID), "Mia")
    await tg_core.execute(Request(moderator, str(MOD_ID), "telegram:update:2"), "approve", "1")
    # No adapter was running: the decision's event (and its notice) died with that process.
    assert api.sent(chat_id=4242) == []

    core = await Core.open(settings)
    bot = TelegramAdapter(
        core, telegram_settings(api.root), poll_timeout=1, limiter=fast_limiter()
    )
    await bot.start()
    try:
        # The catch-up, not the fake's log of sends: a notice counts as told once recorded.
        assert bot.catching_up is not None
        assert (await bot.catching_up).notices == 1
        assert "was approved" in text_of(api.sent(chat_id=4242))
        assert await core.relay.ledger.untold("telegram") == []
    finally:
        await bot.stop()
    again = TelegramAdapter(
        core, telegram_settings(api.root), poll_timeout=1, limiter=fast_limiter()
    )
    await again.start()
    try:
        assert again.catching_up is not None
        assert (await again.catching_up).notices == 0
    finally:
        await again.stop()
        await core.close()
    assert len(api.sent(chat_id=4242)) == 1


async def test_a_live_card_and_the_catch_up_post_one_card(
    chat: Conversation, api: FakeBotApi, adapter: TelegramAdapter, tg_core: Core
) -> None:
    [preview] = sent(await chat.say(READER, "/comment Both paths at once"))
    await chat.press(READER, message_of(preview), buttons(preview)["✅ Send"])
    await tg_core.events.drain()
    await tg_core.relay.catch_up(adapter.platform)  # as if the start-up catch-up read it too
    assert len(api.sent(chat_id=MOD_CHAT)) == 1


# Stopping ------------------------------------------------------------------------------------


async def test_stop_finishes_what_it_took_then_confirms_it(api: FakeBotApi, tg_core: Core) -> None:
    bot = TelegramAdapter(
        tg_core, telegram_settings(api.root), poll_timeout=1, limiter=fast_limiter()
    )
    gate = GatedCore(tg_core, {READER_ID})
    bot.handlers.core = gate  # type: ignore[assignment]
    await bot.start()
    update = api.message(READER, "/help")
    await until(lambda: gate.waiting == 1)
    asyncio.get_running_loop().call_later(0.3, gate.gate.set)  # still working at SIGTERM
    await bot.stop()
    assert len(api.sent(chat_id=READER_ID)) == 1
    assert offsets(api)[-1] == update["update_id"] + 1


async def test_a_token_revoked_while_polling_ends_the_adapter(
    api: FakeBotApi, tg_core: Core
) -> None:
    bot = TelegramAdapter(
        tg_core, telegram_settings(api.root), poll_timeout=1, limiter=fast_limiter()
    )
    await bot.start()
    try:
        api.fail("getUpdates", 401, "Unauthorized", count=10_000)
        with pytest.raises(PollingFailed, match="refused the bot token"):
            async with asyncio.timeout(5):
                await bot.wait(asyncio.Event())
    finally:
        await bot.stop()
