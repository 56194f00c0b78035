"""Comments as replies: moderation cards, author notices, list entries."""

from __future__ import annotations

from core.actions import action_id
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
        label="✍️ Comment", action=action_id("k", article_slug), input=comment_input(max_length)
    )


def moderation_card(comment: CommentView, article_title: str) -> Reply:
    """The message moderators act on; once decided it shows who decided and has no buttons."""
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
                ActionButton(label="✅ Approve", action=action_id("m", "a", comment.id)),
                ActionButton(
                    label="❌ Reject",
                    action=action_id("m", "r", comment.id),
                    input=REASON_INPUT,
                ),
            ],
            [
                ActionButton(label="🗑 Spam", action=action_id("m", "s", comment.id)),
                ActionButton(label="⛔ Ban author", action=action_id("m", "b", comment.id)),
            ],
        ]
        return reply(*blocks, buttons=buttons)
    decided = _DECIDED.get(comment.status, comment.status.value)
    by = f" by {comment.decided_by_name}" if comment.status is not Status.WITHDRAWN else ""
    reason = f": {comment.decision_reason}" if comment.decision_reason else ""
    blocks.append(paragraph(Span.bold(f"{decided}{by}{reason}")))
    return reply(*blocks)


def erased_card(comment_id: int, article_title: str) -> Reply:
    """What every card of an erased comment becomes: no text, name, id or buttons."""
    return reply(
        heading(f"Comment #{comment_id} on “{article_title}”"),
        paragraph(Span.bold(ERASED_NOTE)),
    )


def author_notice(comment: CommentView, article_title: str) -> Reply | None:
    """What the author is told about a moderator's decision."""
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
