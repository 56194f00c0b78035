"""From Telegram's raw updates to handled ones: commit to the inbox, then fair per-chat lanes.

Polling and the webhook both hand raw updates to `Intake.accept`, which commits them to the
store's inbox (one transaction per batch) before the caller confirms them to Telegram (the
next offset, or the webhook's 200). New entries go to their chat's lane; a re-delivered update
is a primary-key hit and goes nowhere, reads included. Each entry is then checked against the
per-user command rate, parsed, run through PTB's handlers and marked finished.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application, ExtBot

from bots.telegram.deliver import Sender
from bots.telegram.extract import PLATFORM
from core.actors import Actor
from core.app import Core
from core.inbox import Arrival, Entry, Lanes, State
from core.inbox.sharing import ChatSharing
from core.memory import Bounded
from core.throttle import ADMITTED, Admission, Verdict

log = logging.getLogger(__name__)

# Entries queued in memory before intake waits: a backlog stays with Telegram, not in memory
# (a queued update costs ~8 KB with its chat's lane; 2,000 is ~16 MB at worst).
MAX_QUEUED = 2_000
_MESSAGE_KINDS = ("message", "edited_message", "channel_post", "edited_channel_post")


class UnreadableUpdate(ValueError):
    """A payload that is not a Telegram update (no integer update_id)."""


def update_id_of(data: Any) -> int:
    if not isinstance(data, dict) or type(data.get("update_id")) is not int:
        raise UnreadableUpdate("no integer update_id")
    return int(data["update_id"])


def lane_of(data: dict[str, Any]) -> str:
    """The chat whose order the update belongs to (the user's, for inline queries)."""
    for kind in _MESSAGE_KINDS:
        chat = _dig(data, kind, "chat", "id")
        if chat is not None:
            return str(chat)
    chat = _dig(data, "callback_query", "message", "chat", "id")
    if chat is not None:
        return str(chat)
    for kind in ("callback_query", "inline_query"):
        user = _dig(data, kind, "from", "id")
        if user is not None:
            return f"user:{user}"
    return f"update:{data.get('update_id')}"


def arrival_of(data: Any) -> Arrival:
    """The inbox arrival of one raw update; raises UnreadableUpdate for what is not one."""
    uid = update_id_of(data)
    return Arrival(
        key=f"{PLATFORM}:update:{uid}",
        platform=PLATFORM,
        chat_key=lane_of(data),
        payload=json.dumps(data, separators=(",", ":"), ensure_ascii=False),
    )


def _dig(data: Any, *path: str) -> Any:
    for step in path:
        if not isinstance(data, dict):
            return None
        data = data.get(step)
    return data


class Intake:
    """Accepts raw updates into the inbox and handles them in per-chat lanes."""

    def __init__(
        self,
        core: Core,
        app: Application[Any, Any, Any, Any, Any, Any],
        sender: Sender,
        concurrency: int,
    ) -> None:
        self.core = core
        self.app = app
        self.sender = sender
        self.lanes = Lanes(concurrency, name="telegram-lane")
        # Update ids already told "the store is down, you will hear back": polls repeat them.
        self._told_delayed: Bounded[object, None] = Bounded(10_000)
        # Shared inbox (several processes on PostgreSQL): this worker's share of the chats.
        self.sharing = (
            ChatSharing(core.inbox, PLATFORM, self.lanes, concurrency, self._queue, self.room)
            if core.inbox.shared
            else None
        )

    async def accept(self, raw: Sequence[Any]) -> int:
        """Commit `raw` updates to the inbox and queue the new ones; return how many were new.

        Raises when the store cannot take them: the caller must not confirm them then.
        """
        arrivals = []
        parsed: dict[str, dict[str, Any]] = {}
        for data in raw:
            try:
                arrival = arrival_of(data)
            except UnreadableUpdate:
                log.warning("ignored a payload that is not a Telegram update")
                continue
            arrivals.append(arrival)
            parsed[arrival.key] = data
        try:
            new_chats = await self.sharing.budget(arrivals) if self.sharing else None
            fresh = await self.core.inbox.accept(arrivals, new_chats=new_chats)
        except Exception:
            await self._tell_delayed(raw)
            raise
        for entry in fresh:
            self._queue(entry, parsed.get(entry.key))
        return len(fresh)

    async def _tell_delayed(self, raw: Sequence[Any]) -> None:
        """Tell each sender, once per message, that the store is down and they will hear back
        (the update stays with Telegram meanwhile and comes again with the next attempt)."""
        for data in raw:
            chat = _dig(data, "message", "chat", "id")
            uid = data.get("update_id") if isinstance(data, dict) else None
            if chat is None or uid in self._told_delayed:
                continue
            self._told_delayed.put(uid, None)
            try:
                await self.sender.send(chat, self.core.store_delayed)
            except TelegramError as exc:
                log.info("could not tell %s that the store is down: %s", chat, exc)

    async def resume(self) -> int:
        """Queue what an earlier process committed but did not handle (at start, before
        anything new is taken, so each chat keeps its order). A shared inbox is scanned all
        along instead: a crashed worker's chats are taken once its lease has run out."""
        if self.sharing is not None:
            self.sharing.start()
            return 0
        resumed = 0
        async for entry in self.core.inbox.backlog(PLATFORM):
            await self.room()
            self._queue(entry)
            resumed += 1
        if resumed:
            log.info("resuming %d Telegram updates received before the restart", resumed)
        return resumed

    async def room(self) -> None:
        """Wait while too many entries are queued in memory."""
        await self.lanes.below(MAX_QUEUED)

    def _queue(self, entry: Entry, data: dict[str, Any] | None = None) -> None:
        # `data`: the update as received, when at hand (not read back from the store), so it
        # is not decoded a second time.
        if self.sharing is not None:
            self.sharing.touch(entry.chat_key)
        self.lanes.submit(entry.chat_key, lambda: self._handle(entry, data))

    async def _handle(self, entry: Entry, data: dict[str, Any] | None) -> None:
        state = State.FAILED
        try:
            state = await self._process(entry, data)
        except Exception as exc:
            log.error("update %s could not be handled (%s)", entry.key, type(exc).__name__)
            log.debug("update %s failed", entry.key, exc_info=True)
        # A cancellation (shutdown) skips this: the entry stays pending for the next start.
        self.core.inbox.finish(entry.id, state)

    async def _process(self, entry: Entry, data: dict[str, Any] | None) -> State:
        if data is None:
            data = json.loads(entry.payload)
        admission = self._admission(data)
        if admission.verdict is Verdict.SKIP:
            return State.SKIPPED
        if admission.verdict is Verdict.WARN:
            await self._slow_down(data, admission)
            return State.SKIPPED
        try:
            update = Update.de_json(data, self.app.bot)
        except Exception as exc:
            # By its key and the error's type only: the payload and the message may quote a
            # user's text.
            log.warning("skipped %s: PTB could not read it (%s)", entry.key, type(exc).__name__)
            return State.FAILED
        bot = self.app.bot
        if isinstance(bot, ExtBot) and bot.callback_data_cache is not None:
            bot.insert_callback_data(update)  # what ExtBot.get_updates adds
        await self.app.process_update(update)
        return State.DONE

    def _admission(self, data: dict[str, Any]) -> Admission:
        message = data.get("message")
        user = _dig(message, "from", "id")
        text = _dig(message, "text")
        if user is None or not isinstance(text, str):
            return ADMITTED
        private = _dig(message, "chat", "type") == "private"
        if not (private or text.startswith("/")):
            return ADMITTED  # group chatter: not a request to the bot
        return self.core.admit(Actor(platform=PLATFORM, user_id=str(user), display_name=""))

    async def _slow_down(self, data: dict[str, Any], admission: Admission) -> None:
        message = data["message"]
        chat_id = message["chat"]["id"]
        private = _dig(message, "chat", "type") == "private"
        reply = self.core.slow_down(admission)
        try:
            await self.sender.send(
                chat_id, reply, reply_to=None if private else message["message_id"]
            )
        except TelegramError as exc:
            log.info("could not ask %s to slow down: %s", chat_id, exc)

    async def join(self, within: float) -> int:
        """Let queued entries finish for up to `within` s; the rest stay in the inbox."""
        if self.sharing is not None:
            await self.sharing.stop()
        left = await self.lanes.join(within)
        self.core.inbox.release(PLATFORM)  # what was cancelled is the next start's backlog
        await self.core.inbox.flush()
        return left
