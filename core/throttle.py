"""The per-user command rate: a reader past it is told once to slow down, then ignored.

Moving windows kept in memory: a burst that goes over is refused for exactly as long as the
oldest command of the window needs to age out.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum


class Verdict(Enum):
    ADMIT = "admit"
    WARN = "warn"  # the first command over the rate: answer "too fast, wait N s"
    SKIP = "skip"  # further ones in the same window: record, do not answer


@dataclass(frozen=True, slots=True)
class Admission:
    verdict: Verdict
    retry_in: int = 0  # whole seconds until the user may send a command again


ADMITTED = Admission(Verdict.ADMIT)


class MovingWindow:
    """At most `limit` hits per key in any `seconds`; a refused hit is not counted.

    The moving window of the `limits` library (which this replaces: it cost ~1.5 MB of imports
    and a timer thread to expire keys), with keys forgotten once their last hit ages out."""

    def __init__(
        self, limit: int, seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit, self.seconds, self.clock = limit, seconds, clock
        # key -> times of its counted hits, oldest first; keys in the order of their last hit.
        self._hits: OrderedDict[str, deque[float]] = OrderedDict()

    def hit(self, key: str) -> bool:
        """Count a hit of `key` if the window has room for it; whether it had."""
        now = self.clock()
        self._forget_idle(now)
        hits = self._hits.get(key)
        if hits is None:
            hits = self._hits[key] = deque()
        while hits and hits[0] < now - self.seconds:
            hits.popleft()
        if len(hits) >= self.limit:
            return False
        hits.append(now)
        self._hits.move_to_end(key)
        return True

    def reset_in(self, key: str) -> float:
        """Seconds until `key` has room again: its oldest hit in the window ages out."""
        now = self.clock()
        hits = [t for t in self._hits.get(key, ()) if t >= now - self.seconds]
        return hits[0] + self.seconds - now if hits else 0.0

    def _forget_idle(self, now: float) -> None:
        # The first key has the oldest last hit: once that is out of the window, so is the key.
        while self._hits:
            key, hits = next(iter(self._hits.items()))
            if hits and hits[-1] >= now - self.seconds:
                return
            del self._hits[key]

    def __len__(self) -> int:
        return len(self._hits)


class CommandThrottle:
    """At most `per_minute` commands a minute per actor key; 0 turns the limit off."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self._commands = MovingWindow(max(1, per_minute), 60.0, clock)
        # One "slow down" per window: a flood is answered once, not message for message.
        self._warnings = MovingWindow(1, 60.0, clock)

    def admit(self, actor_key: str) -> Admission:
        """Count one command of `actor_key` and say whether to handle it."""
        if self.per_minute <= 0 or self._commands.hit(actor_key):
            return ADMITTED
        if not self._warnings.hit(actor_key):
            return Admission(Verdict.SKIP)
        return Admission(Verdict.WARN, max(1, math.ceil(self._commands.reset_in(actor_key))))
