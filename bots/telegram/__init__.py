"""Telegram adapter: python-telegram-bot around the shared core.

Run alone with `python -m bots.telegram`; in a shared event loop call
`await run_telegram(core, stop)` (or `TelegramAdapter(core).start()` / `.wait(stop)` / `.stop()`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bots.telegram.run import PollingConflict, PollingFailed, TelegramAdapter, run_telegram

__all__ = ["PollingConflict", "PollingFailed", "TelegramAdapter", "run_telegram"]


def __getattr__(name: str) -> object:
    # Loaded on first use: reading `bots.telegram.settings` must not import the Telegram library.
    if name in __all__:
        from bots.telegram import run

        return getattr(run, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
