"""SIGHUP reloads the content, in every entry point (they share `bots.runner.main`): a new
article is served, and bad content is logged while the old content keeps being served."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from bots.runner import ReloadOnHangup
from core.app import Core
from tests.support.actors import READER, request_for
from tests.support.content import MISSING_ANSWER, add_townhall, content_copy
from tests.support.paths import ROOT
from tests.support.settings import make_settings

UNKNOWN_TOWNHALL = "I don't know the command /townhall"


@pytest.fixture
def content(tmp_path: Path) -> Path:
    return content_copy(tmp_path / "content")


@pytest.fixture
async def core(sqlite_url: str, content: Path) -> AsyncIterator[Core]:
    core = await Core.open(make_settings(sqlite_url, content_dir=content))
    try:
        yield core
    finally:
        await core.close()


async def hang_up(hangup: ReloadOnHangup) -> None:
    """Send this process SIGHUP and wait for the reload it starts."""
    hangup.signalled.clear()
    os.kill(os.getpid(), signal.SIGHUP)
    async with asyncio.timeout(5):
        await hangup.signalled.wait()
    await hangup.idle()


async def test_sighup_reloads_the_content(core: Core, content: Path) -> None:
    hangup = ReloadOnHangup(core)
    hangup.install()
    try:
        add_townhall(content)
        await hang_up(hangup)
        answer = await core.execute(request_for(READER), "townhall")
        assert "Sample Town Hall Reopens" in answer.reply.text
    finally:
        await hangup.close()


async def test_sighup_with_bad_content_logs_it_and_keeps_serving(
    core: Core, content: Path, caplog: pytest.LogCaptureFixture
) -> None:
    hangup = ReloadOnHangup(core)
    hangup.install()
    before = core.context.content
    try:
        add_townhall(content)
        (content / "broken.toml").write_bytes(MISSING_ANSWER.read_bytes())
        with caplog.at_level(logging.ERROR):
            await hang_up(hangup)
        assert f"{content / 'broken.toml'}: faq[2].answer: is missing" in caplog.text
        assert core.context.content is before
        answer = await core.execute(request_for(READER), "stargate")
        assert "Stargate" in answer.reply.text
    finally:
        await hangup.close()


class Lines:
    """A stream's lines as they come, for waiting on one that says something."""

    def __init__(self, stream: asyncio.StreamReader) -> None:
        self.lines: list[str] = []
        self._changed = asyncio.Condition()
        self._task = asyncio.create_task(self._read(stream))

    async def _read(self, stream: asyncio.StreamReader) -> None:
        while line := await stream.readline():
            async with self._changed:
                self.lines.append(line.decode())
                self._changed.notify_all()

    async def wait_for(self, found: Callable[[str], bool], within: float = 20.0) -> str:
        async with asyncio.timeout(within), self._changed:
            await self._changed.wait_for(lambda: any(found(line) for line in self.lines))
            return next(line for line in self.lines if found(line))

    async def close(self) -> None:
        await self._task


async def test_sighup_reloads_a_running_bots_process(tmp_path: Path, content: Path) -> None:
    """The real entry point (`python -m bots.console`, on the runner `python -m bots` uses)."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/bot.sqlite3",
        "CONTENT_DIR": str(content),
        "LOG_LEVEL": "INFO",
        "PYTHONPATH": str(ROOT),
    }
    env.pop("TELEGRAM_BOT_TOKEN", None)
    env.pop("DISCORD_BOT_TOKEN", None)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bots.console", "--name", "Ada",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=tmp_path,
        env=env,
    )  # fmt: skip
    assert process.stdin and process.stdout and process.stderr
    out, log = Lines(process.stdout), Lines(process.stderr)
    try:
        process.stdin.write(b"/townhall\n")
        await out.wait_for(lambda line: UNKNOWN_TOWNHALL in line)  # the bot is up

        add_townhall(content)
        process.send_signal(signal.SIGHUP)
        await log.wait_for(lambda line: "content reloaded: added /townhall" in line)

        process.stdin.write(b"/townhall\n")
        await out.wait_for(lambda line: "Sample Town Hall Reopens" in line)
        process.stdin.close()
        async with asyncio.timeout(20):
            assert await process.wait() == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await out.close()
        await log.close()
    assert not any("Traceback" in line for line in log.lines), "".join(log.lines)
