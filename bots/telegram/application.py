"""PTB's Application, minus bookkeeping that only a persistence would read."""

from __future__ import annotations

from typing import Any

from telegram.ext import Application, Job


class NewsroomApplication(Application):  # type: ignore[type-arg]
    """An Application that does not remember every chat and user it ever saw."""

    def _mark_for_persistence_update(
        self, *, update: object | None = None, job: Job[Any] | None = None
    ) -> None:
        # PTB adds the id of every update's chat and user to two sets that only a persistence
        # flush empties. This bot has no persistence (the store is the database), so the sets
        # would grow with the audience for as long as the process runs.
        if self.persistence is not None:
            super()._mark_for_persistence_update(update=update, job=job)
