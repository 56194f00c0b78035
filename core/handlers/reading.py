"""Reading: /start, /help, /links and one command per article with its sections."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from core.actions import action_id
from core.actors import Request
from core.commands import Argument, Audience, CommandSpec, Handler
from core.comments.cards import comment_button
from core.content.models import Article
from core.handlers.common import article_by_slug
from core.replies import ActionButton, Block, Button, LinkButton, Reply, Span
from core.replies.build import heading, item, message, paragraph, reply

if TYPE_CHECKING:
    from core.app import Core


def article_buttons(article: Article, comment_limit: int) -> list[list[Button]]:
    return [
        [ActionButton(label="❓ FAQ", action=action_id("fl", article.slug))],
        [
            ActionButton(label="💬 Comments", action=action_id("c", article.slug, 1)),
            comment_button(article.slug, comment_limit),
        ],
    ]


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
        [ActionButton(label=f"{n}. {s.title}"[:64], action=action_id("s", article.slug, n))]
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
            ActionButton(label="◀ Previous", action=action_id("s", article.slug, number - 1))
        )
    nav.append(ActionButton(label="📰 Summary", action=action_id("a", article.slug)))
    if number < len(article.sections):
        nav.append(ActionButton(label="Next ▶", action=action_id("s", article.slug, number + 1)))
    return reply(
        *blocks, buttons=[nav, *article_buttons(article, comment_limit)], edit_in_place=True
    )


def install(core: Core) -> None:
    limit = core.settings.comment_rules.max_length
    # The content is fixed for the core's life: each summary is built once and shared, so the
    # replay cache holds references, not a copy per reader (and no rebuild per event).
    summaries: dict[str, Reply] = {}

    def shared_summary(article: Article) -> Reply:
        if (built := summaries.get(article.slug)) is None:
            built = summaries[article.slug] = summary(article, limit)
        return built

    async def start(request: Request, args: str) -> Reply:
        """Welcome the reader; deep links `faq_<id>` and `<article>` open what they name."""
        payload = args.strip()
        if payload.startswith("faq_"):
            from core.handlers.faq import answer_by_id

            found = answer_by_id(core, payload.removeprefix("faq_"))
            if found is not None:
                return found
        if (article := core.library.article(payload.lower())) is not None:
            return shared_summary(article)
        articles = core.library.articles
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
            [ActionButton(label=f"📰 {a.title}"[:64], action=action_id("a", a.slug))]
            for a in articles
        ]
        buttons.append(
            [
                ActionButton(
                    label="❓ FAQ", action=action_id("fl", core.library.default_article.slug)
                ),
                ActionButton(label="🔗 Links", action="l"),
            ]
        )
        return reply(*blocks, buttons=buttons)

    async def help_(request: Request, args: str) -> Reply:
        """List the commands this actor may use, from the registry."""
        specs = core.commands_for(request.actor)
        blocks: list[Block] = [heading("What I can do")]
        moderator_heading_done = False
        for spec in specs:
            if spec.audience is Audience.MODERATOR and not moderator_heading_done:
                blocks.append(paragraph(Span.bold("For moderators")))
                moderator_heading_done = True
            blocks.append(item(Span.code(spec.usage), f" — {spec.description}"))
        return reply(*blocks)

    async def links(request: Request, args: str) -> Reply:
        """The publisher's channels that the operator has configured."""
        return links_reply(core)

    core.registry.add(
        CommandSpec("start", "Start here: what this bot does", (Argument("topic", "deep link"),)),
        start,
    )
    core.registry.add(CommandSpec("help", "Every command you can use"), help_)
    for article in core.library.articles:
        core.registry.add(
            CommandSpec(
                article.slug,
                f"Summary: {article.title}"[:100],
                (Argument("section", "section number", kind=int),),
            ),
            _article_command(article, limit, shared_summary),
        )
    core.registry.add(CommandSpec("links", "Where to follow us: website, YouTube, …"), links)

    async def open_section(request: Request, args: list[str], text: str | None = None) -> Reply:
        article = article_by_slug(core, args[0] if args else "")
        number = int(args[1]) if len(args) > 1 and args[1].isascii() and args[1].isdigit() else 1
        return section(article, number, limit)

    async def open_summary(request: Request, args: list[str], text: str | None = None) -> Reply:
        article = article_by_slug(core, args[0] if args else "")
        return summary(article, limit).model_copy(update={"edit_in_place": True})

    async def open_links(request: Request, args: list[str], text: str | None = None) -> Reply:
        return links_reply(core)

    core.actions.add("s", open_section)
    core.actions.add("a", open_summary)
    core.actions.add("l", open_links)


def _article_command(
    article: Article, limit: int, shared_summary: Callable[[Article], Reply]
) -> Handler:
    async def show_article(request: Request, args: str) -> Reply:
        """The article's summary, or one section by number."""
        token = args.strip()
        if token.isascii() and token.isdigit() and 0 < int(token) <= len(article.sections):
            return section(article, int(token), limit).model_copy(update={"edit_in_place": False})
        return shared_summary(article)

    return show_article


def links_reply(core: Core) -> Reply:
    channels = core.library.configured_channels
    if not channels:
        return message("The publisher has not listed its channels yet.")
    return reply(
        heading("Connect with us"),
        *(item(f"{c.icon} {c.name}") for c in channels),
        buttons=[
            [LinkButton(label=f"{c.icon} {c.label}"[:64], url=c.url or "")] for c in channels
        ],
    )
