"""Read models of comments handed to adapters and renderers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Status(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    SPAM = "spam"
    WITHDRAWN = "withdrawn"
    # Erased at the author's request: a row with no text, name or id, kept only until every
    # card of it says so.
    ERASED = "erased"


class Delivery(StrEnum):
    """Whether the author has been told the outcome."""

    NOT_NEEDED = "not_needed"
    WAITING = "waiting"
    DELIVERED = "delivered"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class CommentView:
    id: int
    article_slug: str
    author_platform: str
    author_user_id: str
    author_name: str
    text: str
    status: Status
    hold_reasons: tuple[str, ...]
    created_at: datetime
    decided_at: datetime | None = None
    decided_by_name: str | None = None
    decision_reason: str | None = None
    delivery: Delivery = Delivery.NOT_NEEDED
    delivery_detail: str | None = None
