"""Reduced runs of the in-process drills (replays, races, platform faults, hostile input)."""

from __future__ import annotations

import pytest

from core.app import Core
from drills import hostile, platform_faults, races, replays
from tests.support.actors import MODERATOR, request_for

# PTB 22 warns from inside RetryAfter.__init__ about a future type change; not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


async def test_replays_have_one_effect_and_one_reply() -> None:
    assert await replays.run(readers=2, copies=2) == []


async def test_racing_moderators_decide_once_with_full_audit(database_url: str) -> None:
    rows, problems, _ = await races.race_on(database_url, comments=10, seed=5)
    assert problems == []
    assert sum(won for _, won, _ in rows) == 10  # type: ignore[misc]


async def test_platform_faults_lose_and_repeat_nothing() -> None:
    assert await platform_faults.run(chats=8, per_chat=10, rate=0.05, seed=7) == []


async def test_hostile_input_is_refused_politely_and_stores_nothing_unasked() -> None:
    assert await hostile.run(messages=1000, seed=11) == []


@pytest.mark.parametrize(
    "line", ["approve ²", "stargate ²", "pending ²", "ban #1 ²d", "withdraw ٣"]
)
async def test_digits_int_refuses_are_refused_politely(core: Core, line: str) -> None:
    """Found by the hostile drill: "²".isdigit() is true but int("²") raises."""
    command, _, args = line.partition(" ")
    outcome = await core.execute(request_for(MODERATOR), command, args)
    assert "something went wrong" not in outcome.reply.text
