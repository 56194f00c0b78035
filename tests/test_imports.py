"""A process imports what it uses: only the configured adapter's platform library, only its
database's driver, no migration tooling when the schema is current, and no library that only
some requests need before one of them comes (each costs idle memory).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from core.store.engine import Database
from core.store.migrate import SCHEMA_HEAD
from tests.support.databases import PostgresFactory
from tests.support.paths import CONTENT, ROOT
from tests.support.telegram_api import TOKEN, FakeBotApi
from tests.support.telegram_users import READER, READER_ID

# What `python -m bots` imports before it runs the adapters: the runner, the configured ones.
RUNNER = """\
from bots.runner import configured_runners

assert list(configured_runners()) == ["telegram"]
"""
# Then it opens the core on the store (and would migrate it if it were behind).
OPEN_CORE = """\
import asyncio

from core.app import Core
from core.config import Settings


async def main() -> None:
    core = await Core.open(Settings.from_environment())
    await core.close()


asyncio.run(main())
"""
REPORT = """
import json, sys

print(json.dumps(sorted(sys.modules)))
"""
# `python -m bots` itself, reporting its modules as it exits.
RUN_BOTS = """\
import atexit, json, runpy, sys

atexit.register(lambda: print(json.dumps(sorted(sys.modules)), flush=True))
runpy.run_module("bots", run_name="__main__", alter_sys=True)
"""


def only(**env: str) -> dict[str, str]:
    """This environment with only `env` configured (no platform, database or comment setting)."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEGRAM_", "DISCORD_", "DATABASE_", "COMMENT_", "PYTHON"))
    }
    clean.update(PYTHONPATH=str(ROOT), CONTENT_DIR=str(CONTENT), LOG_LEVEL="WARNING", **env)
    return clean


async def modules_after(code: str, workdir: Path, **env: str) -> set[str]:
    """The modules a fresh interpreter holds after running `code` with only `env` configured."""
    clean = only(**env)
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-c", code + REPORT],
        capture_output=True,
        text=True,
        cwd=workdir,  # no .env from the working tree
        env=clean,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout.splitlines()[-1]))


def loaded(modules: set[str], *names: str) -> list[str]:
    """Which of `names` (packages or modules) are loaded, themselves or any submodule."""
    return sorted(n for n in names if any(m == n or m.startswith(f"{n}.") for m in modules))


async def test_a_telegram_only_runner_imports_neither_discord_nor_alembic(
    tmp_path: Path, sqlite_url: str
) -> None:
    modules = await modules_after(
        RUNNER, tmp_path, TELEGRAM_BOT_TOKEN="1:x", DATABASE_URL=sqlite_url
    )
    assert loaded(modules, "telegram", "bots.telegram.run") == ["bots.telegram.run", "telegram"]
    # The runner reads the Discord settings to see it is not configured: nothing more of it.
    discord_modules = sorted(m for m in modules if m.startswith("bots.discord"))
    assert discord_modules == ["bots.discord", "bots.discord.settings"]
    assert loaded(modules, "discord", "alembic", "asyncpg") == []


async def test_opening_the_core_on_a_current_store_imports_no_migration_tooling(
    tmp_path: Path, database_url: str
) -> None:
    modules = await modules_after(
        RUNNER + OPEN_CORE, tmp_path, TELEGRAM_BOT_TOKEN="1:x", DATABASE_URL=database_url
    )
    assert loaded(modules, "alembic", "mako", "discord") == []
    if database_url.startswith("sqlite"):
        other_engine = ["asyncpg", "sqlalchemy.dialects.postgresql"]
    else:
        other_engine = ["aiosqlite", "sqlalchemy.dialects.sqlite"]
    assert loaded(modules, *other_engine) == []


@pytest.fixture(params=["sqlite", "postgresql"])
async def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database with no schema yet, as on a bot's first start."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'new' / 'bot.sqlite3'}"
    factory: PostgresFactory = request.getfixturevalue("postgres_factory")
    return await factory.empty()


async def test_a_first_start_migrates_in_a_child_and_holds_no_migration_tooling(
    tmp_path: Path, empty_database_url: str
) -> None:
    # Alembic and Mako take ~13 MB a bot would hold until its next restart.
    modules = await modules_after(
        RUNNER + OPEN_CORE, tmp_path, TELEGRAM_BOT_TOKEN="1:x", DATABASE_URL=empty_database_url
    )
    assert loaded(modules, "alembic", "mako") == []
    database = Database.connect(empty_database_url, pool_size=1)
    try:
        versions = await database.read(
            lambda s: s.scalars(text("SELECT version_num FROM alembic_version")).all()
        )
    finally:
        await database.close()
    assert versions == [SCHEMA_HEAD]


# The content importer's libraries: `python -m core.content` loads them, the bot never does.
IMPORTER = ("core.content.importer", "trafilatura", "feedparser", "pysbd", "tomlkit", "lxml")
CHECK = """\
from core.content.importer.cli import main

assert main(["check"]) == 0
"""


async def test_the_bot_loads_none_of_the_content_importer(tmp_path: Path, sqlite_url: str) -> None:
    modules = await modules_after(
        RUNNER + OPEN_CORE, tmp_path, TELEGRAM_BOT_TOKEN="1:x", DATABASE_URL=sqlite_url
    )
    assert "core.content" in modules
    assert loaded(modules, *IMPORTER) == []


async def test_check_loads_none_of_the_import_libraries(tmp_path: Path) -> None:
    modules = await modules_after(CHECK, tmp_path)
    assert "core.content.importer.check" in modules
    assert loaded(modules, "trafilatura", "feedparser", "pysbd", "tomlkit", "lxml", "httpx") == []


class TelegramOnlyBot:
    """`python -m bots` with only Telegram configured (on the fake Bot API) on a current store."""

    def __init__(self, api: FakeBotApi, database_url: str, workdir: Path) -> None:
        self.api, self.database_url, self.workdir = api, database_url, workdir
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        env = only(
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_API_BASE_URL=self.api.root,
            DATABASE_URL=self.database_url,
        )
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            RUN_BOTS,
            cwd=self.workdir,  # no .env from the working tree
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )

    async def ask(self, text: str) -> str:
        """What the bot answers a reader's private message."""
        after = len(self.api.calls)
        self.api.message(READER, text)
        sent = await self.api.wait_sent(READER_ID, within=30, after=after)
        return str(sent.params["text"])

    async def stop(self) -> set[str]:
        """SIGTERM; the modules it held as it exited."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        stdout, stderr = await asyncio.wait_for(self.process.communicate(), 30)
        assert self.process.returncode == 0, stderr.decode()
        return set(json.loads(stdout.decode().splitlines()[-1]))


async def test_a_telegram_only_bot_on_a_current_store_holds_only_what_it_has_used(
    tmp_path: Path, sqlite_url: str
) -> None:
    api = FakeBotApi()
    await api.start()
    bot = TelegramOnlyBot(api, sqlite_url, tmp_path)
    try:
        await bot.start()
        assert "Welcome" in await bot.ask("/start")
        modules = await bot.stop()
    finally:
        await api.stop()
    # The other platform, migrations, the other database's driver, the web server (webhooks
    # and health checks only), FAQ typo tolerance before a question needs it, pydantic,
    # whose 9.6 MB the models (attrs) and settings (environs) no longer pay, and the confusables
    # data (18 MB) the look-alike table is built from ahead of time.
    unused = [
        "discord",
        "alembic",
        "mako",
        "asyncpg",
        "sqlalchemy.dialects.postgresql",
        "pydantic",
        "confusable_homoglyphs",
    ]
    assert loaded(modules, *unused, "aiohttp.web", "rapidfuzz") == []


async def test_the_first_question_that_is_no_exact_phrasing_loads_typo_tolerance(
    tmp_path: Path, sqlite_url: str
) -> None:
    api = FakeBotApi()
    await api.start()
    bot = TelegramOnlyBot(api, sqlite_url, tmp_path)
    try:
        await bot.start()
        # A misspelt word: rapidfuzz corrects it, then rescores the phrasings found.
        answer = await bot.ask("/faq microsfot absent")
        modules = await bot.stop()
    finally:
        await api.stop()
    assert "Microsoft part of the announcement" in answer
    assert loaded(modules, "rapidfuzz") == ["rapidfuzz"]
