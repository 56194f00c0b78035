"""Publishing: `/publish <article>` posts its card to every announce channel, once."""

from __future__ import annotations

from sqlalchemy.orm import Session

from core.actors import Request
from core.commands import Argument, Audience, Router
from core.context import Context
from core.errors import UserError
from core.events import PublishRequested
from core.idempotency import Effect
from core.outcome import Outcome
from core.publishing import queries
from core.publishing.report import target_lines, when
from core.replies import Block
from core.replies.build import heading, paragraph, reply

router = Router()


def _usage(ctx: Context) -> str:
    slugs = ", ".join(article.slug for article in ctx.library.articles)
    example = ctx.library.default_article.slug
    return f"Please name the article, like /publish {example}. Articles: {slugs}."


def _parse(ctx: Context, args: str) -> tuple[str, bool]:
    words = args.split()
    if not words or len(words) > 2 or (len(words) == 2 and words[1].lower() != "again"):
        raise UserError(_usage(ctx))
    slug = words[0].lstrip("/#").lower()
    if ctx.library.article(slug) is None:
        raise UserError(f"There is no article {words[0][:40]}. {_usage(ctx)}")
    return slug, len(words) == 2


@router.command(
    "publish",
    "Post an article's card to the announce channels",
    Argument("article", "article name", required=True),
    Argument("again", "again: post it anew"),
    audience=Audience.MODERATOR,
    mutates=True,
)
async def publish(ctx: Context, request: Request, args: str) -> Outcome:
    """Post an article's card to every announce channel once; `again` posts it anew."""
    slug, again = _parse(ctx, args)
    requester = request.actor.key

    def work(session: Session) -> Effect:
        last = None if again else queries.latest(session, slug)
        if last is None:
            publication = queries.request(session, slug, ctx.clock(), requester)
            said = (
                f"Publishing /{slug} to the announce channels (round {publication.round}). "
                "I'll tell you how it went."
            )
            return Effect(
                reply(paragraph(said), ephemeral=True),
                [PublishRequested(publication.id, slug, requester)],
            )
        cards = queries.cards_of(session, last.id)  # as they stood, failures and all
        retried = queries.forget_failures(session, last.id)
        blocks: list[Block] = [
            heading(f"/{slug} was published on {when(last.requested_at)}"),
            *target_lines(cards),
        ]
        if retried or not cards:
            # Targets that refused are tried again (and a round no target has seen yet, e.g.
            # while its platform was down): those posted already are left as they are.
            blocks.append(paragraph("Trying the channels not posted to again: I'll tell you."))
            events = [PublishRequested(last.id, slug, requester)]
        else:
            blocks.append(paragraph(f"To post it anew, send /publish {slug} again."))
            events = []
        return Effect(reply(*blocks, ephemeral=True), list(events))

    return await ctx.once(request, work)
