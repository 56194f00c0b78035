"""`python -m bots` as a process answers `GET /healthz` on PORT (polling mode, no webhook)."""

from __future__ import annotations

from pathlib import Path

import aiohttp

from drills._process import BotProcess, bot_env
from tests.support.network import free_port
from tests.support.telegram_api import FakeBotApi


async def test_the_runner_serves_health_checks_on_port(tmp_path: Path) -> None:
    api = FakeBotApi()
    await api.start()
    port = free_port()
    env = bot_env(api.root, f"sqlite+aiosqlite:///{tmp_path}/bot.sqlite3", PORT=str(port))
    bot = BotProcess(env, tmp_path, module="bots")
    try:
        await bot.start()
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"http://127.0.0.1:{port}/healthz") as answer,
        ):
            assert answer.status == 200
            assert await answer.json() == {
                "ok": True,
                "checks": {"telegram": True, "store": True},
                "roles": {"telegram": "poller, worker"},
            }
        await api.stop()  # Telegram unreachable: polling fails, the check says so
        api = FakeBotApi()
    finally:
        await bot.close()
        await api.stop()
