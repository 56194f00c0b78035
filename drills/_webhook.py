"""Shared by the webhook drills: a fake Bot API that delivers updates to the bot's webhook as
Telegram does, the bot's webhook settings, and its memory as the kernel counts it."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp

from tests.support.network import free_port
from tests.support.telegram_api import FakeBotApi

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Telegram opens up to max_connections (40 by default) at once; a few are enough here.
DELIVERY_CONCURRENCY = 8
RETRY_DELAY = 0.1
REQUEST_TIMEOUT = 5.0


class Webhook:
    """The URL, path, port and secret the bot is started with in webhook mode."""

    def __init__(self) -> None:
        self.port = free_port()
        self.path = f"/telegram/{secrets.token_urlsafe(18)}"
        self.secret = secrets.token_urlsafe(24)  # letters, digits, '-' and '_'

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.path}"

    def env(self) -> dict[str, str]:
        """What to add to `bot_env` for webhook mode."""
        return {
            "TELEGRAM_WEBHOOK_URL": self.url,
            "TELEGRAM_WEBHOOK_SECRET": self.secret,
            "PORT": str(self.port),
        }


class WebhookBotApi(FakeBotApi):
    """The fake Bot API, delivering each pushed update to the URL set by setWebhook.

    As Telegram does: POSTed as JSON with the secret header, several at once, each retried
    (connection refused while the bot is down, 5xx, timeouts) until it is answered 200. An
    update is held in `_updates` until then, so the process drills' `settle()`,
    `unconfirmed()` and `pending_ids()` read webhook deliveries as they read polling.
    """

    def __init__(
        self,
        first_update_id: int = 1000,
        *,
        concurrency: int = DELIVERY_CONCURRENCY,
        retry_delay: float = RETRY_DELAY,
    ) -> None:
        super().__init__(first_update_id)
        self.concurrency = concurrency
        self.retry_delay = retry_delay
        self.statuses: Counter[str] = Counter()  # every delivery attempt's outcome
        self._queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._workers: list[asyncio.Task[None]] = []
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> str:
        root = await super().start()
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT),
            connector=aiohttp.TCPConnector(limit=self.concurrency),
        )
        self._workers = [
            asyncio.create_task(self._deliver_forever(), name=f"webhook-delivery-{n}")
            for n in range(self.concurrency)
        ]
        return root

    async def stop(self) -> None:
        for worker in self._workers:
            worker.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)
        if self._session is not None:
            await self._session.close()
        await super().stop()

    def push(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue an update for delivery (an `update_id` is assigned unless given)."""
        update.setdefault("update_id", next(self._update_ids))
        self._updates.append(update)
        self._queue.put_nowait(update)
        return update

    async def _deliver_forever(self) -> None:
        while True:
            update = await self._queue.get()
            await self._deliver(update)
            # By identity: a replay may carry the id of an update still held.
            self._updates = [u for u in self._updates if u is not update]

    def route(self, url: str) -> str:
        """Where a delivery to the webhook `url` goes (a load balancer may pick a process)."""
        return url

    async def _deliver(self, update: dict[str, Any]) -> None:
        assert self._session is not None
        while True:
            url = self.route(self.webhook.get("url") or "")
            if not url:
                self.statuses["no webhook set"] += 1
                await asyncio.sleep(self.retry_delay)
                continue
            headers = {SECRET_HEADER: str(self.webhook.get("secret_token") or "")}
            try:
                async with self._session.post(url, json=update, headers=headers) as response:
                    await response.read()
                    status = response.status
            except (aiohttp.ClientError, TimeoutError, OSError) as exc:
                self.statuses[type(exc).__name__] += 1
                await asyncio.sleep(self.retry_delay)
                continue
            self.statuses[str(status)] += 1
            if status == 200:
                return
            await asyncio.sleep(self.retry_delay)


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (the peak) of a process, in kB, from /proc/<pid>/status."""
    found: dict[str, int] = {}
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            name, _, value = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                found[name] = int(value.split()[0])
    return found
