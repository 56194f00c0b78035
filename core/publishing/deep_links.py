"""Deep links: what a channel card's buttons open in a private chat with the bot.

A channel can't hold a conversation, so on Telegram a card's buttons are links
(`https://t.me/<bot>?start=<payload>`) that open the bot with a payload naming the action:
`<slug>` (the summary), `faq_<slug>`, `comments_<slug>`, `comment_<slug>`. Payloads are at most
64 characters of `A-Za-z0-9_-`; a slug is at most 32 of `a-z0-9_`.
"""

from __future__ import annotations

from collections.abc import Callable

from attrs import evolve

from core.actions import Action, CommentsPage, ListQuestions, OpenCommentForm, ShowSummary
from core.replies import ActionButton, Button, LinkButton, Reply

# Longest first: "comments_" must not be read as "comment_" + "s…".
_PREFIXES: tuple[tuple[str, Callable[[str], Action]], ...] = (
    ("comments_", lambda slug: CommentsPage(slug, 1)),
    ("comment_", OpenCommentForm),
    ("faq_", ListQuestions),
)


def start_payload(action: str) -> str | None:
    """The deep-link payload opening what the packed `action` opens, or None for an action
    that only makes sense where it was pressed."""
    parsed = Action.parse(action)
    if isinstance(parsed, ShowSummary):
        return parsed.slug
    if isinstance(parsed, ListQuestions):
        return f"faq_{parsed.slug}"
    if isinstance(parsed, CommentsPage):
        return f"comments_{parsed.slug}"
    if isinstance(parsed, OpenCommentForm):
        return f"comment_{parsed.slug}"
    return None


def action_of(payload: str, is_slug: Callable[[str], bool]) -> Action | None:
    """The action a payload names, given which words are article slugs: an article's own
    slug wins over a prefixed reading of it."""
    if is_slug(payload):
        return ShowSummary(payload)
    for prefix, make in _PREFIXES:
        if payload.startswith(prefix) and is_slug(slug := payload.removeprefix(prefix)):
            return make(slug)
    return None


def as_links(reply: Reply, link_for: Callable[[str], str]) -> Reply:
    """The reply with each action button a link (`link_for(payload)`) opening the same thing
    in a private chat; buttons with no deep link are dropped."""
    rows: list[tuple[Button, ...]] = []
    for row in reply.buttons:
        linked: list[Button] = []
        for button in row:
            if isinstance(button, ActionButton):
                payload = start_payload(button.action)
                if payload is None:
                    continue
                button = LinkButton(label=button.label, url=link_for(payload))
            linked.append(button)
        if linked:
            rows.append(tuple(linked))
    return evolve(reply, buttons=tuple(rows))
