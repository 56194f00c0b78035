"""Outgoing flood control: pace within Telegram's limits, honour 429, retry transient failures.

PTB's `AIORateLimiter` paces groups and the overall rate but not private chats, retries nothing
by default and pauses every request when one chat gets a 429. This limiter paces private chats
too, holds back only the chat that was told to wait, and retries network failures with backoff.
With pacing off (a local Bot API server in benchmarks) it still honours `retry_after`.
"""

from __future__ import annotations

import asyncio
import logging
import random
import warnings
from collections import OrderedDict
from collections.abc import Callable, Coroutine
from typing import Any, Generic, TypeVar

from aiolimiter import AsyncLimiter
from telegram.constants import FloodLimit
from telegram.error import BadRequest, NetworkError, RetryAfter
from telegram.ext import BaseRateLimiter
from telegram.warnings import PTBDeprecationWarning

from core.inbox import paced

log = logging.getLogger(__name__)

T = TypeVar("T")

# Distinct chats whose limiters are remembered; older ones are recreated on demand. At the
# overall 30 messages/s, at most 1,800 chats are written to within a group's 60 s window, so
# every limiter still pacing anything is remembered.
_MAX_TRACKED_CHATS = 2_048


class _Lru(Generic[T]):
    def __init__(self, factory: Callable[[], T]) -> None:
        self._factory = factory
        self._items: OrderedDict[int | str, T] = OrderedDict()

    def get(self, key: int | str) -> T:
        item = self._items.get(key)
        if item is None:
            item = self._items[key] = self._factory()
            if len(self._items) > _MAX_TRACKED_CHATS:
                self._items.popitem(last=False)
        else:
            self._items.move_to_end(key)
        return item


class FloodControl(BaseRateLimiter[int]):
    """A PTB rate limiter: per-chat, per-group and overall pacing plus retries."""

    def __init__(
        self,
        *,
        pacing: bool = True,
        max_retries: int = 5,
        network_retries: int = 3,
        backoff: float = 0.5,
        overall_per_second: float = FloodLimit.MESSAGES_PER_SECOND,
        group_per_minute: float = FloodLimit.MESSAGES_PER_MINUTE_PER_GROUP,
        private_per_second: float = FloodLimit.MESSAGES_PER_SECOND_PER_CHAT,
        private_burst: int = 3,
    ) -> None:
        self.pacing = pacing
        self.max_retries = max_retries
        self.network_retries = network_retries
        self.backoff = backoff
        self._overall = AsyncLimiter(overall_per_second, 1)
        self._groups = _Lru(lambda: AsyncLimiter(group_per_minute, 60))
        # A bucket of `private_burst` refilled at the per-chat rate: short bursts pass at once.
        refill = private_burst / private_per_second
        self._privates = _Lru(lambda: AsyncLimiter(private_burst, refill))
        # Chats inside a retry_after, each with the event set when it ends. Only those: a gate
        # per chat ever seen cost ~850 bytes each, for nothing, on a bot with many readers.
        self._held: dict[int | str, asyncio.Event] = {}

    async def initialize(self) -> None:
        """Nothing to set up: limiters are created per chat on first use."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        """Send one request, waiting for its turn and retrying 429s and network failures."""
        max_retries = self.max_retries if rate_limit_args is None else rate_limit_args
        chat = _chat_key(data.get("chat_id"))
        flood_tries = 0
        network_tries = 0
        while True:
            try:
                await self._wait_turn(chat)
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                if flood_tries >= max_retries:
                    log.error("%s: still flood-limited after %d retries", endpoint, flood_tries)
                    raise
                flood_tries += 1
                seconds = retry_seconds(exc)
                log.info("%s: flood limit, retrying in %.1f s", endpoint, seconds)
                await self._hold(chat, seconds + 0.1)
            except BadRequest:
                raise  # the request itself is wrong: retrying cannot help
            except NetworkError as exc:
                if network_tries >= self.network_retries:
                    raise
                delay = self.backoff * 2**network_tries * (1 + random.random() / 4)
                network_tries += 1
                log.warning("%s: %s; retry %d in %.1f s", endpoint, exc, network_tries, delay)
                await asyncio.sleep(delay)

    async def _wait_turn(self, chat: int | str | None) -> None:
        # A wait here is this chat's own (or the bot's overall) pacing: the lane's slot goes
        # back to the pool meanwhile, so other chats are handled while this one waits.
        if chat is not None and (gate := self._held.get(chat)) is not None:
            async with paced():
                await gate.wait()
        if not self.pacing:
            return
        limiters = [self._overall]
        if isinstance(chat, str) or (isinstance(chat, int) and chat < 0):
            limiters.insert(0, self._groups.get(chat))
        elif chat is not None:
            limiters.insert(0, self._privates.get(chat))
        if all(limiter.has_capacity() for limiter in limiters):
            for limiter in limiters:
                await limiter.acquire()
            return
        async with paced():
            for limiter in limiters:
                await limiter.acquire()

    async def _hold(self, chat: int | str | None, seconds: float) -> None:
        """Sleep out a retry_after; other requests to the same chat wait for it too."""
        if chat is None:
            await asyncio.sleep(seconds)
            return
        gate = self._held.setdefault(chat, asyncio.Event())
        try:
            async with paced():
                await asyncio.sleep(seconds)
        finally:
            if self._held.get(chat) is gate:
                del self._held[chat]
            gate.set()


def retry_seconds(exc: RetryAfter) -> float:
    # `retry_after` turns from int into timedelta in PTB 23; accept both without the warning.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        delay = exc.retry_after
    return float(delay) if isinstance(delay, int | float) else delay.total_seconds()


def _chat_key(chat_id: int | str | None) -> int | str | None:
    if chat_id is None:
        return None
    try:
        return int(chat_id)
    except (TypeError, ValueError):
        return str(chat_id)  # "@channelusername"
