"""The one runner of every entry point: `python -m bots [adapter ...]`, `python -m bots.telegram`,
`python -m bots.discord` and `python -m bots.console` open the core, run on one event loop until
SIGINT/SIGTERM (or the console's end), and close everything in order. SIGHUP reloads the
content, as a moderator's /reload does."""

from __future__ import annotations

import argparse
import asyncio
import functools
import logging
import os
import signal
import sys
import textwrap
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

import attrs

from bots.console.settings import ConsoleSettings
from bots.discord.settings import DiscordSettings
from bots.logs import configure_logging
from bots.telegram.settings import TelegramSettings
from core.app import Core
from core.config import Settings
from core.content.loader import ContentError
from core.environment import Problems, SettingsError
from core.heap import settle_after_start_up
from core.store.engine import normalize_database_url
from core.store.migrate import MigrationFailed
from core.store.single_process import StoreInUse

if TYPE_CHECKING:
    from bots.web import WebServer

log = logging.getLogger("bots")

Runner = Callable[[Core, asyncio.Event], Coroutine[Any, Any, None]]

# Exit statuses a supervisor can tell apart. An adapter's exception may carry its own
# `exit_status` (e.g. 3: another process polls Telegram with this token).
EXIT_FAILED = 1
EXIT_CONFIG = 2


class AdapterMisconfigured(RuntimeError):
    """The platform refused the adapter's configuration (a revoked token): exit 2, no retry."""

    exit_status = EXIT_CONFIG


NO_ADAPTER = """\
No platform is configured, so only the console is available.
To run on Telegram, set TELEGRAM_BOT_TOKEN (from @BotFather); for Discord, set DISCORD_BOT_TOKEN.
Put them in the environment or in a .env file (see .env.example), then start again."""


@attrs.frozen
class AdapterSettings:
    """Each adapter's own settings (`bots/<platform>/settings.py`); reading them imports no
    platform library. The defaults configure no platform."""

    telegram: TelegramSettings = attrs.Factory(TelegramSettings)
    discord: DiscordSettings = attrs.Factory(DiscordSettings)
    console: ConsoleSettings = attrs.Factory(ConsoleSettings)

    @classmethod
    def from_environment(cls) -> AdapterSettings:
        """Every adapter's from the environment; SettingsError names every bad variable."""
        problems = Problems()
        adapters = cls(
            telegram=problems.read(TelegramSettings.from_environment, TelegramSettings),
            discord=problems.read(DiscordSettings.from_environment, DiscordSettings),
            console=problems.read(ConsoleSettings.from_environment, ConsoleSettings),
        )
        problems.raise_any()
        return adapters

    def grant_moderators(self, core: Core) -> None:
        """Every adapter's moderators, configured here or not: the core then also knows the
        people of a platform another process serves (a Telegram moderator may /ban discord:1)."""
        core.grant_moderators("telegram", self.telegram.moderator_rule())
        core.grant_moderators("discord", self.discord.moderator_rule())
        core.grant_moderators("console", self.console.moderator_rule())


def read_settings(
    settings: Settings | None = None, adapters: AdapterSettings | None = None
) -> tuple[Settings, AdapterSettings]:
    """Those not given, from the environment; SettingsError names every bad variable of all."""
    problems = Problems()
    if settings is None:
        settings = problems.read(Settings.from_environment, Settings)
    if adapters is None:
        adapters = problems.read(AdapterSettings.from_environment, AdapterSettings)
    problems.raise_any()
    return settings, adapters


def refuse(exc: SettingsError) -> int:
    """Say which settings are bad, without a traceback (the operator's to fix, not a crash)."""
    print(
        f"Bad settings (environment or .env):\n{textwrap.indent(str(exc), '  ')}", file=sys.stderr
    )
    return EXIT_CONFIG


def configured_runners(adapters: AdapterSettings | None = None) -> dict[str, Runner]:
    """The adapters whose token is set, each bound to its settings (from the environment unless
    given); only those are imported."""
    adapters = adapters or AdapterSettings.from_environment()
    runners: dict[str, Runner] = {}
    if adapters.telegram.bot_token is not None:
        from bots.telegram import run_telegram

        runners["telegram"] = functools.partial(run_telegram, settings=adapters.telegram)
    if adapters.discord.bot_token is not None:
        from bots.discord import run_discord

        runners["discord"] = functools.partial(run_discord, settings=adapters.discord)
    return runners


def warn_about_ephemeral_disk(settings: Settings) -> None:
    url = normalize_database_url(settings.database_url)
    if url.drivername.startswith("sqlite") and os.environ.get("DYNO"):
        log.warning(
            "SQLite on a host with an ephemeral disk loses every comment at each restart: "
            "set DATABASE_URL to a PostgreSQL database."
        )


async def run_adapters(core: Core, runners: dict[str, Runner]) -> int:
    """Run adapters until SIGINT/SIGTERM; if one fails, stop the others and report it."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    tasks = {asyncio.create_task(run(core, stop), name=n): n for n, run in runners.items()}
    log.info("running: %s", ", ".join(runners))
    status = 0
    pending = set(tasks)
    while pending:
        done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            if task.cancelled():
                continue
            if (exc := task.exception()) is not None:
                log.error("%s adapter stopped: %s", tasks[task], exc, exc_info=exc)
                status = max(status, getattr(exc, "exit_status", EXIT_FAILED))
            elif not stop.is_set():
                log.error("%s adapter stopped unexpectedly", tasks[task])
                status = max(status, EXIT_FAILED)
        stop.set()
    return status


class ReloadOnHangup:
    """SIGHUP reloads the content (`Core.reload_content`), here and, on a shared PostgreSQL, in
    every other process; bad content is logged and the old content keeps being served."""

    def __init__(self, core: Core) -> None:
        self.core = core
        # Set at each SIGHUP (a test clears it, signals, and waits on it).
        self.signalled = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None

    def install(self) -> None:
        if not hasattr(signal, "SIGHUP"):  # not on Windows
            return
        self._loop = asyncio.get_running_loop()
        self._loop.add_signal_handler(signal.SIGHUP, self._hangup)

    def _hangup(self) -> None:
        self.signalled.set()
        assert self._loop is not None
        task = self._loop.create_task(self._reload(), name="reload-on-sighup")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _reload(self) -> None:
        log.info("SIGHUP: reloading the content")
        try:
            await self.core.reload_content()  # logs what changed, or why nothing did
        except ContentError:
            pass  # already logged with every problem; the old content stays
        except Exception:
            log.exception("reloading the content failed; the old content stays")

    async def idle(self) -> None:
        """Wait for the reloads signalled so far."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        """Stop listening, and let a reload under way finish before the core closes."""
        if self._loop is not None:
            self._loop.remove_signal_handler(signal.SIGHUP)
            self._loop = None
        await self.idle()


class NotConfigured(ValueError):
    """An adapter was asked for whose token is not set here."""


def chosen(runners: dict[str, Runner], names: list[str]) -> dict[str, Runner]:
    """The adapters named on the command line (`python -m bots telegram`), or all configured.

    Several processes split the work this way: e.g. `web` processes run Telegram and one
    `worker` runs Discord, from one environment."""
    if not names:
        return runners
    unknown = [name for name in names if name not in runners]
    if unknown:
        raise NotConfigured(
            f"not configured here: {', '.join(unknown)} (set its token; configured: "
            f"{', '.join(runners) or 'none'})"
        )
    return {name: runners[name] for name in names}


async def main(
    names: list[str] | None = None,
    console: argparse.Namespace | None = None,
    settings: Settings | None = None,
    adapters: AdapterSettings | None = None,
) -> int:
    """Run the adapters named (all configured when none), or the console when `console` is
    given or none is configured and a terminal is attached; the exit status."""
    try:
        settings, adapters = read_settings(settings, adapters)
    except SettingsError as exc:
        return refuse(exc)
    configure_logging(settings, adapters.telegram, adapters.discord)
    warn_about_ephemeral_disk(settings)
    try:
        runners = {} if console is not None else chosen(configured_runners(adapters), names or [])
    except NotConfigured as exc:
        print(exc, file=sys.stderr)
        return EXIT_CONFIG
    if not runners and console is None and not sys.stdin.isatty():
        print(NO_ADAPTER, file=sys.stderr)
        return EXIT_CONFIG
    try:
        core = await Core.open(settings)
    except StoreInUse as exc:
        log.error("%s", exc)
        return EXIT_CONFIG
    except MigrationFailed as exc:  # Alembic's report is logged above it
        log.error("%s", exc)
        return EXIT_FAILED
    adapters.grant_moderators(core)
    settle_after_start_up()
    health = await serve_health(core, settings, adapters.telegram)
    hangup = ReloadOnHangup(core)
    hangup.install()
    try:
        if runners:
            return await run_adapters(core, runners)
        from bots.console.run import parse_args, run_console

        if console is None:
            print(NO_ADAPTER, file=sys.stderr)
        await run_console(core, console or parse_args([]), adapters.console)
        return 0
    finally:
        await hangup.close()
        if health is not None:
            await health.stop()
        await core.close()


def run(names: list[str] | None = None, console: argparse.Namespace | None = None) -> int:
    """`main` on a new event loop; Ctrl-C is an exit, not a traceback."""
    try:
        return asyncio.run(main(names, console))
    except KeyboardInterrupt:
        return 130


async def serve_health(
    core: Core, settings: Settings, telegram: TelegramSettings
) -> WebServer | None:
    """`GET /healthz` on `PORT` when the host gives one and no webhook server takes it."""
    if "PORT" not in os.environ or telegram.webhook_url:
        return None
    from bots.web import WebServer

    server = WebServer(host="0.0.0.0", port=settings.port, health=core.health)
    await server.start()
    log.info("health checks on port %d at /healthz", settings.port)
    return server
