"""Every reader command end to end through discord.py, against the fake Discord API."""

from __future__ import annotations

from core.actions import ForgetMe, OpenCommentForm, ShowAnswer, ShowSection, ShowSummary, Withdraw
from core.actors import Actor, Request
from core.app import Core
from core.comments.cards import PRIVACY_LINE
from tests.support.discord_api import EPHEMERAL, MOD_CHANNEL_ID, FakeDiscord
from tests.support.discord_flows import action_of, buttons, comment_via_modal, custom_id, original
from tests.support.discord_harness import Harness, OpenCore, Result, StartHarness
from tests.support.discord_users import MODERATOR, OTHER, READER
from tests.support.settings import discord_settings


def public_thinking(result: Result) -> None:
    body = result.callback()
    assert body["type"] == 5
    assert not (body.get("data") or {}).get("flags", 0) & EPHEMERAL


async def test_help_lists_reader_commands_only_for_readers(bot: Harness) -> None:
    result = await bot.send(bot.slash("help", READER))
    public_thinking(result)
    assert "/stargate" in result.texts()
    assert "/approve" not in result.texts()
    moderator = await bot.send(bot.slash("help", MODERATOR))
    assert "/approve" in moderator.texts()


async def test_start_welcomes_with_article_buttons(bot: Harness, fake: FakeDiscord) -> None:
    result = await bot.send(bot.slash("start", READER))
    assert "Welcome" in result.texts()
    assert custom_id(ShowSummary("stargate")) in buttons(original(fake, result)).values()


async def test_article_summary_then_sections_edit_the_message(
    bot: Harness, fake: FakeDiscord
) -> None:
    result = await bot.send(bot.slash("stargate", READER))
    public_thinking(result)
    summary = original(fake, result)
    [embed] = summary["embeds"]
    assert embed["title"].startswith("OpenAI’s Stargate")
    assert "Source:" in embed["description"]  # provenance
    section_two = next(
        cid for cid in buttons(summary).values() if action_of(cid) == ShowSection("stargate", 2)
    )

    pressed = await bot.send(bot.press(summary, section_two, OTHER))
    assert pressed.first.body == {"type": 6}  # deferred update of the same message
    [edit] = pressed.requests[1:]
    assert edit.method == "PATCH" and edit.path.endswith("/messages/@original")
    edited = fake.messages[summary["id"]]
    assert edited["embeds"][0]["title"] == "Key Highlights of the Announcement"
    assert custom_id(ShowSection("stargate", 3)) in buttons(edited).values()

    section = await bot.send(bot.slash("stargate", READER, section=3))
    assert "The Rift Between OpenAI and Microsoft" in section.texts()


async def test_faq_answers_suggests_and_passes_on(bot: Harness, fake: FakeDiscord) -> None:
    answered = await bot.send(bot.slash("faq", READER, question="how much money"))
    assert "$500 billion" in answered.texts()

    listed = await bot.send(bot.slash("faq", READER))
    assert "Questions about" in listed.texts()

    unknown = await bot.send(bot.slash("faq", READER, question="zebra crossing rules"))
    assert "passed your question on" in unknown.texts()


async def test_faq_did_you_mean_buttons_answer_when_pressed(
    bot: Harness, fake: FakeDiscord
) -> None:
    result = await bot.send(bot.slash("faq", READER, question="microsoft"))
    message = original(fake, result)
    choices = [cid for cid in buttons(message).values() if isinstance(action_of(cid), ShowAnswer)]
    assert choices, result.texts()
    pressed = await bot.send(bot.press(message, choices[0], READER))
    assert pressed.first.body == {"type": 6}
    assert "Microsoft" in pressed.texts()


async def test_faq_autocomplete_answers_at_once_with_at_most_25(
    bot: Harness, fake: FakeDiscord
) -> None:
    result = await bot.send(bot.autocomplete("faq", "question", "microsoft", READER))
    [callback] = result.requests
    assert callback.body["type"] == 8  # the answer itself: no defer for autocomplete
    choices = callback.body["data"]["choices"]
    assert 0 < len(choices) <= 25
    assert any("Microsoft" in c["name"] for c in choices)

    everything = await bot.send(bot.autocomplete("faq", "question", "", READER))
    assert len(everything.requests[0].body["data"]["choices"]) <= 25

    chosen = choices[0]["value"]
    answered = await bot.send(bot.slash("faq", READER, question=chosen))
    assert chosen in answered.texts()


async def test_links(bot: Harness) -> None:
    result = await bot.send(bot.slash("links", READER))
    public_thinking(result)
    assert result.texts().strip()


async def test_comment_modal_confirms_privately_and_queues(
    bot: Harness, fake: FakeDiscord
) -> None:
    opened = await bot.send(bot.slash("comment", READER))
    [callback] = opened.requests
    assert callback.body["type"] == 9  # the modal is the initial response
    modal = callback.body["data"]
    inputs = [c for row in modal["components"] for c in row["components"]]
    assert [(i["label"], i["required"]) for i in inputs] == [
        ("Comment", True),
        ("Name (optional)", False),
    ]

    values = {"Comment": "Great piece", "Name (optional)": "Bo"}
    submitted = await bot.send(bot.submit(modal, values, READER))
    assert submitted.first.body == {"type": 5, "data": {"flags": EPHEMERAL}}
    assert "waiting for a moderator" in submitted.texts()
    cards = [r for r in submitted.all_requests if r.path == f"/channels/{MOD_CHANNEL_ID}/messages"]
    assert len(cards) == 1
    assert "Great piece" in cards[0].body["embeds"][0]["description"]


async def test_comment_confirmation_carries_the_privacy_line(bot: Harness) -> None:
    submitted = await comment_via_modal(bot, READER, "A thoughtful remark")
    assert PRIVACY_LINE in submitted.texts()


async def test_comment_button_opens_the_form(bot: Harness, fake: FakeDiscord) -> None:
    result = await bot.send(bot.slash("comments", READER))
    message = original(fake, result)
    pressed = await bot.send(bot.press(message, custom_id(OpenCommentForm("stargate")), READER))
    assert pressed.first.body["type"] == 9
    modal = pressed.first.body["data"]
    values = {"Your comment": "From the button"}
    submitted = await bot.send(bot.submit(modal, values, READER))
    assert "waiting for a moderator" in submitted.texts()


async def test_mycomments_is_private_and_withdraw_works(bot: Harness, fake: FakeDiscord) -> None:
    await comment_via_modal(bot, READER, "Please withdraw me")
    mine = await bot.send(bot.slash("mycomments", READER))
    assert mine.first.body == {"type": 5, "data": {"flags": EPHEMERAL}}
    assert "Please withdraw me" in mine.texts()
    message = original(fake, mine)
    withdraw = [cid for cid in buttons(message).values() if isinstance(action_of(cid), Withdraw)]
    assert withdraw
    pressed = await bot.send(bot.press(message, withdraw[0], READER))
    assert "withdrawn" in pressed.texts().lower()

    by_command = await comment_via_modal(bot, OTHER, "Second thoughts")
    assert "waiting" in by_command.texts()
    number = by_command.texts().split("#", 1)[1].split(" ", 1)[0]
    withdrawn = await bot.send(bot.slash("withdraw", OTHER, comment=int(number)))
    assert "withdrawn" in withdrawn.texts().lower()


async def test_forgetme_erases_after_confirmation(bot: Harness, fake: FakeDiscord) -> None:
    await comment_via_modal(bot, READER, "Forget this one")
    asked = await bot.send(bot.slash("forgetme", READER))
    assert asked.first.body["data"] == {"flags": EPHEMERAL}
    message = original(fake, asked)
    confirm = [cid for cid in buttons(message).values() if isinstance(action_of(cid), ForgetMe)]
    assert confirm, asked.texts()
    await bot.send(bot.press(message, confirm[0], READER))
    mine = await bot.send(bot.slash("mycomments", READER))
    assert "Forget this one" not in mine.texts()


async def test_reader_text_is_escaped_and_mentions_inert_everywhere(
    bot: Harness, fake: FakeDiscord
) -> None:
    nasty = "@everyone <@123456789012345678> <@&42> **bold** [x](https://evil.example)"
    await comment_via_modal(bot, READER, nasty, name="@here *Bo*")
    card = next(r for r in fake.requests if r.path == f"/channels/{MOD_CHANNEL_ID}/messages")
    description = card.body["embeds"][0]["description"]
    assert "@\u200beveryone" in description
    assert "\\*\\*bold\\*\\*" in description
    assert "\\[x\\](https://evil.example)" in description
    assert card.body["allowed_mentions"] == {"parse": []}
    # The fake's teardown also checks every request for live mentions and limits.


async def test_global_commands_work_in_direct_messages(
    open_core: OpenCore, start: StartHarness
) -> None:
    bot = await start(await open_core(), settings=discord_settings(guild_id=None))
    result = await bot.send(bot.slash("faq", READER, guild=False, question="how much money"))
    assert "$500 billion" in result.texts()


async def test_comments_are_paginated_with_buttons_that_edit_the_message(
    bot: Harness, core: Core, fake: FakeDiscord
) -> None:
    operator = Request(Actor("console", "operator", "Operator"))
    for n in range(7):
        author = Request(Actor("discord", str(700 + n), f"Reader {n}"), event_key=f"t:{n}")
        await core.submit_comment(author, f"Comment number {n}")
        await core.execute(operator, "approve", str(n + 1))
    await core.events.drain()

    first = await bot.send(bot.slash("comments", READER))
    page = original(fake, first)
    older = next(cid for label, cid in buttons(page).items() if "Older" in label)
    shown_first = first.texts()

    pressed = await bot.send(bot.press(page, older, OTHER))
    assert pressed.first.body == {"type": 6}
    shown_second = pressed.texts()
    assert shown_second and shown_second != shown_first
    assert any("Newer" in label for label in buttons(fake.messages[page["id"]]))
    all_shown = shown_first + shown_second
    assert all(f"Comment number {n}" in all_shown for n in range(7))


async def test_a_private_answer_to_a_public_command_replaces_the_placeholder(
    bot: Harness,
) -> None:
    result = await bot.send(bot.slash("faq", READER, question="#nope what now"))
    public_thinking(result)
    methods = [(r.method, r.path.rsplit("/", 1)[-1]) for r in result.requests]
    assert methods == [("POST", "callback"), ("DELETE", "@original"), ("POST", result.first.token)]
    followup = result.requests[-1]
    assert followup.body["flags"] == EPHEMERAL
    assert "There is no article #nope" in followup.body["content"]


async def test_over_the_command_rate_a_member_is_told_once_then_ignored(
    open_core: OpenCore, start: StartHarness
) -> None:
    bot = await start(await open_core(command_rate_per_minute=2))
    answered = [await bot.send(bot.slash("links", READER)) for _ in range(2)]
    assert all(r.callback()["type"] == 5 for r in answered)
    warned = await bot.send(bot.slash("links", READER))
    body = warned.callback()
    assert body["type"] == 4 and body["data"]["flags"] & EPHEMERAL
    assert "too fast" in warned.texts()
    ignored = await bot.send(bot.slash("links", READER))
    assert ignored.requests == []  # nothing sent to Discord for it
    moderator = [await bot.send(bot.slash("links", MODERATOR)) for _ in range(4)]
    assert all(r.callback()["type"] == 5 for r in moderator)  # moderators are exempt
