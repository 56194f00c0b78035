"""The inbox on the real store (SQLite and PostgreSQL): accept once, list pending in order,
finish in the background, purge on schedule; prompts that outlive a restart."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import func, select

from core.app import Core
from core.conversation import PROMPT_TTL, Where
from core.inbox import Arrival, State
from core.inbox.store import KEEP_FINISHED
from core.store.tables import InboxEntry, ProcessedEvent, UnansweredQuestion
from tests.support.actors import READER, request_for
from tests.support.clock import Clock
from tests.support.settings import grant_test_moderators, make_settings


def arrival(n: int, chat: str = "c1", platform: str = "telegram") -> Arrival:
    return Arrival(f"{platform}:update:{n}", platform, chat, f'{{"update_id": {n}}}')


async def states(core: Core) -> dict[str, str]:
    rows = await core.database.read(
        lambda s: s.execute(select(InboxEntry.key, InboxEntry.state)).all()
    )
    return {key: state for key, state in rows}


async def test_accept_returns_what_is_still_to_handle_in_order(core: Core) -> None:
    first = await core.inbox.accept([arrival(1), arrival(2, "c2"), arrival(1)])
    assert [e.key for e in first] == ["telegram:update:1", "telegram:update:2"]
    assert first[0].id < first[1].id
    core.inbox.finish(first[0].id)
    await core.inbox.flush()
    core.inbox.release("telegram")  # 2 is no longer in anyone's hands (its handler stopped)
    # 1 was handled: a re-delivery of it is nothing. 2 is known but pending (as when the
    # answer to its commit was lost in an outage): it comes back, with its first place.
    again = await core.inbox.accept([arrival(1), arrival(3), arrival(2, "c2")])
    assert [e.key for e in again] == ["telegram:update:2", "telegram:update:3"]
    assert again[0].id == first[1].id
    assert len(await states(core)) == 3


async def test_concurrent_deliveries_of_one_key_store_it_once(core: Core) -> None:
    results = await asyncio.gather(*(core.inbox.accept([arrival(7)]) for _ in range(10)))
    handed_out = [e.key for r in results for e in r]
    assert handed_out == ["telegram:update:7"]  # to one of the deliveries, whichever came first
    assert await states(core) == {"telegram:update:7": "pending"}


async def test_pending_lists_unfinished_entries_of_a_platform_oldest_first(core: Core) -> None:
    entries = await core.inbox.accept([arrival(n) for n in range(1, 6)])
    await core.inbox.accept([arrival(9, platform="discord")])
    core.inbox.finish(entries[1].id)
    core.inbox.finish(entries[3].id, State.SKIPPED)
    await core.inbox.flush()
    pending = await core.inbox.pending("telegram")
    assert [e.key for e in pending] == [f"telegram:update:{n}" for n in (1, 3, 5)]
    page = await core.inbox.pending("telegram", after=pending[0].id, limit=1)
    assert [e.key for e in page] == ["telegram:update:3"]
    found = await states(core)
    assert found["telegram:update:2"] == "done"
    assert found["telegram:update:4"] == "skipped"


async def test_purge_deletes_only_entries_finished_long_enough_ago(
    core: Core, clock: Clock
) -> None:
    entries = await core.inbox.accept([arrival(n) for n in range(1, 1_203)])
    for entry in entries[:1_200]:
        core.inbox.finish(entry.id)
    await core.inbox.flush()
    assert await core.inbox.purge(clock()) == 0  # just finished: re-deliveries still hit
    clock.advance(KEEP_FINISHED.total_seconds() + 1)
    assert await core.inbox.purge(clock(), batch=500) == 1_200  # in three transactions
    assert sorted(await states(core)) == ["telegram:update:1201", "telegram:update:1202"]


async def test_housekeeping_sweeps_expired_event_keys_drafts_and_prompts(
    core: Core, clock: Clock
) -> None:
    where = Where("telegram", "5", "5")
    await core.conversations.expect(where, "comment")
    await core.database.write(
        lambda s: s.add(
            ProcessedEvent(key="telegram:update:1", created_at=clock(), reply_json="{}")
        )
    )
    entries = await core.inbox.accept([arrival(1)])
    core.inbox.finish(entries[0].id)
    await core.inbox.flush()
    clock.advance(timedelta(days=8).total_seconds())
    swept = await core.housekeeping.sweep()
    assert (swept.inbox_entries, swept.event_keys_and_drafts, swept.prompts) == (1, 1, 1)
    assert core.conversations.expecting(where) is None
    count = await core.database.read(
        lambda s: s.execute(select(func.count()).select_from(ProcessedEvent)).scalar_one()
    )
    assert count == 0


async def test_prompts_survive_a_restart_and_expire(database_url: str, clock: Clock) -> None:
    settings = make_settings(database_url)
    where = Where("telegram", "-100", "42")
    first = await Core.open(settings, clock=clock, migrate=False)
    grant_test_moderators(first)
    try:
        await first.conversations.expect(where, "comment #stargate")
        await first.conversations.expect(Where("telegram", "-100", "43"), "faq")
        await first.conversations.forget(Where("telegram", "-100", "43"))
    finally:
        await first.close()

    second = await Core.open(settings, clock=clock, migrate=False)
    grant_test_moderators(second)
    try:
        assert second.conversations.expecting(where) == "comment #stargate"
        assert second.conversations.expecting(Where("telegram", "-100", "43")) is None
        assert await second.conversations.take(where) == "comment #stargate"
        assert await second.conversations.take(where) is None
        await second.conversations.expect(where, "faq")
        clock.advance(PROMPT_TTL.total_seconds() + 1)
        assert second.conversations.expecting(where) is None
    finally:
        await second.close()


async def test_a_redelivery_just_after_handling_is_not_handled_again(core: Core) -> None:
    [entry] = await core.inbox.accept([arrival(1)])
    core.inbox.finish(entry.id)  # its mark is not written yet
    assert await core.inbox.accept([arrival(1)]) == []
    await core.inbox.flush()
    assert await core.inbox.accept([arrival(1)]) == []


async def test_a_handled_entry_keeps_its_key_but_not_what_was_sent(core: Core) -> None:
    handled, waiting = await core.inbox.accept([arrival(1), arrival(2)])
    core.inbox.finish(handled.id)
    await core.inbox.flush()
    payloads = await core.database.read(
        lambda session: {
            key: payload
            for key, payload in session.execute(select(InboxEntry.key, InboxEntry.payload))
        }
    )
    assert payloads == {handled.key: "", waiting.key: waiting.payload}
    assert await core.inbox.accept([arrival(1)]) == []  # still recognised


async def test_an_entry_being_handled_is_not_handed_out_twice(core: Core) -> None:
    [entry] = await core.inbox.accept([arrival(1), arrival(1, "c1")])
    # Telegram delivers it again while it is being handled: nothing new to hand out.
    assert await core.inbox.accept([arrival(1)]) == []
    assert [e async for e in core.inbox.backlog("telegram")] == []
    core.inbox.release("telegram")  # its handler stopped before finishing it
    if core.inbox.shared:
        # Several processes: what one lets go comes back through the lane claims, once this
        # worker hands it back (tests/store/test_shared_inbox.py).
        assert core.presence is not None
        await core.presence.stop()
        assert [e.key for e in await core.inbox.claim_waiting("telegram")] == [entry.key]
    else:
        assert [e.key async for e in core.inbox.backlog("telegram")] == [entry.key]


async def test_a_question_nobody_answers_is_counted_once_per_update(core: Core) -> None:
    request = request_for(READER)
    first = await core.execute(request, "faq", "zz what is the airspeed of a swallow")
    # The same update handled again (a worker killed before it recorded it handled).
    again = await core.execute(request, "faq", "zz what is the airspeed of a swallow")
    await core.execute(request_for(READER), "faq", "zz what is the airspeed of a swallow")
    counts = await core.database.read(
        lambda s: s.scalars(select(UnansweredQuestion.times_asked)).all()
    )
    assert counts == [2]  # two updates asked it; the repeat of one is not counted
    assert again.replayed and again.reply == first.reply
