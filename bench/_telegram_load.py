"""Load helpers shared by the memory benchmark: a pre-filled store, steady update feeds."""

from __future__ import annotations

import asyncio
import hashlib
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import create_engine, insert

from bench._telegram_fake import LeanBotApi
from core.store.tables import AuditEntry, Comment
from tests.support.discord_api import FakeDiscord
from tests.support.discord_harness import Payloads, User

READ_TEXTS = (
    "/faq why wasnt microsoft there",
    "/stargate",
    "/faq how much money",
    "/faq what is stargat",
    "/faq how does stargate impact the ai industry",
)
STATUSES = ("approved",) * 7 + ("pending",) * 2 + ("rejected",)


def prefill_comments(sqlite_path: str, count: int, authors: int = 5_000) -> None:
    """Insert `count` valid comments (70% approved, 20% pending, 10% rejected) with audit rows,
    in bulk: the same rows the core would have written, minus the hours it would take."""
    engine = create_engine(f"sqlite:///{sqlite_path}")
    start = datetime(2026, 1, 1, tzinfo=UTC)
    comments: list[dict[str, Any]] = []
    audit: list[dict[str, Any]] = []
    for n in range(count):
        author = n % authors
        platform = "telegram" if author % 3 else "discord"
        text = f"Comment {n}: a reader's view on the Stargate announcement, number {n}."
        created = start + timedelta(seconds=30 * n)
        status = STATUSES[n % len(STATUSES)]
        decided = status != "pending"
        comments.append(
            {
                "id": n + 1,
                "article_slug": "stargate",
                "author_platform": platform,
                "author_user_id": str(200_000 + author),
                "author_name": f"Reader {author}",
                "text": text,
                "text_digest": hashlib.sha256(text.encode()).hexdigest(),
                "status": status,
                "hold_reasons": "manual approval",
                "created_at": created,
                "decided_at": created + timedelta(minutes=5) if decided else None,
                "decided_by_key": "telegram:1001" if decided else None,
                "decided_by_name": "Mia Moderator" if decided else None,
                "decision_reason": None,
                "delivery": "delivered" if decided else "not_needed",
            }
        )
        audit.append(
            {
                "at": created,
                "action": "submitted",
                "comment_id": n + 1,
                "actor_key": f"{platform}:{200_000 + author}",
                "actor_name": f"Reader {author}",
                "to_status": "pending",
            }
        )
    with engine.begin() as connection:
        connection.execute(insert(Comment), comments)
        connection.execute(insert(AuditEntry), audit)
    engine.dispose()


async def quiet(api: LeanBotApi, fake: FakeDiscord | None = None, gap: float = 0.5) -> None:
    """Wait until neither fake has received anything for `gap` seconds (bounded: 60 s)."""

    def counts() -> tuple[int, int]:
        return api.sends, len(fake.requests) if fake is not None else 0

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        before = counts()
        await asyncio.sleep(gap)
        if counts() == before:
            return


def _trim(items: dict[str, Any] | list[Any], keep: int) -> None:
    """Forget all but the newest `keep` entries once there are twice as many."""
    if len(items) <= 2 * keep:
        return
    if isinstance(items, list):
        del items[:-keep]
        return
    for key in list(items)[:-keep]:
        del items[key]


class SteadyFeed:
    """/faq and /stargate at a fixed rate over many chats; a share of them as Discord slashes."""

    def __init__(
        self, api: LeanBotApi, fake: FakeDiscord, chats: int, discord_share: float
    ) -> None:
        self.api = api
        self.fake = fake
        self.chats = chats
        self.discord_every = round(1 / discord_share) if discord_share > 0 else 0
        self.payloads = Payloads()
        self.sent = 0

    async def run(self, rate: float, seconds: float) -> None:
        began = time.monotonic()
        total = int(rate * seconds)
        for i in range(total):
            delay = began + i / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            await self.one(self.sent)
            self.sent += 1

    async def one(self, n: int) -> None:
        text = READ_TEXTS[n % len(READ_TEXTS)]
        if self.discord_every and n % self.discord_every == 0:
            user = User(700_000 + n % self.chats, f"Reader {n % self.chats}")
            name, _, question = text[1:].partition(" ")
            options: dict[str, Any] = {"question": question} if question else {}
            payload = self.payloads.slash(name, user, **options)
            await self.fake.dispatch("INTERACTION_CREATE", payload)
            # The fake keeps everything; a long soak must not grow this process instead.
            for kept in (self.fake.requests, self.fake.interactions, self.fake.messages):
                _trim(kept, 1000)
            return
        self.api.push(10_000 + n % self.chats, text)
