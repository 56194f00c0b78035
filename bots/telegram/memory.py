"""Recent update ids: a re-delivered update is recognised and dropped."""

from __future__ import annotations

from bots.memory import Bounded


class RecentIds:
    """Update ids seen lately: a re-delivered update is recognised and dropped.

    Re-deliveries come within seconds (an unconfirmed poll, a webhook retry); state changes are
    guarded in the store whatever the window, so this only spares a read's second answer.
    """

    def __init__(self, size: int = 4_096) -> None:
        self._seen: Bounded[int, None] = Bounded(size)

    def first_time(self, update_id: int) -> bool:
        if update_id in self._seen:
            return False
        self._seen.put(update_id, None)
        return True
