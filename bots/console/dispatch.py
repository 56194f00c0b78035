"""A console conversation: lines in, replies out, with numbered buttons to press."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bots.console.port import ConsolePlatform
from bots.console.render import render_text
from core.actors import Actor, Request
from core.app import Core
from core.outcome import Outcome
from core.replies import Reply
from core.replies.build import error

HELP = (
    "Type /help for the bot's commands. Console extras: a number presses that button, "
    "/as moderator or /as reader switches who you are, /replay re-sends your last line with "
    "the same event key (as a platform re-delivery would), /quit leaves."
)


@dataclass
class ConsoleSession:
    core: Core
    write: Callable[[str], None]
    reader: Actor
    moderator: Actor
    as_moderator: bool = False
    export_dir: Path = Path("data/exports")
    _session_id: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    _line_number: int = 0
    _last: Reply | None = None
    _last_line: tuple[str, str] | None = None  # (event key, line)

    @property
    def actor(self) -> Actor:
        return self.moderator if self.as_moderator else self.reader

    def attach(self) -> None:
        """Show moderators' cards and authors' notices here, as the platforms would."""
        self.core.relay.attach(ConsolePlatform(self.write, self._name_of))

    def _name_of(self, user_id: str) -> str:
        known = {self.reader.user_id: self.reader, self.moderator.user_id: self.moderator}
        return known[user_id].display_name if user_id in known else user_id

    async def handle(self, line: str, *, event_key: str | None = None) -> bool:
        """Act on one input line; returns False when the user asked to quit."""
        line = line.strip()
        if not line:
            return True
        if line in {"/quit", "/exit"}:
            return False
        if line == "/replay":
            if self._last_line is None:
                self.write("Nothing to replay yet.")
                return True
            key, previous = self._last_line
            self.write(f"(re-delivering “{previous}” with event key {key})")
            return await self.handle(previous, event_key=key)
        if line.startswith("/as "):
            self.as_moderator = line.split(maxsplit=1)[1].strip() == "moderator"
            self.write(f"You are now {self.actor.display_name} ({self.actor.key}).")
            return True
        if line == "/console":
            self.write(HELP)
            return True
        if event_key is None:
            self._line_number += 1
            event_key = f"console:{self._session_id}:{self._line_number}"
        self._last_line = (event_key, line)
        request = Request(actor=self.actor, chat_id="console", event_key=event_key)
        outcome = await self._dispatch(request, line)
        async with self.core.delivering(outcome):
            self.show(outcome)
        return True

    async def _dispatch(self, request: Request, line: str) -> Outcome:
        if line.isascii() and line.isdigit():
            buttons = self._last.action_buttons if self._last else ()
            index = int(line) - 1
            if not 0 <= index < len(buttons):
                return Outcome(Reply())
            return await self.core.press(request, buttons[index].action)
        if line.startswith("/"):
            command, _, args = line[1:].partition(" ")
            return await self.core.execute(request, command, args)
        if self._last is not None and self._last.awaits_text_for:
            return await self.core.execute(request, self._last.awaits_text_for, line)
        free_text = self.core.registry.free_text
        if free_text is None:
            return Outcome(error("Commands start with /: send /help for the list."))
        return await self.core.execute(request, free_text.name, line)

    def show(self, outcome: Outcome) -> None:
        if outcome.replayed:
            self.write("(already handled: nothing done again)")
        reply = outcome.reply
        if not reply.blocks and not reply.buttons:
            self.write("No such button. Type a number shown in [brackets].")
            return
        self.write(render_text(reply))
        for attachment in reply.attachments:
            self.export_dir.mkdir(parents=True, exist_ok=True)
            path = self.export_dir / attachment.filename
            path.write_bytes(attachment.content)
            self.write(f"(saved {attachment.filename} to {path})")
        if reply.action_buttons or reply.awaits_text_for or not reply.edit_in_place:
            self._last = reply
