"""The interaction mix, the clients under test and the open/closed load loops for Discord.

Payloads are raw INTERACTION_CREATE dicts (tests/support/discord_harness.py) handed to discord.py's
gateway parser, as the harness does. Times are `time.monotonic`: the fake records when each
request reached it with the same clock, in its own process.
"""

from __future__ import annotations

import asyncio
import contextvars
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

import discord
from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from bench._discord_fake import FakeProcess
from bots.discord.run import NewsroomClient, Sync
from core.actors import Request
from core.app import Core, Outcome
from core.store.tables import Comment, ModerationPost
from tests.support.discord_harness import Payloads, User
from tests.support.discord_users import MOD_ROLE
from tests.support.settings import discord_settings

T = TypeVar("T")
# One block of the mix: every 40 interactions hold exactly these, in a shuffled order.
BLOCK = {
    "faq": 12,  # /faq with a reader's question
    "stargate": 6,  # the article summary
    "section": 8,  # a section button on a summary message
    "comments": 4,  # the published comments (a store read)
    "comment": 3,  # /comment: opens the comment form
    "submit": 3,  # the form submitted (a store write), opened one block earlier
    "slow": 4,  # a moderator's /pending (or /export): the slow store work (10%)
}
QUESTIONS = [
    "What is Stargate’s primary objective?", "how much money", "whats stargate",
    "who is behind stargate", "why wasnt microsoft there", "where will the data centers be",
    "how much did microsoft invest in openai", "is the partnership over", "microsfot absent",
    "will stargate create jobs", "what did altman say", "microsoft", "pizza recipe",
    "when does the first data center open", "what about cancer", "stargat objectve",
]  # fmt: skip
SLOW = contextvars.ContextVar("slow", default=False)


@dataclass
class Item:
    """One interaction of the schedule and what became of it."""

    kind: str
    user: User
    payload: dict[str, Any] | None  # None for a form submission: built from the opened form
    opener: Item | None = None
    sent: float = 0.0  # time.monotonic() when handed to discord.py
    handled: asyncio.Event = field(default_factory=asyncio.Event)
    ack: float | None = None
    final: float | None = None

    @property
    def token(self) -> str:
        assert self.payload is not None
        return str(self.payload["token"])


# The core under test ---------------------------------------------------------------------


class SlowStoreCore(Core):
    """The real Core; the store work of moderators' /pending takes `slow_seconds` longer."""

    slow_seconds = 0.2
    slow_sql_rows = 0  # > 0: the extra time is spent in SQLite itself, not waiting

    async def execute(self, request: Request, command: str, args: str = "") -> Outcome:
        token = SLOW.set(command.strip().lstrip("/").startswith("pending"))
        try:
            return await super().execute(request, command, args)
        finally:
            SLOW.reset(token)

    def slow_down_store(self) -> None:
        """Wrap the store's read and write so a slow call pays its extra time inside them."""
        database = self.database
        read, write = database.read, database.write

        def heavy(work: Callable[[Session], T]) -> Callable[[Session], T]:
            def run(session: Session) -> T:
                # A query SQLite needs real time for, in the transaction, off the event loop.
                session.execute(
                    text(
                        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
                        "LIMIT :n) SELECT count(*) FROM c"
                    ),
                    {"n": self.slow_sql_rows},
                )
                return work(session)

            return run

        async def slowly(call: Callable[[Callable[[Session], T]], Awaitable[T]], work: Any) -> T:
            if not SLOW.get():
                return await call(work)
            if self.slow_sql_rows:
                return await call(heavy(work))
            await asyncio.sleep(self.slow_seconds)
            return await call(work)

        database.read = lambda work: slowly(read, work)  # type: ignore[method-assign]
        database.write = lambda work: slowly(write, work)  # type: ignore[method-assign]


async def calibrate_sql(core: Core, seconds: float) -> int:
    """Rows of the recursive query that take SQLite about `seconds` here."""
    rows = 200_000
    statement = text(
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT :n) "
        "SELECT count(*) FROM c"
    )
    started = time.perf_counter()
    await core.database.read(lambda s: s.execute(statement, {"n": rows}).scalar())
    return max(1000, int(rows * seconds / (time.perf_counter() - started)))


async def prefill(core: Core, comments: int) -> None:
    """Pending comments for /pending to count and list, their cards already posted."""
    now = datetime.now(UTC)
    rows = [
        {
            "article_slug": "stargate",
            "author_platform": "discord",
            "author_user_id": str(10_000 + n),
            "author_name": f"Reader {n}",
            "text": f"Comment {n}: a considered view on the announcement.",
            "text_digest": f"prefill-{n}",
            "status": "pending",
            "hold_reasons": "",
            "created_at": now,
            "delivery": "not_needed",
        }
        for n in range(comments)
    ]

    def store(session: Session) -> None:
        session.execute(insert(Comment), rows)
        # Their cards were posted long ago (or the start-up catch-up would post 2,000 now).
        ids = session.scalars(select(Comment.id).where(Comment.text_digest.like("prefill-%")))
        session.execute(
            insert(ModerationPost),
            [
                {"comment_id": i, "platform": "discord", "chat_id": "1", "message_id": str(i)}
                for i in ids
            ],
        )

    await core.database.write(store)


async def product_client(core: Core, on_handled: Callable[[int], None]) -> discord.Client:
    client = NewsroomClient(core, discord_settings(), sync=Sync.AUTO)
    client.adapter.on_handled = on_handled
    await client.login("fake-token")
    return client


class BareClient(discord.Client):
    """The floor: a discord.py bot that defers every interaction at once, then replies."""

    def __init__(self, on_handled: Callable[[int], None]) -> None:
        super().__init__(intents=discord.Intents.none(), max_messages=None)
        self.on_handled = on_handled

    async def on_interaction(self, interaction: discord.Interaction[Any]) -> None:
        try:
            if interaction.type is discord.InteractionType.component:
                await interaction.response.defer()
            else:
                await interaction.response.defer(thinking=True)
            await interaction.edit_original_response(
                content="Done.", allowed_mentions=discord.AllowedMentions.none()
            )
        finally:
            self.on_handled(interaction.id)


async def bare_client(core: Core, on_handled: Callable[[int], None]) -> discord.Client:
    client = BareClient(on_handled)
    await client.login("fake-token")
    return client


# The schedule ----------------------------------------------------------------------------


class Mix(Payloads):
    """Builds the interactions of a run; the same seed gives the same interactions."""

    def __init__(self, seed: int, summary: dict[str, Any], slow_command: str) -> None:
        self.rng = random.Random(seed)
        self.slow_command = slow_command
        self.summary = summary  # a /stargate message, for its section buttons
        self.readers = [User(50_000 + n, f"Reader {n}") for n in range(200)]
        self.moderators = [User(90_000 + n, f"Mod {n}", roles=(MOD_ROLE,)) for n in range(5)]
        self.writers = iter(User(60_000 + n, f"Writer {n}") for n in range(10**6))
        self.opened: list[Item] = []

    def items(self, count: int) -> list[Item]:
        out: list[Item] = []
        while len(out) < count:
            block = [kind for kind, n in BLOCK.items() for _ in range(n)]
            self.rng.shuffle(block)
            opened_before, self.opened = self.opened, []
            out.extend(self.item(kind, opened_before) for kind in block)
        return out[:count]

    def item(self, kind: str, opened_before: list[Item]) -> Item:
        reader = self.rng.choice(self.readers)
        if kind == "faq":
            return Item(kind, reader, self.slash("faq", reader, question=self._question()))
        if kind in ("stargate", "comments"):
            return Item(kind, reader, self.slash(kind, reader))
        if kind == "section":
            return Item(kind, reader, self.press(self.summary, self._section(), reader))
        if kind == "slow":
            moderator = self.rng.choice(self.moderators)
            return Item(kind, moderator, self.slash(self.slow_command, moderator))
        if kind == "comment":
            writer = next(self.writers)
            opened = Item(kind, writer, self.slash("comment", writer))
            self.opened.append(opened)
            return opened
        assert kind == "submit"
        opener = opened_before.pop() if opened_before else None
        if opener is None:  # the first block: nothing opened yet, so open instead
            return self.item("comment", [])
        return Item(kind, opener.user, None, opener)

    def _section(self) -> str:
        """One of the summary's section buttons (the bare bot's reply has none: any will do)."""
        found = [
            button["custom_id"]
            for row in self.summary.get("components") or []
            for button in row["components"]
            if str(button.get("custom_id", "")).startswith("nb:s:")
        ]
        return str(self.rng.choice(found or ["nb:s:stargate:2"]))

    def _question(self) -> str:
        return self.rng.choice(QUESTIONS)

    def submission(self, item: Item, opened: dict[str, Any]) -> dict[str, Any]:
        """The form the opener got back, filled in and submitted."""
        if opened.get("type") == 9:
            modal = opened["data"]
        else:  # the bare bot answers /comment with a reply, not a form
            labels = ("Comment", "Name (optional)")
            rows = [{"components": [{"label": x, "custom_id": x}]} for x in labels]
            modal = {"custom_id": "bare-form", "components": rows}
        n = item.user.id
        values = {"Comment": f"Writer {n}: the compute deal matters most.", "Name (optional)": ""}
        return self.submit(modal, values, item.user)


# Driving ---------------------------------------------------------------------------------


class Driver:
    """Hands payloads to one client's discord.py and remembers when each was sent."""

    def __init__(self, fake: FakeProcess, mix: Mix) -> None:
        self.client: discord.Client | None = None
        self.fake = fake
        self.mix = mix
        self.by_id: dict[int, Item] = {}
        self.refused = self.problems = self.unacknowledged = 0
        self.lags: list[float] = []

    def handled(self, interaction_id: int) -> None:
        item = self.by_id.get(interaction_id)
        if item is not None:
            item.handled.set()

    async def prepare(self, items: list[Item]) -> None:
        """Tell the fake which message each button press comes from."""
        presses: dict[str, tuple[str, str | None]] = {
            i.token: (str(i.payload["channel_id"]), str(i.payload["message"]["id"]))
            for i in items
            if i.payload is not None and "message" in i.payload
        }
        if presses:
            await self.fake.expect(presses)

    async def send(self, item: Item) -> None:
        if item.payload is None:
            assert item.opener is not None
            await item.opener.handled.wait()
            opened = await self.fake.get(f"callback/{item.opener.token}")
            item.payload = self.mix.submission(item, opened)
        self.by_id[int(item.payload["id"])] = item
        assert self.client is not None
        item.sent = time.monotonic()
        self.client._connection.parse_interaction_create(item.payload)  # type: ignore[arg-type]

    async def watch_loop(self, tick: float = 0.01) -> None:
        """How late the event loop wakes a 10 ms sleep: time it spent on something else."""
        self.lags = []
        while True:
            started = time.monotonic()
            await asyncio.sleep(tick)
            self.lags.append(time.monotonic() - started - tick)

    async def open_loop(self, items: list[Item], rate: float) -> float:
        """Send on a fixed schedule, whatever earlier interactions are doing; the span."""
        pending: list[asyncio.Task[None]] = []
        watcher = asyncio.create_task(self.watch_loop())
        began = time.monotonic()
        for k, item in enumerate(items):
            delay = began + k / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            if item.payload is None:
                pending.append(asyncio.create_task(self.send(item)))
            else:
                await self.send(item)
        await asyncio.gather(*pending)
        watcher.cancel()
        await self.finish(items)
        return time.monotonic() - began

    async def closed_loop(self, items: list[Item], workers: int, seconds: float) -> float:
        """`workers` senders, each sending its next interaction once the last was handled."""
        queue = iter(items)
        began = time.monotonic()

        async def worker() -> None:
            for item in queue:
                if time.monotonic() - began > seconds:
                    return
                await self.send(item)
                await item.handled.wait()

        await asyncio.wait_for(asyncio.gather(*(worker() for _ in range(workers))), seconds + 60)
        elapsed = time.monotonic() - began
        await self.finish([i for i in items if i.sent])
        return elapsed

    async def finish(self, items: list[Item]) -> None:
        """Wait for every sent interaction's handling, then read the fake's arrival times."""
        try:
            await asyncio.wait_for(asyncio.gather(*(i.handled.wait() for i in items)), 15)
        except TimeoutError:
            lost = [(i.kind, i.token) for i in items if not i.handled.is_set()]
            raise RuntimeError(f"never handled: {lost[:10]} ({len(lost)})") from None
        await asyncio.sleep(0.1)  # let follow-ups set off by events (moderation cards) land
        records = await self.fake.get("records")
        by_token: dict[str, list[float]] = {}
        acks: dict[str, float] = {}
        self.refused = self.problems = 0
        for method, path, token, at, status, problems in records:
            self.problems += problems
            self.refused += status >= 400
            if token is None:
                continue
            by_token.setdefault(token, []).append(at)
            if method == "POST" and path.endswith("/callback"):
                acks.setdefault(token, at)
        for item in items:
            if item.payload is not None and item.token in acks:
                item.ack = acks[item.token]
                item.final = max(by_token[item.token])
        self.unacknowledged = len(await self.fake.get("unacknowledged"))
