"""Shared by the process drills: the bot as a real process, the fake Bot API's calls, a store."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Self

from bench.report import table
from tests.support.network import free_port
from tests.support.telegram_api import TOKEN, Call, FakeBotApi

ROOT = Path(__file__).resolve().parents[1]
READY_LINE = "Telegram adapter running"
MODERATOR_ID = 1001
MODERATION_CHAT = -100500


def bot_env(api_root: str, database_url: str, **extra: str) -> dict[str, str]:
    """The environment of `python -m bots.telegram` against the fake, nothing inherited."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEGRAM_", "DISCORD_", "COMMENT_", "DATABASE_", "SQLITE_"))
    }
    env.update(
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=api_root,
        TELEGRAM_MODERATOR_IDS=str(MODERATOR_ID),
        TELEGRAM_MODERATION_CHAT_ID=str(MODERATION_CHAT),
        TELEGRAM_RATE_LIMIT="off",
        # Drill authors comment several times a second.
        COMMENT_FLOOD_SECONDS="0",
        # and readers send many commands a minute: the per-user rate would ignore them.
        COMMAND_RATE_PER_MINUTE="0",
        DATABASE_URL=database_url,
        CONTENT_DIR=str(ROOT / "content"),
        LOG_LEVEL="INFO",
        PYTHONPATH=str(ROOT),
    )
    env.update(extra)
    return env


class BotProcess:
    """`python -m bots.telegram` as a child process; its log goes to one file across restarts."""

    def __init__(self, env: dict[str, str], workdir: Path, module: str = "bots.telegram") -> None:
        self.env = env
        self.workdir = workdir  # no .env from the working tree
        self.module = module
        self.log_path = workdir / "bot.log"
        self.process: asyncio.subprocess.Process | None = None
        self.starts = 0
        self._log: IO[bytes] | None = None
        self._log_mark = 0

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.returncode is None

    async def start(self, within: float = 30.0) -> float:
        """Spawn the bot and wait until it polls; returns the seconds that took."""
        assert self.process is None or self.process.returncode is not None, "already running"
        started = time.monotonic()
        self._log = self._log or self.log_path.open("ab")
        self._log.flush()
        self._log_mark = self.log_path.stat().st_size
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", self.module,
            cwd=self.workdir, env=self.env, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=self._log,
        )  # fmt: skip
        self.starts += 1
        deadline = started + within
        while READY_LINE not in self.log_since_start():
            if not self.running:
                raise RuntimeError(f"bot exited while starting:\n{self.tail()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"bot not polling after {within:.0f} s:\n{self.tail()}")
            await asyncio.sleep(0.02)
        return time.monotonic() - started

    def signal(self, sig: signal.Signals) -> None:
        assert self.process is not None
        self.process.send_signal(sig)

    async def kill(self) -> None:
        """SIGKILL, as an OOM killer or a host failure would, and reap the process."""
        if self.running:
            self.signal(signal.SIGKILL)
        if self.process is not None:
            await self.process.wait()

    async def wait(self, within: float) -> int | None:
        """The exit status, or None if the process is still running after `within` seconds."""
        assert self.process is not None
        try:
            return await asyncio.wait_for(self.process.wait(), within)
        except TimeoutError:
            return None

    async def close(self) -> None:
        """Stop the process whatever state it is in (SIGTERM, then SIGKILL)."""
        if self.running:
            self.signal(signal.SIGTERM)
            if await self.wait(15) is None:
                await self.kill()
        if self._log is not None:
            self._log.close()
            self._log = None

    def log_since_start(self) -> str:
        with self.log_path.open("rb") as log:
            log.seek(self._log_mark)
            return log.read().decode(errors="replace")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.log().splitlines()[-lines:])


class CallIndex:
    """Groups the fake's recorded calls by keys (one scan for all waiters, not one each)."""

    def __init__(self, api: FakeBotApi, keys: Callable[[Call], Iterable[Hashable]]) -> None:
        self.api = api
        self.keys = keys
        self.by_key: defaultdict[Hashable, list[Call]] = defaultdict(list)
        self._waiters: defaultdict[Hashable, list[tuple[int, asyncio.Future[Call]]]] = defaultdict(
            list
        )
        self._seen = 0
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Self:
        self._task = asyncio.create_task(self._scan_forever())
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for waiters in self._waiters.values():
            for _, waiter in waiters:
                waiter.cancel()

    def scan(self) -> None:
        calls = self.api.calls
        for call in calls[self._seen :]:
            if not call.ok:
                continue
            for key in self.keys(call):
                found = self.by_key[key]
                found.append(call)
                waiters = self._waiters.get(key, [])
                for n, waiter in [w for w in waiters if w[0] < len(found)]:
                    waiters.remove((n, waiter))
                    if not waiter.done():
                        waiter.set_result(found[n])
        self._seen = len(calls)

    async def first(self, key: Hashable) -> Call:
        """The first call under `key`, waiting for it (callers bound the wait)."""
        return await self.nth(key, 0)

    async def nth(self, key: Hashable, n: int) -> Call:
        """The call number `n` (from 0) under `key`, waiting for it."""
        self.scan()
        if len(found := self.by_key.get(key, [])) > n:
            return found[n]
        waiter: asyncio.Future[Call] = asyncio.get_running_loop().create_future()
        self._waiters[key].append((n, waiter))
        return await waiter

    def count(self, key: Hashable) -> int:
        self.scan()
        return len(self.by_key.get(key, []))

    async def _scan_forever(self) -> None:
        while True:
            self.scan()
            await asyncio.sleep(0.01)


def quiet_fake_server() -> None:
    """A killed bot drops its connections mid-request: expected here, not worth a traceback."""
    logging.getLogger("aiohttp.server").setLevel(logging.CRITICAL)


def unconfirmed(api: FakeBotApi) -> int:
    """Updates the fake still holds: not yet confirmed by a poll with a higher offset."""
    return len(api._updates)


def pending_ids(api: FakeBotApi) -> set[int]:
    return {u["update_id"] for u in api._updates}


async def settle(api: FakeBotApi, quiet: float = 1.0, within: float = 60.0) -> bool:
    """Wait until every update is confirmed and no call arrived for `quiet` s; False on timeout."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        count = len(api.calls)
        await asyncio.sleep(quiet)
        if len(api.calls) == count and not unconfirmed(api):
            return True
    return False


def button_data(call: Call, label: str) -> str | None:
    """The callback_data of the button labelled `label` in a recorded sendMessage."""
    markup = (call.result or {}).get("reply_markup") or {}
    for row in markup.get("inline_keyboard", []):
        for button in row:
            if button.get("text") == label:
                return str(button.get("callback_data"))
    return None


# SQLite ------------------------------------------------------------------------------------


def integrity(path: Path) -> str:
    """`PRAGMA integrity_check` of the store file ('ok' when it is sound)."""
    with contextlib.closing(sqlite3.connect(path, timeout=30)) as db:
        rows = db.execute("PRAGMA integrity_check").fetchall()
    return "; ".join(str(r[0]) for r in rows)


def sqlite_rows(path: Path, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    with contextlib.closing(sqlite3.connect(path, timeout=30)) as db:
        return db.execute(sql, params).fetchall()


# PostgreSQL ----------------------------------------------------------------------------------


def _as_postgres(command: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root; CI runs as root.
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@dataclass
class PgCluster:
    """A throwaway PostgreSQL data directory this drill can stop and start at will."""

    bindir: Path
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="drill-pg-")))
    port: int = field(default_factory=free_port)

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"

    @property
    def data(self) -> Path:
        return self.root / "data"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(_as_postgres(list(args)), check=check, capture_output=True)

    def create(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        self._run(
            str(self.bindir / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust",
            "--no-sync",
        )  # fmt: skip

    def start(self) -> float:
        """Start the server and wait until it accepts connections; returns the seconds taken."""
        began = time.monotonic()
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
            "-c max_connections=100 -c fsync=off -c full_page_writes=off"
        )
        self._run(
            str(self.bindir / "pg_ctl"), "-D", str(self.data), "-o", options,
            "-l", str(self.root / "server.log"), "-w", "-t", "60", "start",
        )  # fmt: skip
        return time.monotonic() - began

    def stop(self, mode: str = "fast") -> float:
        """Stop the server (`fast`: sessions are cut, as in a failover); seconds taken."""
        began = time.monotonic()
        self._run(
            str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop",
            check=False,
        )  # fmt: skip
        return time.monotonic() - began

    def destroy(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


# Reporting -----------------------------------------------------------------------------------


@dataclass
class DrillReport:
    """What a drill injected and found, row by row; `problems` lists anything lost or wrong."""

    title: str
    headers: list[str]
    rows: list[list[object]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def tidy(self, root: Path, *, keep: Path | None, what: str) -> None:
        """Remove the drill's work directory when all went well; otherwise say where it is."""
        if self.ok and keep is None:
            shutil.rmtree(root, ignore_errors=True)
        elif not self.ok:
            self.notes.append(f"{what} kept in {root}")

    def sections(self) -> list[str]:
        """Lines between the main table and the notes (a drill's further tables)."""
        return []

    def render(self) -> str:
        lines = [self.title, "", table(self.headers, self.rows), "", *self.sections()]
        lines += [f"note: {note}" for note in self.notes]
        if self.problems:
            lines += [f"LOST/WRONG: {problem}" for problem in self.problems]
        else:
            lines.append("lost: nothing")
        return "\n".join(lines)


def workdir(prefix: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=prefix))
