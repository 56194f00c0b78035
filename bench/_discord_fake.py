"""The loopback fake Discord (tests/support/discord_api.py) in its own process, for benchmarks.

Discord is another machine: running the fake in its own process keeps its work off the bot's
event loop. `python -m bench._discord_fake` prints its API URL and serves until stdin closes.
Control routes under `/api/v10/bench/` let the benchmark register interaction tokens and read
back what arrived and when (`time.monotonic`, which is one clock for every process here).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import ClientSession, web

from tests.support import discord_limits
from tests.support.discord_api import FakeDiscord, Tokened, reply


class BenchFake(FakeDiscord):
    """The test fake plus control routes; everything else answers exactly as in the tests."""

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        tail = request.match_info["tail"]
        if not tail.startswith("bench/"):
            return await super()._handle(request)
        what = tail.removeprefix("bench/")
        if what == "expect":
            # Tokens of interactions on an existing message (button presses edit it).
            for token, (channel_id, message_id) in (await request.json()).items():
                self.interactions[token] = Tokened(channel_id=channel_id, message_id=message_id)
            return reply({}, status=200)
        if what == "records":
            since = int(request.query.get("since", "0"))
            rows = [
                [r.method, r.path, r.token, r.at, r.status, len(discord_limits.problems(r))]
                for r in self.requests[since:]
            ]
            return reply(rows, status=200)
        if what == "unacknowledged":
            return reply(discord_limits.unacknowledged(self.requests), status=200)
        if what.startswith("original/"):
            known = self.interactions[what.removeprefix("original/")]
            return reply(self.messages[known.message_id or ""], status=200)
        if what.startswith("callback/"):
            token = what.removeprefix("callback/")
            body = next(
                r.body for r in self.requests if r.token == token and r.path.endswith("/callback")
            )
            return reply(body, status=200)
        return reply({"message": "unknown control route"}, status=404)


async def _serve() -> None:
    fake = BenchFake()
    url = await fake.start()
    print(url, flush=True)
    loop = asyncio.get_running_loop()
    try:
        # Serve until the benchmark closes our stdin (or exits).
        await loop.run_in_executor(None, sys.stdin.read)
    finally:
        await fake.stop()


class FakeProcess:
    """A running fake: its URL and a client for the control routes."""

    def __init__(self, url: str, session: ClientSession) -> None:
        self.url = url
        self._session = session

    async def expect(self, tokens: dict[str, tuple[str, str | None]]) -> None:
        async with self._session.post(f"{self.url}/bench/expect", json=tokens) as response:
            response.raise_for_status()

    async def get(self, what: str) -> Any:
        async with self._session.get(f"{self.url}/bench/{what}") as response:
            response.raise_for_status()
            return json.loads(await response.read())


@contextlib.asynccontextmanager
async def fake_process() -> AsyncIterator[FakeProcess]:
    """Start the fake as a child process; it is stopped however the block ends."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench._discord_fake",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), 30)
        url = line.decode().strip()
        if not url.startswith("http://127.0.0.1:"):
            raise RuntimeError(f"the fake Discord did not start: {line!r}")
        async with ClientSession() as session:
            yield FakeProcess(url, session)
    finally:
        if process.returncode is None:
            assert process.stdin is not None
            process.stdin.close()
            try:
                await asyncio.wait_for(process.wait(), 10)
            except TimeoutError:
                process.kill()
                await process.wait()


if __name__ == "__main__":
    asyncio.run(_serve())
