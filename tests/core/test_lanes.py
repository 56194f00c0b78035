"""Fair lanes and the per-user command rate, on their own."""

from __future__ import annotations

import asyncio
import time

import pytest

from core.inbox import Lanes, paced
from core.throttle import CommandThrottle, Verdict


async def test_a_lane_keeps_order_and_lanes_run_concurrently() -> None:
    lanes = Lanes(4)
    seen: list[tuple[str, int]] = []
    release = asyncio.Event()

    def job(key: str, n: int, wait: bool = False):  # type: ignore[no-untyped-def]
        async def run() -> None:
            if wait:
                await release.wait()
            seen.append((key, n))

        return run

    lanes.submit("a", job("a", 1, wait=True))
    lanes.submit("a", job("a", 2))
    lanes.submit("b", job("b", 1))
    await asyncio.sleep(0.01)
    assert seen == [("b", 1)]  # b is not held behind a's first job
    release.set()
    assert await lanes.join(1.0) == 0
    assert seen == [("b", 1), ("a", 1), ("a", 2)]


async def test_a_backlog_delays_another_chat_by_at_most_one_job_per_slot() -> None:
    lanes = Lanes(1)
    order: list[str] = []

    def job(key: str):  # type: ignore[no-untyped-def]
        async def run() -> None:
            order.append(key)
            await asyncio.sleep(0)

        return run

    for _ in range(50):
        lanes.submit("flood", job("flood"))
    await asyncio.sleep(0)  # the flood's worker is running
    lanes.submit("quiet", job("quiet"))
    await lanes.join(1.0)
    assert order.index("quiet") <= 2


async def test_a_paced_wait_gives_the_slot_to_other_chats() -> None:
    lanes = Lanes(1)
    done: dict[str, float] = {}
    start = time.monotonic()

    async def paced_group() -> None:
        async with paced():
            await asyncio.sleep(0.3)  # e.g. a group's 20 messages a minute
        done["group"] = time.monotonic() - start

    async def private() -> None:
        done["private"] = time.monotonic() - start

    lanes.submit("group", paced_group)
    await asyncio.sleep(0.01)
    lanes.submit("private", private)
    await lanes.join(2.0)
    # The private chat ran while the group slept on its pacing, not after it (an order, not a
    # time, so a slow machine cannot fail it).
    assert list(done) == ["private", "group"]
    assert done["group"] >= 0.3


async def test_run_returns_the_result_and_raises_the_error() -> None:
    lanes = Lanes(2)

    async def fine() -> int:
        return 7

    async def broken() -> int:
        raise ValueError("boom")

    assert await lanes.run("x", fine) == 7
    with pytest.raises(ValueError, match="boom"):
        await lanes.run("x", broken)


async def test_join_cancels_what_did_not_finish_and_counts_it() -> None:
    lanes = Lanes(2)
    forever = asyncio.Event()
    for _ in range(3):
        lanes.submit("stuck", forever.wait)  # type: ignore[arg-type]
    assert await lanes.join(0.05) == 3
    assert len(lanes) == 0


def test_the_command_rate_warns_once_then_skips() -> None:
    throttle = CommandThrottle(per_minute=3)
    verdicts = [throttle.admit("telegram:1").verdict for _ in range(6)]
    assert verdicts == [Verdict.ADMIT] * 3 + [Verdict.WARN, Verdict.SKIP, Verdict.SKIP]
    assert throttle.admit("telegram:2").verdict is Verdict.ADMIT  # per user


def test_the_warning_says_how_long_to_wait() -> None:
    throttle = CommandThrottle(per_minute=1)
    throttle.admit("u")
    warning = throttle.admit("u")
    assert warning.verdict is Verdict.WARN
    assert 55 <= warning.retry_in <= 60


def test_a_rate_of_zero_turns_the_limit_off() -> None:
    throttle = CommandThrottle(per_minute=0)
    assert {throttle.admit("u").verdict for _ in range(100)} == {Verdict.ADMIT}
