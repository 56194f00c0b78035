"""Several processes on one PostgreSQL: lane claims, leases, hand-back, the elected poller."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from sqlalchemy import select, text

from core.app import Core
from core.conversation import Where
from core.inbox import Arrival
from core.inbox.claims import LEASE
from core.relay import relay as relay_module
from core.store.leadership import Leadership
from core.store.tables import InboxEntry, Worker
from tests.support.clock import Clock
from tests.support.databases import PostgresFactory
from tests.support.gated import until
from tests.support.settings import grant_test_moderators, make_settings

Open = Callable[[], Awaitable[Core]]


def arrival(n: int, chat: str = "c1") -> Arrival:
    return Arrival(f"telegram:update:{n}", "telegram", chat, f'{{"update_id": {n}}}')


@pytest.fixture
async def postgres_url(postgres_factory: PostgresFactory) -> str:
    return await postgres_factory.new()


@pytest.fixture
async def open_worker(postgres_url: str, clock: Clock) -> AsyncIterator[Open]:
    """Opens Cores on one PostgreSQL database, as separate processes would (one clock)."""
    opened: list[Core] = []

    async def open_one() -> Core:
        core = await Core.open(make_settings(postgres_url), clock=clock, migrate=False)
        grant_test_moderators(core)
        opened.append(core)
        return core

    yield open_one
    for core in opened:
        await core.close()


async def test_receiving_takes_free_chats_and_leaves_held_ones(open_worker: Open) -> None:
    a, b = await open_worker(), await open_worker()
    await a.inbox.accept([arrival(1, "c1")])
    fresh = await b.inbox.accept([arrival(2, "c1"), arrival(3, "c2")])
    assert [e.key for e in fresh] == ["telegram:update:3"]  # c2 was free; c1 is a's
    rows = await b.database.read(lambda s: s.execute(select(InboxEntry.key, InboxEntry.owner)))
    owners = {key: owner for key, owner in rows}
    assert owners["telegram:update:2"] is None  # stored for a, the chat's worker
    assert owners["telegram:update:3"] == b.presence.worker_id  # type: ignore[union-attr]
    assert await b.inbox.claim_waiting("telegram") == []  # c1 is a's while a lives
    assert [e.key for e in await a.inbox.claim_waiting("telegram")] == ["telegram:update:2"]


async def test_a_crashed_workers_chats_are_taken_once_its_lease_ran_out(
    open_worker: Open, clock: Clock
) -> None:
    a, b = await open_worker(), await open_worker()
    await a.inbox.accept([arrival(n, "c1") for n in range(1, 4)])
    # a dies (no hand-back, no renewal): its chat stays with it while the lease holds.
    assert a.presence is not None
    a.presence._task.cancel()  # type: ignore[union-attr]
    assert await b.inbox.claim_waiting("telegram") == []
    assert await b.inbox.accept([arrival(4, "c1")]) == []
    await b.inbox.accept([arrival(9, "c9")])  # b holds a chat of its own, live
    clock.advance(LEASE.total_seconds() + 1)
    assert b.presence is not None
    await b.database.write(lambda s: b.inbox.claims.renew(s, "worker"))  # type: ignore[union-attr]
    taken = await b.inbox.claim_waiting("telegram")
    assert [e.key for e in taken] == [f"telegram:update:{n}" for n in range(1, 5)]  # in order


async def test_a_stopping_worker_hands_its_chats_back_at_once(open_worker: Open) -> None:
    a, b = await open_worker(), await open_worker()
    await a.inbox.accept([arrival(1, "c1"), arrival(2, "c2")])
    a.inbox.release("telegram")  # its lanes were cancelled by the stop
    assert a.presence is not None
    await a.presence.stop()
    taken = await b.inbox.claim_waiting("telegram")
    assert [e.key for e in taken] == ["telegram:update:1", "telegram:update:2"]
    workers = await b.database.read(lambda s: s.scalars(select(Worker.id)).all())
    assert workers == [b.presence.worker_id]  # type: ignore[union-attr]


async def test_a_chat_with_an_update_in_hand_is_not_let_go(open_worker: Open) -> None:
    a, b = await open_worker(), await open_worker()
    [first] = await a.inbox.accept([arrival(1, "c1")])
    await a.inbox.let_go("telegram", ["c1"])  # being handled: kept, for the chat's order
    assert await b.inbox.accept([arrival(2, "c1")]) == []
    a.inbox.finish(first.id)
    await a.inbox.let_go("telegram", ["c1"])
    assert [e.key for e in await b.inbox.claim_waiting("telegram")] == ["telegram:update:2"]


async def test_an_idle_chat_let_go_goes_to_whoever_receives_it_next(open_worker: Open) -> None:
    a, b = await open_worker(), await open_worker()
    [first] = await a.inbox.accept([arrival(1, "c1")])
    a.inbox.finish(first.id)
    await a.inbox.flush()
    await a.inbox.let_go("telegram", ["c1"])
    assert [e.key for e in await b.inbox.accept([arrival(2, "c1")])] == ["telegram:update:2"]


async def test_taking_a_chat_reads_its_prompts_afresh(open_worker: Open) -> None:
    a, b = await open_worker(), await open_worker()
    where = Where("telegram", "c1", "u1")
    for entry in await b.inbox.accept([arrival(1, "c1")]):  # b saw the chat: no prompt then
        b.inbox.finish(entry.id)
    await b.inbox.let_go("telegram", ["c1"])
    for entry in await a.inbox.accept([arrival(2, "c1")]):
        await a.conversations.expect(where, "comment stargate")  # asked on a
        a.inbox.finish(entry.id)
    await a.inbox.let_go("telegram", ["c1"])
    assert b.conversations.expecting(where) is None
    await b.inbox.accept([arrival(3, "c1")])  # the answer reaches b
    assert b.conversations.expecting(where) == "comment stargate"


async def test_health_says_what_the_worker_is(open_worker: Open) -> None:
    a = await open_worker()
    a.roles["telegram"] = "poller, worker"
    report = await a.health()
    assert report.roles == {"telegram": "poller, worker"}
    assert report.worker == a.presence.worker_id  # type: ignore[union-attr]
    row = await a.database.read(lambda s: s.scalars(select(Worker.role)).one())
    assert row  # written at registration; renewals rewrite it


async def test_one_leader_at_a_time_and_a_standby_takes_over(open_worker: Open) -> None:
    a, b = await open_worker(), await open_worker()
    first, second = Leadership(a.database, "poller"), Leadership(b.database, "poller")
    await asyncio.wait_for(first.lead(), 5)
    assert not await second._try()
    # The leader's session dies (a SIGKILLed process): the server releases the lock.
    pid = await first._connection.scalar(text("SELECT pg_backend_pid()"))  # type: ignore[union-attr]
    await b.database.write(
        lambda s: s.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    )
    await asyncio.wait_for(second.lead(), 5)
    await asyncio.wait_for(first.lost(), 10)
    assert second.leading and not first.leading
    await second.resign()
    await asyncio.wait_for(first.lead(), 5)
    await first.resign()


async def test_a_receiver_taking_a_dead_workers_chat_handles_its_backlog_first(
    open_worker: Open, clock: Clock
) -> None:
    a, b = await open_worker(), await open_worker()
    await a.inbox.accept([arrival(1, "c1"), arrival(2, "c1")])
    assert a.presence is not None
    a.presence._task.cancel()  # type: ignore[union-attr]  # a dies
    clock.advance(LEASE.total_seconds() + 1)
    taken = await b.inbox.accept([arrival(3, "c1")])
    assert [e.key for e in taken] == [f"telegram:update:{n}" for n in (1, 2, 3)]


async def test_a_busy_receiver_keeps_its_chats_and_leaves_new_ones_to_workers_with_room(
    open_worker: Open,
) -> None:
    a, b = await open_worker(), await open_worker()
    await a.inbox.accept([arrival(1, "c1")])
    busy = await a.inbox.accept([arrival(2, "c1"), arrival(3, "c2")], new_chats=0)
    assert [e.key for e in busy] == ["telegram:update:2"]  # c1 stays with a, in order
    assert [e.key for e in await b.inbox.claim_waiting("telegram")] == ["telegram:update:3"]
    some = await a.inbox.accept([arrival(n, f"d{n}") for n in range(4, 8)], new_chats=2)
    assert [e.key for e in some] == ["telegram:update:4", "telegram:update:5"]


async def test_a_delivery_is_made_by_one_process_at_a_time(open_worker: Open) -> None:
    a, b = await open_worker(), await open_worker()
    async with a.relay.ledger.delivering("card", "discord", 7) as first:
        assert first
        async with a.relay.ledger.delivering("card", "discord", 7) as again_here:
            assert not again_here  # the live path and the catch-up of one process
        async with b.relay.ledger.delivering("card", "discord", 7) as elsewhere:
            assert not elsewhere  # another process's catch-up
    async with b.relay.ledger.delivering("card", "discord", 7) as later:
        assert later  # released once delivered (and recorded)


async def test_sharing_the_store_an_adapter_keeps_catching_up(
    open_worker: Open, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(relay_module, "CATCH_UP_SECONDS", 0.05)
    a = await open_worker()
    runs = 0

    async def catch_up(platform: object) -> int:
        nonlocal runs
        runs += 1
        return runs

    monkeypatch.setattr(a.relay, "catch_up", catch_up)
    task = asyncio.create_task(a.relay.keep_caught_up(None))  # type: ignore[arg-type]
    try:
        await until(lambda: runs >= 3, 5)  # alone on SQLite it runs once (tests/bots)
    finally:
        task.cancel()
