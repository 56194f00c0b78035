"""A core whose commands wait at a gate, and a bounded wait for a condition: for tests that
hold some chats' handling while they look at what the adapter does meanwhile."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from core.actors import Request
from core.app import Core, Outcome


class GatedCore:
    """The real core; `execute` waits for `gate` when the request's chat is held."""

    def __init__(self, core: Core, held: set[int] | None = None) -> None:
        self._core = core
        self.held = held  # None: every chat
        self.gate = asyncio.Event()
        self.waiting = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._core, name)

    async def execute(self, request: Request, *args: Any, **kwargs: Any) -> Outcome:
        if self.held is None or int(request.chat_id) in self.held:
            self.waiting += 1
            await self.gate.wait()
        return await self._core.execute(request, *args, **kwargs)


async def until(condition: Callable[[], bool], within: float = 5.0) -> None:
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)
