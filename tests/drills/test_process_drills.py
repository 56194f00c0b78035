"""The process drills, reduced: kill -9, SIGTERM under load, PostgreSQL outage; nothing lost."""

from __future__ import annotations

import os

import pytest

from drills import db_outage, kill9, sigterm
from tests.support.postgres import find_bindir


async def test_kill9_loses_no_acknowledged_comment() -> None:
    report = await kill9.run(rounds=3, authors=16, seed=7)
    assert report.ok, report.render()
    acknowledged = sum(int(str(row[3])) for row in report.rows)
    redelivered = sum(int(str(row[5])) for row in report.rows)
    assert acknowledged > 0 and redelivered > 0, report.render()


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
