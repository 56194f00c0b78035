"""The per-user command rate: a reader past it is told once to slow down, then ignored.

Moving windows from the `limits` library, kept in memory: a burst that goes over is refused
for exactly as long as the oldest command of the window needs to age out.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from enum import Enum

from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter


class Verdict(Enum):
    ADMIT = "admit"
    WARN = "warn"  # the first command over the rate: answer "too fast, wait N s"
    SKIP = "skip"  # further ones in the same window: record, do not answer


@dataclass(frozen=True, slots=True)
class Admission:
    verdict: Verdict
    retry_in: int = 0  # whole seconds until the user may send a command again


ADMITTED = Admission(Verdict.ADMIT)


class CommandThrottle:
    """At most `per_minute` commands a minute per actor key; 0 turns the limit off."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._commands = RateLimitItemPerMinute(max(1, per_minute), namespace="commands")
        # One "slow down" per window: a flood is answered once, not message for message.
        self._warnings = RateLimitItemPerMinute(1, namespace="slow-down")

    def admit(self, actor_key: str) -> Admission:
        """Count one command of `actor_key` and say whether to handle it."""
        if self.per_minute <= 0 or self._limiter.hit(self._commands, actor_key):
            return ADMITTED
        if not self._limiter.hit(self._warnings, actor_key):
            return Admission(Verdict.SKIP)
        reset_at = self._limiter.get_window_stats(self._commands, actor_key).reset_time
        return Admission(Verdict.WARN, max(1, math.ceil(reset_at - time.time())))
