"""Polling Telegram without confirming an update before it is handled.

PTB's Updater confirms a batch (by asking for the next offset) as soon as it has queued it, so
a crash loses every update fetched but not yet handled, and it fetches without bound. This loop
asks Telegram only for updates from the oldest one not yet handled (handled: its handlers ran,
core call and reply included), keeps at most `max_in_flight` updates taken, and hands them to
`ChatLanes`, which keeps each chat in order and runs chats concurrently.

Telegram answers a poll at once while updates at or above the offset exist, and our own
unconfirmed updates are such updates: a poll that brings nothing new is followed by a wait for
the oldest update to finish (the offset moves) or a short delay, never by an immediate re-poll.
So every poll brings the updates still in flight again: the loop asks for the raw JSON and
builds `Update` objects (the costly part of a poll) only for the updates it takes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import warnings
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from telegram import Bot, Update
from telegram.error import EndPointNotFound, InvalidToken, RetryAfter, TelegramError, TimedOut
from telegram.ext import ExtBot
from telegram.warnings import PTBUserWarning

from bots.telegram.lanes import ChatLanes
from bots.telegram.limits import retry_seconds

log = logging.getLogger(__name__)

# Telegram returns at most 100 updates per getUpdates.
BATCH = 100
MAX_IN_FLIGHT = 256
# While updates are in flight Telegram answers every poll at once: poll again after this long
# (or as soon as the oldest finishes), so other chats' new updates are taken without spinning.
BUSY_INTERVAL = 0.05
# Under load the gap between polls is most of an update's latency (bench.telegram_read at 400/s:
# p50 ~100 ms with 0.1 s, ~20 ms with 0.02 s), and a poll that brings in-flight updates again
# costs only their JSON now that they are not parsed.
MIN_GAP = 0.02
MAX_BACKOFF = 30.0
# Read timeout of a poll beyond its long-poll timeout (as PTB's get_updates_read_timeout).
READ_MARGIN = 10.0
CONFIRM_READ_TIMEOUT = 3.0
STOP_POLLING_SECONDS = 2.0


class Poller:
    """getUpdates in a loop; the offset confirms only what was fully handled."""

    def __init__(
        self,
        bot: Bot,
        handle: Callable[[Update], Awaitable[None]],
        *,
        concurrency: int,
        timeout: float = 30.0,
        allowed_updates: Sequence[str] | None = None,
        max_in_flight: int = MAX_IN_FLIGHT,
        busy_interval: float = BUSY_INTERVAL,
        min_gap: float = MIN_GAP,
        on_error: Callable[[TelegramError], None] | None = None,
    ) -> None:
        self.bot = bot
        self.timeout = timeout
        self.allowed_updates = list(allowed_updates) if allowed_updates is not None else None
        self.max_in_flight = max_in_flight
        # Once full, polling resumes when this many or fewer are left in flight.
        self._refill_mark = max_in_flight - min(BATCH, max(1, max_in_flight // 2))
        self.busy_interval = busy_interval
        self.min_gap = min_gap
        self.on_error = on_error
        self.lanes = ChatLanes(handle, concurrency, self._finished)
        self.polls = 0
        # Update ids taken and not yet handled: the offset may not pass the smallest.
        self._in_flight: set[int] = set()
        self._highest: int | None = None  # highest update id taken
        self._confirmed = 0  # the highest offset Telegram has been sent
        self._progress = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    @property
    def in_flight(self) -> int:
        return len(self._in_flight)

    def offset(self) -> int:
        """The offset to send: every update below it was handled."""
        if self._in_flight:
            return min(self._in_flight)
        after_highest = self._highest + 1 if self._highest is not None else 0
        return max(self._confirmed, after_highest)

    def start(self) -> asyncio.Task[None]:
        # PTB warns that get_updates exists, but it parses every update it returns, the ones in
        # flight again each poll: the raw request is deliberate. Here, not at import: a filter
        # added while pytest collects is dropped before the tests run.
        warnings.filterwarnings(
            "ignore", message=re.escape("Please use 'Bot.getUpdates'"), category=PTBUserWarning
        )
        self._task = asyncio.create_task(self._run(), name="telegram-polling")
        return self._task

    async def stop(self, within: float) -> None:
        """Take nothing more, let what was taken finish (up to `within` s), confirm it."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        self._stopping = True
        self._progress.set()
        if self._task is not None:
            self._task.cancel()
            # Bounded: a cancellation swallowed inside a library must not hold the exit.
            await asyncio.wait({self._task}, timeout=min(STOP_POLLING_SECONDS, within))
            if not self._task.done():
                log.warning("the polling request did not stop in time")
            elif not self._task.cancelled() and self._task.exception() is not None:
                log.debug("polling had ended with %r", self._task.exception())
        unfinished = await self.lanes.join(max(0.0, deadline - loop.time()))
        if unfinished:
            log.warning(
                "%d updates not handled within %.0f s: left unconfirmed, Telegram will deliver "
                "them again",
                unfinished,
                within,
            )
        await self.confirm()

    async def confirm(self) -> None:
        """Tell Telegram what was handled (a poll that waits for nothing and takes nothing)."""
        offset = self.offset()
        if offset <= self._confirmed:
            return
        try:
            await self.bot.get_updates(
                offset=offset,
                limit=1,
                timeout=0,
                allowed_updates=self.allowed_updates,
                read_timeout=CONFIRM_READ_TIMEOUT,
            )
        except TelegramError as exc:
            log.warning("could not confirm handled updates (they may come again): %s", exc)
            return
        self._confirmed = offset

    # The loop -----------------------------------------------------------------------------

    async def _run(self) -> None:
        backoff = 0.0
        loop = asyncio.get_running_loop()
        while not self._stopping:
            await self._room()
            self._progress.clear()
            offset = self.offset()
            started = loop.time()
            try:
                raw = await self._get_updates(
                    offset,
                    # Whole seconds: Telegram's unit.
                    wait=0 if self._in_flight else max(1, round(self.timeout)),
                )
                updates = self._new(raw)
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
                backoff = min(MAX_BACKOFF, backoff * 1.5 if backoff else 1.0)
                await asyncio.sleep(backoff)
                continue
            except Exception:
                # Never stop polling silently: log, back off, try again.
                log.exception("polling Telegram failed unexpectedly; retrying")
                backoff = min(MAX_BACKOFF, backoff * 1.5 if backoff else 1.0)
                await asyncio.sleep(backoff)
                continue
            backoff = 0.0
            self.polls += 1
            self._confirmed = max(self._confirmed, offset)
            taken = self._take(updates)
            if self._in_flight and not (len(raw) >= BATCH and taken):
                # asyncio.timeout, not wait_for: 3.11's wait_for can swallow a cancellation.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.busy_interval):
                        await self._progress.wait()
            if self._in_flight:
                # Each poll returns every unconfirmed update again: under load, space polls so
                # fetching them stays a small share of the work.
                await asyncio.sleep(max(0.0, started + self.min_gap - loop.time()))

    async def _get_updates(self, offset: int, wait: int) -> list[dict[str, Any]]:
        """One getUpdates, unparsed: the updates still in flight come back with every poll."""
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

    def _new(self, raw: Sequence[dict[str, Any]]) -> list[Update]:
        """The updates of a poll to take, parsed; those in flight or handled are not parsed."""
        if self._stopping:
            return []  # a poll that outlived stop(): its updates stay with Telegram
        chosen: list[dict[str, Any]] = []
        room = self.max_in_flight - len(self._in_flight)
        for data in sorted(raw, key=lambda d: int(d["update_id"])):
            uid = int(data["update_id"])
            if uid in self._in_flight:
                continue
            if self._highest is not None and self._confirmed <= uid <= self._highest:
                continue  # handled already, not yet confirmed
            if len(chosen) >= room:
                break
            chosen.append(data)
        updates = []
        for data in chosen:
            try:
                updates.append(Update.de_json(data, self.bot))
            except Exception:
                # Left in place it would come back with every poll and hold the offset, and
                # every update behind it, forever: count it as handled, and say so.
                uid = int(data["update_id"])
                log.exception("skipped update %d: it could not be read", uid)
                self._highest = uid if self._highest is None else max(self._highest, uid)
        if isinstance(self.bot, ExtBot) and self.bot.callback_data_cache is not None:
            for update in updates:
                self.bot.insert_callback_data(update)  # what ExtBot.get_updates adds
        return updates

    def _take(self, updates: Sequence[Update]) -> int:
        if self._stopping:
            return 0
        for update in updates:
            uid = update.update_id
            self._in_flight.add(uid)
            self._highest = uid if self._highest is None else max(self._highest, uid)
            self.lanes.submit(update)
        return len(updates)

    async def _room(self) -> None:
        # Back-pressure: with max_in_flight updates taken, fetch nothing until a batch fits
        # again. Polling at each finished update would bring (and decode) every update in
        # flight again for one new one: under a backlog that cost a tenth of the CPU.
        if len(self._in_flight) < self.max_in_flight:
            return
        while len(self._in_flight) > self._refill_mark and not self._stopping:
            self._progress.clear()
            await self._progress.wait()

    def _finished(self, update: Update) -> None:
        uid = update.update_id
        self._in_flight.discard(uid)
        if len(self._in_flight) == self._refill_mark or not self._in_flight:
            self._progress.set()  # there is room for a batch again
        elif uid < min(self._in_flight):
            self._progress.set()  # the offset moved
