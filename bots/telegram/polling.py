"""Polling Telegram into the inbox: plain getUpdates, offset = last committed + 1.

Each poll's updates are committed to the store's inbox before the next poll confirms them to
Telegram (the higher offset), so from then on the store owns them: a crash after the commit
loses nothing, a crash before it gets them delivered again, and a re-delivery of a committed
update is a primary-key hit. Handling happens in the intake's lanes, apart from polling: a chat
with a backlog never keeps another chat's updates from being fetched.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from telegram import Bot
from telegram.error import EndPointNotFound, InvalidToken, RetryAfter, TelegramError, TimedOut

from bots.telegram.intake import Intake
from bots.telegram.limits import retry_seconds

log = logging.getLogger(__name__)

# Telegram returns at most 100 updates per getUpdates.
BATCH = 100
MAX_BACKOFF = 30.0
STORE_RETRY_SECONDS = 0.5
# Read timeout of a poll beyond its long-poll timeout (as PTB's get_updates_read_timeout).
READ_MARGIN = 10.0
CONFIRM_READ_TIMEOUT = 3.0
STOP_POLLING_SECONDS = 2.0


class Poller:
    """getUpdates in a loop; an update is confirmed once the inbox has committed it."""

    def __init__(
        self,
        bot: Bot,
        intake: Intake,
        *,
        timeout: float = 30.0,
        allowed_updates: Sequence[str] | None = None,
        on_error: Callable[[TelegramError], None] | None = None,
    ) -> None:
        self.bot = bot
        self.intake = intake
        self.timeout = timeout
        self.allowed_updates = list(allowed_updates) if allowed_updates is not None else None
        self.on_error = on_error
        self.polls = 0
        self.offset = 0  # every update below it is committed to the inbox
        self._confirmed = 0  # the highest offset Telegram has been sent
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._last_answer = time.monotonic()

    def start(self) -> asyncio.Task[None]:
        # Raw getUpdates (see the adapter's allow_raw_requests): PTB would parse every update
        # it returns, and parsing belongs to the lane that handles an update.
        self._task = asyncio.create_task(self._run(), name="telegram-polling")
        return self._task

    def in_touch(self) -> bool:
        """Telegram answered a poll within the last long poll and its margin."""
        alive = self._task is not None and not self._task.done()
        return alive and time.monotonic() - self._last_answer < self.timeout + 2 * READ_MARGIN

    async def stop(self) -> None:
        """Take nothing more and confirm what was committed."""
        self._stopping = True
        if self._task is not None:
            self._task.cancel()
            # Bounded: a cancellation swallowed inside a library must not hold the exit.
            await asyncio.wait({self._task}, timeout=STOP_POLLING_SECONDS)
            if not self._task.done():
                log.warning("the polling request did not stop in time")
            elif not self._task.cancelled() and self._task.exception() is not None:
                log.debug("polling had ended with %r", self._task.exception())
        await self.confirm()

    async def confirm(self) -> None:
        """Tell Telegram what the inbox holds (a poll that waits for nothing, takes nothing)."""
        if self.offset <= self._confirmed:
            return
        try:
            await self.bot.get_updates(
                offset=self.offset,
                limit=1,
                timeout=0,
                allowed_updates=self.allowed_updates,
                read_timeout=CONFIRM_READ_TIMEOUT,
            )
        except TelegramError as exc:
            log.warning("could not confirm received updates (they may come again): %s", exc)
            return
        self._confirmed = self.offset

    async def _run(self) -> None:
        backoff = 0.0
        while not self._stopping:
            await self.intake.room()
            offset = self.offset
            try:
                # Whole seconds: Telegram's unit.
                raw = await self._get_updates(offset, wait=max(1, round(self.timeout)))
            except InvalidToken:
                raise  # the adapter turns the end of this task into PollingFailed
            except RetryAfter as exc:
                await asyncio.sleep(retry_seconds(exc) + 0.5)
                continue
            except TimedOut:
                await asyncio.sleep(0.1)  # a long poll outlived its read timeout: ask again
                continue
            except TelegramError as exc:
                if self.on_error is not None:
                    self.on_error(exc)
                backoff = _longer(backoff)
                await asyncio.sleep(backoff)
                continue
            except Exception:
                # Never stop polling silently: log, back off, try again.
                log.exception("polling Telegram failed unexpectedly; retrying")
                backoff = _longer(backoff)
                await asyncio.sleep(backoff)
                continue
            self.polls += 1
            self._last_answer = time.monotonic()
            self._confirmed = max(self._confirmed, offset)
            if not raw or self._stopping:
                backoff = 0.0
                continue
            try:
                await self.intake.accept(raw)
            except (SQLAlchemyError, OSError, ConnectionError, TimeoutError) as exc:
                # Not committed, so not confirmed: the same updates come with the next poll,
                # soon, so service resumes within a moment of the store coming back.
                log.warning("could not store received updates (will fetch them again): %s", exc)
                await asyncio.sleep(STORE_RETRY_SECONDS)
                continue
            backoff = 0.0
            self.offset = max(offset, *(_update_id(data) + 1 for data in raw))

    async def _get_updates(self, offset: int, wait: int) -> list[dict[str, Any]]:
        """One getUpdates, unparsed: lanes parse each update when they handle it."""
        try:
            raw = await self.bot.do_api_request(
                "getUpdates",
                api_kwargs={
                    "offset": offset,
                    "limit": BATCH,
                    "timeout": wait,
                    "allowed_updates": self.allowed_updates,
                },
                return_type=None,
                # As get_updates: the long poll may take its whole timeout before answering.
                read_timeout=wait + READ_MARGIN,
            )
        except EndPointNotFound as exc:
            # do_api_request reports a refused token (401/404) this way once the bot has
            # initialized; getUpdates exists, so it is the token.
            raise InvalidToken(str(exc)) from exc
        if not isinstance(raw, list):
            raise TelegramError(f"getUpdates returned {type(raw).__name__}, not a list")
        return raw


def _update_id(data: Any) -> int:
    try:
        return int(data["update_id"])
    except (TypeError, KeyError, ValueError):
        return -1  # unreadable: the intake ignored it and it cannot move the offset


def _longer(backoff: float) -> float:
    return min(MAX_BACKOFF, backoff * 1.5 if backoff else 1.0)
