"""/faq: the list of questions, and answers by confidence to what readers ask."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import caps
from core.actions import ListQuestions, ShowAnswer, ShowSummary
from core.actors import Request
from core.commands import Argument, Audience, Router
from core.content.models import Article, FaqEntry
from core.context import Context
from core.faq.matcher import MatchBand
from core.faq.normalize import normalize
from core.handlers.common import pick_article
from core.idempotency import Effect
from core.outcome import Outcome
from core.replies import ActionButton, Button, Reply, Span
from core.replies.build import heading, item, paragraph, reply
from core.store.tables import UnansweredQuestion
from core.store.upsert import insert_for

router = Router()
MAX_QUESTION = 500
LISTED_QUESTIONS = 30
# Questions one reader can add to the editors' list a day; beyond, they are answered the same
# way and nothing is stored, so no reader can fill the store or the list.
UNANSWERED_PER_DAY = 20


def answer(article: Article, entry: FaqEntry, *, edit: bool = False) -> Reply:
    return reply(
        heading(entry.question),
        paragraph(entry.answer),
        paragraph(Span.italic(f"From “{article.title}”")),
        buttons=[
            [
                ActionButton(label="📰 Read the summary", action=ShowSummary(article.slug).pack()),
                ActionButton(label="❓ More questions", action=ListQuestions(article.slug).pack()),
            ]
        ],
        edit_in_place=edit,
    )


def answer_by_id(ctx: Context, entry_id: str, slug: str | None = None) -> Reply | None:
    found = ctx.faq.find(entry_id, slug)
    return shared_answer(ctx, *found) if found else None


def shared_answer(ctx: Context, article: Article, entry: FaqEntry) -> Reply:
    """An answer built once for the content's life and shared by every reader."""
    return ctx.shared(f"answer:{article.slug}:{entry.id}", lambda: answer(article, entry))


def shared_list(ctx: Context, article: Article) -> Reply:
    return ctx.shared(f"questions:{article.slug}", lambda: question_list(article))


def question_list(article: Article, *, edit: bool = False) -> Reply:
    entries = article.faq[:LISTED_QUESTIONS]
    buttons: list[list[Button]] = [
        [ActionButton(label=e.question[:64], action=ShowAnswer(article.slug, e.id).pack())]
        for e in entries
    ]
    return reply(
        heading(f"Questions about “{article.title}”"),
        paragraph("Tap a question, or ask your own: ", Span.code("/faq how much money")),
        buttons=buttons,
        edit_in_place=edit,
    )


def count_unanswered(
    session: Session, slug: str, question: str, now: datetime, asker_key: str
) -> None:
    """Count a question nobody could answer, for the editors' /unanswered list."""
    normalized = normalize(question)[:MAX_QUESTION]
    if not normalized:
        return
    if not caps.take(session, "unanswered", asker_key, now.date(), UNANSWERED_PER_DAY):
        return
    # One statement: processes sharing PostgreSQL may count the same question at once.
    insert = insert_for(session, UnansweredQuestion)
    session.execute(
        insert.values(
            article_slug=slug,
            normalized=normalized,
            example=question[:MAX_QUESTION],
            times_asked=1,
            last_asked_at=now,
        ).on_conflict_do_update(
            index_elements=["article_slug", "normalized"],
            set_={"times_asked": UnansweredQuestion.times_asked + 1, "last_asked_at": now},
        )
    )


@router.command(
    "faq",
    "Questions and answers; ask your own",
    Argument("question", "what you want to know", rest=True),
    free_text=True,
    autocompletes="question",
)
async def faq(ctx: Context, request: Request, args: str) -> Reply | Outcome:
    """List the questions, or answer the one asked."""
    article, question = pick_article(ctx, args)
    if not question:
        return shared_list(ctx, article)
    question = question[:MAX_QUESTION]
    found = ctx.faq.match(question)
    match = found.match
    if match.band in (MatchBand.EXACT, MatchBand.STRONG) and match.entry is not None:
        return shared_answer(ctx, found.article, match.entry)
    if match.band is MatchBand.SUGGEST and match.suggestions:
        return reply(
            paragraph("I'm not sure I understood. Did you mean:"),
            buttons=[
                [
                    ActionButton(
                        label=e.question[:64], action=ShowAnswer(found.article.slug, e.id).pack()
                    )
                ]
                for e in match.suggestions
            ],
        )
    passed_on = reply(
        paragraph(
            "I don't have an answer to that yet; I've passed your question on to our editors."
        ),
        paragraph("You can also leave a comment with ", Span.code("/comment your text"), "."),
        buttons=[
            [ActionButton(label="❓ See all questions", action=ListQuestions(article.slug).pack())]
        ],
    )
    now = ctx.clock()

    def passed_on_once(session: Session) -> Effect:
        count_unanswered(session, article.slug, question, now, request.actor.key)
        return Effect(passed_on)

    # Keyed by the event: handled again after a crash, the question is counted once.
    return await ctx.once(request, passed_on_once)


@router.command("unanswered", "Questions the FAQ could not answer", audience=Audience.MODERATOR)
async def unanswered(ctx: Context, request: Request, args: str) -> Reply:
    """Questions readers asked that the FAQ could not answer, most asked first."""
    rows = await ctx.database.read(
        lambda session: list(
            session.scalars(
                select(UnansweredQuestion)
                .order_by(UnansweredQuestion.times_asked.desc(), UnansweredQuestion.id)
                .limit(20)
            )
        )
    )
    if not rows:
        return reply(paragraph("Every question so far had an answer."))
    return reply(
        heading("Unanswered questions"),
        *(
            item(f"{r.times_asked}× ", Span.italic(r.example), f" (#{r.article_slug})")
            for r in rows
        ),
    )


@router.action(ShowAnswer)
async def show_answer(
    ctx: Context, request: Request, action: ShowAnswer, text: str | None
) -> Reply:
    """The answer to a question tapped in a list."""
    if (found := ctx.faq.find(action.entry_id, action.slug)) is not None:
        return shared_answer(ctx, *found)
    return reply(paragraph("That question is no longer in the FAQ. Send /faq for the list."))


@router.action(ListQuestions)
async def show_list(
    ctx: Context, request: Request, action: ListQuestions, text: str | None
) -> Reply:
    """The article's questions."""
    article = ctx.library.article(action.slug)
    return shared_list(ctx, article or ctx.library.default_article)
