"""The console adapter's run: read lines, hand them to the dispatcher, until the input ends."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import queue
import sys
import threading
from pathlib import Path

from bots.console.dispatch import HELP, ConsoleSession
from bots.console.settings import ConsoleSettings
from core.actors import Actor
from core.app import Core


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bots.console", description="Talk to the bot in a terminal, or script it."
    )
    parser.add_argument("--moderator", action="store_true", help="start as the moderator")
    parser.add_argument("--name", default=None, help="your display name as a reader")
    parser.add_argument("--user", default="reader", help="your reader id (default: reader)")
    return parser.parse_args(argv)


async def run_console(
    core: Core, args: argparse.Namespace, settings: ConsoleSettings | None = None
) -> None:
    """Read lines until end of input or /quit; replies go to stdout (settings from the
    environment unless given)."""
    settings = settings or ConsoleSettings.from_environment()
    core.grant_moderators("console", settings.moderator_rule())
    interactive = sys.stdin.isatty()
    session = ConsoleSession(
        core=core,
        write=lambda text: print(text, flush=True),
        reader=Actor("console", args.user, args.name or getpass.getuser().title() or "Reader"),
        moderator=Actor("console", settings.moderator_ids[0], "Moderator")
        if settings.moderator_ids
        else Actor("console", "operator", "Moderator"),
        as_moderator=args.moderator,
    )
    session.attach()
    if interactive:
        _enable_history()
        print("Newsroom bot console. " + HELP)
    lines = LineReader(asyncio.get_running_loop(), interactive)
    while True:
        prompt = f"{session.actor.display_name}> " if interactive else ""
        line = await lines.next(prompt)
        if line is None:
            break
        if not interactive and line.strip():
            print(f"> {line.strip()}", flush=True)
        if not await session.handle(line):
            break
        await core.events.drain()


class LineReader:
    """Reads stdin on a daemon thread, one line when asked, so Ctrl-C is never stuck in input()."""

    def __init__(self, loop: asyncio.AbstractEventLoop, interactive: bool) -> None:
        self._loop = loop
        self._interactive = interactive
        self._asked: queue.SimpleQueue[str] = queue.SimpleQueue()
        self._lines: asyncio.Queue[str | None] = asyncio.Queue()
        threading.Thread(target=self._run, name="console-input", daemon=True).start()

    async def next(self, prompt: str) -> str | None:
        """The next line, or None at the end of input."""
        self._asked.put(prompt)
        return await self._lines.get()

    def _run(self) -> None:
        while True:
            prompt = self._asked.get()
            try:
                line: str | None = input(prompt) if self._interactive else sys.stdin.readline()
            except (EOFError, KeyboardInterrupt):
                line = None
            if line == "" and not self._interactive:
                line = None  # readline() gives "" only at the end of input
            self._loop.call_soon_threadsafe(self._lines.put_nowait, line)
            if line is None:
                return


def _enable_history() -> None:
    try:
        import readline
    except ImportError:  # not on every platform
        return
    history = Path("data/.console_history")
    history.parent.mkdir(parents=True, exist_ok=True)
    if history.exists():
        readline.read_history_file(history)
    import atexit

    atexit.register(readline.write_history_file, history)
