"""Steps through the Discord harness (a comment by its form) and what they left: cards, DMs."""

from __future__ import annotations

from typing import Any

from core.actions import Action
from tests.support.discord_api import MOD_CHANNEL_ID, FakeDiscord, Recorded
from tests.support.discord_harness import Harness, Result, User

PREFIX = "nb:"  # the adapter's, before the packed action in every button's custom_id


def custom_id(action: Action) -> str:
    """The custom_id of a button that does `action`."""
    return PREFIX + action.pack()


def action_of(custom_id: str) -> Action | None:
    """The action a button's custom_id names, or None (a link, another prefix, no action)."""
    return Action.parse(custom_id.removeprefix(PREFIX)) if custom_id.startswith(PREFIX) else None


def buttons(message: dict[str, Any]) -> dict[str, str]:
    """label -> custom_id (or url) of every button on a stored message."""
    return {
        c["label"]: c.get("custom_id") or c.get("url")
        for row in message.get("components") or []
        for c in row["components"]
    }


def original(fake: FakeDiscord, result: Result) -> dict[str, Any]:
    token = result.payload["token"]
    return fake.messages[fake.interactions[token].message_id or ""]


async def comment_via_modal(bot: Harness, user: Any, text: str, name: str = "") -> Result:
    opened = await bot.send(bot.slash("comment", user))
    modal = bot.modal_of(opened)
    values = {"Comment": text, "Name (optional)": name}
    return await bot.send(bot.submit(modal, values, user))


CARDS = f"/channels/{MOD_CHANNEL_ID}/messages"


def card_posts(fake: FakeDiscord) -> list[Recorded]:
    return [r for r in fake.requests if r.method == "POST" and r.path == CARDS and r.status == 200]


def card_of(fake: FakeDiscord, comment_id: int) -> dict[str, Any]:
    for record in card_posts(fake):
        if f"Comment #{comment_id} " in record.body["embeds"][0]["title"]:
            message_id = next(
                m["id"]
                for m in fake.messages.values()
                if m["channel_id"] == str(MOD_CHANNEL_ID) and f"#{comment_id} " in _title(m)
            )
            return fake.messages[message_id]
    raise AssertionError(f"no card for comment #{comment_id}")


def _title(message: dict[str, Any]) -> str:
    return message["embeds"][0]["title"] if message["embeds"] else ""


def card_text(message: dict[str, Any]) -> str:
    embed = message["embeds"][0]
    return f"{embed['title']}\n{embed.get('description') or ''}"


def dms(fake: FakeDiscord, result: Result, user: User) -> list[Recorded]:
    channels = [c for c, u in fake.dm_channels.items() if u == str(user.id)]
    return [
        r
        for r in result.all_requests
        if r.method == "POST" and any(r.path == f"/channels/{c}/messages" for c in channels)
    ]


async def new_comment(bot: Harness, fake: FakeDiscord, user: User, text: str) -> int:
    before = len(card_posts(fake))
    result = await comment_via_modal(bot, user, text)
    assert len(card_posts(fake)) == before + 1, result.texts()
    title = card_posts(fake)[-1].body["embeds"][0]["title"]
    return int(title.split("#", 1)[1].split(" ", 1)[0])
