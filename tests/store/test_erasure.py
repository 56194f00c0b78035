"""`/forgetme` on the real store (SQLite and PostgreSQL): what goes, and exactly what stays."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from core.actions import Action, Answer, ForgetMe, Withdraw
from core.app import Core
from core.comments.service import purge_expired
from core.comments.views import Status
from core.conversation import Where
from core.events import CommentDecided
from core.fingerprint import fingerprint
from core.inbox import Arrival
from core.relay.port import PostRef
from core.store.tables import AuditEntry, Ban, Base, Comment, InboxEntry, ProcessedEvent
from tests.support.actors import MODERATOR, OTHER_READER, READER, request_for
from tests.support.clock import Clock
from tests.support.core_steps import collect, count, submit

YES = ForgetMe(Answer.YES, READER.user_id).pack()


async def dump(core: Core) -> str:
    """Every row of every table that outlives the moment, as text."""

    def everything(session: Any) -> str:
        rows = []
        for table in Base.metadata.sorted_tables:
            if table.name == "inbox_lanes":
                continue  # a chat's id while a worker handles it, let go seconds after
            rows += [repr(tuple(row)) for row in session.execute(table.select())]
        return "\n".join(rows)

    return await core.database.read(everything)


async def test_nothing_names_the_author_and_their_ban_still_holds(
    core: Core, clock: Clock
) -> None:
    await submit(core, READER, "Remember me not")
    clock.advance(20)
    await core.execute(request_for(READER), "comment", "An unsent preview")
    await core.execute(request_for(MODERATOR), "approve", "1")
    await core.relay.ledger.record_post(1, PostRef("telegram", "-100", "55"))
    await core.execute(request_for(MODERATOR), "ban", f"{READER.key} 7d rude")
    await core.conversations.expect(Where("telegram", READER.user_id, READER.user_id), "comment")
    await core.inbox.accept([Arrival("telegram:update:9", "telegram", READER.user_id, "{}")])
    [entry] = await core.inbox.pending("telegram")
    core.inbox.finish(entry.id)
    await core.inbox.flush()

    erased = await core.press(request_for(READER), YES)

    said = erased.reply.text
    assert "1 comment(s) erased" in said and "fingerprint" in said
    remaining = await dump(core)
    for trace in ("Ada Reader", READER.key, f"'{READER.user_id}'", "Remember me not", "unsent"):
        assert trace not in remaining, trace
    assert await count(core, InboxEntry) == 0
    assert core.conversations.expecting(Where("telegram", READER.user_id, READER.user_id)) is None
    # The trail stays, anonymous; the ban holds under the fingerprint.
    assert await count(core, AuditEntry, AuditEntry.action == "decided") == 1
    assert await count(core, AuditEntry, AuditEntry.action == "erased") == 1
    assert await count(core, Ban, Ban.author_key == fingerprint(READER.key)) == 1
    again = await core.execute(request_for(READER), "comment", "I am back")
    assert "stopped you from commenting" in again.reply.text


async def test_a_moderator_who_asks_is_forgotten_as_a_decider_too(
    core: Core, clock: Clock
) -> None:
    await submit(core, READER, "Decided by them")
    clock.advance(20)
    await submit(core, READER, "Withdrawn by its author")
    await core.execute(request_for(MODERATOR), "approve", "1")
    await core.press(request_for(READER), Withdraw(2).pack())
    await core.press(request_for(MODERATOR), ForgetMe(Answer.YES, MODERATOR.user_id).pack())
    await core.press(request_for(READER), YES)
    remaining = await dump(core)
    for trace in ("Mia Moderator", MODERATOR.key, READER.key, "Ada Reader"):
        assert trace not in remaining, trace


async def test_the_reply_says_no_ban_is_kept_when_there_was_none(core: Core) -> None:
    await submit(core, READER, "Gone soon")
    said = (await core.press(request_for(READER), YES)).reply.text
    assert "1 comment(s) erased" in said and "fingerprint" not in said
    assert await count(core, Ban) == 0


async def test_stored_replies_that_quote_the_author_are_scrubbed_not_forgotten(
    core: Core,
) -> None:
    await submit(core, READER, "Quoted in a card", key="confirm:1")
    await core.execute(request_for(MODERATOR, key="approve:1"), "approve", "1")
    await core.execute(request_for(MODERATOR, key="ban:1"), "ban", f"{READER.key} forever")
    await core.press(request_for(READER), YES)

    def replies(session: Any) -> dict[str, str]:
        rows = session.execute(select(ProcessedEvent.key, ProcessedEvent.reply_json))
        return {key: reply for key, reply in rows}

    stored = await core.database.read(replies)
    for key in ("confirm:1", "approve:1", "ban:1"):
        assert "Erased at the author's request" in stored[key]
    # Their keys stay: a re-delivered moderator's /ban repeats nothing and sends nothing.
    replay = await core.execute(request_for(MODERATOR, key="ban:1"), "ban", f"{READER.key} 7d")
    assert replay.replayed and not replay.should_send
    assert await count(core, Ban, Ban.author_key == READER.key) == 0


async def test_cards_are_told_and_tombstones_go_once_they_are(core: Core, clock: Clock) -> None:
    await submit(core, READER, "Pending with a card")
    clock.advance(20)
    await submit(core, READER, "Pending without one")
    await core.relay.ledger.record_post(1, PostRef("telegram", "-100", "55"))
    await core.relay.ledger.record_post(1, PostRef("discord", "42", "66"))
    events = collect(core)

    await core.press(request_for(READER), YES)
    await core.events.drain()

    [event] = events
    assert isinstance(event, CommentDecided) and event.comment.status is Status.ERASED
    assert event.author_notice is None and not event.card.buttons
    assert "Erased at its author's request" in event.card.text
    assert "Pending with a card" not in event.card.text and READER.key not in event.card.text
    # Until a card says so, the catch-up keeps offering it (another process may run Discord).
    assert [e.comment.id for e in await core.relay.ledger.unedited("discord")] == [1]
    await core.relay.ledger.cards_show(1, "telegram", Status.ERASED)
    await core.database.write(lambda session: purge_expired(session, clock()))
    assert await count(core, Comment) == 2  # #1's Discord card still quotes it
    await core.relay.ledger.cards_show(1, "discord", Status.ERASED)
    await core.database.write(lambda session: purge_expired(session, clock()))
    # #1 is gone; #2 (no card) is the newest: its id must never be handed out again.
    assert await count(core, Comment) == 1
    assert not await core.relay.ledger.unedited("discord")
    clock.advance(20)
    await submit(core, OTHER_READER, "A newer comment")
    await core.database.write(lambda session: purge_expired(session, clock()))
    ids = await core.database.read(lambda session: list(session.scalars(select(Comment.id))))
    assert ids == [3]


async def test_an_erased_comment_is_in_no_list(core: Core) -> None:
    await submit(core, READER, "Listed once")
    await submit(core, OTHER_READER, "Someone else's")
    await core.execute(request_for(MODERATOR), "approve", "1")
    await core.press(request_for(READER), YES)
    export = (await core.execute(request_for(MODERATOR), "export")).reply
    assert b"Listed once" not in export.attachments[0].content
    assert b"Someone else" in export.attachments[0].content
    assert "No comments" in (await core.execute(request_for(OTHER_READER), "comments")).reply.text
    banned = await core.execute(request_for(MODERATOR), "ban", "#1 7d")
    assert banned.reply.is_error


async def test_unban_lifts_a_fingerprinted_ban(core: Core) -> None:
    await core.execute(request_for(MODERATOR), "ban", f"{READER.key} forever")
    await core.press(request_for(READER), YES)
    lifted = await core.execute(request_for(MODERATOR), "unban", READER.key)
    assert "may comment again" in lifted.reply.text
    assert await count(core, Ban) == 0
    assert not (await core.execute(request_for(READER), "comment", "Welcome back")).reply.is_error


async def test_the_erase_button_is_bound_to_who_asked(core: Core) -> None:
    await submit(core, READER, "Mine alone")
    confirm = (await core.execute(request_for(READER), "forgetme")).reply
    assert [Action.parse(b.action) for b in confirm.action_buttons] == [
        ForgetMe(Answer.YES, READER.user_id),
        ForgetMe(Answer.NO, READER.user_id),
    ]
    stolen = await core.press(request_for(OTHER_READER), YES)
    assert stolen.reply.is_error and "isn't yours" in stolen.reply.text
    # A button posted by an older version, before it named who asked: the string it carries.
    old = await core.press(request_for(READER), "fm:y")
    assert old.reply.is_error and "expired" in old.reply.text
    assert await count(core, Comment) == 1


async def test_a_card_posted_while_its_comment_was_erased_is_owed_an_edit(core: Core) -> None:
    await submit(core, READER, "Erased in flight")
    assert await core.relay.ledger.record_post(1, PostRef("telegram", "-100", "54"))
    await core.press(request_for(READER), YES)
    # The relay posted this card from the event it had before the erasure.
    assert not await core.relay.ledger.record_post(1, PostRef("discord", "42", "66"))
    [owed] = await core.relay.ledger.unedited("discord")
    assert owed.comment.status is Status.ERASED and "Erased in flight" not in owed.card.text
