"""Comments as replies: moderation cards, author notices, list entries."""

from __future__ import annotations

from core.actions import Moderate, Move, OpenCommentForm, Seen
from core.comments.views import CommentView, Delivery, Status
from core.replies import ActionButton, Block, Reply, Span, TextInput
from core.replies.build import heading, item, paragraph, quote, reply

PRIVACY_LINE = (
    "We never ask for your email. Only your display name is shown with your comment, and only "
    "after a moderator approves it. /forgetme erases everything you have sent."
)

_DECIDED = {
    Status.APPROVED: "✅ Approved",
    Status.REJECTED: "❌ Rejected",
    Status.SPAM: "🗑 Marked as spam",
    Status.WITHDRAWN: "↩️ Withdrawn by its author",
}
VERB = {
    Status.PENDING: "waiting for a decision",
    Status.APPROVED: "approved",
    Status.REJECTED: "rejected",
    Status.SPAM: "marked as spam",
    Status.WITHDRAWN: "withdrawn by its author",
    Status.ERASED: "erased at its author's request",
}
# The moves a moderator may make, and the letter each has in a button's action (`m:a:12`).
DECISIONS = (Status.APPROVED, Status.REJECTED, Status.SPAM)
MOVE_LABEL = {Status.APPROVED: "✅ Approve", Status.REJECTED: "❌ Reject", Status.SPAM: "🗑 Spam"}
STATUS_LABEL = {
    Status.PENDING: "⏳ waiting for a moderator",
    Status.APPROVED: "✅ approved",
    Status.REJECTED: "❌ not approved",
    Status.SPAM: "❌ not approved",
    Status.WITHDRAWN: "↩️ withdrawn",
    Status.ERASED: "🗑 erased",
}
ERASED_NOTE = "🗑 Erased at its author's request."


def when(comment: CommentView) -> str:
    return f"{comment.created_at:%Y-%m-%d %H:%M} UTC"


REASON_INPUT = TextInput(title="Reject comment", label="Reason (optional)", max_length=500)


def comment_input(max_length: int) -> TextInput:
    return TextInput(
        title="Leave a comment",
        label="Your comment",
        required=True,
        max_length=min(max_length, 4000),
    )


def comment_button(article_slug: str, max_length: int) -> ActionButton:
    """Opens the comment form where the platform has one; elsewhere prompts for the text."""
    return ActionButton(
        label="✍️ Comment",
        action=OpenCommentForm(article_slug).pack(),
        input=comment_input(max_length),
    )


def decided_by(comment: CommentView) -> str:
    """Who made the comment's decision: "by Ann", or "automatically" (the rules filed it)."""
    return f"by {comment.decided_by_name}" if comment.decided_by_name else "automatically"


def move_button(
    comment_id: int, to: Status, seen: Status, label: str | None = None
) -> ActionButton:
    """A button moving the comment to `to`; it names the status its presser saw (none for
    pending, as on cards posted before decisions could change), so a stale press changes
    nothing."""
    return ActionButton(
        label=label or MOVE_LABEL[to],
        action=Moderate(Move.to(to), comment_id, Seen.of(seen)).pack(),
        input=REASON_INPUT if to is Status.REJECTED else None,
    )


def moderation_card(comment: CommentView, article_title: str) -> Reply:
    """The message moderators act on: while pending, the decisions and a ban; once decided,
    who decided and the other decisions (a withdrawn or erased comment has none)."""
    if comment.status is Status.ERASED:
        return erased_card(comment.id, article_title)
    blocks: list[Block] = [
        heading(f"Comment #{comment.id} on “{article_title}”"),
        paragraph(
            "by ",
            Span.bold(comment.author_name),
            f" · {comment.author_platform}:{comment.author_user_id} · {when(comment)}",
        ),
        quote(comment.text),
    ]
    if comment.hold_reasons:
        blocks.append(paragraph(Span.italic("Held: " + "; ".join(comment.hold_reasons))))
    if comment.status is Status.PENDING:
        buttons = [
            [
                move_button(comment.id, Status.APPROVED, Status.PENDING),
                move_button(comment.id, Status.REJECTED, Status.PENDING),
            ],
            [
                move_button(comment.id, Status.SPAM, Status.PENDING),
                ActionButton(label="⛔ Ban author", action=Moderate(Move.BAN, comment.id).pack()),
            ],
        ]
        return reply(*blocks, buttons=buttons)
    decided = _DECIDED.get(comment.status, comment.status.value)
    by = f" {decided_by(comment)}" if comment.status is not Status.WITHDRAWN else ""
    reason = f": {comment.decision_reason}" if comment.decision_reason else ""
    blocks.append(paragraph(Span.bold(f"{decided}{by}{reason}")))
    status = comment.status
    if status not in DECISIONS:
        return reply(*blocks)
    moves = [move_button(comment.id, to, comment.status) for to in DECISIONS if to is not status]
    return reply(*blocks, buttons=[moves])


def erased_card(comment_id: int, article_title: str) -> Reply:
    """What every card of an erased comment becomes: no text, name, id or buttons."""
    return reply(
        heading(f"Comment #{comment_id} on “{article_title}”"),
        paragraph(Span.bold(ERASED_NOTE)),
    )


def published(status: Status) -> bool:
    """Whether readers see a comment in this status: all its author is told about."""
    return status is Status.APPROVED


def author_notice(
    comment: CommentView, article_title: str, *, taken_down: bool = False
) -> Reply | None:
    """What the author is told about a moderator's decision; `taken_down` when it unpublished
    a comment they were told was public."""
    if comment.status in (Status.REJECTED, Status.SPAM) and taken_down:
        reason = comment.decision_reason if comment.status is Status.REJECTED else None
        return reply(
            paragraph(
                f"Your comment #{comment.id} on “{article_title}” is no longer public: a "
                "moderator changed their decision."
            ),
            *([paragraph("Reason: ", Span.italic(reason))] if reason else []),
            quote(comment.text),
        )
    if comment.status is Status.APPROVED:
        return reply(
            paragraph(
                f"Good news: your comment #{comment.id} on “{article_title}” was approved "
                "and is now public."
            ),
            quote(comment.text),
        )
    if comment.status in (Status.REJECTED, Status.SPAM):
        reason = comment.decision_reason if comment.status is Status.REJECTED else None
        return reply(
            paragraph(f"Your comment #{comment.id} on “{article_title}” was not approved."),
            *([paragraph("Reason: ", Span.italic(reason))] if reason else []),
            quote(comment.text),
        )
    return None


def public_entry(comment: CommentView) -> list[Block]:
    """An approved comment as readers see it: display name, date, text; never an id."""
    return [
        item(Span.bold(comment.author_name), " · ", Span.italic(when(comment))),
        quote(comment.text),
    ]


def own_entry(comment: CommentView, article_title: str) -> list[Block]:
    """One of the author's own comments with its status and what they were told."""
    status = STATUS_LABEL[comment.status]
    blocks = [item(Span.bold(f"#{comment.id}"), f" on “{article_title}” · {status}")]
    if comment.decision_reason and comment.status is Status.REJECTED:
        blocks.append(paragraph("Reason: ", Span.italic(comment.decision_reason)))
    if comment.delivery is Delivery.FAILED:
        blocks.append(paragraph(Span.italic("(We could not message you about this decision.)")))
    blocks.append(quote(comment.text))
    return blocks
