"""The inbox: incoming platform events owned by the store, handled in fair per-chat lanes.

An adapter commits what the platform delivered (`Inbox.accept`) before confirming it to the
platform, hands the new entries to `Lanes`, and marks each one finished (`Inbox.finish`) once
it was handled. See core/inbox/store.py and core/inbox/lanes.py.
"""

from __future__ import annotations

from core.inbox.entries import Arrival, Entry
from core.inbox.lanes import Lanes, paced
from core.inbox.store import Inbox, State

__all__ = ["Arrival", "Entry", "Inbox", "Lanes", "State", "paced"]
