"""Steps on a Core called directly, as an adapter calls it, and what they left behind."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from core.actions import Action, SendDraft
from core.actors import Actor
from core.app import Core
from core.events import Event
from tests.support.actors import request_for


async def submit(core: Core, actor: Actor, text: str, *, key: str | None = "auto") -> str:
    """Preview then confirm, as a reader does; returns the confirmation text."""
    preview = await core.execute(request_for(actor), "comment", text)
    if preview.reply.is_error:  # refused before any preview (ban, length)
        return preview.reply.text
    confirm = preview.reply.action_buttons[0].action
    assert isinstance(Action.parse(confirm), SendDraft)
    outcome = await core.press(request_for(actor, key=key), confirm)
    return outcome.reply.text


async def count(core: Core, model: type, *where: Any) -> int:
    return await core.database.read(
        lambda session: session.scalar(select(func.count()).select_from(model).where(*where)) or 0
    )


def collect(core: Core) -> list[Event]:
    events: list[Event] = []

    async def on_event(event: Event) -> None:
        events.append(event)

    core.events.subscribe(on_event)
    return events
