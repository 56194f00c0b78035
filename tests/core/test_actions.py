"""Action ids: every button the core emits fits the platforms and routes back to a handler."""

from __future__ import annotations

import logging

import pytest

from core.app import Core, ThrottledFailureLog
from core.replies import ActionButton
from tests.support.actors import MODERATOR, READER, request_for


async def collect_buttons(core: Core) -> list[ActionButton]:
    buttons: list[ActionButton] = []
    for command, args in [("start", ""), ("stargate", ""), ("faq", ""), ("comments", "")]:
        buttons += (await core.execute(request_for(READER), command, args)).reply.action_buttons
    preview = await core.execute(request_for(READER), "comment", "A comment to moderate")
    buttons += preview.reply.action_buttons
    await core.press(request_for(READER), preview.reply.action_buttons[0].action)
    buttons += (await core.execute(request_for(MODERATOR), "pending")).reply.action_buttons
    return buttons


async def test_every_button_routes_and_fits(core: Core) -> None:
    buttons = await collect_buttons(core)
    assert len(buttons) > 15
    for button in buttons:
        assert len(button.action.encode()) <= 64
        assert core.actions.resolve(button.action) is not None, button.action


async def test_inputs_are_known_from_the_action_alone(core: Core) -> None:
    """A button posted before a restart still says what text it wants."""
    assert core.input_for("m:a:1") is None
    reason = core.input_for("m:r:1")
    assert reason is not None and not reason.required
    comment = core.input_for("k:stargate")
    assert comment is not None and comment.required
    assert core.input_for("s:stargate:1") is None
    assert core.input_for("nonsense") is None
    for button in await collect_buttons(core):
        assert button.input == core.input_for(button.action), button.action


async def test_reject_with_a_typed_reason(core: Core) -> None:
    preview = await core.execute(request_for(READER), "comment", "Reject me kindly")
    await core.press(request_for(READER), preview.reply.action_buttons[0].action)
    out = await core.press(request_for(MODERATOR), "m:r:1", "off topic")
    assert "Rejected by Mia Moderator: off topic" in out.reply.text


async def test_comment_button_with_text_stores_it(core: Core) -> None:
    out = await core.press(request_for(READER), "k:stargate", "Typed into the form")
    assert "waiting for a moderator" in out.reply.text and out.reply.ephemeral
    prompt = await core.press(request_for(READER), "k:stargate")
    assert prompt.reply.awaits_text_for == "comment"


async def test_inline_results_answer_and_summarise(core: Core) -> None:
    results = core.inline_results("microsoft absent")
    assert results[0].title == "Why wasn’t Microsoft part of the announcement?"
    assert "tensions over computing capacity" in results[0].reply.text
    assert results[-1].id == "a:stargate" and "In this article" in results[-1].reply.text
    assert len({r.id for r in results}) == len(results)
    assert all(len(r.id.encode()) <= 64 for r in results)


def test_a_repeating_failure_logs_one_traceback_per_interval(
    caplog: pytest.LogCaptureFixture,
) -> None:
    log = logging.getLogger("test.throttle")
    throttled = ThrottledFailureLog("store unavailable", log, interval=60)
    with caplog.at_level(logging.DEBUG, logger="test.throttle"):
        for n in range(50):
            try:
                raise OSError("connection refused")
            except OSError:
                throttled.report(f"k{n}")
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and errors[0].exc_info is not None
    assert len([r for r in caplog.records if r.levelno == logging.DEBUG]) == 49
