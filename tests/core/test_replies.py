"""Replies as values: immutable, checked where a platform would refuse them, and stored as
JSON that older versions wrote too."""

from __future__ import annotations

import attrs
import pytest

from core.replies import ActionButton, Attachment, Block, BlockKind, LinkButton, Reply, Span
from core.replies.build import paragraph, reply
from core.replies.model import TextInput
from core.replies.stored import reply_from_json, reply_to_json

# A reply as pydantic's `model_dump_json` stored it, before the models became attrs classes:
# processed events written by that version must still replay.
STORED_BY_PYDANTIC = (
    '{"blocks":[{"kind":"heading","spans":[{"text":"Hi","style":"bold","url":null}]},'
    '{"kind":"paragraph","spans":[{"text":"a ","style":"plain","url":null},'
    '{"text":"site","style":"link","url":"https://x.example"}]}],'
    '"buttons":[[{"type":"action","label":"Approve","action":"m:a:1:p","input":'
    '{"title":"T","label":"L","required":true,"max_length":500}},'
    '{"type":"link","label":"Read","url":"https://x.example/r"}]],'
    '"attachments":[{"filename":"c.csv","media_type":"text/csv","content":"a,b\\n1,\xe9\\n"}],'
    '"edit_in_place":true,"ephemeral":true,"is_error":false,"awaits_text_for":"comment"}'
)


def sample() -> Reply:
    return Reply(
        blocks=(
            Block(kind=BlockKind.HEADING, spans=(Span.bold("Hi"),)),
            Block(spans=(Span.plain("a "), Span.link("site", "https://x.example"))),
        ),
        buttons=(
            (
                ActionButton(
                    label="Approve",
                    action="m:a:1:p",
                    input=TextInput(title="T", label="L", required=True, max_length=500),
                ),
                LinkButton(label="Read", url="https://x.example/r"),
            ),
        ),
        attachments=(
            Attachment(filename="c.csv", media_type="text/csv", content="a,b\n1,é\n".encode()),
        ),
        edit_in_place=True,
        ephemeral=True,
        awaits_text_for="comment",
    )


def test_a_reply_stored_by_the_pydantic_version_replays_as_it_was() -> None:
    assert reply_from_json(STORED_BY_PYDANTIC) == sample()


@pytest.mark.parametrize(
    "original",
    [sample(), Reply(), reply(paragraph("x"), buttons=[[LinkButton(label="a", url="u")]])],
)
def test_a_stored_reply_comes_back_equal(original: Reply) -> None:
    stored = reply_to_json(original)
    assert reply_from_json(stored) == original
    assert reply_from_json(stored.encode()) == original


def test_buttons_keep_their_kind_through_storage() -> None:
    kinds = [type(b) for row in reply_from_json(reply_to_json(sample())).buttons for b in row]
    assert kinds == [ActionButton, LinkButton]


def test_sequences_become_tuples_so_replies_compare_and_hash_by_value() -> None:
    built = Reply(
        blocks=[Block(spans=[Span.plain("x")])], buttons=[[LinkButton(label="a", url="u")]]
    )
    assert built == Reply(
        blocks=(Block(spans=(Span.plain("x"),)),), buttons=((LinkButton(label="a", url="u"),),)
    )
    assert hash(built) == hash(reply(paragraph("x"), buttons=[[LinkButton(label="a", url="u")]]))
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        built.ephemeral = True  # type: ignore[misc]


@pytest.mark.parametrize("action", ["", "x" * 65, "é" * 33])
def test_an_action_id_longer_than_telegram_allows_is_refused(action: str) -> None:
    with pytest.raises(ValueError, match="action id must be 1-64 bytes"):
        ActionButton(label="a", action=action)


def test_an_action_id_of_exactly_64_bytes_fits() -> None:
    assert ActionButton(label="a", action="é" * 32).action == "é" * 32


@pytest.mark.parametrize("length", [0, 4001])
def test_a_text_input_longer_than_discord_allows_is_refused(length: int) -> None:
    with pytest.raises(ValueError):
        TextInput(title="t", label="l", max_length=length)
