"""`python -m bots [adapter ...]`: which configured adapters a process runs, and how every entry
point refuses bad settings."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bots.runner import (
    EXIT_CONFIG,
    AdapterSettings,
    NotConfigured,
    Runner,
    chosen,
    configured_runners,
)
from core.app import Core
from tests.support.paths import ROOT
from tests.support.settings import discord_settings, telegram_settings
from tests.support.telegram_api import TOKEN


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


@pytest.mark.parametrize("module", ["bots", "bots.telegram", "bots.discord", "bots.console"])
def test_bad_settings_exit_2_naming_each_variable_without_a_traceback(
    module: str, tmp_path: Path
) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEGRAM_", "DISCORD_", "CONSOLE_", "COMMENT_", "PYTHON"))
    }
    env.update(
        PYTHONPATH=str(ROOT),
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_ANNOUNCE_CHAT_IDS="nonsense",
        DISCORD_BOT_TOKEN="fake-token",
        COMMENT_MAX_LINKS="-1",
    )
    done = subprocess.run(
        [sys.executable, "-m", module],
        cwd=tmp_path,  # no .env from the working tree
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == EXIT_CONFIG, done.stderr
    assert "TELEGRAM_ANNOUNCE_CHAT_IDS: 'nonsense' is not a chat" in done.stderr
    assert "COMMENT_MAX_LINKS: must be at least 0" in done.stderr
    assert "Traceback" not in done.stderr
    assert TOKEN not in done.stderr
