"""Several Telegram processes on one PostgreSQL, through the real PTB stack: one elected
poller with a standby taking over, and webhook receivers sharing one inbox."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest

from bots.telegram.run import TelegramAdapter
from core.app import Core
from tests.support.databases import PostgresFactory
from tests.support.gated import until
from tests.support.network import free_port
from tests.support.settings import NO_FLOOD, make_settings, telegram_settings
from tests.support.telegram_api import FakeBotApi
from tests.support.telegram_chat import fast_limiter

Start = Callable[..., Awaitable[TelegramAdapter]]
SECRET = "processes-secret"
COMMANDS = ["/links", "/faq how much money", "/help", "/faq why wasnt microsoft there"]


@pytest.fixture
async def postgres_url(postgres_factory: PostgresFactory) -> str:
    return await postgres_factory.new()


@pytest.fixture
async def start(api: FakeBotApi, postgres_url: str) -> AsyncIterator[Start]:
    """Starts adapters, each on its own Core (as separate processes), on one database."""
    running: list[TelegramAdapter] = []

    async def start_one(port: int | None = None, **overrides: Any) -> TelegramAdapter:
        """Overrides are the Telegram adapter's settings; `port` is the process's PORT."""
        core_overrides: dict[str, Any] = {} if port is None else {"port": port}
        core = await Core.open(
            make_settings(postgres_url, comment_rules=NO_FLOOD, **core_overrides)
        )
        telegram = telegram_settings(api.root, **overrides)
        bot = TelegramAdapter(
            core, telegram, poll_timeout=1, limiter=fast_limiter(), **_listen(overrides)
        )
        await bot.start()
        running.append(bot)
        return bot

    yield start_one
    for bot in running:
        await stop(bot)


def _listen(overrides: dict[str, Any]) -> dict[str, Any]:
    return {"webhook_listen": "127.0.0.1"} if "webhook_url" in overrides else {}


async def stop(bot: TelegramAdapter) -> None:
    if not bot._stopping:
        await bot.stop()
        await bot.core.close()


def answered(api: FakeBotApi, users: list[dict[str, Any]]) -> bool:
    return all(api.sent(chat_id=user["id"]) for user in users)


async def test_one_process_polls_and_a_standby_takes_over_when_it_stops(
    api: FakeBotApi, start: Start, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    bots = [await start(), await start()]
    await until(lambda: sum(bot.poller is not None for bot in bots) == 1, 10)
    leader = next(bot for bot in bots if bot.poller is not None)
    standby = next(bot for bot in bots if bot is not leader)
    assert standby.core.roles["telegram"] == "polling standby, worker"
    assert leader.core.roles["telegram"] == "poller, worker"
    readers = [FakeBotApi.user(5000 + n) for n in range(10)]
    for reader in readers:
        api.message(reader, "/links")
    await until(lambda: answered(api, readers), 10)

    await stop(leader)
    await until(lambda: standby.poller is not None, 10)  # within STANDBY_RETRY_SECONDS
    later = [FakeBotApi.user(6000 + n) for n in range(10)]
    for reader in later:
        api.message(reader, "/links")
    await until(lambda: answered(api, later), 10)
    await api.idle(0.3)
    for reader in readers + later:
        assert len(api.sent(chat_id=reader["id"])) == 1, "each answered exactly once"
    assert api.conflicts == 0
    assert "409" not in caplog.text


async def test_webhook_receivers_share_the_inbox_and_keep_each_chats_order(
    api: FakeBotApi, start: Start
) -> None:
    ports = [free_port(), free_port()]
    for port in ports:
        await start(
            webhook_url=f"http://127.0.0.1:{port}/hook",
            webhook_secret=SECRET,
            port=port,
        )
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    update_ids = iter(range(1, 1000))

    async def post(
        http: aiohttp.ClientSession, port: int, user: dict[str, Any], text: str
    ) -> None:
        message = {
            "message_id": next(update_ids),
            "date": 0,
            "chat": FakeBotApi.chat(user["id"]),
            "from": user,
            "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}],
        }
        update = {"update_id": message["message_id"], "message": message}
        url = f"http://127.0.0.1:{port}/hook"
        async with http.post(url, json=update, headers=headers) as answer:
            assert answer.status == 200

    chats = [FakeBotApi.user(7000 + n) for n in range(6)]
    async with aiohttp.ClientSession() as http:
        learner = FakeBotApi.user(6999)
        for learnt, command in enumerate(COMMANDS, start=1):  # to tell the replies apart
            await post(http, ports[0], learner, command)
            await until(lambda n=learnt: len(api.sent(chat_id=learner["id"])) == n)
        answers = [c.params["text"] for c in api.sent(chat_id=learner["id"])]
        # Each chat's updates arrive at both receivers in turn, as a load balancer spreads them.
        for round_, command in enumerate(COMMANDS):
            for n, user in enumerate(chats):
                await post(http, ports[(round_ + n) % 2], user, command)
    await until(lambda: all(len(api.sent(chat_id=u["id"])) >= 4 for u in chats), 15)
    await api.idle(0.5)
    for user in chats:
        replies = [c.params["text"] for c in api.sent(chat_id=user["id"])]
        assert replies == answers, "each answered once, in the chat's order"
