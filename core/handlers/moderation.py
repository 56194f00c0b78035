"""Moderators: the queue, decisions (compare-and-set), bans, export."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from dataclasses import asdict
from functools import partial

from attrs import evolve
from sqlalchemy.orm import Session

from core.actions import Moderate, Move
from core.actors import Request
from core.commands import Argument, Audience, Router
from core.comments import queries
from core.comments.cards import (
    MOVE_LABEL,
    REASON_INPUT,
    VERB,
    author_notice,
    decided_by,
    moderation_card,
    move_button,
)
from core.comments.service import BAN_LENGTHS, BanRecord, parse_until
from core.comments.views import CommentView, Status
from core.context import Context
from core.errors import UserError
from core.events import CommentDecided
from core.handlers.common import parse_id, parse_page
from core.idempotency import Effect
from core.outcome import Outcome
from core.replies import Attachment, Block, Button, Reply, Span
from core.replies.build import heading, item, message, paragraph, quote, reply

router = Router()
MODERATOR = Audience.MODERATOR
QUEUE_PAGE = 5
EXPORT_PAGE = 500  # comments per read: each page holds the event loop for a few ms
BAN_USAGE = (
    "Usage: /ban <#comment or platform:user_id> <30m | 12h | 7d | 2w | 2026-12-31 | forever> "
    f"[reason]. The length is one of {BAN_LENGTHS}."
)
COMMENT = Argument("comment", "comment number", required=True, kind=int)


async def decide(
    ctx: Context,
    request: Request,
    comment_id: int,
    status: Status,
    reason: str | None,
    *,
    seen: Status = Status.PENDING,
    from_card: bool,
    ban_author: bool = False,
) -> Outcome:
    """Move the comment from `seen` to `status` (compare-and-set), and ban its author too."""

    def work(session: Session) -> Effect:
        ban = None
        if ban_author:
            # The moderator judged the author by what they read: the ban stands whatever
            # became of the comment meanwhile (decided, even withdrawn), and the answer
            # says so; only an erased comment leaves nobody to ban.
            author_key = queries.author_of(session, comment_id)
            if author_key is None:
                raise UserError(f"There is no comment #{comment_id}.")
            ban = ctx.comments.ban(session, request.actor, author_key, until=None, reason=reason)
        decision = ctx.comments.decide(
            session, request.actor, comment_id, status, reason, seen=seen
        )
        view = decision.comment
        title = ctx.library.title_of(view.article_slug)
        card = moderation_card(view, title)
        if not decision.won:
            said = _not_decided(view, status, seen, ban)
            return Effect(said, comment_id=comment_id)
        notice = None
        if decision.tells_author:
            notice = author_notice(view, title, taken_down=seen is Status.APPROVED)
        shown = evolve(card, edit_in_place=from_card)
        pressed = request.message if from_card else None
        return Effect(shown, [CommentDecided(view, card, notice, pressed)], comment_id=comment_id)

    return await ctx.once(request, work)


@router.command(
    "pending", "Comments waiting for a decision", Argument("page", "page", kind=int),
    audience=MODERATOR,
)  # fmt: skip
async def pending(ctx: Context, request: Request, args: str) -> Reply:
    """Comments waiting for a decision, oldest first."""
    page = parse_page(args)
    total, views = await ctx.database.read(
        lambda session: (
            queries.count_pending(session),
            queries.pending(session, limit=QUEUE_PAGE * page),
        )
    )
    views = views[(page - 1) * QUEUE_PAGE :]
    if not views:
        return message("The queue is empty. 🎉", ephemeral=True)
    blocks: list[Block] = [heading(f"Waiting for a decision: {total}")]
    buttons: list[list[Button]] = []
    for view in views:
        title = ctx.library.title_of(view.article_slug)
        blocks.append(item(Span.bold(f"#{view.id}"), f" by {view.author_name} on “{title}”"))
        blocks.append(quote(view.text))
        if view.hold_reasons:
            blocks.append(paragraph(Span.italic("Held: " + "; ".join(view.hold_reasons))))
        buttons.append(
            [
                move_button(view.id, to, Status.PENDING, f"{MOVE_LABEL[to][:1]} #{view.id}")
                for to in (Status.APPROVED, Status.REJECTED, Status.SPAM)
            ]
        )
    if total > page * QUEUE_PAGE:
        blocks.append(paragraph(f"More: /pending {page + 1}"))
    return reply(*blocks, buttons=buttons, ephemeral=True)


def _id_and_rest(args: str) -> tuple[int, str]:
    first, _, rest = args.strip().partition(" ")
    return parse_id(first), rest.strip()


@router.command("approve", "Publish a comment", COMMENT, audience=MODERATOR, mutates=True)
async def approve(ctx: Context, request: Request, args: str) -> Outcome:
    """Publish a pending comment."""
    comment_id, _ = _id_and_rest(args)
    return await decide(ctx, request, comment_id, Status.APPROVED, None, from_card=False)


@router.command(
    "reject",
    "Turn a comment down, optionally with a reason",
    COMMENT,
    Argument("reason", "why (told to the author)", rest=True),
    audience=MODERATOR,
    mutates=True,
)
async def reject(ctx: Context, request: Request, args: str) -> Outcome:
    """Turn down a pending comment, optionally saying why."""
    comment_id, reason = _id_and_rest(args)
    return await decide(ctx, request, comment_id, Status.REJECTED, reason or None, from_card=False)


@router.command("spam", "Mark a comment as spam", COMMENT, audience=MODERATOR, mutates=True)
async def spam(ctx: Context, request: Request, args: str) -> Outcome:
    """Mark a pending comment as spam."""
    comment_id, _ = _id_and_rest(args)
    return await decide(ctx, request, comment_id, Status.SPAM, None, from_card=False)


@router.command(
    "ban",
    "Stop an author commenting, until a time or forever",
    Argument("author", "#comment or platform:user_id", required=True),
    Argument("until", "30m, 12h, 7d, 2w, 2026-12-31 or forever", required=True),
    Argument("reason", "why", rest=True),
    audience=MODERATOR,
    mutates=True,
)
async def ban(ctx: Context, request: Request, args: str) -> Outcome:
    """Stop an author from commenting until a time, or forever."""
    parts = args.split(maxsplit=2)
    if len(parts) < 2:  # no length: refused, never read as a permanent ban
        raise UserError(BAN_USAGE)
    who, until_token = parts[0], parts[1]
    reason = parts[2].strip() if len(parts) > 2 else ""
    until = parse_until(until_token, ctx.clock())

    def work(session: Session) -> Effect:
        author_key = _author_key(session, who)
        record = ctx.comments.ban(
            session, request.actor, author_key, until=until, reason=reason or None
        )
        return Effect(message(f"{banned(record)}.", ephemeral=True), subject_key=author_key)

    return await ctx.once(request, work)


@router.command(
    "unban",
    "Let an author comment again",
    Argument("author", "#comment or platform:user_id", required=True),
    audience=MODERATOR,
    mutates=True,
)
async def unban(ctx: Context, request: Request, args: str) -> Outcome:
    """Let a banned author comment again."""
    who = args.strip()
    if not who:
        raise UserError("Usage: /unban <#comment or platform:user_id>")

    def work(session: Session) -> Effect:
        author_key = _author_key(session, who)
        lifted = ctx.comments.unban(session, request.actor, author_key)
        said = f"{author_key} may comment again." if lifted else f"{author_key} was not banned."
        return Effect(message(said, ephemeral=True), subject_key=author_key)

    return await ctx.once(request, work)


@router.command("export", "All comments as JSON and CSV", audience=MODERATOR)
async def export(ctx: Context, request: Request, args: str) -> Reply:
    """Every comment as JSON and CSV, for operators."""
    # Page by page, and the files built on a worker thread: the event loop is shared, and
    # one export of a large store held it for seconds, so no other interaction could even
    # be acknowledged in time (bench.discord_interactions --slow export).
    rows: list[dict[str, object]] = []
    after = 0
    while True:
        views = await ctx.database.read(
            partial(queries.all_comments, after_id=after, limit=EXPORT_PAGE)
        )
        rows.extend(_export_row(v) for v in views)
        if len(views) < EXPORT_PAGE:
            break
        after = views[-1].id
    bans = await ctx.database.read(ctx.comments.bans)
    as_json, as_csv = await asyncio.to_thread(_export_files, rows, bans)
    stamp = f"{ctx.clock():%Y%m%d-%H%M%S}"
    return Reply(
        blocks=(paragraph(f"Export of {len(rows)} comment(s) and {len(bans)} active ban(s)."),),
        attachments=(
            Attachment(
                filename=f"comments-{stamp}.json", media_type="application/json", content=as_json
            ),
            Attachment(filename=f"comments-{stamp}.csv", media_type="text/csv", content=as_csv),
        ),
        ephemeral=True,
    )


@router.action(
    Moderate,
    moderators_only=True,
    input_for=lambda action, ctx: REASON_INPUT if action.move is Move.REJECT else None,
)
async def press(ctx: Context, request: Request, action: Moderate, text: str | None) -> Outcome:
    """A moderator's button on a card or in the queue."""
    banning = action.move is Move.BAN
    reason = "author banned" if banning else (text or "").strip() or None
    return await decide(
        ctx,
        request,
        action.comment_id,
        action.move.status,
        reason,
        seen=action.seen.status,
        from_card=True,
        ban_author=banning,
    )


def _not_decided(view: CommentView, wanted: Status, seen: Status, ban: BanRecord | None) -> Reply:
    """The answer to a decision that changed nothing: the comment is no longer as the moderator
    saw it. Says what it is now (and what a ban did), with a button to make the change anyway
    from there, which names the status now seen."""
    number, state = f"Comment #{view.id}", VERB[view.status]
    by = "" if view.status is Status.PENDING else f" {decided_by(view)}"
    if view.status is Status.WITHDRAWN:
        said = f"{number} was withdrawn by its author."
    elif view.status is Status.ERASED:
        said = f"{number} was erased at its author's request."
    elif ban is not None:
        said = f"{number} stays {state}{f' ({by.strip()})' if by else ''}."
    elif view.status is wanted or seen is Status.PENDING:
        said = f"{number} was already {state}{by}."
    else:
        said = f"{number} is now {state}{by}."
    if ban is not None:
        said = f"{banned(ban)}. {said}"
    movable = view.status is not wanted and view.status not in (Status.WITHDRAWN, Status.ERASED)
    if ban is not None or not movable:
        return message(said, ephemeral=True)
    label = f"{MOVE_LABEL[wanted]} #{view.id}"
    return reply(
        paragraph(said),
        buttons=[[move_button(view.id, wanted, view.status, label)]],
        ephemeral=True,
    )


def banned(record: BanRecord) -> str:
    """What a ban means, in words: until when, or with no end."""
    if record.until is None:
        return f"{record.author_key} may not comment any more"
    return f"{record.author_key} may not comment until {record.until:%Y-%m-%d %H:%M} UTC"


def _author_key(session: Session, who: str) -> str:
    if ":" in who:
        return who
    key = queries.author_of(session, parse_id(who))
    if key is None:
        raise UserError(f"There is no comment {who}.")
    return key


_EXPORT_FIELDS = (
    "id",
    "article_slug",
    "author_platform",
    "author_user_id",
    "author_name",
    "text",
    "status",
    "hold_reasons",
    "created_at",
    "decided_at",
    "decided_by_name",
    "decision_reason",
    "delivery",
)


def _jsonable(values: dict[str, object]) -> dict[str, object]:
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in values.items()}


def _export_files(rows: list[dict[str, object]], bans: list[BanRecord]) -> tuple[bytes, bytes]:
    """The export's JSON and CSV files."""
    as_json = json.dumps(
        {"comments": rows, "bans": [_jsonable(asdict(b)) for b in bans]},
        ensure_ascii=False,
        indent=2,
    ).encode()
    buffer = io.StringIO()
    # Every cell quoted, and none able to start a formula (OWASP, CSV Injection).
    writer = csv.DictWriter(buffer, fieldnames=list(_EXPORT_FIELDS), quoting=csv.QUOTE_ALL)
    writer.writeheader()
    writer.writerows({k: _as_text_cell(v) for k, v in row.items()} for row in rows)
    return as_json, buffer.getvalue().encode()


# What makes a spreadsheet run a cell as a formula: these first, in some after leading
# whitespace, in some in full-width form.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


def _as_text_cell(value: object) -> object:
    """A cell a spreadsheet shows as text: one that could start a formula gets a leading '."""
    if isinstance(value, str) and (
        value.startswith(_FORMULA_START) or value.lstrip().startswith(_FORMULA_START)
    ):
        return "'" + value
    return value


def _export_row(view: CommentView) -> dict[str, object]:
    row = _jsonable({name: getattr(view, name) for name in _EXPORT_FIELDS})
    row["hold_reasons"] = "; ".join(view.hold_reasons)
    row["status"] = str(view.status)
    row["delivery"] = str(view.delivery)
    return row
