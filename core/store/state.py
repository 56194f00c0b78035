"""Small key/value facts kept across restarts and shared by the processes of one store
(`bot_state`): adapters' bookkeeping, the last content reload."""

from __future__ import annotations

from sqlalchemy.orm import Session

from core.store.tables import BotState


def read_state(session: Session, key: str) -> str | None:
    row = session.get(BotState, key)
    return row.value if row is not None else None


def write_state(session: Session, key: str, value: str) -> None:
    row = session.get(BotState, key)
    if row is None:
        session.add(BotState(key=key, value=value))
    else:
        row.value = value
