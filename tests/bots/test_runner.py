"""`python -m bots [adapter ...]`: which configured adapters a process runs."""

from __future__ import annotations

import asyncio

import pytest

from bots.runner import AdapterSettings, NotConfigured, Runner, chosen, configured_runners
from core.app import Core
from tests.support.settings import discord_settings, telegram_settings


async def _run(core: Core, stop: asyncio.Event) -> None:
    await stop.wait()


RUNNERS: dict[str, Runner] = {"telegram": _run, "discord": _run}


def test_no_names_run_every_configured_adapter() -> None:
    assert chosen(RUNNERS, []) == RUNNERS


def test_names_pick_the_adapters_this_process_runs() -> None:
    assert list(chosen(RUNNERS, ["discord"])) == ["discord"]


def test_an_adapter_not_configured_here_is_refused_with_the_reason() -> None:
    configured = configured_runners(
        AdapterSettings(telegram=telegram_settings(), discord=discord_settings(bot_token=None))
    )
    with pytest.raises(
        NotConfigured, match=r"not configured here: discord .*configured: telegram"
    ):
        chosen(configured, ["discord"])
