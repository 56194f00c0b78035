"""The flood-control limiter alone, and long replies split across messages the fake accepts."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from telegram import Bot
from telegram.error import BadRequest, RetryAfter, TimedOut

from bots.telegram.deliver import Sender
from bots.telegram.limits import FloodControl
from core.replies import Block, Reply, Span
from tests.support.telegram_api import TOKEN, FakeBotApi
from tests.support.telegram_chat import fast_limiter
from tests.support.telegram_html import visible_text
from tests.support.telegram_users import READER_ID

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


class Flaky:
    """A request callback failing with the given errors before succeeding."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0

    async def __call__(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return {"ok": True}


async def _send(limiter: FloodControl, callback: Flaky, chat_id: int = 1) -> object:
    return await limiter.process_request(
        callback, (), {}, "sendMessage", {"chat_id": chat_id}, None
    )


async def test_network_errors_are_retried_with_backoff() -> None:
    callback = Flaky(TimedOut(), TimedOut())
    assert await _send(fast_limiter(), callback) == {"ok": True}
    assert callback.calls == 3


async def test_bad_requests_are_not_retried() -> None:
    callback = Flaky(BadRequest("Can't parse entities"))
    with pytest.raises(BadRequest):
        await _send(fast_limiter(), callback)
    assert callback.calls == 1


async def test_retry_after_is_honoured_even_without_pacing() -> None:
    callback = Flaky(RetryAfter(1))
    started = time.monotonic()
    assert await _send(FloodControl(pacing=False), callback) == {"ok": True}
    assert time.monotonic() - started >= 1.0


async def test_gives_up_after_max_retries() -> None:
    callback = Flaky(RetryAfter(0), RetryAfter(0), RetryAfter(0))
    with pytest.raises(RetryAfter):
        await _send(FloodControl(pacing=False, max_retries=2), callback)


async def test_private_chats_are_paced_after_a_burst() -> None:
    limiter = FloodControl(pacing=True, private_per_second=20, private_burst=2)
    started = time.monotonic()
    for _ in range(4):
        await _send(limiter, Flaky())
    # Two at once, then the bucket refills at 20/s: the last two wait ~0.05 s each.
    assert time.monotonic() - started >= 0.08


async def test_long_reply_is_split_into_valid_messages(api: FakeBotApi) -> None:
    paragraph = Block(spans=(Span.plain("<Stargate> & co. " * 120), Span.bold("end")))
    reply = Reply(blocks=(paragraph,) * 6)
    async with Bot(TOKEN, base_url=f"{api.root}/bot") as bot:
        await Sender(bot).send(READER_ID, reply)
    # Two paragraphs a message: the limit counts text after entity parsing, not the markup.
    texts = api.texts(READER_ID)
    assert len(texts) == 3
    assert all(len(t) > 4096 >= len(visible_text(t)) for t in texts)
    assert sum(visible_text(t).count("end") for t in texts) == 6


async def test_a_retry_after_holds_its_chat_only_and_is_forgotten_after() -> None:
    limiter = FloodControl(pacing=False)
    held = asyncio.create_task(_send(limiter, Flaky(RetryAfter(1)), chat_id=1))
    await asyncio.sleep(0.05)  # chat 1 is now inside its retry_after
    started = time.monotonic()
    await _send(limiter, Flaky(), chat_id=2)
    other_chat_went_first = not held.done()  # chat 2 did not wait out chat 1's hold
    await _send(limiter, Flaky(), chat_id=1)
    same_chat = time.monotonic() - started
    assert await held == {"ok": True}
    assert other_chat_went_first and same_chat >= 0.8
    # Per-chat state lives only as long as a hold: thousands of readers leave nothing behind.
    await asyncio.gather(*(_send(limiter, Flaky(), chat_id=n) for n in range(100, 1100)))
    assert limiter._held == {}
