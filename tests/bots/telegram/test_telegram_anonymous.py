"""Anonymous group admins and "send as channel": one shared identity behind a fixed `from`, so
no comments, nothing about "their" comments and no moderation; reading still works."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from bots.telegram.settings import TelegramSettings
from core.actions import Answer, ForgetMe, Moderate, Move, OpenCommentForm, Withdraw
from core.app import Core
from core.store.tables import Comment, CommentDraft
from tests.support.settings import telegram_settings
from tests.support.telegram_api import Call, FakeBotApi
from tests.support.telegram_chat import Conversation, message_of, submit, text_of
from tests.support.telegram_users import MOD2_ID, MOD_ID

GROUP = -100700
ANONYMOUS_ADMIN = FakeBotApi.user(1087968824, "Group")  # GroupAnonymousBot
CHANNEL_BOT = FakeBotApi.user(136817688, "Channel")  # Channel_Bot
SERVICE = FakeBotApi.user(777000, "Telegram")
THE_GROUP = FakeBotApi.chat(GROUP, "Readers")
A_CHANNEL = {"id": -100900, "type": "channel", "title": "Newsroom fans"}
HIDDEN = [
    pytest.param(ANONYMOUS_ADMIN, THE_GROUP, id="anonymous-admin"),
    pytest.param(CHANNEL_BOT, A_CHANNEL, id="sent-as-channel"),
    pytest.param(SERVICE, A_CHANNEL, id="channel-post-forwarded"),
]
WRITE_AS_YOURSELF = "Please write as yourself"


@pytest.fixture
def tg_settings(api: FakeBotApi) -> TelegramSettings:
    # Even listed as moderators, the shared identities are nobody in particular.
    ids = (str(MOD_ID), str(MOD2_ID), "1087968824", "136817688")
    return telegram_settings(api.root, moderator_ids=ids)


async def say_hidden(
    api: FakeBotApi, sender: dict[str, Any], sender_chat: dict[str, Any], text: str
) -> list[Call]:
    """Send `text` to the group on behalf of `sender_chat`; the calls the bot made."""
    mark = len(api.calls)
    api.message(sender, text, GROUP, sender_chat=sender_chat)
    await api.wait_for(lambda c: c.method == "sendMessage", after=mark)
    await api.idle(0.15)
    return api.calls[mark:]


async def count(core: Core, model: type) -> int:
    return await core.database.read(
        lambda session: session.scalar(select(func.count()).select_from(model)) or 0
    )


@pytest.mark.parametrize(("sender", "sender_chat"), HIDDEN)
async def test_hidden_senders_may_not_comment_act_on_comments_or_moderate(
    chat: Conversation, api: FakeBotApi, tg_core: Core, sender: Any, sender_chat: Any
) -> None:
    await submit(chat, api, "A reader's comment")  # #1, pending
    for command in (
        "/comment Posted by whoever is behind the admin badge",
        "/comment",
        "/mycomments",
        "/forgetme",
        "/withdraw 1",
        "/pending",
        "/approve 1",
        "/ban telegram:501 7d",
        "/export",
    ):
        said = text_of(await say_hidden(api, sender, sender_chat, command))
        assert WRITE_AS_YOURSELF in said, (command, said)
    assert await count(tg_core, CommentDraft) == 0
    assert await count(tg_core, Comment) == 1
    assert "A reader's comment" not in text_of(await chat.say(sender, "/comments", GROUP))


@pytest.mark.parametrize(("sender", "sender_chat"), HIDDEN)
async def test_hidden_senders_may_still_read(
    api: FakeBotApi, chat: Conversation, sender: Any, sender_chat: Any
) -> None:
    for command in ("/help", "/faq", "/comments", "/links"):
        said = text_of(await say_hidden(api, sender, sender_chat, command))
        assert said and WRITE_AS_YOURSELF not in said, (command, said)
    assert "/pending" not in text_of(await say_hidden(api, sender, sender_chat, "/help"))


async def test_stray_presses_under_a_hidden_identity_are_refused(
    chat: Conversation, api: FakeBotApi, tg_core: Core
) -> None:
    comment_id, card = await submit(chat, api, "Pending, whatever the badge presses")
    for action in (
        Moderate(Move.APPROVE, comment_id),
        OpenCommentForm("stargate"),
        Withdraw(comment_id),
        ForgetMe(Answer.YES),
    ):
        calls = await chat.press(ANONYMOUS_ADMIN, message_of(card), action.pack())
        [answer] = [c for c in calls if c.method == "answerCallbackQuery"]
        assert WRITE_AS_YOURSELF in answer.params["text"], action
    row = await tg_core.database.read(lambda session: session.get(Comment, comment_id))
    assert row is not None and row.status == "pending"
