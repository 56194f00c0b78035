"""Acknowledge before any store work (within Discord's 3 s); replays have no second effect."""

from __future__ import annotations

import asyncio
import copy
import time
from typing import Any

from core.actions import Moderate, Move, ShowSection
from core.app import Core
from tests.support.discord_api import FakeDiscord
from tests.support.discord_flows import card_of, card_posts, custom_id, dms, new_comment, original
from tests.support.discord_harness import Harness, Result
from tests.support.discord_users import MODERATOR, READER

DELAY = 0.3
ACK_BUDGET = 1.0  # seconds; Discord allows 3


class SlowCore:
    """The real core behind a delay, remembering when each store-touching call began."""

    def __init__(self, core: Core) -> None:
        self._core = core
        self.calls: list[float] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._core, name)

    async def _slow(self, method: str, *args: Any, **kwargs: Any) -> Any:
        self.calls.append(time.monotonic())
        await asyncio.sleep(DELAY)
        return await getattr(self._core, method)(*args, **kwargs)

    async def execute(self, *args: Any, **kwargs: Any) -> Any:
        return await self._slow("execute", *args, **kwargs)

    async def press(self, *args: Any, **kwargs: Any) -> Any:
        return await self._slow("press", *args, **kwargs)

    async def submit_comment(self, *args: Any, **kwargs: Any) -> Any:
        return await self._slow("submit_comment", *args, **kwargs)


def assert_acknowledged_first(result: Result, slow: SlowCore) -> None:
    first = result.first
    assert first.path.endswith("/callback"), [r.path for r in result.requests]
    assert first.at - result.started < ACK_BUDGET
    began = [t for t in slow.calls if t >= result.started]
    assert began, "the core was not called"
    assert first.at <= began[0], "the store was touched before the acknowledgement"


async def test_every_interaction_is_acknowledged_before_the_core_works(
    bot: Harness, core: Core, fake: FakeDiscord
) -> None:
    comment = await new_comment(bot, fake, READER, "Slow store")
    slow = SlowCore(core)
    bot.client.adapter.core = slow  # type: ignore[assignment]
    card = card_of(fake, comment)

    for payload in (
        bot.slash("stargate", READER),
        bot.slash("faq", READER, question="how much money"),
        bot.slash("mycomments", READER),
        bot.slash("pending", MODERATOR),
    ):
        result = await bot.send(payload)
        assert_acknowledged_first(result, slow)
    summary = original(fake, await bot.send(bot.slash("stargate", READER)))
    pressed = await bot.send(bot.press(summary, custom_id(ShowSection("stargate", 2)), READER))
    assert_acknowledged_first(pressed, slow)

    opened = await bot.send(bot.slash("comment", READER))
    modal = bot.modal_of(opened)
    submitted = await bot.send(
        bot.submit(modal, {"Comment": "Slowly", "Name (optional)": ""}, READER)
    )
    assert_acknowledged_first(submitted, slow)

    reason_form = bot.modal_of(
        await bot.send(bot.press(card, custom_id(Moderate(Move.REJECT, comment)), MODERATOR))
    )
    rejected = await bot.send(
        bot.submit(reason_form, {"Reason (optional)": "slow"}, MODERATOR, message=card)
    )
    assert_acknowledged_first(rejected, slow)
    assert (
        "Rejected by Role Mod: slow"
        in fake.messages[card["id"]]["embeds"][0]["title"]
        + (fake.messages[card["id"]]["embeds"][0]["description"])
    )


async def test_modal_and_autocomplete_answer_without_the_store(bot: Harness, core: Core) -> None:
    slow = SlowCore(core)
    bot.client.adapter.core = slow  # type: ignore[assignment]
    for payload in (
        bot.slash("comment", READER),
        bot.autocomplete("faq", "question", "money", READER),
    ):
        result = await bot.send(payload)
        assert result.first.at - result.started < ACK_BUDGET
    assert slow.calls == []


async def test_replayed_interaction_refused_by_discord_has_no_effect(
    bot: Harness, fake: FakeDiscord
) -> None:
    comment = await new_comment(bot, fake, READER, "Approve once")
    card = card_of(fake, comment)
    press = bot.press(copy.deepcopy(card), custom_id(Moderate(Move.APPROVE, comment)), MODERATOR)
    first = await bot.send(press)
    assert len(dms(fake, first, READER)) == 1

    again = await bot.send(press)
    assert [r.status for r in again.all_requests] == [400]  # 40060: already acknowledged


async def test_replayed_press_whose_ack_discord_accepts_does_nothing_again(
    bot: Harness, fake: FakeDiscord
) -> None:
    fake.reject_duplicate_acks = False  # e.g. the first process died before answering
    comment = await new_comment(bot, fake, READER, "Approve once only")
    card = card_of(fake, comment)
    press = bot.press(copy.deepcopy(card), custom_id(Moderate(Move.APPROVE, comment)), MODERATOR)
    await bot.send(press)
    again = await bot.send(press)
    assert [r.path.rsplit("/", 1)[-1] for r in again.all_requests] == ["callback"]
    assert dms(fake, again, READER) == []


async def test_replayed_command_fills_its_placeholder_with_the_first_reply_only(
    bot: Harness, fake: FakeDiscord
) -> None:
    fake.reject_duplicate_acks = False
    comment = await new_comment(bot, fake, READER, "Approve by command once")
    command = bot.slash("approve", MODERATOR, comment=comment)
    first = await bot.send(command)
    again = await bot.send(command)
    assert [r.method for r in again.all_requests] == ["POST", "PATCH"]  # ack, placeholder
    assert again.texts() == first.texts()
    assert dms(fake, again, READER) == []
    assert len(card_posts(fake)) == 1


async def test_replayed_modal_submission_stores_one_comment(
    bot: Harness, fake: FakeDiscord
) -> None:
    opened = await bot.send(bot.slash("comment", READER))
    submission = bot.submit(bot.modal_of(opened), {"Comment": "Only once"}, READER)
    await bot.send(submission)
    again = await bot.send(submission, handled=False)  # the form is closed: discord.py drops it
    assert again.all_requests == []
    assert len(card_posts(fake)) == 1


class BrokenCore(SlowCore):
    async def execute(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom")


async def test_a_failure_after_the_ack_is_apologised_for_not_left_spinning(
    bot: Harness, core: Core
) -> None:
    bot.client.adapter.core = BrokenCore(core)  # type: ignore[assignment]
    result = await bot.send(bot.slash("links", READER))
    [ack, apology] = result.requests
    assert ack.path.endswith("/callback")
    assert apology.body["content"].startswith("Sorry, something went wrong")
    assert apology.body["flags"] == 64
