"""Comments end to end: preview, confirm, moderation across two chats, authors told, erase."""

from __future__ import annotations

from core.actions import Moderate, Move, Seen
from core.actors import Actor, Request
from core.app import Core
from tests.support.telegram_api import FakeBotApi
from tests.support.telegram_chat import Conversation, buttons, message_of, sent, submit, text_of
from tests.support.telegram_users import (
    MOD,
    MOD2,
    MOD_CHAT,
    OTHER_READER,
    READER,
    READER_ID,
    STRANGER,
)


async def test_comment_approved_from_the_moderation_chat(
    chat: Conversation, api: FakeBotApi
) -> None:
    comment_id, card = await submit(chat, api, "Great <b>piece</b> & more")
    assert "Great &lt;b&gt;piece&lt;/b&gt; &amp; more" in card.params["text"]
    assert set(buttons(card)) == {"✅ Approve", "❌ Reject", "🗑 Spam", "⛔ Ban author"}

    mark = len(api.calls)
    calls = await chat.press(MOD2, message_of(card), Moderate(Move.APPROVE, comment_id).pack())
    edits = [c for c in sent(calls, "editMessageText") if c.params["chat_id"] == MOD_CHAT]
    assert edits and "Approved by Max Moderator" in edits[0].params["text"]
    # The decided card offers the other decisions, each naming the status seen.
    assert buttons(edits[-1]) == {
        "❌ Reject": Moderate(Move.REJECT, comment_id, Seen.APPROVED).pack(),
        "🗑 Spam": Moderate(Move.SPAM, comment_id, Seen.APPROVED).pack(),
    }
    notice = await api.wait_sent(READER_ID, after=mark)
    assert "was approved" in notice.params["text"]

    assert "Great <b>piece</b> & more" in text_of(await chat.say(OTHER_READER, "/comments"))

    # A second press (here by the other moderator) decides nothing and says who did.
    calls = await chat.press(MOD, message_of(card), Moderate(Move.APPROVE, comment_id).pack())
    [answer] = [c for c in calls if c.method == "answerCallbackQuery"]
    assert "Max Moderator" in answer.params["text"]
    assert not sent(calls, "editMessageText") and not sent(calls)


async def test_decisions_change_from_the_card_and_by_command(
    chat: Conversation, api: FakeBotApi
) -> None:
    comment_id, card = await submit(chat, api, "Approved, then not")
    await chat.press(MOD, message_of(card), Moderate(Move.APPROVE, comment_id).pack())
    await api.wait_sent(READER_ID)

    # Unpublished from the decided card: the card follows, the author is told.
    mark = len(api.calls)
    calls = await chat.press(
        MOD2, message_of(card), Moderate(Move.REJECT, comment_id, Seen.APPROVED).pack()
    )
    [shown] = [c for c in sent(calls, "editMessageText") if c.params["chat_id"] == MOD_CHAT]
    assert "Rejected by Max Moderator" in text_of([shown])
    assert buttons(shown) == {
        "✅ Approve": Moderate(Move.APPROVE, comment_id, Seen.REJECTED).pack(),
        "🗑 Spam": Moderate(Move.SPAM, comment_id, Seen.REJECTED).pack(),
    }
    notice = await api.wait_sent(READER_ID, after=mark)
    assert "no longer public" in text_of([notice])
    assert "Approved, then not" not in text_of(await chat.say(OTHER_READER, "/comments"))

    # Rejected to spam is nothing new for the author: the card changes, no message.
    mark = len(api.calls)
    calls = await chat.press(
        MOD, message_of(card), Moderate(Move.SPAM, comment_id, Seen.REJECTED).pack()
    )
    assert "Marked as spam by Mia Moderator" in text_of(sent(calls, "editMessageText"))
    await api.idle()
    assert not [c for c in api.calls[mark:] if c.params.get("chat_id") == READER_ID]

    # A stale press (the card as it was before) changes nothing and says what it is now.
    calls = await chat.press(
        MOD2, message_of(card), Moderate(Move.APPROVE, comment_id, Seen.REJECTED).pack()
    )
    [answer] = [c for c in calls if c.method == "answerCallbackQuery"]
    assert f"Comment #{comment_id} is now marked as spam by Mia Moderator" in answer.params["text"]
    assert not sent(calls, "editMessageText")

    # A command on a decided comment answers with its state and a button to change it.
    [asked] = sent(await chat.say(MOD2, f"/approve {comment_id}", chat_id=MOD_CHAT))
    assert "was already marked as spam by Mia Moderator" in text_of([asked])
    assert buttons(asked) == {
        f"✅ Approve #{comment_id}": Moderate(Move.APPROVE, comment_id, Seen.SPAM).pack()
    }
    mark = len(api.calls)
    calls = await chat.press(
        MOD2, message_of(asked), Moderate(Move.APPROVE, comment_id, Seen.SPAM).pack()
    )
    edited = {c.params["message_id"]: text_of([c]) for c in sent(calls, "editMessageText")}
    assert "Approved by Max Moderator" in edited[message_of(asked)["message_id"]]
    assert "Approved by Max Moderator" in edited[message_of(card)["message_id"]]
    notice = await api.wait_sent(READER_ID, after=mark)
    assert "was approved" in text_of([notice])
    assert "Approved, then not" in text_of(await chat.say(OTHER_READER, "/comments"))


async def test_forged_moderator_press_is_refused(chat: Conversation, api: FakeBotApi) -> None:
    comment_id, card = await submit(chat, api, "Please approve me")
    calls = await chat.press(STRANGER, message_of(card), Moderate(Move.APPROVE, comment_id).pack())
    [answer] = [c for c in calls if c.method == "answerCallbackQuery"]
    assert "Only moderators" in answer.params["text"]
    assert not sent(calls, "editMessageText")
    assert "Please approve me" in text_of(await chat.say(MOD, "/pending"))
    assert "Please approve me" not in text_of(await chat.say(OTHER_READER, "/comments"))


async def test_comment_without_text_uses_force_reply(chat: Conversation, api: FakeBotApi) -> None:
    [prompt] = sent(await chat.say(READER, "/comment"))
    assert prompt.params["reply_markup"]["force_reply"] is True
    calls = await chat.say(READER, "My considered view", reply_to=message_of(prompt))
    [preview] = sent(calls)
    assert "My considered view" in preview.params["text"]
    assert "✅ Send" in buttons(preview)


async def test_cancel_discards_the_preview(chat: Conversation, api: FakeBotApi) -> None:
    [preview] = sent(await chat.say(READER, "/comment Never mind"))
    await chat.press(READER, message_of(preview), buttons(preview)["✖ Cancel"])
    await api.idle()
    assert not api.sent(chat_id=MOD_CHAT)
    assert "Never mind" not in text_of(await chat.say(READER, "/mycomments"))


async def test_mycomments_withdraw_and_forgetme(chat: Conversation, api: FakeBotApi) -> None:
    await submit(chat, api, "Second thoughts")
    [mine] = sent(await chat.say(READER, "/mycomments"))
    assert "Second thoughts" in mine.params["text"]
    withdraw = {k: v for k, v in buttons(mine).items() if "ithdraw" in k}
    assert withdraw, buttons(mine)
    mark = len(api.calls)
    await chat.press(READER, message_of(mine), next(iter(withdraw.values())))
    edit = await api.wait_for(
        lambda c: c.method == "editMessageText" and c.params.get("chat_id") == MOD_CHAT,
        after=mark,
    )
    assert "Withdrawn" in edit.params["text"]

    await submit(chat, api, "Erase me please")
    [confirm] = sent(await chat.say(READER, "/forgetme"))
    yes = next(v for k, v in buttons(confirm).items() if "rase" in k or "Yes" in k)
    await chat.press(READER, message_of(confirm), yes)
    assert "Erase me please" not in text_of(await chat.say(READER, "/mycomments"))


async def test_moderator_commands(chat: Conversation, api: FakeBotApi) -> None:
    first, _ = await submit(chat, api, "First comment")
    second, _ = await submit(chat, api, "Second comment")
    third, _ = await submit(chat, api, "Third comment buy now")

    pending = text_of(await chat.say(MOD, "/pending", chat_id=MOD_CHAT))
    assert all(t in pending for t in ("First comment", "Second comment", "Third comment"))
    assert "moderators only" in text_of(await chat.say(READER, "/pending"))

    mark = len(api.calls)
    assert "Approved" in text_of(await chat.say(MOD, f"/approve {first}", chat_id=MOD_CHAT))
    await api.wait_sent(READER_ID, after=mark)
    reject = text_of(await chat.say(MOD, f"/reject {second} off topic", chat_id=MOD_CHAT))
    assert "Rejected" in reject
    assert "spam" in text_of(await chat.say(MOD, f"/spam {third}", chat_id=MOD_CHAT)).lower()

    banned = text_of(await chat.say(MOD, f"/ban telegram:{READER_ID} 7d rude", chat_id=MOD_CHAT))
    assert "may not comment until" in banned
    assert "stopped you from commenting" in text_of(await chat.say(READER, "/comment I am back"))
    unbanned = await chat.say(MOD, f"/unban telegram:{READER_ID}", chat_id=MOD_CHAT)
    assert "may comment again" in text_of(unbanned)

    calls = await chat.say(MOD, "/export", chat_id=MOD_CHAT)
    documents = [c.params["document"] for c in sent(calls, "sendDocument")]
    names = sorted(d["filename"] for d in documents)
    assert names[0].endswith(".csv") and names[1].endswith(".json")
    assert b"First comment" in documents[0]["content"]


async def test_author_notice_blocked_is_recorded(
    chat: Conversation, api: FakeBotApi, tg_core: Core
) -> None:
    comment_id, card = await submit(chat, api, "Notify me if you can")
    api.blocked.add(READER_ID)
    mark = len(api.calls)
    await chat.press(MOD, message_of(card), Moderate(Move.APPROVE, comment_id).pack())
    failed = await api.wait_for(
        lambda c: c.method == "sendMessage" and c.status == 403, after=mark, ok=False
    )
    assert failed.params["chat_id"] == READER_ID
    await tg_core.events.drain()
    api.blocked.discard(READER_ID)
    mine = text_of(await chat.say(READER, "/mycomments"))
    assert "Notify me if you can" in mine and "approved" in mine


async def test_comment_decided_from_the_console(
    chat: Conversation, api: FakeBotApi, tg_core: Core
) -> None:
    comment_id, _ = await submit(chat, api, "Judge me from the console")
    operator = Actor(platform="console", user_id="operator", display_name="Operator")
    mark = len(api.calls)
    outcome = await tg_core.execute(
        Request(operator, chat_id="console", event_key="console:1"), "approve", str(comment_id)
    )
    assert not outcome.reply.is_error
    edit = await api.wait_for(
        lambda c: c.method == "editMessageText" and c.params.get("chat_id") == MOD_CHAT,
        after=mark,
    )
    assert "Approved by Operator" in edit.params["text"]
    notice = await api.wait_sent(READER_ID, after=mark)
    assert "was approved" in notice.params["text"]
    assert "Judge me from the console" in text_of(await chat.say(OTHER_READER, "/comments"))


async def test_comments_are_paginated_by_editing(
    chat: Conversation, api: FakeBotApi, tg_core: Core
) -> None:
    operator = Actor(platform="console", user_id="operator", display_name="Operator")
    for n in range(6):
        comment_id, _ = await submit(chat, api, f"Comment number {n}")
        request = Request(operator, chat_id="console", event_key=f"console:page:{n}")
        assert not (await tg_core.execute(request, "approve", str(comment_id))).reply.is_error
        await tg_core.events.drain()  # the author's notice is out before the next comment
    [page1] = sent(await chat.say(OTHER_READER, "/comments"))
    assert "page 1 of 2" in text_of([page1])
    calls = await chat.press(OTHER_READER, message_of(page1), buttons(page1)["Older ▶"])
    [page2] = sent(calls, "editMessageText")
    assert page2.params["message_id"] == message_of(page1)["message_id"]
    assert "page 2 of 2" in text_of([page2]) and "◀ Newer" in buttons(page2)


async def test_force_reply_in_a_group_routes_only_the_replier(
    chat: Conversation, api: FakeBotApi
) -> None:
    group = -100700
    [prompt] = sent(await chat.say(READER, "/comment", chat_id=group))
    assert prompt.params["reply_markup"] == {"force_reply": True, "selective": True}
    assert "reply_parameters" in prompt.params  # selective: shown to the one who asked
    api.message(OTHER_READER, "unrelated chatter", chat_id=group)
    calls = await chat.say(READER, "From the group", chat_id=group, reply_to=message_of(prompt))
    [preview] = sent(calls)
    assert "From the group" in text_of([preview]) and "unrelated" not in text_of(calls)
