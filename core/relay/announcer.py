"""Article cards on each platform's announce targets: posted once per publication round and
target (across restarts and processes), and their comment counts kept up to date, paced."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from sqlalchemy.orm import Session

from core.content.models import Article
from core.publishing import queries
from core.publishing.card import announcement_card
from core.publishing.queries import CardView, PublicationView
from core.relay.ledger import Ledger
from core.relay.port import MessageGone, Platform, PlatformUnwell, PortError, PostRef

log = logging.getLogger(__name__)

# At most one edit of a card per this many seconds; the last count always wins.
COUNT_EDIT_SECONDS = 10.0
# How far back a catch-up looks for rounds some target of this platform has not seen.
CATCH_UP_WINDOW = timedelta(hours=24)
# Rounds of a count update that a platform refusing everything may delay before it gives up
# (the next change, or the next catch-up, tries again).
UNWELL_RETRIES = 6
# How long a publication's report waits for another path posting the same round.
REPORT_WAIT = 10.0
UNSURE = "maybe posted: the bot stopped while posting it; check the channel"

Articles = Callable[[str], Article | None]


@dataclass(frozen=True, slots=True)
class TargetResult:
    """How one target's card went: posted (when), or why not."""

    platform: str
    target: str
    posted_at: datetime | None
    failure: str | None = None

    @property
    def posted(self) -> bool:
        return self.posted_at is not None


class Announcer:
    def __init__(
        self, ledger: Ledger, articles: Articles, comment_limit: int,
        pace: float = COUNT_EDIT_SECONDS,
    ) -> None:  # fmt: skip
        self.ledger = ledger
        self.articles = articles
        self.comment_limit = comment_limit
        self.pace = pace
        # (platform, slug) -> the task bringing that article's cards there up to date.
        self._refreshing: dict[tuple[str, str], asyncio.Task[None]] = {}
        # (platform, slug) whose count changed while its task was already under way.
        self._stale: set[tuple[str, str]] = set()

    # Posting -------------------------------------------------------------------------------

    async def publish(
        self, platform: Platform, publication: PublicationView, *, report: bool = True
    ) -> list[TargetResult]:
        """Post the round's card to every announce target of the platform that has none yet;
        a target that refuses is recorded with the platform's reason and the others are still
        posted. Raises PlatformUnwell (the catch-up tries again) after recording the rest."""
        article = self.articles(publication.slug)
        targets = platform.announce_targets
        if article is None or not targets:
            return []
        database, results = self.ledger.database, []
        async with self.ledger.delivering("pub", platform.name, publication.id) as mine:
            if not mine:
                # Another path (a catch-up) or process is posting this round here: the
                # moderator's report says what it did, once it is done.
                return await self._outcome_of(platform, publication) if report else []
            for target in targets:
                card = await database.write(self._card_for(publication, platform.name, target))
                if card.posted_at is None and card.failure is None:
                    if card.attempted_at is not None and not platform.posts_once_per_key:
                        card = await self._uncertain(card)
                    else:
                        card = await self._post(platform, article, card)
                results.append(TargetResult(platform.name, target, card.posted_at, card.failure))
        return results

    async def _outcome_of(
        self, platform: Platform, publication: PublicationView
    ) -> list[TargetResult]:
        """The round's cards on the platform as another path leaves them: every target
        posted or refused, or, after REPORT_WAIT seconds, as they stand."""
        deadline = asyncio.get_running_loop().time() + REPORT_WAIT
        while True:
            cards = await self.ledger.database.read(
                partial(queries.cards_of, publication_id=publication.id)
            )
            done = {c.target: c for c in cards if c.platform == platform.name
                    and (c.posted_at is not None or c.failure is not None)}  # fmt: skip
            if set(platform.announce_targets) <= set(done):
                break
            if asyncio.get_running_loop().time() >= deadline:
                break
            await asyncio.sleep(0.2)
        by_target = {c.target: c for c in cards if c.platform == platform.name}
        return [
            TargetResult(platform.name, target, card.posted_at, card.failure)
            if (card := by_target.get(target)) is not None
            else TargetResult(platform.name, target, None)
            for target in platform.announce_targets
        ]

    @staticmethod
    def _card_for(
        publication: PublicationView, platform: str, target: str
    ) -> Callable[[Session], CardView]:
        return lambda session: queries.card_for(session, publication, platform, target)

    async def _uncertain(self, card: CardView) -> CardView:
        """A process died between sending this card and recording it: it may be in the
        channel already. Posting it again could show it twice, so a moderator is asked."""
        log.warning("the card of /%s on %s %s may or may not have been posted (a process "
                    "stopped while posting); /publish %s tries again",
                    card.slug, card.platform, card.target, card.slug)  # fmt: skip
        await self.ledger.database.write(lambda s: queries.record_failure(s, card.id, UNSURE))
        return dataclasses.replace(card, failure=UNSURE)

    async def _post(self, platform: Platform, article: Article, card: CardView) -> CardView:
        database, clock = self.ledger.database, self.ledger.clock
        await database.write(lambda s: queries.record_attempt(s, card.id, clock()))
        count = await self._approved(article.slug)
        try:
            post = await platform.post(
                card.target,
                announcement_card(article, count, self.comment_limit),
                broadcast=True,
                once_key=f"card{card.id}",
            )
        except PlatformUnwell:
            # Refused for now (flood control, an outage): the catch-up posts it later. A
            # timeout after Telegram did post is the one case this shows twice.
            await database.write(lambda s: queries.record_attempt(s, card.id, None))
            raise
        except PortError as exc:
            detail = exc.detail
            log.warning("could not publish /%s to %s %s: %s",
                        article.slug, platform.name, card.target, detail)  # fmt: skip
            await database.write(lambda s: queries.record_failure(s, card.id, detail))
            return dataclasses.replace(card, failure=detail)
        at = clock()
        await database.write(
            lambda s: queries.record_posted(s, card.id, post.chat_id, post.message_id, count, at)
        )
        log.info("published /%s to %s %s", article.slug, platform.name, card.target)
        return dataclasses.replace(
            card, chat_id=post.chat_id, message_id=post.message_id, posted_at=at,
            shows_count=count, edited_at=at,
        )  # fmt: skip

    async def catch_up(self, platform: Platform) -> int:
        """Post the rounds of the last day that a target of this platform has not seen (the
        process died while posting, or this platform runs in another process); then bring
        every card's count up to date. How many cards were posted."""
        if not platform.announce_targets:
            return 0
        since = self.ledger.clock() - CATCH_UP_WINDOW
        rounds = await self.ledger.database.read(lambda s: queries.requested_since(s, since))
        posted = 0
        for publication in rounds:
            known = await self.ledger.database.read(
                partial(queries.cards_of, publication_id=publication.id)
            )
            seen = {c.target for c in known if c.platform == platform.name and
                    (c.posted_at is not None or c.failure is not None)}  # fmt: skip
            if set(platform.announce_targets) <= seen:
                continue
            results = await self.publish(platform, publication, report=False)
            posted += sum(1 for r in results if r.posted and r.target not in seen)
        for slug in {c.slug for c in await self._live(platform)}:
            self.count_changed(platform, slug)
        return posted

    # Counts --------------------------------------------------------------------------------

    def count_changed(self, platform: Platform, slug: str) -> None:
        """The article's approved count may have changed: bring its cards on the platform up
        to date, at most one edit per card per `pace` seconds, the last count winning."""
        key = (platform.name, slug)
        running = self._refreshing.get(key)
        if running is not None and not running.done():
            self._stale.add(key)  # its loop reads the count again before it ends
            return
        task = asyncio.create_task(self._refresh(platform, slug))
        self._refreshing[key] = task
        task.add_done_callback(lambda _: self._forget(key, task))

    def _forget(self, key: tuple[str, str], task: asyncio.Task[None]) -> None:
        if self._refreshing.get(key) is task:
            del self._refreshing[key]
        if not task.cancelled() and (error := task.exception()) is not None:
            log.warning("could not update the comment count of /%s on %s: %s",
                        key[1], key[0], error)  # fmt: skip

    async def drain(self) -> None:
        """Wait for every count update under way (shutdown, tests)."""
        while tasks := [t for t in self._refreshing.values() if not t.done()]:
            await asyncio.gather(*tasks, return_exceptions=True)

    async def stop(self) -> None:
        for task in list(self._refreshing.values()):
            task.cancel()
        await asyncio.gather(*self._refreshing.values(), return_exceptions=True)

    async def _refresh(self, platform: Platform, slug: str) -> None:
        key, unwell = (platform.name, slug), 0
        while True:
            self._stale.discard(key)
            try:
                wait = await self._edit_due(platform, slug)
            except PlatformUnwell as exc:
                unwell += 1
                if unwell > UNWELL_RETRIES:
                    raise
                log.info("count of /%s on %s waits: %s", slug, platform.name, exc.detail)
                wait = max(self.pace, 1.0)
            if wait is None and key not in self._stale:
                return
            await asyncio.sleep(wait or 0)

    async def _edit_due(self, platform: Platform, slug: str) -> float | None:
        """Edit the cards of the article whose count is stale and whose pace allows it; the
        seconds until the next one may be edited, or None when all show the count."""
        article = self.articles(slug)
        if article is None:
            return None
        clock = self.ledger.clock
        cards = await self._live(platform, slug)
        count = await self._approved(slug)
        next_in: float | None = None
        for card in cards:
            if card.shows_count == count:
                continue
            due_in = _seconds_until(card.edited_at, self.pace, clock())
            if due_in > 0:
                next_in = due_in if next_in is None else min(next_in, due_in)
                continue
            async with self.ledger.delivering("count", platform.name, card.id) as mine:
                if not mine:
                    next_in = self.pace if next_in is None else min(next_in, self.pace)
                    continue
                await self._edit(platform, article, card)
        return next_in

    async def _edit(self, platform: Platform, article: Article, card: CardView) -> None:
        database, clock = self.ledger.database, self.ledger.clock
        # Read again under the claim: another process may have just edited it.
        fresh = await database.read(lambda s: queries.card(s, card.id))
        if fresh is None or not fresh.live or fresh.chat_id is None or fresh.message_id is None:
            return
        if _seconds_until(fresh.edited_at, self.pace, clock()) > 0:
            return
        slug = article.slug
        count = await self._approved(slug)
        if fresh.shows_count == count:
            return
        post = PostRef(platform.name, fresh.chat_id, fresh.message_id)
        reply = announcement_card(article, count, self.comment_limit)
        try:
            await platform.edit(post, reply, broadcast=True)
        except MessageGone as exc:
            gone = exc.detail
            log.info("the card of /%s on %s %s is gone: %s",
                     slug, platform.name, fresh.target, gone)  # fmt: skip
            await database.write(lambda s: queries.record_gone(s, fresh.id, gone))
            return
        except PlatformUnwell:
            raise
        except PortError as exc:
            # Refused (e.g. no longer an admin there): the next change tries again.
            log.warning("could not update the card of /%s on %s %s: %s",
                        slug, platform.name, fresh.target, exc.detail)  # fmt: skip
            return
        await database.write(lambda s: queries.record_count(s, fresh.id, count, clock()))

    async def _approved(self, slug: str) -> int:
        """The article's approved comments now: what its cards' Comments button counts."""
        counts = await self.ledger.database.read(lambda s: queries.approved_counts(s, [slug]))
        return counts[slug]

    async def _live(self, platform: Platform, slug: str | None = None) -> list[CardView]:
        return await self.ledger.database.read(
            lambda s: queries.live_cards(s, platform.name, slug)
        )


def _seconds_until(last: datetime | None, pace: float, now: datetime) -> float:
    if last is None:
        return 0.0
    return max(0.0, (last + timedelta(seconds=pace) - now).total_seconds())
