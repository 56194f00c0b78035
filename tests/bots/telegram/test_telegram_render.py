"""The HTML renderer: golden strings and the property that any text renders to valid chunks."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bots.telegram.render import MAX_TEXT, PLACEHOLDER, clean, keyboard, render, render_text
from core.actions import ShowSection
from core.replies import ActionButton, Block, BlockKind, LinkButton, Reply, Span, SpanStyle
from tests.support.telegram_html import check_message, visible_text


def test_escapes_every_dynamic_string() -> None:
    blocks = (
        Block(kind=BlockKind.HEADING, spans=(Span.plain("<b>&amp;</b>"),)),
        Block(spans=(Span.bold("x < y"), Span.link("a&b", 'https://e.x/?q="1"&r=2'))),
        Block(kind=BlockKind.QUOTE, spans=(Span.italic("</blockquote>"),)),
        Block(kind=BlockKind.ITEM, spans=(Span.code("<code>"),)),
        Block(kind=BlockKind.ITEM, spans=(Span.plain("two"),)),
    )
    [chunk] = render_text(blocks)
    assert chunk == (
        "<b>&lt;b&gt;&amp;amp;&lt;/b&gt;</b>\n\n"
        '<b>x &lt; y</b><a href="https://e.x/?q=&quot;1&quot;&amp;r=2">a&amp;b</a>\n\n'
        "<blockquote><i>&lt;/blockquote&gt;</i></blockquote>\n\n"
        "• <code>&lt;code&gt;</code>\n• two"
    )
    assert check_message(chunk)


def test_unsafe_link_becomes_plain_text() -> None:
    blocks = (Block(spans=(Span.link("click", "javascript:alert(1)"),)),)
    assert render_text(blocks) == ["click"]


def test_long_reply_splits_between_paragraphs() -> None:
    para = Block(spans=(Span.bold("x" * 1500),))
    chunks = render_text((para, para, para, para))
    assert [visible_text(c).count("x") for c in chunks] == [3000, 3000]
    assert all(c.startswith("<b>") and c.endswith("</b>") for c in chunks)


def test_oversized_paragraph_splits_at_words_and_keeps_tags_closed() -> None:
    words = " ".join(["word"] * 3000)
    chunks = render_text((Block(kind=BlockKind.QUOTE, spans=(Span.italic(words),)),))
    assert len(chunks) == 4
    for chunk in chunks:
        text = check_message(chunk)
        assert text.strip().startswith("word") and text.strip().endswith("word")


def test_buttons_become_inline_keyboard() -> None:
    section_two = ShowSection("stargate", 2).pack()
    reply = Reply(
        buttons=(
            (ActionButton(label="Next <2>", action=section_two),),
            (
                LinkButton(label="Site", url="https://example.org"),
                LinkButton(label="x", url="ftp:x"),
            ),
        )
    )
    markup = keyboard(reply)
    assert markup is not None
    [[nxt], [site]] = markup.inline_keyboard
    assert (nxt.text, nxt.callback_data) == ("Next <2>", section_two)
    assert site.url == "https://example.org"
    assert render(reply).chunks == (PLACEHOLDER,)


def test_empty_reply_renders_nothing() -> None:
    assert render(Reply(blocks=(Block(spans=(Span.plain("  \n "),)),))).chunks == ()


styles = st.sampled_from(list(SpanStyle))
reader_text = st.text(max_size=3000)
spans = st.builds(
    lambda text, style, url: Span(
        text=text, style=style, url=url if style is SpanStyle.LINK else None
    ),
    reader_text,
    styles,
    st.one_of(st.just('https://example.org/a?b=<c>&d="e"'), st.text(max_size=20)),
)
blocks = st.builds(
    lambda kind, sp: Block(kind=kind, spans=tuple(sp)),
    st.sampled_from(list(BlockKind)),
    st.lists(spans, max_size=4),
)


def _squash(text: str) -> str:
    return "".join(text.split())


@settings(max_examples=200, deadline=None)
@given(st.lists(blocks, max_size=8))
def test_any_reader_text_renders_to_valid_chunks(blocks_: list[Block]) -> None:
    chunks = render(Reply(blocks=tuple(blocks_))).chunks
    for chunk in chunks:
        check_message(chunk, MAX_TEXT)  # parses, non-empty, within the limit
    expected = "".join(
        ("•" if b.kind is BlockKind.ITEM else "") + clean(b.text)
        for b in blocks_
        if clean(b.text).strip()
    )
    # Nothing the reader wrote is lost or reordered; only whitespace may move at cuts.
    rendered = _squash("".join(visible_text(c) for c in chunks))
    # An oversized list item repeats its bullet on each slice.
    assert rendered.replace("•", "") == _squash(expected).replace("•", "")


@settings(max_examples=30, deadline=None)
@given(st.text(min_size=1, max_size=300), st.integers(15, 120), st.sampled_from(list(BlockKind)))
def test_huge_single_block_splits_within_limit(text: str, times: int, kind: BlockKind) -> None:
    chunks = render_text((Block(kind=kind, spans=(Span.bold(text * times),)),))
    for chunk in chunks:
        check_message(chunk, MAX_TEXT)
    assert _squash("".join(visible_text(c) for c in chunks)).replace("•", "") == _squash(
        clean(text * times)
    ).replace("•", "")
