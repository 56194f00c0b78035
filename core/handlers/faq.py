"""/faq: the list of questions, and answers by confidence to what readers ask."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import caps
from core.actions import action_id
from core.actors import Request
from core.commands import Argument, Audience, CommandSpec
from core.content.models import Article, FaqEntry
from core.faq.matcher import MatchBand
from core.faq.normalize import normalize
from core.handlers.common import pick_article
from core.idempotency import Effect
from core.outcome import Outcome
from core.replies import ActionButton, Button, Reply, Span
from core.replies.build import heading, item, paragraph, reply
from core.store.tables import UnansweredQuestion
from core.store.upsert import insert_for

if TYPE_CHECKING:
    from core.app import Core

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
                ActionButton(label="📰 Read the summary", action=action_id("a", article.slug)),
                ActionButton(label="❓ More questions", action=action_id("fl", article.slug)),
            ]
        ],
        edit_in_place=edit,
    )


def answer_by_id(core: Core, entry_id: str, slug: str | None = None) -> Reply | None:
    found = core.faq.find(entry_id, slug)
    return answer(*found) if found else None


def question_list(article: Article, *, edit: bool = False) -> Reply:
    entries = article.faq[:LISTED_QUESTIONS]
    buttons: list[list[Button]] = [
        [ActionButton(label=e.question[:64], action=action_id("f", article.slug, e.id))]
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


def install(core: Core) -> None:
    # The content is fixed for the core's life: each answer and list is built once and shared,
    # so the replay cache holds references, not a copy per reader (and no rebuild per event).
    answers: dict[tuple[str, str], Reply] = {}
    lists: dict[str, Reply] = {}

    def shared_answer(article: Article, entry: FaqEntry) -> Reply:
        key = (article.slug, entry.id)
        if (built := answers.get(key)) is None:
            built = answers[key] = answer(article, entry)
        return built

    def shared_list(article: Article) -> Reply:
        if (built := lists.get(article.slug)) is None:
            built = lists[article.slug] = question_list(article)
        return built

    async def faq(request: Request, args: str) -> Reply | Outcome:
        """List the questions, or answer the one asked."""
        article, question = pick_article(core, args)
        if not question:
            return shared_list(article)
        question = question[:MAX_QUESTION]
        found = core.faq.match(question)
        match = found.match
        if match.band in (MatchBand.EXACT, MatchBand.STRONG) and match.entry is not None:
            return shared_answer(found.article, match.entry)
        if match.band is MatchBand.SUGGEST and match.suggestions:
            return reply(
                paragraph("I'm not sure I understood. Did you mean:"),
                buttons=[
                    [
                        ActionButton(
                            label=e.question[:64], action=action_id("f", found.article.slug, e.id)
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
                [ActionButton(label="❓ See all questions", action=action_id("fl", article.slug))]
            ],
        )
        now = core.clock()

        def passed_on_once(session: Session) -> Effect:
            count_unanswered(session, article.slug, question, now, request.actor.key)
            return Effect(passed_on)

        # Keyed by the event: handled again after a crash, the question is counted once.
        return await core.once(request, passed_on_once)

    async def unanswered(request: Request, args: str) -> Reply:
        """Questions readers asked that the FAQ could not answer, most asked first."""
        rows = await core.database.read(
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

    core.registry.add(
        CommandSpec(
            "faq",
            "Questions and answers; ask your own",
            (Argument("question", "what you want to know", rest=True),),
        ),
        faq,
    )
    core.registry.add(
        CommandSpec(
            "unanswered", "Questions the FAQ could not answer", audience=Audience.MODERATOR
        ),
        unanswered,
    )

    async def show_answer(request: Request, args: list[str], text: str | None = None) -> Reply:
        if len(args) == 2 and (found := core.faq.find(args[1], args[0])) is not None:
            return shared_answer(*found)
        return reply(paragraph("That question is no longer in the FAQ. Send /faq for the list."))

    async def show_list(request: Request, args: list[str], text: str | None = None) -> Reply:
        article = core.library.article(args[0]) if args else None
        return shared_list(article or core.library.default_article)

    core.actions.add("f", show_answer)
    core.actions.add("fl", show_list)
