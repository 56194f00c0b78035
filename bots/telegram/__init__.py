"""Telegram adapter: python-telegram-bot around the shared core.

Run alone with `python -m bots.telegram`; in a shared event loop call
`await run_telegram(core, stop)` (or `TelegramAdapter(core).start()` / `.wait(stop)` / `.stop()`).
"""

from __future__ import annotations

from bots.telegram.run import PollingConflict, PollingFailed, TelegramAdapter, run_telegram

__all__ = ["PollingConflict", "PollingFailed", "TelegramAdapter", "run_telegram"]
