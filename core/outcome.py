"""What every core entry point returns to an adapter."""

from __future__ import annotations

from dataclasses import dataclass

from core.replies import Reply


@dataclass(frozen=True, slots=True)
class Outcome:
    reply: Reply
    # The event key had been processed before: this is the first reply, nothing was done again,
    # and the adapter should send nothing new.
    replayed: bool = False


@dataclass(frozen=True, slots=True)
class FaqChoice:
    """One autocomplete suggestion: the question and the action that shows its answer."""

    label: str
    action: str
    score: float


@dataclass(frozen=True, slots=True)
class InlineResult:
    """One answer offered in a platform's inline search (`@bot question` on Telegram)."""

    id: str  # stable for the same answer, at most 64 bytes
    title: str
    reply: Reply
