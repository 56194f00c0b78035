"""`/forgetme`: everything stored about one person, erased or made anonymous in one transaction.

What goes, and what stays (the README's privacy section says the same, and tests check it):

- comments become tombstones (id and article only) until every moderation card of them has
  been edited to say they were erased, then they are deleted;
- previews, prompts, handled updates of their private chat: deleted;
- stored replies that quote or name them (their own, moderators' cards of their comments, a
  moderator's `/ban` of them): replaced by a neutral note, keeping only the event key so a
  re-delivered update still does nothing twice;
- the audit trail keeps what happened, with the actor and subject anonymous;
- a ban keeps holding, keyed by a one-way fingerprint instead of their identity.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, or_, update
from sqlalchemy.orm import Session

from core.actors import Actor
from core.comments import queries
from core.comments.views import CommentView
from core.fingerprint import fingerprint
from core.replies.build import message
from core.replies.stored import reply_to_json
from core.store.tables import (
    AuditEntry,
    Ban,
    Comment,
    CommentDraft,
    InboxEntry,
    ProcessedEvent,
    Prompt,
)

# What a replay of an event that concerned an erased person gets (it is marked delivered, so
# nothing is sent): the first reply quoted or named them.
SCRUBBED_REPLY = reply_to_json(message("(Erased at the author's request.)"))


@dataclass(frozen=True, slots=True)
class Erasure:
    """What `/forgetme` did, for the reply that tells the person exactly that."""

    erased: int  # comments
    carded: list[CommentView]  # the erased comments whose moderation cards must say so
    ban_kept: bool
    # Articles that lost approved comments: their published cards' counts must follow.
    recounted: frozenset[str] = frozenset()


def erase_person(session: Session, person: Actor, now: datetime) -> Erasure:
    """Erase `person`'s data everywhere in the store (see the module docstring)."""
    key = person.key
    anonymous = f"{person.platform}:erased"
    recounted = frozenset(queries.approved_articles_of(session, person))
    comment_ids = queries.erase_author(session, person, now)
    session.execute(
        update(ProcessedEvent)
        .where(
            or_(
                ProcessedEvent.actor_key == key,
                ProcessedEvent.subject_key == key,
                ProcessedEvent.comment_id.in_(comment_ids),
            )
        )
        .values(
            reply_json=SCRUBBED_REPLY,
            actor_key=None,
            subject_key=None,
            comment_id=None,
            delivered_at=func.coalesce(ProcessedEvent.delivered_at, now),
        )
        .execution_options(synchronize_session=False)
    )
    session.execute(
        delete(CommentDraft).where(
            CommentDraft.author_platform == person.platform,
            CommentDraft.author_user_id == person.user_id,
        )
    )
    session.execute(
        delete(Prompt).where(Prompt.platform == person.platform, Prompt.user_id == person.user_id)
    )
    # Handled updates are kept an hour to recognise re-deliveries; their payload is already
    # gone, but a private chat's key is the person's id.
    session.execute(
        delete(InboxEntry).where(
            InboxEntry.platform == person.platform,
            InboxEntry.chat_key.in_([person.user_id, f"user:{person.user_id}"]),
            InboxEntry.state != "pending",
        )
    )
    # Their own withdrawals, or (a moderator) their decisions on others' comments.
    session.execute(
        update(Comment)
        .where(Comment.decided_by_key == key)
        .values(decided_by_key=anonymous, decided_by_name="(erased)")
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(AuditEntry)
        .where(AuditEntry.actor_key == key)
        .values(actor_key=anonymous, actor_name="(erased)")
    )
    session.execute(
        update(AuditEntry).where(AuditEntry.subject_key == key).values(subject_key=anonymous)
    )
    ban_kept = _fingerprint_ban(session, key)
    queries.audit(
        session,
        at=now,
        action="erased",
        actor=Actor(person.platform, "erased", "(erased)"),
        subject_key=anonymous,
        reason=f"{len(comment_ids)} comments erased at the author's request",
    )
    return Erasure(len(comment_ids), queries.carded(session, comment_ids), ban_kept, recounted)


def _fingerprint_ban(session: Session, key: str) -> bool:
    """Re-key the person's ban by their fingerprint; whether they had one."""
    ban = session.get(Ban, key)
    if ban is None:
        return session.get(Ban, fingerprint(key)) is not None
    kept = session.get(Ban, fingerprint(key))
    if kept is None:
        session.add(
            Ban(
                author_key=fingerprint(key),
                until=ban.until,
                reason=ban.reason,
                banned_by_name=ban.banned_by_name,
                created_at=ban.created_at,
            )
        )
    elif kept.until is not None and (ban.until is None or ban.until > kept.until):
        kept.until = ban.until  # the longer of the two holds
    session.delete(ban)
    return True
