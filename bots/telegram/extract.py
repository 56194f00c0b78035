"""What the core needs from an update: who, where, which command, and the replay key."""

from __future__ import annotations

from dataclasses import dataclass

from telegram import Update, User
from telegram.constants import ChatID, ChatType

from core.actors import Actor, Request
from core.relay.port import PostRef

PLATFORM = "telegram"
# The fixed `from` of a message whose real sender Telegram hides: an anonymous group admin
# (GroupAnonymousBot), someone sending as a channel (Channel_Bot), a channel post forwarded to
# its discussion group (the service account). Everyone behind one of them is one "user".
HIDDEN_SENDERS = frozenset({ChatID.ANONYMOUS_ADMIN, ChatID.FAKE_CHANNEL, ChatID.SERVICE_CHAT})


def actor_of(user: User, *, anonymous: bool = False) -> Actor:
    """The Telegram user as a core actor; the core decides whether they may moderate."""
    return Actor(
        platform=PLATFORM,
        user_id=str(user.id),
        display_name=user.full_name,
        anonymous=anonymous or user.id in HIDDEN_SENDERS,
    )


def event_key(update: Update) -> str:
    # Telegram keeps the update_id across re-deliveries (crash, restart, webhook retry).
    return f"{PLATFORM}:update:{update.update_id}"


def request_of(update: Update) -> Request | None:
    """A core request for the update, or None when nobody in particular sent it."""
    user = update.effective_user
    if user is None:
        return None
    chat = update.effective_chat
    # A message sent on behalf of a chat (an anonymous admin, a channel) names that chat here.
    on_behalf = update.message is not None and update.message.sender_chat is not None
    pressed = update.callback_query.message if update.callback_query else None
    return Request(
        actor=actor_of(user, anonymous=on_behalf),
        chat_id=str(chat.id) if chat else str(user.id),
        event_key=event_key(update),
        is_private_chat=chat is None or chat.type == ChatType.PRIVATE,
        message=(
            PostRef(PLATFORM, str(pressed.chat.id), str(pressed.message_id)) if pressed else None
        ),
    )


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    args: str


def parse_command(text: str, bot_username: str | None) -> Command | None:
    """`/name@bot rest of line` -> Command, or None when it is addressed to another bot."""
    if not text.startswith("/"):
        return None
    head, _, rest = text.partition(" ")
    head, newline, after = head.partition("\n")
    if newline:
        rest = f"{after} {rest}" if rest else after
    name, _, target = head[1:].partition("@")
    if target and bot_username and target.lower() != bot_username.lower():
        return None
    return Command(name=name.lower(), args=rest.strip())
