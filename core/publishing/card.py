"""The card an article is announced with: title, summary, and what a reader can do next."""

from __future__ import annotations

from core.actions import CommentsPage, ListQuestions, ShowSummary
from core.comments.cards import comment_button
from core.content.models import Article
from core.replies import ActionButton, Button, LinkButton, Reply
from core.replies.build import heading, paragraph, reply


def comments_label(approved: int) -> str:
    return f"💬 Comments ({approved})"


def announcement_card(article: Article, approved: int, comment_limit: int) -> Reply:
    """The article's card for a channel; `approved` is the count its Comments button shows."""
    slug = article.slug
    buttons: list[list[Button]] = [
        [ActionButton(label="📰 Read the summary", action=ShowSummary(slug).pack())],
        [ActionButton(label="❓ FAQ", action=ListQuestions(slug).pack())],
        [
            ActionButton(label=comments_label(approved), action=CommentsPage(slug, 1).pack()),
            comment_button(slug, comment_limit),
        ],
    ]
    if article.url:
        buttons.append([LinkButton(label="🔗 Open the article", url=article.url)])
    return reply(heading(article.title), paragraph(article.lead), buttons=buttons)
