"""One relay for every platform: a comment's card to the moderators, the card kept up to date
as decisions are made, changed or erased, the author told, and what a process that died (or
another process) left owed delivered by a catch-up. Adapters only implement the port."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable

from core.comments.catch_up import CaughtUp, deliver_missed
from core.comments.views import CommentView, Delivery, Status
from core.events import (
    CommentDecided,
    CommentQueued,
    ContentReloaded,
    CountChanged,
    Event,
    PublishRequested,
)
from core.memory import Bounded
from core.publishing.report import publish_report
from core.relay.announcer import Announcer, TargetResult
from core.relay.ledger import Ledger
from core.relay.port import MessageGone, Platform, PortError, PostRef

log = logging.getLogger(__name__)

# Comment ids whose card this process posted (or is posting), per platform: a comment
# committed while the start-up catch-up runs may reach both paths, and must get one card.
CLAIMED_CARDS = 10_000
# Edits and notices made again at once for decisions changed while the last was under way.
FOLLOW_UPS = 5
# Several processes: how often each platform's catch-up runs.
CATCH_UP_SECONDS = 5.0


def _same_decision(a: CommentView, b: CommentView) -> bool:
    """Whether a card showing `b` shows `a` too (who decided what, when)."""
    return (a.status, a.decided_at, a.decided_by_name) == (
        b.status,
        b.decided_at,
        b.decided_by_name,
    )


Relayed = CommentQueued | CommentDecided | PublishRequested | CountChanged


def _about(event: Relayed) -> str:
    if isinstance(event, PublishRequested):
        return f"the publication of /{event.slug}"
    if isinstance(event, CountChanged):
        return f"the comment count of /{event.slug}"
    return f"{type(event).__name__} of comment {event.comment.id}"


def _posted(
    platforms: list[Platform], results: list[list[TargetResult] | BaseException | None]
) -> list[TargetResult]:
    """Each platform's targets as a publication left them; a platform that failed as a
    whole has its targets still owed (the catch-up retries them)."""
    posted: list[TargetResult] = []
    for platform, result in zip(platforms, results, strict=True):
        if isinstance(result, Exception):
            posted += [
                TargetResult(platform.name, target, None, f"not yet ({result}); retrying")
                for target in platform.announce_targets
            ]
        elif isinstance(result, list):
            posted += result
    return posted


class Relay:
    """Subscribed to the core's events; delivers them through each attached platform."""

    def __init__(self, ledger: Ledger, announcer: Announcer) -> None:
        self.ledger = ledger
        self.announcer = announcer
        self._platforms: dict[str, Platform] = {}
        self._claimed: dict[str, Bounded[int, None]] = {}

    def attach(self, platform: Platform) -> None:
        self._platforms[platform.name] = platform
        self._claimed.setdefault(platform.name, Bounded(CLAIMED_CARDS))

    def detach(self, platform: Platform) -> None:
        self._platforms.pop(platform.name, None)

    async def __call__(self, event: Event) -> None:
        """Deliver one event on every platform at once (a slow one delays no other)."""
        if isinstance(event, ContentReloaded):
            return  # new content is the adapters' own business (their menus)
        platforms = list(self._platforms.values())
        results = await asyncio.gather(
            *(self._deliver(platform, event) for platform in platforms), return_exceptions=True
        )
        for platform, result in zip(platforms, results, strict=True):
            if isinstance(result, Exception):
                log.warning("could not deliver %s on %s: %s", _about(event), platform.name, result)
        if isinstance(event, PublishRequested):
            await self._report(event, _posted(platforms, results))

    async def _deliver(self, platform: Platform, event: Relayed) -> list[TargetResult] | None:
        if isinstance(event, CommentQueued):
            await self.post_card(platform, event)
        elif isinstance(event, CommentDecided):
            await self.update_cards(platform, event)
            await self.tell_author(platform, event)
            if platform.announce_targets:
                self.announcer.count_changed(platform, event.comment.article_slug)
        elif isinstance(event, CountChanged):
            if platform.announce_targets:
                self.announcer.count_changed(platform, event.slug)
        elif isinstance(event, PublishRequested):
            publication = await self.ledger.publication(event.publication_id)
            if publication is not None:
                return await self.announcer.publish(platform, publication)
        return None

    async def _report(self, event: PublishRequested, posted: list[TargetResult]) -> None:
        """Tell the moderator who asked how the posting went, on their own platform."""
        platform_name, _, user_id = (event.requester_key or "").partition(":")
        platform = self._platforms.get(platform_name)
        if platform is None or not user_id:
            return
        title = self.ledger.titles(event.slug)
        try:
            await platform.notify(user_id, publish_report(event.slug, title, list(posted)))
        except PortError as exc:
            log.warning("could not tell %s how /%s was published: %s",
                        event.requester_key, event.slug, exc.detail)  # fmt: skip

    # Cards ---------------------------------------------------------------------------------

    async def post_card(self, platform: Platform, event: CommentQueued) -> None:
        """Show a new comment to the platform's moderators, with its buttons."""
        target, comment_id = platform.moderation_target, event.comment.id
        claimed = self._claimed[platform.name]
        if target is None or comment_id in claimed:
            return
        async with self.ledger.delivering("card", platform.name, comment_id) as mine:
            if not mine or await self.ledger.posts(comment_id, platform.name):
                return  # another process (or path) posts it, or has posted it
            claimed.put(comment_id, None)
            try:
                post = await platform.post(target, event.card)
            except BaseException:
                claimed.pop(comment_id)  # not posted: the catch-up may try again
                raise
            if not await self.ledger.record_post(comment_id, post):
                # Decided or erased while the card was on its way: bring it up to date now.
                await self.edit_missed_cards(platform)

    async def update_cards(self, platform: Platform, event: CommentDecided) -> None:
        """Edit the comment's cards on the platform to show the decision, under the edit
        claim so the live path and a catch-up never both edit."""
        await self._edit_under_claim(platform, event, owed_only=False)

    async def _edit_under_claim(
        self, platform: Platform, event: CommentDecided, *, owed_only: bool
    ) -> None:
        comment_id = event.comment.id
        async with self.ledger.delivering("edit", platform.name, comment_id) as mine:
            owed = not owed_only or await self.ledger.cards_owed(comment_id, platform.name)
            if not mine or not owed:
                return
            await self._edit_cards(platform, event)
            # A later decision (decisions can change) found the claim taken and left its edit
            # to this one: show the comment as it stands now.
            shown = event.comment
            for _ in range(FOLLOW_UPS):
                latest = await self.ledger.decided_now(comment_id)
                if latest is None or _same_decision(latest.comment, shown):
                    return
                await self._edit_cards(platform, latest)
                shown = latest.comment

    async def _edit_cards(self, platform: Platform, event: CommentDecided) -> None:
        """Make every card of the comment on the platform show the event's card, and record
        that they do (else the catch-up tries again). The card just pressed was edited by
        the press's own answer; a card that can't show an erasure is deleted."""
        comment = event.comment
        edited = True
        for post in await self.ledger.posts(comment.id, platform.name):
            if post == event.shown:
                continue
            try:
                await platform.edit(post, event.card)
            except MessageGone:
                continue  # deleted by an admin: nothing left to show anything
            except PortError as exc:
                if comment.status is Status.ERASED and await self._delete(platform, post):
                    continue  # a card that still quotes an erased comment must not stay
                edited = False
                log.warning("could not update card %s of comment %s on %s: %s",
                            post.message_id, comment.id, platform.name, exc.detail)  # fmt: skip
        if edited:
            await self.ledger.cards_show(comment.id, platform.name, comment.status)

    @staticmethod
    async def _delete(platform: Platform, post: PostRef) -> bool:
        try:
            await platform.delete(post)
        except PortError as exc:
            log.warning("could not delete card %s: %s", post.message_id, exc.detail)
            return False
        return True

    # Authors -------------------------------------------------------------------------------

    async def tell_author(self, platform: Platform, event: CommentDecided) -> None:
        """Tell an author on this platform the outcome privately, under the notice claim;
        then, while a later decision changed the outcome and is still untold (its own notice
        found the claim taken), tell that too."""
        comment = event.comment
        if comment.author_platform != platform.name or event.author_notice is None:
            return
        async with self.ledger.delivering("notice", platform.name, comment.id) as mine:
            if not mine:
                return
            await self._tell(platform, event)
            for _ in range(FOLLOW_UPS):
                latest = await self.ledger.decided_now(comment.id)
                if latest is None or latest.comment.delivery is not Delivery.WAITING:
                    return
                await self._tell(platform, latest)

    async def _tell(self, platform: Platform, event: CommentDecided) -> None:
        comment, notice = event.comment, event.author_notice
        if notice is None:
            return
        try:
            delivery = await platform.notify(comment.author_user_id, notice)
        except PortError as exc:  # unwell: recorded, and the catch-up stops here
            await self.ledger.record_delivery(comment.id, False, exc.detail, comment.status)
            raise
        # Blocked bot, closed DMs: recorded, and /mycomments shows the outcome.
        await self.ledger.record_delivery(
            comment.id, delivery.delivered, delivery.detail, comment.status
        )

    # Catching up ---------------------------------------------------------------------------

    async def catch_up(self, platform: Platform) -> CaughtUp:
        """What a process that died (or another process) owes this platform: cards, then
        author notices, then card edits. Never raises."""
        cards = 0
        if platform.moderation_target is not None:
            cards = await deliver_missed(
                f"{platform.name} moderation cards",
                lambda: self.ledger.unposted(platform.name),
                lambda event: _unless_unwell(self.post_card(platform, event)),
                self._claimed[platform.name].__contains__,
            )
        notices = await deliver_missed(
            f"{platform.name} author notices",
            lambda: self.ledger.untold(platform.name),
            lambda event: _unless_unwell(self.tell_author(platform, event)),
        )
        edits = await self.edit_missed_cards(platform)
        try:
            announced = await self.announcer.catch_up(platform)
        except PortError as exc:
            log.warning("catching up publications stopped: %s", exc.detail)
            announced = 0
        return CaughtUp(cards, notices, edits, announced)

    async def edit_missed_cards(self, platform: Platform) -> int:
        """Edit the cards on the platform that do not show their comment's decision (made in
        another process, or the edit was lost), each under the edit claim. Never raises."""

        async def edit_if_owed(event: CommentDecided) -> bool:
            # Looked at again under the claim: the live path may have just edited them.
            return await _unless_unwell(self._edit_under_claim(platform, event, owed_only=True))

        return await deliver_missed(
            f"{platform.name} card edits",
            lambda: self.ledger.unedited(platform.name),
            edit_if_owed,
        )

    async def keep_caught_up(self, platform: Platform) -> CaughtUp:
        """Catch the platform up now; when several processes share the store, again every
        CATCH_UP_SECONDS until cancelled: a comment or decision made in another process (which
        may not run this platform at all) reaches this platform's people that way."""
        first = await self.catch_up(platform)
        while self.ledger.inbox.shared:
            await asyncio.sleep(CATCH_UP_SECONDS)
            try:
                await self.catch_up(platform)
            except Exception:
                log.warning("catching up failed; trying again shortly", exc_info=True)
        return first


async def _unless_unwell(step: Awaitable[None]) -> bool:
    """Run a catch-up step; False (the rest waits for the next round) if the platform
    refused it."""
    try:
        await step
    except PortError as exc:
        log.warning("catching up stopped: %s", exc.detail)
        return False
    return True
