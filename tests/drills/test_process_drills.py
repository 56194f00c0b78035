"""The process drills, reduced: kill -9 (polling and webhook), SIGTERM under load, PostgreSQL
outage, webhook abuse; nothing lost."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from drills import db_outage, kill9, processes, publishing, sigterm, webhook_abuse
from tests.support.postgres import find_bindir


def assert_kill9_ok(report: kill9.Kill9Report) -> None:
    """Nothing lost or repeated (outside the send-then-record instant), and all exercised."""
    assert_kill9_exercised(report)
    assert report.ok, report.render()


def assert_kill9_exercised(report: kill9.Kill9Report) -> None:
    """Comments acknowledged, updates re-delivered, reads answered, prompts across kills."""
    acknowledged = sum(int(str(row[3])) for row in report.rows)
    redelivered = sum(int(str(row[5])) for row in report.rows)
    assert acknowledged > 0 and redelivered > 0, report.render()
    reads = sum(int(str(row[1])) for row in report.read_rows)
    prompted_before_kill = sum(int(str(row[7])) for row in report.read_rows)
    survived = sum(int(str(row[8])) for row in report.read_rows)
    assert reads > 0 and prompted_before_kill > 0 and survived > 0, report.render()


async def test_kill9_loses_no_acknowledged_comment(tmp_path: Path) -> None:
    # In tmp_path (pytest keeps the last few): the drill keeps its store when it found a fault.
    report = await kill9.run(rounds=3, authors=16, seed=7, keep=tmp_path)
    assert_kill9_ok(report)


async def test_kill9_in_webhook_mode_loses_nothing_and_answers_reads_once(tmp_path: Path) -> None:
    report = await kill9.run(rounds=3, authors=12, seed=7, mode="webhook", keep=tmp_path)
    assert_kill9_ok(report)


async def test_webhook_abuse_is_refused_cheaply_and_valid_updates_answered_once() -> None:
    report = await webhook_abuse.run(requests=500, big_mb=20, seed=7)
    assert report.ok, report.render()
    statuses = {str(row[0]): row for row in report.rows}
    assert all(row[3] == row[1] for name, row in statuses.items() if "MB chunked" in name), (
        report.render()
    )


async def test_sigterm_under_load_answers_every_update_once() -> None:
    # `python -m bots` as the Procfile runs it; the other drills run `python -m bots.telegram`.
    report = await sigterm.run(rounds=2, chats=20, rate=60, seed=7, entry="bots")
    assert report.ok, report.render()
    assert all(row[4] == 0 for row in report.rows), report.render()


async def test_database_outage_says_try_again_and_recovers() -> None:
    if find_bindir() is None:
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail("PostgreSQL is required (REQUIRE_POSTGRES=1) but initdb was not found")
        pytest.skip("PostgreSQL not installed; `make test` installs it")
    report = await db_outage.run(rounds=1, outage=2.0, readers=8, before=1.5, after=3.0)
    assert report.ok, report.render()
    assert int(str(report.rows[0][4])) > 0, report.render()  # the outage was noticed


async def test_processes_on_postgresql_lose_nothing_and_fail_over() -> None:
    if find_bindir() is None:
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail("PostgreSQL is required (REQUIRE_POSTGRES=1) but initdb was not found")
        pytest.skip("PostgreSQL not installed; `make test` installs it")
    report = await processes.run(processes=3, updates=300, chats=30, rate=50, every=3, seed=7)
    assert report.ok, report.render()
    by_scenario = {str(row[0]): row for row in report.rows}
    assert set(by_scenario) == {"scale", "rolling", "failover"}
    for row in by_scenario.values():
        assert int(str(row[3])) >= 1, report.render()  # it was interrupted
        assert row[4] == row[2], report.render()  # every update answered


async def test_publishing_posts_once_and_counts_follow_approvals_across_kills() -> None:
    report = await publishing.run(approvals=45, window=3.0, seed=7)
    assert report.ok, report.render()
    counted = [row for row in report.rows if isinstance(row[3], int)]
    assert counted and all(row[3] == row[4] for row in counted), report.render()
    assert sum(int(str(row[5])) for row in counted) > 0, report.render()  # edits were made
