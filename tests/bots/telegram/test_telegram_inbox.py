"""The inbox seen from Telegram: the per-user command rate, fair lanes under pacing, and
prompts that outlive a restart, through the real PTB stack against the loopback fake."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select

from bots.telegram.run import TelegramAdapter
from core.app import Core
from core.config import Settings
from core.store.tables import InboxEntry
from tests.support.gated import GatedCore, until
from tests.support.network import free_port
from tests.support.settings import NO_FLOOD, make_settings, telegram_settings
from tests.support.telegram_api import FakeBotApi
from tests.support.telegram_chat import Conversation, fast_limiter, sent, text_of
from tests.support.telegram_users import MOD, MOD_ID, READER, READER_ID

GROUP = -100777


async def inbox_states(core: Core) -> list[str]:
    rows = await core.database.read(
        lambda s: s.execute(select(InboxEntry.state).order_by(InboxEntry.id)).scalars().all()
    )
    return list(rows)


async def test_over_the_command_rate_a_reader_is_told_once_then_ignored(
    api: FakeBotApi, sqlite_url: str
) -> None:
    core = await Core.open(
        make_settings(sqlite_url, comment_rules=NO_FLOOD, command_rate_per_minute=3)
    )
    bot = TelegramAdapter(
        core, telegram_settings(api.root), poll_timeout=1, limiter=fast_limiter()
    )
    await bot.start()
    try:
        for _ in range(6):
            api.message(READER, "/links")
            api.message(MOD, "/links")  # moderators are exempt
        await api.idle(0.5)
        replies = api.sent(chat_id=READER_ID)
        assert len(replies) == 4
        assert "too fast" in text_of(replies[-1:])
        assert "wait" in text_of(replies[-1:])
        assert len(api.sent(chat_id=MOD_ID)) == 6
        await core.inbox.flush()
        states = await inbox_states(core)
        assert states.count("skipped") == 3  # the warned one and the two ignored
        assert states.count("done") == 9
    finally:
        await bot.stop()
        await core.close()


async def test_a_group_flooding_under_pacing_does_not_delay_another_chat(
    api: FakeBotApi, tg_core: Core
) -> None:
    bot = TelegramAdapter(
        tg_core, telegram_settings(api.root), poll_timeout=1, limiter=fast_limiter(pacing=True)
    )
    await bot.start()
    try:
        members = [FakeBotApi.user(3000 + n, f"Member{n}") for n in range(10)]
        for _ in range(6):
            for member in members:
                api.message(member, "/links", chat_id=GROUP)
        await api.wait_sent(GROUP)
        waits = []
        for _ in range(3):
            mark = len(api.calls)
            started = time.monotonic()
            api.message(READER, "/help")
            await api.wait_sent(READER_ID, after=mark)
            waits.append(time.monotonic() - started)
            await asyncio.sleep(0.3)
        # The group's 60 replies are paced at 20 a minute, a slot every 3 s; the private chat
        # never waits for one (the bound leaves a loaded machine room, and is half a slot).
        assert max(waits) < 1.5
        assert len(api.sent(chat_id=GROUP)) < 30
    finally:
        await bot.stop()


async def test_a_prompt_outlives_a_restart(api: FakeBotApi, settings: Settings) -> None:
    first_core = await Core.open(settings)
    first = TelegramAdapter(
        first_core, telegram_settings(api.root), poll_timeout=1, limiter=fast_limiter()
    )
    await first.start()
    chat = Conversation(api)
    [prompt] = sent(await chat.say(READER, "/comment"))
    assert prompt.params["reply_markup"]["force_reply"] is True
    await first.stop()
    await first_core.close()

    # A new process: nothing in memory, the prompt is read back from the store.
    second_core = await Core.open(settings)
    second = TelegramAdapter(
        second_core, telegram_settings(api.root), poll_timeout=1, limiter=fast_limiter()
    )
    await second.start()
    try:
        answer = await chat.say(READER, "Written after the restart", reply_to=prompt.result)
    finally:
        await second.stop()
        await second_core.close()
    # The text is taken as the comment the prompt asked for, not as a question for /faq.
    shown = text_of(sent(answer))
    assert "Written after the restart" in shown
    assert "Send" in str(sent(answer)[0].params.get("reply_markup"))


async def test_a_webhook_backlog_stays_with_telegram_not_in_memory(
    api: FakeBotApi, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bots.telegram.intake as intake_module
    import bots.telegram.run as app_module

    monkeypatch.setattr(intake_module, "MAX_QUEUED", 2)
    monkeypatch.setattr(app_module, "WEBHOOK_ROOM_SECONDS", 0.2)
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram/hook"
    telegram = telegram_settings(api.root, webhook_url=url, webhook_secret="s")
    core = await Core.open(make_settings(sqlite_url, comment_rules=NO_FLOOD, port=port))
    bot = TelegramAdapter(core, telegram, limiter=fast_limiter(), webhook_listen="127.0.0.1")
    gate = GatedCore(core)
    bot.handlers.core = gate  # type: ignore[assignment]
    headers = {"X-Telegram-Bot-Api-Secret-Token": "s"}
    try:
        await bot.start()
        async with aiohttp.ClientSession() as http:
            statuses = []
            for n in range(4):
                update = help_update(10 + n, 600 + n)
                async with http.post(url, json=update, headers=headers) as answer:
                    statuses.append(answer.status)
            assert statuses == [200, 200, 503, 503]  # two wait in memory; Telegram keeps two
            gate.gate.set()
            await until(lambda: len(bot.intake.lanes) == 0)
            for n in (2, 3):  # Telegram's retries, once there is room
                async with http.post(
                    url, json=help_update(10 + n, 600 + n), headers=headers
                ) as again:
                    assert again.status == 200
        for n in range(4):
            await api.wait_sent(600 + n)
    finally:
        await bot.stop()
        await core.close()


def help_update(update_id: int, user_id: int) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 0,
            "chat": FakeBotApi.chat(user_id),
            "from": FakeBotApi.user(user_id),
            "text": "/help",
            "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
        },
    }
