"""What the inbox holds: an arrival as the platform delivered it, an entry once stored."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Arrival:
    """An event as the platform delivered it: its key, its chat's lane and the raw payload."""

    key: str
    platform: str
    chat_key: str
    payload: str


@dataclass(frozen=True, slots=True)
class Entry:
    """An event the inbox holds: an arrival plus its place in arrival order."""

    id: int
    key: str
    platform: str
    chat_key: str
    payload: str
