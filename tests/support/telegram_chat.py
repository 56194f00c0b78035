"""Talking to the Telegram adapter through the fake Bot API, and reading what it sent back."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bots.telegram.limits import FloodControl
from tests.support.telegram_api import Call, FakeBotApi
from tests.support.telegram_html import visible_text
from tests.support.telegram_users import MOD_CHAT, READER


def fast_limiter(pacing: bool = False) -> FloodControl:
    """The adapter's flood control with a backoff short enough for tests."""
    return FloodControl(pacing=pacing, backoff=0.01)


class Conversation:
    """Drives the fake: push an update, wait for the bot's answer, return the calls it made."""

    def __init__(self, api: FakeBotApi) -> None:
        self.api = api

    async def _exchange(
        self, push: Callable[[], object], until: Callable[[Call], bool], quiet: float
    ) -> list[Call]:
        mark = len(self.api.calls)
        push()
        await self.api.wait_for(until, after=mark)
        await self.api.idle(quiet)
        return self.api.calls[mark:]

    async def say(
        self,
        user: dict[str, Any],
        text: str,
        chat_id: int | None = None,
        reply_to: dict[str, Any] | None = None,
        quiet: float = 0.15,
    ) -> list[Call]:
        chat = chat_id if chat_id is not None else user["id"]
        return await self._exchange(
            lambda: self.api.message(user, text, chat_id, reply_to),
            lambda c: c.params.get("chat_id") == chat,
            quiet,
        )

    async def press(
        self, user: dict[str, Any], message: dict[str, Any], data: str, quiet: float = 0.15
    ) -> list[Call]:
        update = {}

        def push() -> None:
            update.update(self.api.press(user, message, data))

        calls = await self._exchange(push, lambda c: c.method == "answerCallbackQuery", quiet)
        query_id = update["callback_query"]["id"]
        answers = [c for c in calls if c.method == "answerCallbackQuery"]
        assert [c.params["callback_query_id"] for c in answers if c.ok] == [query_id]
        return calls


def sent(calls: list[Call], method: str = "sendMessage") -> list[Call]:
    return [c for c in calls if c.method == method and c.ok]


def text_of(calls: list[Call]) -> str:
    """What the reader sees in the messages sent or edited (HTML parsed as Telegram does)."""
    return "\n".join(visible_text(c.params["text"]) for c in calls if c.ok and "text" in c.params)


def buttons(call: Call) -> dict[str, str]:
    """label -> callback_data (or url) of the call's inline keyboard."""
    markup = call.params.get("reply_markup") or {}
    return {
        b["text"]: b.get("callback_data") or b.get("url", "")
        for row in markup.get("inline_keyboard", [])
        for b in row
    }


def message_of(call: Call) -> dict[str, Any]:
    """The message object the fake returned for a send/edit, as a client would see it."""
    result = call.result
    assert isinstance(result, dict)
    return result


async def submit(chat: Conversation, api: FakeBotApi, text: str) -> tuple[int, Call]:
    """Comment as READER, confirm it, return its id and the moderation card posted."""
    [preview] = sent(await chat.say(READER, f"/comment {text}"))
    assert "We never ask for your email" in preview.params["text"]
    mark = len(api.calls)
    calls = await chat.press(READER, message_of(preview), buttons(preview)["✅ Send"])
    [thanks] = sent(calls, "editMessageText")
    assert thanks.params["message_id"] == message_of(preview)["message_id"]
    assert "is waiting for a moderator" in thanks.params["text"]
    card = await api.wait_sent(MOD_CHAT, after=mark)
    comment_id = int(buttons(card)["✅ Approve"].rsplit(":", 1)[1])
    return comment_id, card
