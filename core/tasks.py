"""Stopping background tasks: one way for every loop the core and the adapters start."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any


async def cancel_and_wait(task: asyncio.Task[Any] | None, *, ignore_failure: bool = False) -> None:
    """Cancel `task` and wait until it has unwound; with `ignore_failure`, an error it ended
    with is dropped too (for tasks whose failures were logged where they happened)."""
    if task is None:
        return
    task.cancel()
    ignored: tuple[type[BaseException], ...] = (asyncio.CancelledError,)
    if ignore_failure:
        ignored += (Exception,)
    with contextlib.suppress(*ignored):
        await task
