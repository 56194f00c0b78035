"""A third-party Bot API emulator for the read-path bench: telegram-test-api, run by Node.

telegram-test-api (npm, MIT, github.com/jehy/telegram-test-api) is an Express server that
emulates the Bot API for testing bots, with a client API of its own to play the users. It runs
here as a child process on a free loopback port; the bench injects each user message through
that client API (POST /sendCommand, one HTTP request per message, as its TelegramClient does)
and reads what the bot sent through it too (POST /getUpdates per chat to see replies arrive,
POST /getUpdatesHistory once per window for the emulator's own timestamps). Its Express app
answers the bot; of ours, only the three patches below.

It is pinned (bench/telegram_emulator/package.json and package-lock.json) and installed on first
use with `npm ci --prefix bench/telegram_emulator` into bench/telegram_emulator/node_modules
(git-ignored); it downloads nothing at run time.

As published, it cannot serve a python-telegram-bot 22 bot, and it loses updates for the
product; the launcher (LAUNCHER below) patches three things, on the emulator's own storage:

- getMe: its User has no `is_bot`, and PTB's `Bot.initialize` fails;
- sendMessage: the Message it returns is the request's parameters plus message_id, chat and
  `date` in milliseconds: PTB raises on every send ("year 58883 is out of range", or
  `link_preview_options` as a string). Patched: Message fields only (message_id, chat, text,
  an inline reply_markup), `date` in seconds, a `from`. What it stores is unchanged;
- getUpdates: it ignores `offset` and `limit`, answers with every update not yet returned and
  marks them read, so an update a poller does not take is never delivered again. The product
  takes at most 256 in flight and relies on Telegram's re-delivery from the offset: unpatched it
  answered 379 of 1,000 in faq50 (at dc71ead; the bare bot, which queues without bound, loses
  none). Patched: the
  updates at or above `offset`, at most `limit` (≤ 100) of them, scanning the stored messages
  as it does.

Kept as it is, where it differs from Telegram and from our lean fake (a second opinion):

- getUpdates ignores `timeout`: no long polling, an idle bot polls it in a tight loop (both bots
  do; the "getUpdates" column shows it);
- methods it does not know (setMyCommands, ...) get HTTP 500 (the product retries, then starts
  without its command menus: "refused calls");
- one Express app in one Node process: JSON and form bodies parsed by body-parser, every
  message stored, all of them scanned on each poll and each client read.

The launcher also counts Bot API requests per method and refusals, printed as JSON when it
stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import shutil
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp

from bench._telegram_fake import TOKEN, Window
from tests.support.network import free_port

PACKAGE = "telegram-test-api"
VERSION = "4.2.1"
HOME = Path(__file__).resolve().parent / "telegram_emulator"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
INSTALL = ["npm", "ci", "--prefix", str(HOME), "--no-audit", "--no-fund"]
# Client requests in flight at once while injecting (the emulator is single-threaded).
INJECT_CONNECTIONS = 16
# Chats asked for new replies per round while waiting, and the pause between rounds.
READ_BATCH = 10
READ_PAUSE = 0.1

# Run with `node -e LAUNCHER PORT` in HOME. The module docstring says what it patches, and why.
LAUNCHER = r"""
const TelegramServer = require('telegram-test-api');
const { routes } = require('telegram-test-api/lib/routes/index');
const BOT = { id: 666, is_bot: true, first_name: 'Test First name', username: 'TestNameBot' };
const calls = {};
const refused = {};
routes.unshift((app, emulator) => {
  app.use((req, res, next) => {
    const parts = req.path.split('/');
    if (parts.length === 3 && parts[1].startsWith('bot')) {
      const method = parts[2];
      calls[method] = (calls[method] || 0) + 1;
      res.on('finish', () => {
        if (res.statusCode >= 400) refused[method] = (refused[method] || 0) + 1;
      });
    }
    next();
  });
  app.all('/bot:token/getMe', (req, res) => res.json({ ok: true, result: BOT }));
  app.all('/bot:token/getUpdates', (req, res) => {
    const params = { ...req.query, ...req.body };
    const offset = Number(params.offset) || 0;
    const limit = Math.min(Math.max(Number(params.limit) || 100, 1), 100);
    const result = [];
    for (const update of emulator.storage.userMessages) {
      if (update.botToken !== req.params.token || update.updateId < offset) continue;
      if (result.length === limit) break;
      update.isRead = true;
      result.push(TelegramServer.formatUpdate(update));
    }
    res.json({ ok: true, result });
  });
});
const addBotMessage = TelegramServer.prototype.addBotMessage;
TelegramServer.prototype.addBotMessage = function (raw, token) {
  const { message_id, date, chat, text, reply_markup } = addBotMessage.call(this, raw, token);
  return { message_id, date: Math.floor(date / 1000), chat, from: BOT, text, reply_markup };
};
const server = new TelegramServer({
  port: Number(process.argv[1]), host: '127.0.0.1', storage: 'RAM', storeTimeout: 86400,
});
process.on('SIGTERM', () => {
  process.stdout.write(JSON.stringify({ calls, refused }) + '\n', () => process.exit(0));
});
server.start().then(() => process.stdout.write('listening\n'));
"""


def missing() -> str | None:
    """Why the emulator cannot run now (Node absent, or not installed yet); None if it can."""
    if shutil.which("node") is None:
        return "Node.js (`node`) is not on PATH"
    manifest = HOME / "node_modules" / PACKAGE / "package.json"
    if not manifest.exists():
        return f"{PACKAGE} is not installed in bench/{HOME.name}/node_modules"
    installed = json.loads(manifest.read_text())["version"]
    if installed != VERSION:
        return f"bench/{HOME.name}/node_modules has {PACKAGE} {installed}, not {VERSION}"
    return None


def install() -> None:
    """`npm ci` the pinned emulator (from the npm registry, once)."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        raise RuntimeError("the Telegram emulator needs Node.js and npm on PATH")
    print(
        f"Installing {PACKAGE}@{VERSION} (the third-party Bot API emulator) from npm: "
        f"{' '.join(INSTALL)}",
        flush=True,
    )
    subprocess.run(INSTALL, check=True, stdout=subprocess.DEVNULL)
    reason = missing()
    if reason is not None:
        raise RuntimeError(f"installing the Telegram emulator failed: {reason}")


class EmulatedBotApi:
    """telegram-test-api in a child process, driven through its client API.

    Same measuring surface as `LeanBotApi`: `begin(expected)` opens a `Window`, `offer(...)`
    makes messages available, `finished(within)` waits for the replies. Instants are the
    emulator's own (milliseconds), brought onto this process's monotonic clock: a window runs
    from the first message it stored to the last reply it recorded.
    """

    kind = "emulator"

    def __init__(self) -> None:
        self.root = ""
        self.token = TOKEN
        self.window = Window()
        self.unexpected = 0  # replies beyond one per message, per chat, in timed windows
        self.calls: Counter[str] = Counter()  # Bot API requests by method (after stop())
        self.refused: Counter[str] = Counter()  # of which answered with an HTTP error
        self._process: asyncio.subprocess.Process | None = None
        self._session: aiohttp.ClientSession | None = None
        self._inject: aiohttp.ClientSession | None = None
        # Wall clock (the emulator's) minus monotonic clock (ours).
        self._offset = time.time() - time.monotonic()
        self._began_ms = 0
        self._released_at: float | None = None
        self._expected: Counter[int] = Counter()
        self._received: Counter[int] = Counter()

    @property
    def answered(self) -> int:
        """Messages of the window answered so far (per chat, at most one reply each)."""
        return sum(min(self._received[c], n) for c, n in self._expected.items())

    @property
    def polls(self) -> int:
        return self.calls["getUpdates"]

    @property
    def failed_calls(self) -> list[str]:
        return list(self.refused.elements())

    async def start(self) -> str:
        reason = missing()
        if reason is not None:
            raise RuntimeError(f"cannot start the Telegram emulator: {reason}")
        for _ in range(3):
            port = free_port()
            self._process = await asyncio.create_subprocess_exec(
                "node",
                "-e",
                LAUNCHER,
                str(port),
                cwd=HOME,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            assert self._process.stdout is not None
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(15):
                    line = await self._process.stdout.readline()
                    if line.strip() == b"listening":
                        break
            await self._reap()  # the port was taken in the meantime, or it failed: again
        else:
            raise RuntimeError("the Telegram emulator did not start")
        self.root = f"http://127.0.0.1:{port}"
        self._offset = time.time() - time.monotonic()
        # Idle connections are dropped before Node's keep-alive timeout (5 s) can close one
        # under a request.
        self._session = aiohttp.ClientSession(
            self.root, connector=aiohttp.TCPConnector(keepalive_timeout=2)
        )
        self._inject = aiohttp.ClientSession(
            self.root,
            connector=aiohttp.TCPConnector(limit=INJECT_CONNECTIONS, keepalive_timeout=2),
        )
        return self.root

    async def stop(self) -> None:
        for session in (self._session, self._inject):
            if session is not None:
                await session.close()
        process = self._process
        if process is None or process.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        assert process.stdout is not None
        with contextlib.suppress(TimeoutError, ValueError):
            async with asyncio.timeout(5):
                line = await process.stdout.readline()
                stats = json.loads(line)
                self.calls.update(stats["calls"])
                self.refused.update(stats["refused"])
        await self._reap()

    async def _reap(self) -> None:
        process = self._process
        if process is None:
            return
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
        await process.wait()

    def cpu_seconds(self) -> float:
        """User + system CPU time the emulator has used so far."""
        assert self._process is not None
        stat = Path(f"/proc/{self._process.pid}/stat").read_text()
        fields = stat.rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS

    # Load ---------------------------------------------------------------------------------

    def begin(self, expected: int) -> Window:
        self.window = Window(expected)
        self._began_ms = math.floor(time.time() * 1000)
        self._released_at = None
        self._expected.clear()
        self._received.clear()
        return self.window

    @staticmethod
    def command(chat_id: int, text: str) -> dict[str, Any]:
        """A private-chat command as the emulator's TelegramClient.makeCommand builds it."""
        user = {"id": chat_id, "first_name": "Reader", "username": f"reader{chat_id}"}
        return {
            "botToken": TOKEN,
            "date": int(time.time()),
            "from": {**user, "is_bot": False},
            "chat": {**user, "type": "private"},
            "text": text,
            "entities": [
                {"type": "bot_command", "offset": 0, "length": len(text.split(maxsplit=1)[0])}
            ],
        }

    async def offer(self, messages: list[tuple[int, str]]) -> None:
        """Inject these messages, concurrently, each answered by one reply."""
        assert self._inject is not None
        session = self._inject

        async def one(chat_id: int, text: str) -> None:
            async with session.post("/sendCommand", json=self.command(chat_id, text)) as r:
                r.raise_for_status()
                await r.read()

        for chat_id, _ in messages:
            self._expected[chat_id] += 1
        await asyncio.gather(*(one(chat_id, text) for chat_id, text in messages))

    def release(self) -> None:
        """The bot, stopped while the window's messages were injected, runs again from now:
        the window, and each message's wait, start here (available at once, as on the lean
        fake, without the cost of injecting them in the measurement)."""
        self._released_at = time.monotonic()

    def offer_soon(self, chat_id: int, text: str) -> asyncio.Task[None]:
        """Inject one message without waiting for the emulator to take it (paced load)."""
        return asyncio.create_task(self.offer([(chat_id, text)]))

    async def finished(self, within: float) -> bool:
        """Wait until every chat has its replies (False if not within `within` s); then time
        the window from the emulator's history."""
        assert self._session is not None
        deadline = time.monotonic() + within
        rotation = 0
        while pending := [c for c in self._expected if self._received[c] < self._expected[c]]:
            if time.monotonic() > deadline:
                break
            start = rotation % len(pending)
            batch = (pending[start:] + pending[:start])[:READ_BATCH]
            rotation += READ_BATCH
            await asyncio.gather(*(self._read_chat(chat_id) for chat_id in batch))
            await asyncio.sleep(READ_PAUSE)
        if pending:
            return False
        if not self.window.latencies:
            await self._time_window()
        return True

    async def _read_chat(self, chat_id: int) -> None:
        assert self._session is not None
        body = {"token": TOKEN, "chatId": chat_id}
        async with self._session.post("/getUpdates", json=body) as response:
            result = (await response.json())["result"]
        self._received[chat_id] += len(result)

    async def _time_window(self) -> None:
        """Latencies per chat, first message to first reply, second to second... (as the
        lean fake), from the instants the emulator recorded."""
        assert self._session is not None
        async with self._session.post("/getUpdatesHistory", json={"token": TOKEN}) as response:
            history = (await response.json())["result"]
        asked: dict[int, list[float]] = {}
        answered: dict[int, list[float]] = {}
        for item in history:
            if item["time"] < self._began_ms:
                continue
            message = item["message"]
            at = item["time"] / 1000 - self._offset
            if "chat_id" in message:  # sent by the bot
                answered.setdefault(int(message["chat_id"]), []).append(at)
            else:
                asked.setdefault(int(message["chat"]["id"]), []).append(at)
        window = self.window
        released = self._released_at or float("-inf")
        for chat_id, sent in asked.items():
            replies = sorted(answered.get(chat_id, []))
            self.unexpected += max(0, len(replies) - len(sent))
            for available, replied in zip(sorted(sent), replies, strict=False):
                window.latencies.append(replied - max(available, released))
        if asked:
            window.first_served = max(released, min(min(v) for v in asked.values()))
        if answered:
            window.last_reply = max(max(v) for v in answered.values())
