"""`python -m bots.telegram` as a process: clean SIGTERM, non-zero exit on 409, token unlogged."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from tests.support.paths import CONTENT, ROOT
from tests.support.telegram_api import TOKEN, FakeBotApi
from tests.support.telegram_users import READER, READER_ID


def _env(api: FakeBotApi, database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DISCORD_"))}
    env.update(
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=api.root,
        TELEGRAM_MODERATOR_IDS="1001",
        DATABASE_URL=database_url,
        CONTENT_DIR=str(CONTENT),
        LOG_LEVEL="DEBUG",
    )
    return env


async def _spawn(api: FakeBotApi, tmp_path: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bots.telegram",
        cwd=tmp_path,  # no .env from the working tree
        env={**_env(api, f"sqlite+aiosqlite:///{tmp_path}/bot.sqlite3"), "PYTHONPATH": str(ROOT)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def test_runs_alone_and_stops_cleanly_on_sigterm(api: FakeBotApi, tmp_path: Path) -> None:
    process = await _spawn(api, tmp_path)
    update = api.message(READER, "/start")
    welcome = await api.wait_sent(READER_ID, within=20)
    assert "Welcome" in welcome.params["text"]
    process.send_signal(signal.SIGTERM)
    _, stderr = await asyncio.wait_for(process.communicate(), 20)
    log = stderr.decode()
    assert process.returncode == 0, log
    assert TOKEN not in log and TOKEN.split(":")[1] not in log
    # The offset of the handled update was confirmed on the way out.
    assert api.polls[-1].params["offset"] == update["update_id"] + 1


async def test_exits_non_zero_on_conflict(api: FakeBotApi, tmp_path: Path) -> None:
    api.conflict()
    process = await _spawn(api, tmp_path)
    _, stderr = await asyncio.wait_for(process.communicate(), 30)
    log = stderr.decode()
    assert process.returncode == 3, log
    assert "another instance is polling with this bot token" in log
    assert TOKEN not in log and TOKEN.split(":")[1] not in log
