"""Pending prompts: what the next text of a user in a chat answers, kept in the store.

A prompt ("send me your comment") outlives a restart: it is written to the `prompts` table
and read back at start-up. Reads come from memory, since every text and command asks and
almost none has a prompt; writes go to the store first, then to memory.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from core.store.engine import Database
from core.store.tables import Prompt

# Long enough to write a comment; short enough that a forgotten prompt does not swallow a
# question asked tomorrow.
PROMPT_TTL = timedelta(minutes=30)


@dataclass(frozen=True, slots=True)
class Where:
    """A user in a chat on a platform: the one a prompt waits for."""

    platform: str
    chat_id: str
    user_id: str


class Conversations:
    """The pending prompts of every chat, in the store and mirrored in memory."""

    def __init__(self, database: Database, clock: Callable[[], datetime]) -> None:
        self.database = database
        self.clock = clock
        self._prompts: dict[Where, tuple[str, datetime]] = {}

    async def load(self) -> None:
        """Read the unexpired prompts (at start-up)."""
        now = self.clock()

        def find(session: Session) -> list[Prompt]:
            return list(session.scalars(select(Prompt).where(Prompt.expires_at > now)))

        for row in await self.database.read(find):
            where = Where(row.platform, row.chat_id, row.user_id)
            self._prompts[where] = (row.command, row.expires_at)

    async def reload(self, platform: str, chat_ids: list[str]) -> None:
        """Read the prompts of `chat_ids` afresh: this process has just taken over their chats
        from another (several processes on PostgreSQL), which may have changed them."""
        now = self.clock()

        def find(session: Session) -> list[Prompt]:
            return list(
                session.scalars(
                    select(Prompt).where(
                        Prompt.platform == platform,
                        Prompt.chat_id.in_(chat_ids),
                        Prompt.expires_at > now,
                    )
                )
            )

        rows = await self.database.read(find)
        chats = set(chat_ids)
        for where in [w for w in self._prompts if w.platform == platform and w.chat_id in chats]:
            del self._prompts[where]
        for row in rows:
            self._prompts[Where(row.platform, row.chat_id, row.user_id)] = (
                row.command,
                row.expires_at,
            )

    def expecting(self, where: Where) -> str | None:
        """The command `where`'s next text answers, if a prompt is pending."""
        found = self._prompts.get(where)
        if found is None:
            return None
        command, expires_at = found
        return command if expires_at > self.clock() else None

    async def expect(self, where: Where, command: str) -> None:
        """The next text of `where` answers `command` (replacing any earlier prompt)."""
        expires_at = self.clock() + PROMPT_TTL

        def save(session: Session) -> None:
            session.merge(
                Prompt(
                    platform=where.platform,
                    chat_id=where.chat_id,
                    user_id=where.user_id,
                    command=command,
                    expires_at=expires_at,
                )
            )

        await self.database.write(save)
        self._prompts[where] = (command, expires_at)

    async def take(self, where: Where) -> str | None:
        """The pending prompt's command, which is then gone; None when there is none."""
        command = self.expecting(where)
        if where in self._prompts:
            await self.forget(where)
        return command

    async def forget(self, where: Where) -> None:
        """Drop `where`'s prompt, if any (a new command abandons it)."""
        if where not in self._prompts:
            return
        await self.database.write(
            lambda session: session.execute(
                delete(Prompt).where(
                    Prompt.platform == where.platform,
                    Prompt.chat_id == where.chat_id,
                    Prompt.user_id == where.user_id,
                )
            )
        )
        self._prompts.pop(where, None)

    async def drop_person(self, platform: str, user_id: str) -> None:
        """Forget a person's prompts in memory (their rows go with their erasure)."""
        for where in [w for w in self._prompts if (w.platform, w.user_id) == (platform, user_id)]:
            del self._prompts[where]

    async def purge(self, now: datetime) -> int:
        """Delete expired prompts from the store and from memory."""
        expired = [where for where, (_, at) in self._prompts.items() if at <= now]
        for where in expired:
            del self._prompts[where]

        def sweep(session: Session) -> int:
            result = session.execute(delete(Prompt).where(Prompt.expires_at <= now))
            return int(result.rowcount or 0)  # type: ignore[attr-defined]

        return await self.database.write(sweep)
