"""The Core: one object that owns the store, the content and the command registry.

Adapters hold one Core and call, per event, exactly one of its methods:

- `execute(request, command, args)`: a slash/text command such as `faq`, `comment`, `approve`.
- `press(request, action)`: an action button (`ActionButton.action`) was pressed.
- `submit_comment(request, text, display_name, article)`: a finished comment form (Discord's
  modal) with no preview step.
- `faq_choices(query, limit)`: in-memory FAQ ranking for autocomplete (no database).

Each returns an `Outcome`: the reply to render and whether the event was a replay.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from datetime import datetime
from functools import partial

from attrs import evolve
from dotenv import dotenv_values
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, OperationalError

from core.actors import Actor, Request
from core.commands import ActionRouter, Audience, CommandSpec, Router
from core.commands.registry import CommandRegistry
from core.commands.router import command_names
from core.comments.service import CommentService, utc_now
from core.config import Settings
from core.content.follow import ReloadFollower
from core.content.loader import ContentError, load_library
from core.content.models import Library
from core.content.state import ContentChange, ContentState
from core.context import Context
from core.conversation import Conversations
from core.errors import UserError
from core.events import ContentReloaded, EventBus, PublishRequested
from core.handlers import ROUTERS
from core.handlers.comments import submit_form
from core.handlers.faq import answer
from core.handlers.reading import summary
from core.health import HealthReport
from core.housekeeping import Housekeeping
from core.idempotency import Work, mark_delivered
from core.inbox import Inbox
from core.inbox.claims import Claims
from core.inbox.presence import Presence
from core.outcome import FaqChoice, InlineResult, Outcome
from core.publishing import queries as publications
from core.relay.announcer import Announcer
from core.relay.ledger import Ledger
from core.relay.relay import Relay
from core.replies import Reply, TextInput
from core.replies.build import error
from core.store.engine import Database, normalize_database_url
from core.store.migrate import upgrade_to_head
from core.store.single_process import SingleProcess
from core.store.state import read_state, write_state
from core.throttle import ADMITTED, Admission, CommandThrottle

log = logging.getLogger(__name__)

__all__ = ["Core", "FaqChoice", "InlineResult", "Outcome"]

HEALTH_STORE_SECONDS = 2.0
STORE_UNAVAILABLE = (
    "Sorry, I can't reach my storage right now. Nothing was lost: please try again in a minute."
)
# Said once per message that arrives while the store is down: it waits with the platform and is
# answered as soon as the store is back.
STORE_DELAYED = (
    "Sorry, I can't reach my storage right now. I'll answer this as soon as it's back: no need "
    "to send it again."
)
SOMETHING_WENT_WRONG = "Sorry, something went wrong on my side. Please try again."
WRITE_AS_YOURSELF = (
    "Please write as yourself: I can't tell anonymous admins or channels apart, so comments, "
    "your own comments and moderation need your own account. Turn off “Remain anonymous” (or "
    "stop sending as the channel) and try again."
)
# Keys of reads answered lately. A read comes again while the platform still holds it
# unconfirmed (seconds): ~40 s at 100 updates/s is ample, and it stays ~0.5 MB.
_RECENT_READS = 4_096


def settings_environment() -> dict[str, str]:
    """The environment as settings see it: `.env` values, overridden by real variables."""
    from_file = {k: v for k, v in dotenv_values(".env").items() if v is not None}
    return {**from_file, **os.environ}


def load_content(settings: Settings, routers: Iterable[Router]) -> Library:
    """The articles and channels of `CONTENT_DIR`; raises ContentError naming each bad file,
    field and problem. An article may not take a command's name."""
    return load_library(
        settings.content_dir, reserved=command_names(routers), env=settings_environment()
    )


class ThrottledFailureLog:
    """One traceback per interval for a failure that repeats (an outage fails every request),
    with the count of the ones not shown, instead of thousands of identical tracebacks."""

    def __init__(self, what: str, logger: logging.Logger, interval: float = 30.0) -> None:
        self._what, self._log, self._interval = what, logger, interval
        self._last = float("-inf")
        self._unshown = 0

    def report(self, key: str | None) -> None:
        now = time.monotonic()
        if now - self._last < self._interval:
            self._unshown += 1
            self._log.debug("%s while handling %s", self._what, key or "an event")
            return
        since = f" ({self._unshown} more since the last report)" if self._unshown else ""
        self._log.exception("%s while handling %s%s", self._what, key or "an event", since)
        self._last, self._unshown = now, 0


class Core:
    def __init__(
        self,
        settings: Settings,
        database: Database,
        library: Library,
        *,
        clock: Callable[[], datetime] = utc_now,
        routers: Iterable[Router] = ROUTERS,
    ) -> None:
        self._routers = routers = tuple(routers)
        self.settings = settings
        self.database = database
        self.clock = clock
        # platform -> who moderates there; each adapter grants its own at start, and the
        # runner those of every adapter it knows, which so are the platforms of /ban's authors.
        self._moderator_rules: dict[str, Callable[[Actor], bool]] = {}
        self.comments = CommentService(
            settings.comment_rules, clock, platforms=self._moderator_rules.keys()
        )
        self.events = EventBus()
        self.actions = ActionRouter(routers)
        # PostgreSQL may be shared by several processes: the inbox then goes by lane claims.
        claims = Claims(clock) if database.dialect == "postgresql" else None
        self.inbox = Inbox(database, clock, claims)
        self.conversations = Conversations(database, clock)
        self.inbox.on_lanes_taken = self.conversations.reload
        # adapter -> what this process does for it ("webhook receiver, worker"; "shards 0,1").
        self.roles: dict[str, str] = {}
        self.presence = (
            Presence(database, self.inbox, claims, self.describe_roles) if claims else None
        )
        # Other processes may share the store: a reload here reaches them, and theirs here.
        self.reloads = ReloadFollower(database, self._reload_here) if claims else None
        self.throttle = CommandThrottle(settings.command_rate_per_minute)
        self.housekeeping = Housekeeping(database, self.inbox, self.conversations, clock)
        # name -> "is it connected?", registered by each running adapter, for /healthz.
        self.health_probes: dict[str, Callable[[], bool]] = {}
        self._recent_reads: OrderedDict[str, None] = OrderedDict()
        self._single_process: SingleProcess | None = None
        self._store_trouble = ThrottledFailureLog("store unavailable", log)
        # One reload at a time: a second waits, then finds nothing changed.
        self._reloading = asyncio.Lock()
        self.context = Context(
            settings=settings,
            database=database,
            content=ContentState.build(library, routers),
            clock=clock,
            comments=self.comments,
            events=self.events,
            conversations=self.conversations,
            is_moderator=self.is_moderator,
            reload_content=self.reload_content,
        )
        ledger = Ledger(
            database,
            self.inbox,
            self.comments,
            lambda slug: self.context.library.title_of(slug),
            clock,
        )
        announcer = Announcer(
            ledger, lambda slug: self.context.library.article(slug), self.context.comment_limit
        )
        self.relay = Relay(ledger, announcer)
        self.events.subscribe(self.relay)

    @property
    def library(self) -> Library:
        """The content as the handlers see it (one source, so a reload swaps it once)."""
        return self.context.library

    @property
    def registry(self) -> CommandRegistry:
        """Every command, those of today's articles included (swapped with them)."""
        return self.context.commands

    async def reload_content(self) -> ContentChange:
        """Read `CONTENT_DIR` again and serve it: articles, FAQ index, commands and shared
        replies swap together, in one assignment. Raises ContentError, keeping the old content,
        when a file is bad. Adapters hear of a change through `ContentReloaded`.

        The other processes on the same PostgreSQL reload their own content directory within
        a few seconds (`core.content.follow`)."""
        change = await self._reload_here()
        if self.reloads is not None:
            await self.reloads.announce()
        return change

    async def _reload_here(self) -> ContentChange:
        async with self._reloading:
            old = self.context.content
            try:
                # Reading files and building the FAQ index is blocking work: off the loop, so
                # readers keep being answered meanwhile.
                new = await asyncio.to_thread(self._build_content)
            except ContentError as exc:
                log.error("content not reloaded; the old content stays:\n%s", exc)
                raise
            change = ContentChange.between(old, new)
            if change.nothing:
                log.info("content reloaded: nothing changed")
                return change
            self.context.content = new  # the swap: every reader sees all old or all new
            log.info("content reloaded: %s", change.describe())
            self.events.publish(
                ContentReloaded(
                    change.added, change.changed, change.removed, change.commands_changed
                )
            )
            if self.settings.article_auto_publish and change.added:
                await self.publish_new(list(change.added))
            return change

    def _build_content(self) -> ContentState:
        return ContentState.build(load_content(self.settings, self._routers), self._routers)

    @classmethod
    async def open(
        cls,
        settings: Settings,
        *,
        clock: Callable[[], datetime] = utc_now,
        migrate: bool = True,
        routers: Iterable[Router] = ROUTERS,
    ) -> Core:
        """Load content (refusing bad content), connect the store and bring its schema to head."""
        routers = tuple(routers)
        library = load_content(settings, routers)
        guard = SingleProcess.claim(normalize_database_url(settings.database_url))
        try:
            database = Database.connect(
                settings.database_url, sqlite_synchronous=settings.sqlite_synchronous
            )
        except BaseException:
            if guard is not None:
                guard.release()
            raise
        try:
            if migrate:
                await upgrade_to_head(database)
            core = cls(settings, database, library, clock=clock, routers=routers)
            core._single_process = guard
            await core.housekeeping.sweep()
            await core.conversations.load()
            if core.presence is not None:
                await core.presence.start()
            if core.reloads is not None:
                await core.reloads.start()
        except BaseException:
            await database.close()
            if guard is not None:
                guard.release()
            raise
        core.housekeeping.start()
        if settings.article_auto_publish:
            await core.publish_new([article.slug for article in library.articles])
        return core

    async def close(self) -> None:
        if self.reloads is not None:
            await self.reloads.stop()
        await self.housekeeping.stop()
        await self.events.drain()
        # Count edits waiting for their pace: the next start's catch-up makes them.
        await self.relay.announcer.stop()
        if self.presence is not None:
            await self.presence.stop()  # hands this worker's chats back
        else:
            await self.inbox.flush()
        await self.database.close()
        if self._single_process is not None:
            self._single_process.release()

    async def publish_new(self, slugs: list[str]) -> list[str]:
        """Publish each article that was never published (ARTICLE_AUTO_PUBLISH): posted now
        on the platforms attached, and by their catch-up on those that attach later. Which
        slugs were new."""
        now, new = self.clock(), []
        for slug in slugs:
            first = partial(publications.request_first, slug=slug, at=now)
            publication = await self.database.write(first)
            if publication is not None:
                new.append(slug)
                self.events.publish(PublishRequested(publication.id, slug))
        return new

    def describe_roles(self) -> str:
        """What this process does, e.g. "telegram: webhook receiver, worker; discord: shards
        0,1"."""
        return "; ".join(f"{name}: {role}" for name, role in sorted(self.roles.items())) or "idle"

    # Authority ---------------------------------------------------------------------------

    def grant_moderators(self, platform: str, rule: Callable[[Actor], bool]) -> None:
        """Let `rule` say which of `platform`'s actors moderate (each adapter grants its own,
        from its settings); a later grant for the same platform replaces the earlier one."""
        self._moderator_rules[platform] = rule

    def is_moderator(self, actor: Actor) -> bool:
        if actor.anonymous:  # whoever is behind it, it is no identifiable moderator
            return False
        rule = self._moderator_rules.get(actor.platform)
        return rule is not None and rule(actor)

    def admit(self, actor: Actor) -> Admission:
        """Count a command of `actor` against the per-user rate; moderators are exempt."""
        if self.is_moderator(actor):
            return ADMITTED
        return self.throttle.admit(actor.key)

    store_delayed = error(STORE_DELAYED)

    @staticmethod
    def slow_down(admission: Admission) -> Reply:
        """The one answer to the first command over the per-user rate."""
        return error(
            f"You're sending commands too fast. Please wait {admission.retry_in} s, then try "
            "again."
        )

    def commands_for(self, actor: Actor | None) -> list[CommandSpec]:
        return self.registry.visible_to(moderator=actor is not None and self.is_moderator(actor))

    async def health(self) -> HealthReport:
        """Whether the store answers and every running adapter says it is connected."""
        checks = {name: probe() for name, probe in self.health_probes.items()}
        try:
            async with asyncio.timeout(HEALTH_STORE_SECONDS):
                await self.database.read(lambda session: session.execute(text("SELECT 1")))
            checks["store"] = True
        except Exception:
            checks["store"] = False
        worker = self.presence.worker_id if self.presence is not None else None
        return HealthReport(checks, dict(self.roles), worker)

    # Entry points ------------------------------------------------------------------------

    async def execute(self, request: Request, command: str, args: str = "") -> Outcome:
        # "comment #slug" (from Reply.awaits_text_for) carries leading arguments.
        name, _, leading = command.strip().lstrip("/").partition(" ")
        name = name.partition("@")[0].lower()
        args = f"{leading} {args}".strip() if leading else args.strip()
        ctx = self.context.pinned()  # this request's content, whatever a reload does meanwhile
        spec = ctx.commands.spec(name)
        handler = ctx.commands.handler(name)
        if spec is None or handler is None:
            return Outcome(
                error(f"I don't know the command /{name[:32]}. Send /help for the list.")
            )
        if request.actor.anonymous and (spec.personal or spec.audience is Audience.MODERATOR):
            return Outcome(error(WRITE_AS_YOURSELF))
        if spec.audience is Audience.MODERATOR and not self.is_moderator(request.actor):
            return Outcome(error(f"/{name} is for moderators only."))
        outcome = await self._guarded(request, spec.mutates, lambda: handler(ctx, request, args))
        if spec.audience is Audience.MODERATOR and not outcome.reply.ephemeral:
            # Moderators' answers show the queue, authors' ids and cards: never for a group.
            private = evolve(outcome.reply, ephemeral=True)
            return dataclasses.replace(outcome, reply=private)
        return outcome

    def refusal(self, actor: Actor, action: str) -> Reply | None:
        """Why a press of `action` by `actor` is refused before any work (a button that no
        longer exists, a moderators' button pressed by someone else), or None. No database:
        an adapter may answer with it at once, privately, instead of acknowledging silently."""
        resolved = self.actions.resolve(action)
        if resolved is None:
            return error("That button no longer works. Send /help to start again.")
        route = resolved[0]
        if actor.anonymous and (route.personal or route.moderators_only):
            return error(WRITE_AS_YOURSELF)
        if route.moderators_only and not self.is_moderator(actor):
            return error("Only moderators can do that.")
        return None

    async def press(self, request: Request, action: str, text: str | None = None) -> Outcome:
        """An action button was pressed; `text` is what the actor typed into its `input`."""
        refused = self.refusal(request.actor, action)
        resolved = self.actions.resolve(action)
        if refused is not None or resolved is None:  # refusal() answers an unknown action
            return Outcome(refused or error("That button no longer works."))
        route, pressed = resolved
        ctx = self.context.pinned()
        return await self._guarded(
            request, route.mutates, lambda: route.handler(ctx, request, pressed, text)
        )

    def input_for(self, action: str) -> TextInput | None:
        """The text a press of `action` asks for first, if any (no database, no authority)."""
        resolved = self.actions.resolve(action)
        return resolved[0].input_for(resolved[1], self.context) if resolved else None

    async def submit_comment(
        self,
        request: Request,
        text: str,
        display_name: str | None = None,
        article: str | None = None,
    ) -> Outcome:
        if request.actor.anonymous:
            return Outcome(error(WRITE_AS_YOURSELF))
        ctx = self.context.pinned()
        return await self._guarded(
            request, True, lambda: submit_form(ctx, request, text, display_name, article)
        )

    def faq_choices(self, query: str, limit: int = 25) -> list[FaqChoice]:
        return self.context.faq.choices(query, limit)

    def inline_results(self, query: str, limit: int = 20) -> list[InlineResult]:
        """Answers for inline search: the FAQ answers that match, then each article's summary."""
        content = self.context.content
        results = [
            InlineResult(f"f:{article.slug}:{entry.id}", entry.question, answer(article, entry))
            for article, entry, _ in content.faq.ranked(query, limit)
        ]
        limit_chars = self.settings.comment_rules.max_length
        for article in content.library.articles:
            results.append(
                InlineResult(f"a:{article.slug}", article.title, summary(article, limit_chars))
            )
        return results[:limit]

    # Units of work ------------------------------------------------------------------------

    async def once(self, request: Request, work: Work) -> Outcome:
        """Run a state change at most once per event key, then publish its events."""
        return await self.context.once(request, work)

    @asynccontextmanager
    async def delivering(self, outcome: Outcome) -> AsyncIterator[Reply]:
        """Send the yielded reply inside the block; leaving it normally confirms the reply
        delivered, so a replay of the event sends nothing. Leaving by an exception confirms
        nothing: a re-delivery will send it again. Confirming never raises (the actor has the
        answer; at worst a re-delivery after a crash repeats it)."""
        yield outcome.reply
        if outcome.redeliver:
            log.info(
                "re-sent the reply to %s: its first sending was never confirmed",
                outcome.confirm_key,
            )
        if outcome.confirm_key is None:
            return
        try:
            await mark_delivered(self.database, outcome.confirm_key, self.clock())
        except Exception:
            log.warning(
                "could not record that %s was answered", outcome.confirm_key, exc_info=True
            )

    async def _guarded(
        self, request: Request, mutates: bool, call: Callable[[], Awaitable[Outcome | Reply]]
    ) -> Outcome:
        key = request.event_key
        # A re-delivered read is answered again (reads are repeatable) but marked replayed, so
        # the adapter sends nothing: only keys are kept, never whole replies.
        seen_read = key is not None and not mutates and key in self._recent_reads
        try:
            result: Outcome | Reply = await call()
        except UserError as refusal:
            result = error(refusal.message)
        except (OperationalError, DBAPIError, OSError, ConnectionError, TimeoutError):
            self._store_trouble.report(key)
            result = error(STORE_UNAVAILABLE)
        except Exception:
            log.exception("unexpected error while handling %s", key or "an event")
            result = error(SOMETHING_WENT_WRONG)
        outcome = result if isinstance(result, Outcome) else Outcome(result)
        if seen_read:
            return dataclasses.replace(outcome, replayed=True)
        if key is not None and not mutates:
            self._remember_read(key)
        return outcome

    def _remember_read(self, key: str) -> None:
        self._recent_reads[key] = None
        if len(self._recent_reads) > _RECENT_READS:
            self._recent_reads.popitem(last=False)

    # Adapter bookkeeping -----------------------------------------------------------------

    async def load_state(self, key: str) -> str | None:
        return await self.database.read(partial(read_state, key=key))

    async def save_state(self, key: str, value: str) -> None:
        await self.database.write(partial(write_state, key=key, value=value))
