"""The renderer: golden strings, limits, and properties over any reader text."""

from __future__ import annotations

import re
from typing import Any

import discord
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from bots.discord.deliver import send_kwargs
from bots.discord.render import Message, render, render_one
from bots.discord.text import ZWSP, escape, split
from core.actions import Moderate, Move, ShowAnswer, ShowSection
from core.replies import ActionButton, Block, BlockKind, LinkButton, Reply, Span, SpanStyle
from core.replies.build import heading, item, paragraph, quote, reply
from tests.support.discord_limits import message_problems

LIVE_MENTION = re.compile(r"@(?!\u200b)|<@[!&]?\d")
MARKDOWN = "*_~|`<\\"


def payload(message: Message) -> dict[str, Any]:
    """The JSON discord.py would send for the message (as the fake would record it)."""
    kwargs = send_kwargs(message)
    body: dict[str, Any] = {"allowed_mentions": kwargs["allowed_mentions"].to_dict()}
    if "content" in kwargs:
        body["content"] = kwargs["content"]
    if "embeds" in kwargs:
        body["embeds"] = [e.to_dict() for e in kwargs["embeds"]]
    if "view" in kwargs:
        body["components"] = kwargs["view"].to_components()
    return body


def texts(message: Message) -> list[str]:
    out = [message.content or ""]
    out += [f"{e.title or ''}\n{e.description or ''}" for e in message.embeds]
    return out


def unescaped(text: str) -> list[str]:
    """Markdown characters in `text` not preceded by an odd run of backslashes."""
    bad = []
    for index, char in enumerate(text):
        if char in MARKDOWN[:-1]:
            run = len(text[:index]) - len(text[:index].rstrip("\\"))
            if run % 2 == 0:
                bad.append(f"{char!r} at {index}")
    return bad


def test_plain_reply_is_content_with_markdown_escaped() -> None:
    [message] = render(reply(paragraph("Ada says *hi* to _you_ @everyone <@123>")))
    assert message.content == (f"Ada says \\*hi\\* to \\_you\\_ @{ZWSP}everyone \\<@{ZWSP}123>")
    assert message.embeds == []


def test_formatting_inside_something_shaped_like_a_masked_link_is_escaped_too() -> None:
    # discord.utils.escape_markdown escapes only the "[" here: the text would come out bold.
    [message] = render(reply(paragraph("[**x** ||y||](https://e.com/a_b) see https://e.com/c_d")))
    assert message.content == (
        "\\[\\*\\*x\\*\\* \\|\\|y\\|\\|\\](https://e.com/a_b) see https://e.com/c_d"
    )


# Everything Discord reads inside <...> (mentions, timestamps, command links, custom emoji,
# channel links) comes out literal: the bot itself writes no such token into reader text.
@pytest.mark.parametrize(
    ("hostile", "shown"),
    [
        ("<t:1700000000:R>", "\\<t:1700000000:R>"),
        ("</forgetme:1>", "\\</forgetme:1>"),
        ("<a:party:1>", "\\<a:party:1>"),
        ("<:smile:1>", "\\<:smile:1>"),
        ("<@123>", f"\\<@{ZWSP}123>"),
        ("<@!123>", f"\\<@{ZWSP}!123>"),
        ("<@&1>", f"\\<@{ZWSP}&1>"),
        ("<#1>", "\\<#1>"),
        ("<id:customize>", "\\<id:customize>"),
        ("<x:/**bold** ||hidden||>", "\\<x:/\\*\\*bold\\*\\* \\|\\|hidden\\|\\|>"),
        ("<ftp:/a_b_c>", "\\<ftp:/a\\_b\\_c>"),
        ("<https://e.com/a_b>", "\\<https://e.com/a_b>"),  # the bare link still works
        ("1. not a list", "1\\. not a list"),
        ("  12. nor this", "  12\\. nor this"),
    ],
)
def test_tokens_in_angle_brackets_and_list_numbers_are_escaped(hostile: str, shown: str) -> None:
    [message] = render(reply(paragraph(hostile)))
    assert message.content == shown
    [embedded] = render(reply(heading(hostile), paragraph(hostile)))
    [embed] = embedded.embeds
    assert embed.description == shown
    assert embed.title is not None and not re.search(r"<(?!\u200b)", embed.title)


def test_heading_reply_is_an_embed_with_the_heading_as_title() -> None:
    r = reply(
        heading("Stargate @here"),
        paragraph("Lead ", Span.bold("bold"), " ", Span.italic("it"), " ", Span.code("x`y")),
        item("one"),
        item("two"),
        quote("line one\nline two"),
        paragraph(Span.link("the site", "https://example.com/a b")),
    )
    [message] = render(r)
    [embed] = message.embeds
    assert embed.title == f"Stargate @{ZWSP}here"
    assert embed.description == (
        "Lead **bold** *it* `xˋy`\n\n• one\n• two\n\n> line one\n> line two\n\n"
        "[the site](https://example.com/a%20b)"
    )


def test_links_that_are_not_http_are_shown_not_linked() -> None:
    [message] = render(reply(paragraph(Span.link("click", "javascript:alert(1)"))))
    assert message.content == "click (javascript:alert(1))"


def test_long_content_is_split_within_2000_and_nothing_is_lost() -> None:
    text = " ".join(f"word{i}" for i in range(2000))
    messages = render(reply(paragraph(text)))
    assert len(messages) > 1
    assert all(len(m.content or "") <= 2000 for m in messages)
    assert "".join(m.content or "" for m in messages) == escape(text)


def test_long_embed_reply_is_split_into_embeds_and_messages_within_limits() -> None:
    blocks = [heading("Title")] + [paragraph("x" * 3000) for _ in range(10)]
    messages = render(
        reply(*blocks, buttons=[[ActionButton(label="Next", action=ShowSection("a", 2).pack())]])
    )
    assert len(messages) > 1
    for message in messages:
        assert message_problems(payload(message)) == []
    assert messages[-1].buttons and not messages[0].buttons


def test_many_buttons_are_packed_five_by_five_and_spread_over_messages() -> None:
    buttons = [
        [ActionButton(label=f"Q{i}", action=ShowAnswer("stargate", str(i)).pack())]
        for i in range(30)
    ]
    messages = render(reply(paragraph("Questions"), buttons=buttons))
    assert [sum(len(row) for row in m.buttons) for m in messages] == [25, 5]
    for message in messages:
        assert message_problems(payload(message)) == []


def test_button_labels_and_custom_ids_fit() -> None:
    long_label = "L" * 200
    # The longest id the 64-byte cap lets through, a number past any comment's: a string, as
    # its length (with the adapter's prefix, within custom_id's 100) is what's tested.
    longest = "m:a:" + "9" * 60
    r = reply(
        paragraph("x"),
        buttons=[
            [ActionButton(label=long_label, action=longest)],
            [LinkButton(label=long_label, url="https://example.com")],
        ],
    )
    body = payload(render_one(r))
    assert message_problems(body) == []
    ids = [
        c["custom_id"]
        for row in body["components"]
        for c in row["components"]
        if c.get("custom_id")
    ]
    assert ids == ["nb:" + longest]


def test_render_one_clips_to_one_message() -> None:
    message = render_one(reply(paragraph("y" * 5000)))
    assert len(message.content or "") == 2000
    assert (message.content or "").endswith("…")
    embed_message = render_one(reply(heading("T"), paragraph("y" * 9000)))
    assert message_problems(payload(embed_message)) == []


def test_split_never_cuts_an_escape_or_starts_a_header() -> None:
    text = "a" * 1999 + "\\*" + "b" * 10
    pieces = split(text, 2000)
    assert pieces[0].endswith("a") and pieces[1].startswith("\\*")
    pieces = split("word " * 300 + "# not a header " + "z" * 500, 1520)
    assert all(not p.startswith("#") for p in pieces)
    assert "".join(pieces) == "word " * 300 + "# not a header " + "z" * 500


# Properties ------------------------------------------------------------------------------

reader_text = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs",))
    | st.sampled_from(list("@<>&!#*_~|`\\[]()-\n ")),
    max_size=3000,
)
no_urls = st.text(
    st.sampled_from(list("ab @<>&!#*_~|`\\[]()-\n 0123456789é")), min_size=0, max_size=5000
)
styles = st.sampled_from(list(SpanStyle))
spans = st.builds(
    lambda text, style: Span(
        text=text, style=style, url="https://example.com/x" if style is SpanStyle.LINK else None
    ),
    reader_text,
    styles,
)
blocks = st.builds(
    lambda kind, parts: Block(kind=kind, spans=tuple(parts)),
    st.sampled_from(list(BlockKind)),
    st.lists(spans, min_size=1, max_size=3),
)
replies = st.builds(
    lambda bs, label: Reply(
        blocks=tuple(bs),
        buttons=(
            (
                ActionButton(label=label or "x", action=Moderate(Move.APPROVE, 1).pack()),
                LinkButton(label=label or "x", url="https://e.com"),
            ),
        ),
    ),
    st.lists(blocks, max_size=6),
    reader_text,
)
quick = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@quick
@given(replies)
def test_any_reply_renders_within_limits_with_no_live_mention(r: Reply) -> None:
    for message in [*render(r), render_one(r)]:
        body = payload(message)
        assert message_problems(body) == []
        for text in texts(message):
            assert not LIVE_MENTION.search(text), text


@quick
@given(no_urls)
def test_any_plain_text_comes_out_escaped(text: str) -> None:
    assume(text.strip())
    for r in (reply(paragraph(text)), reply(heading("T"), paragraph(text))):
        messages = render(r)
        for message in messages:
            for shown in texts(message):
                assert unescaped(shown) == []
                for line in shown.split("\n"):
                    assert not re.match(r"\s*-|#|> ", line), line
        joined = "".join(
            m.content or "".join(e.description or "" for e in m.embeds) for m in messages
        )
        assert joined == escape(text)


@quick
@given(reader_text)
def test_escape_is_inert_for_discord(text: str) -> None:
    escaped = escape(text)
    assert not LIVE_MENTION.search(escaped)
    assert discord.utils.remove_markdown(escaped) is not None


def test_link_buttons_with_unusable_urls_are_left_out() -> None:
    r = reply(
        paragraph("x"),
        buttons=[
            [LinkButton(label="bad", url="javascript:alert(1)")],
            [LinkButton(label="long", url="https://e.com/" + "a" * 600)],
        ],
    )
    assert "components" not in payload(render_one(r))
