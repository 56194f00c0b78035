"""Reading: /start, /help, /links and one command per article with its sections."""

from __future__ import annotations

from collections.abc import Iterable

from attrs import evolve

from core.actions import (
    Action,
    CommentsPage,
    ListQuestions,
    OpenCommentForm,
    ShowLinks,
    ShowSection,
    ShowSummary,
)
from core.actors import Request
from core.commands import Argument, Audience, CommandSpec, Router
from core.commands.router import CommandHandler
from core.comments.cards import comment_button
from core.content.models import Article, Library
from core.context import Context
from core.handlers.comments import comments_page, prompt
from core.handlers.common import article_by_slug
from core.handlers.faq import answer_by_id, shared_list
from core.publishing.deep_links import action_of
from core.replies import ActionButton, Block, Button, LinkButton, Reply, Span
from core.replies.build import heading, item, message, paragraph, reply

router = Router()


def article_buttons(article: Article, comment_limit: int) -> list[list[Button]]:
    rows: list[list[Button]] = [
        [ActionButton(label="❓ FAQ", action=ListQuestions(article.slug).pack())],
        [
            ActionButton(label="💬 Comments", action=CommentsPage(article.slug, 1).pack()),
            comment_button(article.slug, comment_limit),
        ],
    ]
    if article.url:
        rows.append([LinkButton(label="📰 Read the article", url=article.url)])
    return rows


def summary(article: Article, comment_limit: int) -> Reply:
    """Title, lead, the list of sections as buttons, and where the text comes from."""
    p = article.provenance
    blocks: list[Block] = [
        heading(article.title),
        paragraph(article.lead),
        paragraph(Span.bold("In this article:")),
        *(item(section.title) for section in article.sections),
        paragraph(Span.italic(f"Source: {p.source_title} · version {p.version}, {p.updated}")),
    ]
    sections = [
        [ActionButton(label=f"{n}. {s.title}"[:64], action=ShowSection(article.slug, n).pack())]
        for n, s in enumerate(article.sections, start=1)
    ]
    return reply(*blocks, buttons=[*sections, *article_buttons(article, comment_limit)])


def section(article: Article, number: int, comment_limit: int) -> Reply:
    """One section, with buttons to move between sections by editing the message."""
    number = max(1, min(number, len(article.sections)))
    current = article.sections[number - 1]
    blocks: list[Block] = [
        heading(f"{current.title}"),
        *(paragraph(text) for text in current.paragraphs),
        *(item(Span.bold(f"{point.title}: "), point.text) for point in current.points),
        paragraph(Span.italic(f"{article.title} · section {number} of {len(article.sections)}")),
    ]
    nav: list[Button] = []
    if number > 1:
        nav.append(
            ActionButton(label="◀ Previous", action=ShowSection(article.slug, number - 1).pack())
        )
    nav.append(ActionButton(label="📰 Summary", action=ShowSummary(article.slug).pack()))
    if number < len(article.sections):
        nav.append(
            ActionButton(label="Next ▶", action=ShowSection(article.slug, number + 1).pack())
        )
    return reply(
        *blocks, buttons=[nav, *article_buttons(article, comment_limit)], edit_in_place=True
    )


def shared_summary(ctx: Context, article: Article) -> Reply:
    """The article's summary, built once for the content's life and shared by every reader."""
    return ctx.shared(f"summary:{article.slug}", lambda: summary(article, ctx.comment_limit))


@router.command("start", "Start here: what this bot does", Argument("topic", "deep link"))
async def start(ctx: Context, request: Request, args: str) -> Reply:
    """Welcome the reader; deep links (`faq_<id>`, `<article>`, `faq_<article>`,
    `comments_<article>`, `comment_<article>`) open what they name."""
    payload = args.strip()
    if payload.startswith("faq_"):
        found = answer_by_id(ctx, payload.removeprefix("faq_"))
        if found is not None:
            return found
    linked = action_of(payload.lower(), lambda slug: ctx.library.article(slug) is not None)
    if linked is not None:
        return await _open(ctx, linked)
    articles = ctx.library.articles
    blocks = [
        heading("Welcome!"),
        paragraph(
            "I bring you our articles in brief, answer your questions about them, and take "
            "your comments to our moderators."
        ),
        *(item(f"/{a.slug} — {a.title}") for a in articles),
        item("/faq — questions and answers, or ask your own: /faq how much money"),
        item("/comments — what readers say · /comment — add yours"),
        item("/links — where else to follow us · /help — every command"),
    ]
    buttons: list[list[Button]] = [
        [ActionButton(label=f"📰 {a.title}"[:64], action=ShowSummary(a.slug).pack())]
        for a in articles
    ]
    buttons.append(
        [
            ActionButton(
                label="❓ FAQ", action=ListQuestions(ctx.library.default_article.slug).pack()
            ),
            ActionButton(label="🔗 Links", action=ShowLinks().pack()),
        ]
    )
    return reply(*blocks, buttons=buttons)


async def _open(ctx: Context, action: Action) -> Reply:
    """What a channel card's deep link opens, in the reader's private chat."""
    if isinstance(action, ListQuestions):
        return shared_list(ctx, article_by_slug(ctx, action.slug))
    if isinstance(action, CommentsPage):
        return await comments_page(ctx, article_by_slug(ctx, action.slug), 1, edit=False)
    if isinstance(action, OpenCommentForm):
        article = article_by_slug(ctx, action.slug)
        return prompt(article, default=article is ctx.library.default_article)
    assert isinstance(action, ShowSummary)
    return shared_summary(ctx, article_by_slug(ctx, action.slug))


@router.command("help", "Every command you can use")
async def help_(ctx: Context, request: Request, args: str) -> Reply:
    """List the commands this actor may use, from the registry."""
    blocks: list[Block] = [heading("What I can do")]
    moderator_heading_done = False
    for spec in ctx.commands_for(request.actor):
        if spec.audience is Audience.MODERATOR and not moderator_heading_done:
            blocks.append(paragraph(Span.bold("For moderators")))
            moderator_heading_done = True
        blocks.append(item(Span.code(spec.usage), f" — {spec.description}"))
    return reply(*blocks)


@router.commands_from_content
def article_commands(library: Library) -> Iterable[tuple[CommandSpec, CommandHandler]]:
    """One command per article: its summary, or a section by number."""
    for article in library.articles:
        spec = CommandSpec(
            article.slug,
            f"Summary: {article.title}"[:100],
            (Argument("section", "section number", kind=int),),
        )
        yield spec, _article_command(article)


@router.command("links", "Where to follow us: website, YouTube, …")
async def links(ctx: Context, request: Request, args: str) -> Reply:
    """The publisher's channels that the operator has configured."""
    return links_reply(ctx)


@router.action(ShowSection)
async def open_section(
    ctx: Context, request: Request, action: ShowSection, text: str | None
) -> Reply:
    """A section, in place of the message the button was on."""
    return section(article_by_slug(ctx, action.slug), action.number, ctx.comment_limit)


@router.action(ShowSummary)
async def open_summary(
    ctx: Context, request: Request, action: ShowSummary, text: str | None
) -> Reply:
    """The summary, in place of the message the button was on."""
    article = article_by_slug(ctx, action.slug)
    return evolve(shared_summary(ctx, article), edit_in_place=True)


@router.action(ShowLinks)
async def open_links(ctx: Context, request: Request, action: ShowLinks, text: str | None) -> Reply:
    """The publisher's channels."""
    return links_reply(ctx)


def _article_command(article: Article) -> CommandHandler:
    async def show_article(ctx: Context, request: Request, args: str) -> Reply:
        """The article's summary, or one section by number."""
        token = args.strip()
        if token.isascii() and token.isdigit() and 0 < int(token) <= len(article.sections):
            section_reply = section(article, int(token), ctx.comment_limit)
            return evolve(section_reply, edit_in_place=False)
        return shared_summary(ctx, article)

    return show_article


def links_reply(ctx: Context) -> Reply:
    channels = ctx.library.configured_channels
    if not channels:
        return message("The publisher has not listed its channels yet.")
    return reply(
        heading("Connect with us"),
        *(item(f"{c.icon} {c.name}") for c in channels),
        buttons=[
            [LinkButton(label=f"{c.icon} {c.label}"[:64], url=c.url or "")] for c in channels
        ],
    )
