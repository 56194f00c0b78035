"""Privacy on the real PTB stack: erasure reaches the cards, moderators' answers stay private,
buttons that act on someone's data are theirs alone."""

from __future__ import annotations

from core.actions import Moderate, Move
from tests.support.telegram_api import FakeBotApi
from tests.support.telegram_chat import Conversation, buttons, message_of, sent, submit, text_of
from tests.support.telegram_users import MOD, MOD_CHAT, MOD_ID, OTHER_READER, READER, READER_ID

PUBLIC_GROUP = -100777
ERASED = "Erased at its author's request"


async def forget(chat: Conversation, api: FakeBotApi) -> None:
    [confirm] = sent(await chat.say(READER, "/forgetme"))
    await chat.press(READER, message_of(confirm), buttons(confirm)["🗑 Yes, erase everything"])


async def test_forgetme_turns_every_card_into_an_erasure_note(
    chat: Conversation, api: FakeBotApi
) -> None:
    decided, decided_card = await submit(chat, api, "Approve this first")
    await chat.press(MOD, message_of(decided_card), Moderate(Move.APPROVE, decided).pack())
    waiting, waiting_card = await submit(chat, api, "Still waiting here")
    mark = len(api.calls)
    await forget(chat, api)
    for card in (decided_card, waiting_card):
        edit = await api.wait_for(
            lambda c, card=card: (
                c.method == "editMessageText"
                and c.params.get("message_id") == message_of(card)["message_id"]
            ),
            after=mark,
        )
        shown = edit.params["text"]
        assert ERASED in shown
        for trace in ("Ada", str(READER_ID), "Approve this first", "Still waiting here"):
            assert trace not in shown
        assert not buttons(edit)
    # A press on the old card's button (e.g. from a stale client) finds the comment erased.
    calls = await chat.press(MOD, message_of(waiting_card), Moderate(Move.APPROVE, waiting).pack())
    [answer] = [c for c in calls if c.method == "answerCallbackQuery"]
    assert answer.params["text"] == f"Comment #{waiting} was erased at its author's request."


async def test_a_card_that_cannot_be_edited_is_deleted(
    chat: Conversation, api: FakeBotApi
) -> None:
    _, card = await submit(chat, api, "Delete my card")
    api.fail("editMessageText", 400, "Bad Request: message can't be edited", chat_id=MOD_CHAT)
    mark = len(api.calls)
    await forget(chat, api)
    deleted = await api.wait_for(lambda c: c.method == "deleteMessage", after=mark)
    assert deleted.params["message_id"] == message_of(card)["message_id"]
    assert (MOD_CHAT, message_of(card)["message_id"]) not in api.messages


async def test_moderator_output_goes_private_in_a_public_group(
    chat: Conversation, api: FakeBotApi
) -> None:
    comment_id, _ = await submit(chat, api, "Queue me quietly")
    for command in (
        "/pending",
        f"/approve {comment_id}",
        f"/ban telegram:{READER_ID} 7d",
        "/export",
    ):
        mark = len(api.calls)
        calls = await chat.say(MOD, command, chat_id=PUBLIC_GROUP)
        in_group = [c for c in api.calls[mark:] if c.params.get("chat_id") == PUBLIC_GROUP]
        assert [c.method for c in in_group] == ["sendMessage"], command
        assert in_group[0].params["text"] == "I've answered you in a private message."
        private = [c for c in calls if c.params.get("chat_id") == MOD_ID]
        assert private, command
    assert "Queue me quietly" not in " ".join(
        str(c.params) for c in api.sent(chat_id=PUBLIC_GROUP)
    )


async def test_a_moderator_who_never_started_the_bot_is_told_to(
    chat: Conversation, api: FakeBotApi
) -> None:
    await submit(chat, api, "Not in public")
    api.blocked.add(MOD_ID)
    [note] = sent(await chat.say(MOD, "/pending", chat_id=PUBLIC_GROUP))
    assert note.params["chat_id"] == PUBLIC_GROUP
    assert "t.me/" in note.params["text"] and "Start" in note.params["text"]
    assert "Not in public" not in note.params["text"]


async def test_the_moderation_chat_still_gets_answers_in_place(
    chat: Conversation, api: FakeBotApi
) -> None:
    await submit(chat, api, "Shown to the team")
    [queue] = sent(await chat.say(MOD, "/pending", chat_id=MOD_CHAT))
    assert queue.params["chat_id"] == MOD_CHAT and "Shown to the team" in queue.params["text"]


async def test_readers_own_answers_go_private_in_a_group(
    chat: Conversation, api: FakeBotApi
) -> None:
    await submit(chat, api, "Only mine to see")
    calls = await chat.say(READER, "/mycomments", chat_id=PUBLIC_GROUP)
    [private] = [c for c in sent(calls) if c.params["chat_id"] == READER_ID]
    assert "Only mine to see" in private.params["text"]
    assert "Only mine to see" not in text_of(
        [c for c in sent(calls) if c.params["chat_id"] == PUBLIC_GROUP]
    )


async def test_someone_elses_forgetme_button_erases_nothing(
    chat: Conversation, api: FakeBotApi
) -> None:
    await submit(chat, api, "Keep me please")
    calls = await chat.say(READER, "/forgetme", chat_id=PUBLIC_GROUP)
    [confirm] = [c for c in sent(calls) if c.params["chat_id"] == READER_ID]
    yes = buttons(confirm)["🗑 Yes, erase everything"]
    # Shown to someone else (forwarded, or an old client): the button is still the reader's.
    pressed = await chat.press(OTHER_READER, message_of(confirm), yes)
    [answer] = [c for c in pressed if c.method == "answerCallbackQuery"]
    assert "isn't yours" in answer.params["text"]
    assert "Keep me please" in text_of(await chat.say(READER, "/mycomments"))
