"""`python -m bots.console`: talk to the bot in a terminal, or script it through stdin."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import sys
from pathlib import Path

from bots.console.session import HELP, ConsoleSession
from bots.logs import configure_logging
from core.actors import Actor
from core.app import Core
from core.config import Settings


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bots.console", description=__doc__)
    parser.add_argument("--moderator", action="store_true", help="start as the moderator")
    parser.add_argument("--name", default=None, help="your display name as a reader")
    parser.add_argument("--user", default="reader", help="your reader id (default: reader)")
    return parser.parse_args(argv)


async def run_console(core: Core, args: argparse.Namespace) -> None:
    """Read lines until end of input or /quit; replies go to stdout."""
    interactive = sys.stdin.isatty()
    session = ConsoleSession(
        core=core,
        write=lambda text: print(text, flush=True),
        reader=Actor("console", args.user, args.name or getpass.getuser().title() or "Reader"),
        moderator=Actor("console", core.settings.console_moderator_ids[0], "Moderator")
        if core.settings.console_moderator_ids
        else Actor("console", "operator", "Moderator"),
        as_moderator=args.moderator,
    )
    session.attach()
    if interactive:
        _enable_history()
        print("Newsroom bot console. " + HELP)
    loop = asyncio.get_running_loop()
    while True:
        prompt = f"{session.actor.display_name}> " if interactive else ""
        try:
            line = await loop.run_in_executor(None, _read_line, prompt)
        except EOFError:
            break
        if not interactive and line.strip():
            print(f"> {line.strip()}", flush=True)
        if not await session.handle(line):
            break
        await core.events.drain()


def _read_line(prompt: str) -> str:
    if prompt:
        return input(prompt)
    line = sys.stdin.readline()
    if not line:
        raise EOFError
    return line


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


async def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    settings = Settings()
    configure_logging(settings)
    core = await Core.open(settings)
    try:
        await run_console(core, args)
    finally:
        await core.close()


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())
