"""This process's lease among the workers sharing a PostgreSQL inbox: join, renew, leave."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from functools import partial

from sqlalchemy.orm import Session

from core.inbox.claims import HEARTBEAT_SECONDS, Claims
from core.inbox.store import Inbox
from core.store.engine import Database
from core.tasks import cancel_and_wait

log = logging.getLogger(__name__)

COUNT_SECONDS = 1.0


class Presence:
    """Registers the worker, renews its lease every few seconds, hands everything back at stop.

    `role()` says what the process does (e.g. "telegram webhook receiver, worker"); it is
    written with every renewal, so the `workers` table shows the deployment at a glance.
    """

    def __init__(
        self, database: Database, inbox: Inbox, claims: Claims, role: Callable[[], str]
    ) -> None:
        self.database = database
        self.inbox = inbox
        self.claims = claims
        self.role = role
        self._task: asyncio.Task[None] | None = None

    @property
    def worker_id(self) -> str:
        return self.claims.worker_id

    async def start(self) -> None:
        role = self.role()
        await self.database.write(lambda session: self.claims.register(session, role))
        self._task = asyncio.create_task(self._renew(), name="worker-lease")

    async def _renew(self) -> None:
        counts_per_renewal = max(1, round(HEARTBEAT_SECONDS / COUNT_SECONDS))
        while True:
            # Between renewals, count the live workers now and then: a worker that joins is
            # given new chats within a second, not a lease period.
            for _ in range(counts_per_renewal - 1):
                await asyncio.sleep(COUNT_SECONDS)
                with contextlib.suppress(Exception):
                    await self.database.read(self.claims.count_workers)
            await asyncio.sleep(COUNT_SECONDS)
            role = self.role()

            def renew(session: Session, role: str = role) -> bool:
                return self.claims.renew(session, role)

            try:
                alive = await self.database.write(renew)
            except Exception as exc:
                log.warning("could not renew this worker's lease: %s", type(exc).__name__)
                continue
            if not alive:
                # Others may have taken this worker's chats while the store was away: start
                # over with no lanes rather than handle a chat alongside its new worker.
                log.warning("this worker's lease lapsed; its chats may have moved elsewhere")
                self.claims.forget_all()
                await self.database.write(partial(self.claims.register, role=role))

    async def stop(self) -> None:
        """Hand back every lane and unfinished entry now (other workers need not wait for the
        lease to run out), after the marks of what was handled are written."""
        await cancel_and_wait(self._task)
        await self.inbox.flush()
        try:
            await self.database.write(self.claims.leave)
        except Exception as exc:
            log.warning(
                "could not hand back this worker's chats (others take them in %s): %s",
                "a lease",
                type(exc).__name__,
            )
