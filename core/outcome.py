"""What every core entry point returns to an adapter."""

from __future__ import annotations

from dataclasses import dataclass

from core.replies import Reply


@dataclass(frozen=True, slots=True)
class Outcome:
    reply: Reply
    # The event key had been processed before: this is the first reply and nothing was done
    # again. Send nothing, unless `redeliver` says the first reply may never have gone out.
    replayed: bool = False
    # A replay whose first reply was never confirmed delivered (the process died between
    # storing the effect and answering): send `reply` now.
    redeliver: bool = False
    # What `Core.delivering` confirms once `reply` is sent, so a later replay of this event
    # sends nothing. None when there is nothing to confirm (reads, no event key).
    confirm_key: str | None = None

    @property
    def should_send(self) -> bool:
        return not self.replayed or self.redeliver


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
