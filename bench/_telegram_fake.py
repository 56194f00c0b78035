"""A lean loopback Bot API for load: getUpdates from a queue, replies timed per update.

The test fake (tests/support/telegram_api.py) parses every HTML reply and keeps every call
and message; under thousands of updates a second that work competes with the bot for the same
two cores. This one answers just enough for python-telegram-bot (getMe, command menus, long
polls, sendMessage) and, per update, times the interval from "available to getUpdates" to its
last expected sendMessage. Both bots of a comparison talk to this same fake.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.support.network import serve_on_loopback

TOKEN = "123456:BENCH-fake-token"
BOT = {"id": 123456, "is_bot": True, "first_name": "Newsroom", "username": "newsroom_bench_bot"}


@dataclass
class Outstanding:
    update_id: int
    available_at: float
    replies_left: int


@dataclass
class Window:
    """Replies seen since `begin()`: latencies and the first-served / last-reply instants."""

    expected: int = 0
    latencies: list[float] = field(default_factory=list)
    first_served: float | None = None
    last_reply: float | None = None

    @property
    def rate(self) -> float:
        if self.first_served is None or self.last_reply is None:
            return float("nan")
        return len(self.latencies) / max(self.last_reply - self.first_served, 1e-9)


class LeanBotApi:
    def __init__(self) -> None:
        self.root = ""
        self.first_call_at: float | None = None  # any method: the adapter began talking
        self.first_poll_at: float | None = None
        self.polls = 0
        self.sends = 0
        self.unexpected = 0  # sendMessage to a chat with nothing outstanding (a duplicate)
        self.failed_calls: list[str] = []
        # Opt-in (set to {}): the arrival instant of every sendMessage, per chat id.
        self.sent_at: dict[int, list[float]] | None = None
        # Seconds each sendMessage takes to answer (the real Bot API's round trip); 0: at once.
        self.send_delay = 0.0
        self.window = Window()
        self._queue: deque[dict[str, Any]] = deque()
        self._outstanding: dict[int, deque[Outstanding]] = {}
        self._ids = itertools.count(1)
        self._message_ids = itertools.count(1)
        self._arrived = asyncio.Event()
        self._done = asyncio.Event()
        self._closing = False
        self._runner: web.AppRunner | None = None

    async def start(self) -> str:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner, port = await serve_on_loopback(app)
        self.root = f"http://127.0.0.1:{port}"
        return self.root

    async def stop(self) -> None:
        self._closing = True
        self._arrived.set()
        if self._runner is not None:
            await self._runner.cleanup()

    # Load ---------------------------------------------------------------------------------

    @staticmethod
    def message(chat_id: int, text: str, *, user_id: int | None = None) -> dict[str, Any]:
        """A message in a private chat, or (negative `chat_id`) from `user_id` in a group."""
        chat: dict[str, Any] = {"id": chat_id, "type": "private", "first_name": "Reader"}
        if chat_id < 0:
            chat = {"id": chat_id, "type": "supergroup", "title": "Readers"}
        sender = chat_id if user_id is None else user_id
        msg: dict[str, Any] = {
            "message_id": 1,
            "date": int(time.time()),
            "chat": chat,
            "from": {"id": sender, "is_bot": False, "first_name": "Reader"},
            "text": text,
        }
        if text.startswith("/"):
            length = len(text.split(maxsplit=1)[0])
            msg["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        return {"message": msg}

    def begin(self, expected: int) -> Window:
        """Start a measurement window that is complete after `expected` answered updates."""
        self.window = Window(expected)
        self._done.clear()
        return self.window

    def push(
        self, chat_id: int, text: str, replies: int = 1, *, user_id: int | None = None
    ) -> float:
        """Make a message available, answered by `replies` sendMessages; returns the instant."""
        update = self.message(chat_id, text, user_id=user_id)
        update["update_id"] = next(self._ids)
        entry = Outstanding(update["update_id"], time.monotonic(), replies)
        self._outstanding.setdefault(chat_id, deque()).append(entry)
        self._queue.append(update)
        self._arrived.set()
        return entry.available_at

    async def finished(self, within: float) -> bool:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(within):
                await self._done.wait()
        return self._done.is_set()

    # HTTP ---------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != TOKEN:
            return web.json_response({"ok": False, "error_code": 401}, status=401)
        method = request.match_info["method"]
        if self.first_call_at is None:
            self.first_call_at = time.monotonic()
        params: dict[str, Any] = dict(await request.post())
        if not params and request.can_read_body:
            params = dict(await request.json())
        if method == "getUpdates":
            result: Any = await self._get_updates(params)
        elif method == "sendMessage":
            if self.send_delay:
                await asyncio.sleep(self.send_delay)
            result = self._send_message(params)
        elif method == "getMe":
            result = BOT
        elif method in {"getMyCommands"}:
            result = []
        elif method in {"setMyCommands", "deleteWebhook", "deleteMyCommands", "close"}:
            result = True
        else:
            self.failed_calls.append(method)
            return web.json_response(
                {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
            )
        return web.Response(
            body=json.dumps({"ok": True, "result": result}), content_type="application/json"
        )

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        now = time.monotonic()
        self.polls += 1
        if self.first_poll_at is None:
            self.first_poll_at = now
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        timeout = float(params.get("timeout") or 0)
        # Updates below the offset are confirmed, as Telegram forgets them.
        while self._queue and self._queue[0]["update_id"] < offset:
            self._queue.popleft()
        if not self._queue and timeout > 0 and not self._closing:
            self._arrived.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await self._arrived.wait()
        batch = list(itertools.islice(self._queue, limit))
        if batch and self.window.first_served is None:
            self.window.first_served = time.monotonic()
        return batch

    def _send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        now = time.monotonic()
        self.sends += 1
        chat_id = int(params["chat_id"])
        if self.sent_at is not None:
            self.sent_at.setdefault(chat_id, []).append(now)
        waiting = self._outstanding.get(chat_id)
        if not waiting:
            self.unexpected += 1
        else:
            # Replies in one chat are matched to its updates in order (the product keeps
            # per-chat order; at steady load a chat rarely has two updates in flight).
            head = waiting[0]
            head.replies_left -= 1
            if head.replies_left <= 0:
                waiting.popleft()
                window = self.window
                window.latencies.append(now - head.available_at)
                window.last_reply = now
                if len(window.latencies) >= window.expected:
                    self._done.set()
        return {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private", "first_name": "Reader"},
            "from": BOT,
            "text": str(params.get("text", "")),
        }
