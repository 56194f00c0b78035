"""SQLite stays one process: a second one on the same file is refused, clearly."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

from sqlalchemy.engine import make_url

from core.app import Core
from core.store.single_process import SingleProcess
from tests.support.clock import Clock
from tests.support.paths import ROOT
from tests.support.settings import grant_test_moderators, make_settings


def test_another_process_is_refused_until_this_one_lets_go(sqlite_url: str) -> None:
    url = make_url(sqlite_url)
    mine, also_mine = SingleProcess.claim(url), SingleProcess.claim(url)  # Cores of one process
    assert mine is not None and also_mine is not None
    probe = [sys.executable, "-c", PROBE, url.database or ""]
    refused = subprocess.run(probe, capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert "PostgreSQL" in refused.stdout
    mine.release()
    assert "PostgreSQL" in subprocess.run(probe, capture_output=True, text=True, cwd=ROOT).stdout
    also_mine.release()  # the last one lets go
    assert (
        subprocess.run(probe, capture_output=True, text=True, cwd=ROOT).stdout.strip() == "claimed"
    )


PROBE = """
import sys
from sqlalchemy.engine import make_url
from core.store.single_process import SingleProcess, StoreInUse
try:
    SingleProcess.claim(make_url("sqlite+aiosqlite:///" + sys.argv[1]))
    print("claimed")
except StoreInUse as exc:
    print(exc)
"""


async def test_a_second_process_exits_with_the_reason_and_no_traceback(
    sqlite_url: str, clock: Clock
) -> None:
    first = await Core.open(make_settings(sqlite_url), clock=clock, migrate=False)
    grant_test_moderators(first)
    try:
        env = {
            **os.environ,
            "DATABASE_URL": sqlite_url,
            "TELEGRAM_BOT_TOKEN": "123:unused",
            "TELEGRAM_API_BASE_URL": "http://127.0.0.1:9",
        }
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bots", cwd=ROOT, env=env, stderr=asyncio.subprocess.PIPE
        )
        _, stderr = await asyncio.wait_for(process.communicate(), 60)
    finally:
        await first.close()
    assert process.returncode == 2
    assert "another process is running on the SQLite store" in stderr.decode()
    assert "Traceback" not in stderr.decode()
