"""Readers' comments: list, preview and confirm, my comments, withdraw, erase my data."""

from __future__ import annotations

from dataclasses import replace

from attrs import evolve
from sqlalchemy.orm import Session

from core.actions import (
    Answer,
    CancelDraft,
    CommentsPage,
    ForgetMe,
    OpenCommentForm,
    SendDraft,
    Withdraw,
)
from core.actors import Request
from core.commands import Argument, Router
from core.comments import queries
from core.comments.cards import (
    PRIVACY_LINE,
    comment_button,
    comment_input,
    erased_card,
    moderation_card,
    own_entry,
    public_entry,
)
from core.comments.erasure import Erasure
from core.comments.views import CommentView, Status
from core.content.models import Article
from core.context import Context
from core.errors import UserError
from core.events import CommentDecided, CommentQueued, CountChanged, Event
from core.handlers.common import article_by_slug, parse_id, parse_page, pick_article
from core.idempotency import Effect
from core.outcome import Outcome
from core.replies import ActionButton, Block, Button, Reply, Span
from core.replies.build import heading, message, paragraph, quote, reply
from core.store.tables import CommentDraft

router = Router()
PAGE_SIZE = 5
MY_COMMENTS = 10


async def comments_page(ctx: Context, article: Article, page: int, *, edit: bool) -> Reply:
    views, total = await ctx.database.read(
        lambda session: queries.approved_page(
            session, article.slug, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE
        )
    )
    if total == 0:
        return reply(
            paragraph(f"No comments on “{article.title}” yet."),
            paragraph("Be the first: ", Span.code("/comment your text")),
            buttons=[[comment_button(article.slug, ctx.comment_limit)]],
            edit_in_place=edit,
        )
    pages = (total + PAGE_SIZE - 1) // PAGE_SIZE
    page = min(page, pages)
    if not views:  # asked past the end: show the last page
        return await comments_page(ctx, article, pages, edit=edit)
    blocks: list[Block] = [heading(f"Comments on “{article.title}” · page {page} of {pages}")]
    for view in views:
        blocks.extend(public_entry(view))
    nav: list[Button] = []
    if page > 1:
        nav.append(
            ActionButton(label="◀ Newer", action=CommentsPage(article.slug, page - 1).pack())
        )
    if page < pages:
        nav.append(
            ActionButton(label="Older ▶", action=CommentsPage(article.slug, page + 1).pack())
        )
    return reply(
        *blocks,
        buttons=[nav, [comment_button(article.slug, ctx.comment_limit)]],
        edit_in_place=edit,
    )


def prompt(article: Article, *, default: bool) -> Reply:
    target = "comment" if default else f"comment #{article.slug}"
    return Reply(
        blocks=(
            paragraph(f"Send your comment on “{article.title}” as your next message."),
            paragraph(Span.italic(PRIVACY_LINE)),
        ),
        awaits_text_for=target,
    )


def submitted(view: CommentView, *, privacy_line: bool = False) -> Reply:
    if view.status is Status.APPROVED:
        text = f"Thank you! Your comment #{view.id} is published."
    else:
        text = (
            f"Thank you! Your comment #{view.id} is waiting for a moderator. "
            "I'll tell you when it is decided; /mycomments shows its status."
        )
    blocks = [paragraph(text)]
    if privacy_line:  # a form had no preview that showed it
        blocks.append(paragraph(Span.italic(PRIVACY_LINE)))
    return Reply(blocks=tuple(blocks), edit_in_place=True)


def intake_events(ctx: Context, view: CommentView) -> list[Event]:
    if view.status is not Status.PENDING:
        return []
    title = ctx.library.title_of(view.article_slug)
    return [CommentQueued(view, moderation_card(view, title))]


def store_comment(
    ctx: Context,
    session: Session,
    request: Request,
    article: Article,
    text: str,
    display_name: str | None,
    *,
    from_form: bool = False,
) -> Effect:
    view = ctx.comments.submit(
        session,
        request.actor,
        article_slug=article.slug,
        text=text,
        display_name=display_name,
        exempt_from_flood=ctx.is_moderator(request.actor),
    )
    return Effect(
        submitted(view, privacy_line=from_form), intake_events(ctx, view), comment_id=view.id
    )


async def submit_form(
    ctx: Context, request: Request, text: str, display_name: str | None, slug: str | None
) -> Outcome:
    """A completed comment form (no preview step): store it straight away."""
    article = article_by_slug(ctx, slug) if slug else ctx.library.default_article
    outcome = await ctx.once(
        request,
        lambda s: store_comment(ctx, s, request, article, text, display_name, from_form=True),
    )
    # Only the reply changes: the outcome's confirm_key and redeliver must reach the adapter,
    # or the reply is never confirmed delivered and every replay sends it again.
    shown = evolve(outcome.reply, edit_in_place=False, ephemeral=True)
    return replace(outcome, reply=shown)


def erased_reply(erasure: Erasure) -> Reply:
    """What /forgetme did and exactly what is kept."""
    kept = (
        "We keep no text, name or id of yours. The moderation log still records that "
        "comments were erased and what moderators decided, without naming you"
    )
    if erasure.ban_kept:
        kept += (
            ". A moderator's ban on you keeps holding: it is kept as a one-way fingerprint "
            "of your account, which names no one"
        )
    return Reply(
        blocks=(
            paragraph(
                f"Done: {erasure.erased} comment(s) erased, with your previews and stored "
                "replies. Moderators' copies now say the comment was erased at your request."
            ),
            paragraph(kept + "."),
        ),
        edit_in_place=True,
    )


def decided_elsewhere_events(ctx: Context, views: list[CommentView]) -> list[Event]:
    events: list[Event] = []
    for view in views:
        card = moderation_card(view, ctx.library.title_of(view.article_slug))
        events.append(CommentDecided(view, card, None))
    return events


@router.command(
    "comments", "What readers say (approved comments)", Argument("page", "page number", kind=int)
)
async def comments(ctx: Context, request: Request, args: str) -> Reply:
    """Approved comments on an article, newest first."""
    article, rest = pick_article(ctx, args)
    return await comments_page(ctx, article, parse_page(rest), edit=False)


@router.command(
    "comment",
    "Leave a comment for the moderators to approve",
    Argument("text", "your comment", required=True, rest=True),
    mutates=True,
    personal=True,
    form=True,
)
async def comment(ctx: Context, request: Request, args: str) -> Outcome | Reply:
    """Preview a comment before it goes to the moderators."""
    article, text = pick_article(ctx, args)
    if not text:
        return prompt(article, default=article is ctx.library.default_article)

    def work(session: Session) -> Effect:
        draft_id = ctx.comments.save_draft(
            session,
            request.actor,
            chat_id=request.chat_id,
            article_slug=article.slug,
            text=text,
        )
        draft = session.get(CommentDraft, draft_id)
        assert draft is not None
        return Effect(
            reply(
                heading(f"Your comment on “{article.title}”"),
                quote(draft.text),
                paragraph("Shown as ", Span.bold(draft.author_name), "."),
                paragraph(Span.italic(PRIVACY_LINE)),
                buttons=[
                    [
                        ActionButton(label="✅ Send", action=SendDraft(draft_id).pack()),
                        ActionButton(label="✖ Cancel", action=CancelDraft(draft_id).pack()),
                    ]
                ],
            )
        )

    return await ctx.once(request, work)


@router.action(SendDraft, mutates=True, personal=True)
async def confirm(ctx: Context, request: Request, action: SendDraft, text: str | None) -> Outcome:
    """Send the previewed comment to the moderators."""

    def work(session: Session) -> Effect:
        draft = ctx.comments.take_draft(session, request.actor, action.draft_id)
        article = article_by_slug(ctx, draft.article_slug)
        return store_comment(ctx, session, request, article, draft.text, draft.author_name)

    return await ctx.once(request, work)


@router.action(CancelDraft, mutates=True, personal=True)
async def cancel(ctx: Context, request: Request, action: CancelDraft, text: str | None) -> Outcome:
    """Discard the preview."""

    def work(session: Session) -> Effect:
        ctx.comments.take_draft(session, request.actor, action.draft_id)
        return Effect(
            Reply(blocks=(paragraph("Cancelled: nothing was sent."),), edit_in_place=True)
        )

    return await ctx.once(request, work)


@router.command("mycomments", "Your comments and their status", personal=True)
async def mycomments(ctx: Context, request: Request, args: str) -> Reply:
    """Your comments and what became of them."""
    views = await ctx.database.read(
        lambda session: queries.by_author(session, request.actor, MY_COMMENTS)
    )
    if not views:
        return message("You have not commented yet. /comment adds one.", ephemeral=True)
    blocks: list[Block] = [heading("Your comments")]
    buttons: list[list[Button]] = []
    for view in views:
        blocks.extend(own_entry(view, ctx.library.title_of(view.article_slug)))
        if view.status is Status.PENDING:
            buttons.append(
                [ActionButton(label=f"↩️ Withdraw #{view.id}", action=Withdraw(view.id).pack())]
            )
    return reply(*blocks, buttons=buttons, ephemeral=True)


async def withdraw_comment(ctx: Context, request: Request, comment_id: int) -> Outcome:
    def work(session: Session) -> Effect:
        view = ctx.comments.withdraw(session, request.actor, comment_id)
        return Effect(
            message(f"Comment #{comment_id} is withdrawn.", ephemeral=True),
            decided_elsewhere_events(ctx, [view]),
            comment_id=comment_id,
        )

    return await ctx.once(request, work)


@router.command(
    "withdraw",
    "Withdraw your pending comment",
    Argument("comment", "comment number", required=True, kind=int),
    mutates=True,
    personal=True,
)
async def withdraw(ctx: Context, request: Request, args: str) -> Outcome:
    """Withdraw one of your comments while it is still pending."""
    return await withdraw_comment(ctx, request, parse_id(args))


@router.action(Withdraw, mutates=True, personal=True)
async def press_withdraw(
    ctx: Context, request: Request, action: Withdraw, text: str | None
) -> Outcome:
    """Withdraw the comment the button names."""
    return await withdraw_comment(ctx, request, action.comment_id)


@router.command("forgetme", "Erase all your comments", personal=True)
async def forgetme(ctx: Context, request: Request, args: str) -> Reply:
    """Erase every comment you have sent (asks first)."""
    # The buttons name who asked: in a group anyone can press them.
    asker = request.actor.user_id
    return reply(
        paragraph(
            "This erases every comment you have sent, published or not, and cannot be "
            "undone. Are you sure?"
        ),
        buttons=[
            [
                ActionButton(
                    label="🗑 Yes, erase everything", action=ForgetMe(Answer.YES, asker).pack()
                ),
                ActionButton(label="✖ No", action=ForgetMe(Answer.NO, asker).pack()),
            ]
        ],
        ephemeral=True,
    )


@router.action(ForgetMe, mutates=True, personal=True)
async def forget(
    ctx: Context, request: Request, action: ForgetMe, text: str | None
) -> Outcome | Reply:
    """Erase, or not, as the asker answered."""
    if not action.asker:  # a button from before buttons named their asker
        raise UserError("That button has expired. Send /forgetme to start again.")
    if action.asker != request.actor.user_id:
        raise UserError("That button isn't yours: send /forgetme to erase your own data.")
    if action.answer is not Answer.YES:
        return Reply(blocks=(paragraph("Nothing was erased."),), edit_in_place=True)

    def work(session: Session) -> Effect:
        erasure = ctx.comments.erase(session, request.actor)
        title = ctx.library.title_of
        events: list[Event] = [
            CommentDecided(v, erased_card(v.id, title(v.article_slug)), None)
            for v in erasure.carded
        ]
        events += [CountChanged(slug) for slug in sorted(erasure.recounted)]
        return Effect(erased_reply(erasure), events, anonymous=True)

    outcome = await ctx.once(request, work)
    await ctx.conversations.drop_person(request.actor.platform, request.actor.user_id)
    return outcome


@router.action(CommentsPage)
async def open_page(
    ctx: Context, request: Request, action: CommentsPage, text: str | None
) -> Reply:
    """Another page of comments, in place."""
    article = article_by_slug(ctx, action.slug)
    return await comments_page(ctx, article, parse_page(str(action.page)), edit=True)


@router.action(
    OpenCommentForm,
    mutates=True,
    personal=True,
    input_for=lambda action, ctx: comment_input(ctx.comment_limit),
)
async def open_prompt(
    ctx: Context, request: Request, action: OpenCommentForm, text: str | None
) -> Outcome | Reply:
    """Ask for a comment on the article (or take it, typed into the button's form)."""
    article = article_by_slug(ctx, action.slug)
    if text is not None:  # typed into the button's form: nothing left to preview
        return await submit_form(ctx, request, text, None, article.slug)
    return prompt(article, default=article is ctx.library.default_article)
