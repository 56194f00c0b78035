"""The adapter's Bot API transport: PTB requests on aiohttp, JSON bodies, PTB's errors."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile
from telegram.error import NetworkError, TimedOut

from bots.telegram.transport import AiohttpRequest
from tests.support.network import free_port

TOKEN = "123:transport"


class Recorder:
    def __init__(self) -> None:
        self.requests: list[tuple[str, str, Any]] = []
        self.delay = 0.0

    async def handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.content_type == "application/json":
            body: Any = await request.json()
        else:
            form = await request.post()
            body = {
                k: (v.file.read() if isinstance(v, web.FileField) else v) for k, v in form.items()
            }
        self.requests.append((method, request.content_type, body))
        await asyncio.sleep(self.delay)
        result: Any = True
        if method == "getMe":
            result = {"id": 123, "is_bot": True, "first_name": "Bot", "username": "bot"}
        elif method in {"sendMessage", "sendDocument"}:
            result = {
                "message_id": 7,
                "date": 0,
                "chat": {"id": int(body["chat_id"]), "type": "private"},
                "text": body.get("text", ""),
            }
        return web.json_response({"ok": True, "result": result})


@pytest.fixture
async def server() -> AsyncIterator[tuple[Recorder, str]]:
    recorder = Recorder()
    app = web.Application()
    app.router.add_post("/bot{token}/{method}", recorder.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield recorder, f"http://127.0.0.1:{port}/bot"
    finally:
        await runner.cleanup()


async def test_a_message_goes_as_a_json_body_the_bot_api_reads(
    server: tuple[Recorder, str],
) -> None:
    recorder, base = server
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("FAQ", callback_data="faq")]])
    async with Bot(TOKEN, base_url=base, request=AiohttpRequest(2)) as bot:
        sent = await bot.send_message(42, "héllo <b>x</b>", reply_markup=keyboard)
    assert sent.message_id == 7 and sent.text == "héllo <b>x</b>"
    method, content_type, body = recorder.requests[-1]
    assert (method, content_type) == ("sendMessage", "application/json")
    assert body["chat_id"] == "42" and body["text"] == "héllo <b>x</b>"
    assert json.loads(body["reply_markup"])["inline_keyboard"][0][0]["callback_data"] == "faq"


async def test_a_document_goes_multipart_with_its_other_fields(
    server: tuple[Recorder, str],
) -> None:
    recorder, base = server
    async with Bot(TOKEN, base_url=base, request=AiohttpRequest(2)) as bot:
        document = InputFile(b"a,b\n1,2\n", filename="comments.csv")
        await bot.send_document(42, document, caption="export")
    method, content_type, body = recorder.requests[-1]
    assert (method, content_type) == ("sendDocument", "multipart/form-data")
    assert body["caption"] == "export" and body["chat_id"] == "42"
    assert body["document"] == b"a,b\n1,2\n"


async def test_a_slow_answer_is_timed_out_as_ptb_says(server: tuple[Recorder, str]) -> None:
    recorder, base = server
    async with Bot(TOKEN, base_url=base, request=AiohttpRequest(2, read_timeout=0.2)) as bot:
        recorder.delay = 1.0
        with pytest.raises(TimedOut):
            await bot.send_message(42, "slow")


async def test_an_unreachable_api_is_a_network_error() -> None:
    base = f"http://127.0.0.1:{free_port()}/bot"
    request = AiohttpRequest(2)
    await request.initialize()
    try:
        with pytest.raises(NetworkError):
            await request.post(f"{base}{TOKEN}/getMe")
    finally:
        await request.shutdown()
