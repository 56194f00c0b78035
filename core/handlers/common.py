"""Helpers shared by handlers: choosing the article, parsing numbers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.actions import MAX_NUMBER
from core.content.models import Article
from core.errors import UserError

if TYPE_CHECKING:
    from core.context import Context


def pick_article(ctx: Context, args: str) -> tuple[Article, str]:
    """`#slug rest` names an article; otherwise the default one. Returns (article, rest)."""
    first, _, rest = args.strip().partition(" ")
    if first.startswith("#") and len(first) > 1:
        article = ctx.library.article(first[1:].lower())
        if article is None:
            known = ", ".join(f"#{a.slug}" for a in ctx.library.articles)
            raise UserError(f"There is no article {first[:40]}. Articles: {known}.")
        return article, rest.strip()
    return ctx.library.default_article, args.strip()


def article_by_slug(ctx: Context, slug: str) -> Article:
    article = ctx.library.article(slug)
    if article is None:
        raise UserError("That article is no longer available. Send /help to start again.")
    return article


def parse_id(text: str, what: str = "comment") -> int:
    """A positive id from `12` or `#12`, or a friendly refusal."""
    token = text.strip().removeprefix("#")
    if not _digits(token) or not 0 < int(token) < MAX_NUMBER:
        raise UserError(f"Please give a {what} number, like 12.")
    return int(token)


def parse_page(text: str) -> int:
    token = text.strip()
    if not token:
        return 1
    if not _digits(token) or not 0 < int(token) < 100_000:
        raise UserError("Please give a page number, like 2.")
    return int(token)


def _digits(token: str) -> bool:
    # str.isdigit() also accepts "²" and other digits int() refuses.
    return token.isascii() and token.isdigit()
