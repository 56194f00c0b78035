"""`python -m bots [adapter ...]`: which configured adapters a process runs."""

from __future__ import annotations

import asyncio

import pytest

from bots.runner import NotConfigured, Runner, chosen, configured_runners
from core.app import Core
from tests.support.settings import make_settings


async def _run(core: Core, stop: asyncio.Event) -> None:
    await stop.wait()


RUNNERS: dict[str, Runner] = {"telegram": _run, "discord": _run}


def test_no_names_run_every_configured_adapter() -> None:
    assert chosen(RUNNERS, []) == RUNNERS


def test_names_pick_the_adapters_this_process_runs() -> None:
    assert list(chosen(RUNNERS, ["discord"])) == ["discord"]


def test_an_adapter_not_configured_here_is_refused_with_the_reason(sqlite_url: str) -> None:
    configured = configured_runners(make_settings(sqlite_url, telegram_bot_token="1:x"))
    with pytest.raises(
        NotConfigured, match=r"not configured here: discord .*configured: telegram"
    ):
        chosen(configured, ["discord"])
