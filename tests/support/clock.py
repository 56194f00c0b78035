"""A clock moved by hand, handed to `Core.open(clock=...)` instead of the wall clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta


@dataclass
class Clock:
    """A clock tests move by hand (flood intervals, ban expiry)."""

    now: datetime = field(default_factory=lambda: datetime(2026, 11, 27, 12, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)
