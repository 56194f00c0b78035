"""A loopback fake of the Telegram Bot API for end-to-end tests of the real PTB stack.

It serves `{root}/bot{token}/{method}` on 127.0.0.1, records every call, answers like Telegram
(message objects with per-chat ids, `ok`/`error_code`/`description`), validates like Telegram
(HTML entities, 4096 characters, 64-byte callback data, answered-once callback queries) and
injects faults on demand: 429 with `retry_after`, 409 on getUpdates, 5xx, delays, 403 for chats
that blocked the bot.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.support.network import serve_on_loopback
from tests.support.telegram_html import EntityError, check_message, utf16_len

TOKEN = "123456:TEST-fake-token-never-logged"
BOT_ID = 123456
BOT_USERNAME = "newsroom_test_bot"
JSON_FIELDS = {
    "reply_markup",
    "results",
    "commands",
    "scope",
    "allowed_updates",
    "link_preview_options",
    "reply_parameters",
    "entities",
    "button",
}
INT_FIELDS = {"chat_id", "message_id", "offset", "limit", "timeout", "cache_time", "user_id"}
CONFLICT = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    status: int = 200
    result: Any = None
    error: str | None = None
    at: float = field(default_factory=time.monotonic)

    @property
    def ok(self) -> bool:
        return self.status == 200


@dataclass
class Fault:
    method: str
    status: int = 0
    description: str = ""
    retry_after: int | None = None
    delay: float = 0.0
    count: int = 1
    chat_id: int | None = None


class ApiError(Exception):
    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after


def _bad(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


class FakeBotApi:
    def __init__(self, first_update_id: int = 1000) -> None:
        # Telegram numbers one bot's updates in one sequence: a second fake on the same store
        # (a drill's next scenario) starts elsewhere, or its updates would look re-delivered.
        self.calls: list[Call] = []
        self.polls: list[Call] = []
        self.faults: list[Fault] = []
        self.blocked: set[int] = set()
        # Channels: "@username" -> chat id; chats whose posts the bot may not make.
        self.channels: dict[str, int] = {}
        self.not_member: set[int] = set()
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}
        self.commands: dict[str, list[dict[str, Any]]] = {}
        self.webhook: dict[str, Any] = {"url": ""}
        self.documents: list[dict[str, Any]] = []
        self._updates: list[dict[str, Any]] = []
        self._delivered: set[int] = set()
        self._new_update = asyncio.Condition()
        self._update_ids = itertools.count(first_update_id)
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._answered: set[str] = set()
        self._query_ids = itertools.count(1)
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.root = ""
        self._closing = False
        # Polls answered 409 because a newer one came (two pollers at once), and the one
        # waiting now.
        self.conflicts = 0
        self._waiting_poll: asyncio.Event | None = None

    # Lifecycle --------------------------------------------------------------------------

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._handle)
        app.router.add_get("/bot{token}/{method}", self._handle)
        self._runner, port = await serve_on_loopback(app)
        self.root = f"http://127.0.0.1:{port}"
        return self.root

    async def stop(self) -> None:
        # Long polls still open on the server side would hold cleanup until their timeout.
        self._closing = True
        await self._notify(self._new_update)
        if self._runner is not None:
            await self._runner.cleanup()

    # Feeding updates ----------------------------------------------------------------------

    def push(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue a raw update (an `update_id` is assigned unless given: replays reuse one)."""
        update.setdefault("update_id", next(self._update_ids))
        self._updates.append(update)
        self._delivered.discard(update["update_id"])
        asyncio.get_running_loop().create_task(self._notify(self._new_update))
        return update

    @staticmethod
    def user(
        user_id: int, first_name: str = "Reader", last_name: str | None = None
    ) -> dict[str, Any]:
        data: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        if last_name:
            data["last_name"] = last_name
        return data

    @staticmethod
    def chat(chat_id: int, title: str = "Moderators") -> dict[str, Any]:
        if chat_id > 0:
            return {"id": chat_id, "type": "private", "first_name": "Reader"}
        return {"id": chat_id, "type": "supergroup", "title": title}

    def message(
        self,
        user: dict[str, Any],
        text: str,
        chat_id: int | None = None,
        reply_to: dict[str, Any] | None = None,
        sender_chat: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Push a message from `user` (in their private chat unless `chat_id`); with
        `sender_chat`, sent on behalf of that chat (an anonymous admin, a channel)."""
        chat = self.chat(chat_id if chat_id is not None else user["id"])
        msg: dict[str, Any] = {
            "message_id": next(self._ids(chat["id"])),
            "date": int(time.time()),
            "chat": chat,
            "from": user,
            "text": text,
        }
        if text.startswith("/"):
            length = len(text.split(maxsplit=1)[0])
            msg["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        if reply_to is not None:
            msg["reply_to_message"] = reply_to
        if sender_chat is not None:
            msg["sender_chat"] = sender_chat
        return self.push({"message": msg})

    def press(self, user: dict[str, Any], message: dict[str, Any], data: str) -> dict[str, Any]:
        """Push a callback query: `user` pressed the button `data` under `message`."""
        query = {
            "id": f"q{next(self._query_ids)}",
            "from": user,
            "chat_instance": "ci",
            "message": message,
            "data": data,
        }
        return self.push({"callback_query": query})

    def inline_press(
        self, user: dict[str, Any], inline_message_id: str, data: str
    ) -> dict[str, Any]:
        """Push a press on a button of a message sent through inline mode (no chat message)."""
        query = {
            "id": f"q{next(self._query_ids)}",
            "from": user,
            "chat_instance": "ci",
            "inline_message_id": inline_message_id,
            "data": data,
        }
        return self.push({"callback_query": query})

    def inline(self, user: dict[str, Any], query: str) -> dict[str, Any]:
        inline_query = {
            "id": f"iq{next(self._query_ids)}",
            "from": user,
            "query": query,
            "offset": "",
        }
        return self.push({"inline_query": inline_query})

    # Faults -------------------------------------------------------------------------------

    def fail(self, method: str, status: int, description: str = "", **kw: Any) -> Fault:
        fault = Fault(method, status, description, **kw)
        self.faults.append(fault)
        return fault

    def flood(self, method: str, retry_after: int = 1, count: int = 1, **kw: Any) -> Fault:
        return self.fail(
            method, 429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after,
            count=count, **kw,
        )  # fmt: skip

    def conflict(self, count: int = 10_000) -> Fault:
        return self.fail("getUpdates", 409, CONFLICT, count=count)

    def slow(self, method: str, delay: float, count: int = 1) -> Fault:
        return self.fail(method, 0, delay=delay, count=count)

    # Inspection ---------------------------------------------------------------------------

    def sent(self, method: str = "sendMessage", chat_id: int | None = None) -> list[Call]:
        """Successful calls of `method` (to `chat_id`), in order."""
        return [
            c
            for c in self.calls
            if c.method == method
            and c.ok
            and (chat_id is None or c.params.get("chat_id") == chat_id)
        ]

    def texts(self, chat_id: int) -> list[str]:
        return [c.params["text"] for c in self.sent(chat_id=chat_id)]

    async def wait_for(
        self,
        predicate: Callable[[Call], bool],
        within: float = 5.0,
        after: int = 0,
        ok: bool = True,
    ) -> Call:
        """The first call (from index `after`, successful unless `ok=False`) matching."""

        def found() -> Call | None:
            return next((c for c in self.calls[after:] if (c.ok or not ok) and predicate(c)), None)

        async with asyncio.timeout(within), self._changed:
            await self._changed.wait_for(lambda: found() is not None)
        call = found()
        assert call is not None
        return call

    async def wait_sent(
        self, chat_id: int, method: str = "sendMessage", within: float = 5.0, after: int = 0
    ) -> Call:
        return await self.wait_for(
            lambda c: c.method == method and c.params.get("chat_id") == chat_id, within, after
        )

    async def idle(self, quiet: float = 0.3) -> None:
        """Wait until no call has arrived for `quiet` seconds (nothing more is coming)."""
        while True:
            count = len(self.calls)
            await asyncio.sleep(quiet)
            if len(self.calls) == count:
                return

    # HTTP ---------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != TOKEN:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        method = request.match_info["method"]
        params = await self._params(request)
        call = Call(method, params)
        try:
            await self._fault(method, params)
            handler = getattr(self, f"_api_{method}", None)
            if handler is None:
                raise ApiError(404, "Not Found: method not found")
            result = handler(params)
            if asyncio.iscoroutine(result):
                result = await result
            call.result = result
            response = web.json_response({"ok": True, "result": result})
        except ApiError as exc:
            call.status, call.error = exc.status, exc.description
            gone = request.transport is None or request.transport.is_closing()
            if exc.status == 409 and not gone:
                self.conflicts += 1  # a poller was told another one polls
            body: dict[str, Any] = {
                "ok": False,
                "error_code": exc.status,
                "description": exc.description,
            }
            if exc.retry_after is not None:
                body["parameters"] = {"retry_after": exc.retry_after}
            response = web.json_response(body, status=exc.status)
        if method == "getUpdates":
            self.polls.append(call)
        # Empty long polls are noise for tests that wait for the bot to fall quiet.
        if method != "getUpdates" or call.result or not call.ok:
            self.calls.append(call)
            await self._notify(self._changed)
        return response

    @staticmethod
    async def _notify(condition: asyncio.Condition) -> None:
        async with condition:
            condition.notify_all()

    @staticmethod
    async def _params(request: web.Request) -> dict[str, Any]:
        # As the Bot API: a JSON body, a form or multipart; in any of them a JSON-typed field
        # may come as a JSON string and a number as a numeric string.
        fields: dict[str, Any]
        if request.content_type == "application/json":
            fields = dict(await request.json())
        else:
            fields = dict(await request.post())
        params: dict[str, Any] = {}
        for key, value in fields.items():
            if isinstance(value, web.FileField):
                params[key] = {"filename": value.filename, "content": value.file.read()}
            elif key in JSON_FIELDS and isinstance(value, str):
                params[key] = json.loads(value)
            elif key in INT_FIELDS and isinstance(value, str):
                with contextlib.suppress(ValueError):
                    value = int(value)
                params[key] = value
            else:
                params[key] = value
        return params

    async def _fault(self, method: str, params: dict[str, Any]) -> None:
        for fault in self.faults:
            if fault.method != method or fault.count <= 0:
                continue
            if fault.chat_id is not None and params.get("chat_id") != fault.chat_id:
                continue
            fault.count -= 1
            if fault.delay:
                await asyncio.sleep(fault.delay)
            if fault.status:
                raise ApiError(fault.status, fault.description, fault.retry_after)
            return

    def _ids(self, chat_id: int) -> itertools.count[int]:
        return self._message_ids.setdefault(chat_id, itertools.count(1))

    # Validation ---------------------------------------------------------------------------

    @staticmethod
    def _check_text(text: Any, parse_mode: Any, limit: int = 4096) -> None:
        if not isinstance(text, str) or not text.strip():
            raise _bad("message text is empty")
        if parse_mode == "HTML":
            try:
                check_message(text, limit)
            except EntityError as exc:
                if "too long" in str(exc):
                    raise _bad("message is too long") from exc
                raise _bad(f"can't parse entities: {exc}") from exc
        elif utf16_len(text.strip()) > limit:
            raise _bad("message is too long")

    @staticmethod
    def _check_markup(markup: Any) -> None:
        if not markup or "inline_keyboard" not in markup:
            return
        for row in markup["inline_keyboard"]:
            for button in row:
                if not button.get("text"):
                    raise _bad("text buttons are unallowed in the inline keyboard")
                data = button.get("callback_data")
                if data is not None and not 1 <= len(data.encode()) <= 64:
                    raise _bad("BUTTON_DATA_INVALID")
                url = button.get("url")
                if url is not None and not url.startswith(("http://", "https://", "tg://")):
                    raise _bad(f"inline keyboard button URL '{url}' is invalid")

    def _check_chat(self, chat_id: Any) -> int:
        if isinstance(chat_id, str) and chat_id in self.channels:
            chat_id = self.channels[chat_id]
        if not isinstance(chat_id, int):
            raise _bad("chat not found")
        if chat_id in self.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if chat_id in self.not_member:
            raise ApiError(403, "Forbidden: bot is not a member of the channel chat")
        return chat_id

    def _message(self, chat_id: int, **fields: Any) -> dict[str, Any]:
        username = next((name for name, id_ in self.channels.items() if id_ == chat_id), None)
        chat = self.chat(chat_id)
        if username is not None:
            chat = {"id": chat_id, "type": "channel", "title": "News", "username": username[1:]}
        msg = {
            "message_id": next(self._ids(chat_id)),
            "date": int(time.time()),
            "chat": chat,
            "from": {
                "id": BOT_ID,
                "is_bot": True,
                "first_name": "Newsroom",
                "username": BOT_USERNAME,
            },
            **fields,
        }
        self.messages[(chat_id, msg["message_id"])] = msg
        return msg

    # Methods ------------------------------------------------------------------------------

    def _api_getMe(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": "Newsroom",
            "username": BOT_USERNAME,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": True,
        }

    async def _api_getUpdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        timeout = float(params.get("timeout") or 0)
        # Confirmed updates are forgotten, as Telegram does once a higher offset is asked for.
        self._updates = [
            u
            for u in self._updates
            if not (u["update_id"] < offset and u["update_id"] in self._delivered)
        ]

        def pending() -> list[dict[str, Any]]:
            return [
                u
                for u in self._updates
                if u["update_id"] not in self._delivered or u["update_id"] >= offset
            ]

        # As Telegram: a second poller's request ends the one waiting with 409 Conflict.
        previous, terminated = self._waiting_poll, asyncio.Event()
        self._waiting_poll = terminated
        if previous is not None and not previous.is_set():
            previous.set()
            await self._notify(self._new_update)
        if not pending() and timeout > 0:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout), self._new_update:
                    await self._new_update.wait_for(
                        lambda: self._closing or terminated.is_set() or bool(pending())
                    )
        if terminated.is_set():
            raise ApiError(409, CONFLICT)
        terminated.set()  # answered: a later poll terminates nothing
        batch = pending()[: int(params.get("limit") or 100)]
        self._delivered.update(u["update_id"] for u in batch)
        return batch

    def _api_deleteWebhook(self, params: dict[str, Any]) -> bool:
        self.webhook = {"url": ""}
        return True

    def _api_setWebhook(self, params: dict[str, Any]) -> bool:
        self.webhook = dict(params)
        return True

    def _api_getWebhookInfo(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": self.webhook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": 0,
        }

    def _api_sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._check_chat(params.get("chat_id"))
        self._check_text(params.get("text"), params.get("parse_mode"))
        self._check_markup(params.get("reply_markup"))
        fields: dict[str, Any] = {"text": params["text"]}
        markup = params.get("reply_markup")
        if markup and "inline_keyboard" in markup:
            fields["reply_markup"] = markup
        return self._message(chat_id, **fields)

    def _api_sendDocument(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._check_chat(params.get("chat_id"))
        document = params.get("document")
        if not isinstance(document, dict):
            raise _bad("there is no document in the request")
        if "caption" in params:
            self._check_text(params["caption"], params.get("parse_mode"), limit=1024)
        self.documents.append({"chat_id": chat_id, **document})
        doc = {
            "file_id": f"doc{len(self.documents)}",
            "file_unique_id": f"u{len(self.documents)}",
            "file_name": document["filename"],
        }
        return self._message(chat_id, document=doc)

    def _api_editMessageText(self, params: dict[str, Any]) -> dict[str, Any] | bool:
        self._check_text(params.get("text"), params.get("parse_mode"))
        self._check_markup(params.get("reply_markup"))
        if "inline_message_id" in params:
            return True
        key = (params.get("chat_id"), params.get("message_id"))
        msg = self.messages.get(key)  # type: ignore[arg-type]
        if msg is None:
            raise _bad("message to edit not found")
        markup = params.get("reply_markup") or None
        if msg.get("text") == params["text"] and msg.get("reply_markup") == markup:
            raise _bad(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message"
            )
        msg["text"] = params["text"]
        msg.pop("reply_markup", None)
        if markup:
            msg["reply_markup"] = markup
        msg["edit_date"] = int(time.time())
        return msg

    def _api_deleteMessage(self, params: dict[str, Any]) -> bool:
        key = (params.get("chat_id"), params.get("message_id"))
        if self.messages.pop(key, None) is None:  # type: ignore[arg-type]
            raise _bad("message to delete not found")
        return True

    def _api_editMessageReplyMarkup(self, params: dict[str, Any]) -> dict[str, Any] | bool:
        self._check_markup(params.get("reply_markup"))
        if "inline_message_id" in params:
            return True
        msg = self.messages.get((params.get("chat_id"), params.get("message_id")))  # type: ignore[arg-type]
        if msg is None:
            raise _bad("message to edit not found")
        msg["reply_markup"] = params.get("reply_markup")
        return msg

    def _api_answerCallbackQuery(self, params: dict[str, Any]) -> bool:
        query_id = params.get("callback_query_id")
        if query_id in self._answered:
            raise _bad("query is too old and response timeout expired or query ID is invalid")
        if len(params.get("text") or "") > 200:
            raise _bad("MESSAGE_TOO_LONG")
        self._answered.add(query_id)  # type: ignore[arg-type]
        return True

    def _api_answerInlineQuery(self, params: dict[str, Any]) -> bool:
        results = params.get("results") or []
        if len(results) > 50:
            raise _bad("RESULTS_TOO_MUCH")
        seen: set[str] = set()
        for result in results:
            if result["id"] in seen or len(result["id"].encode()) > 64:
                raise _bad("RESULT_ID_DUPLICATE")
            seen.add(result["id"])
            content = result.get("input_message_content") or {}
            self._check_text(content.get("message_text"), content.get("parse_mode"))
            self._check_markup(result.get("reply_markup"))
        return True

    @staticmethod
    def _scope_key(params: dict[str, Any]) -> str:
        return json.dumps(params.get("scope") or {"type": "default"}, sort_keys=True)

    def _api_setMyCommands(self, params: dict[str, Any]) -> bool:
        commands = params.get("commands") or []
        if len(commands) > 100:
            raise _bad("too many commands")
        for command in commands:
            if (
                not 1 <= len(command["command"]) <= 32
                or not 1 <= len(command["description"]) <= 256
            ):
                raise _bad("BOT_COMMAND_INVALID")
        scope = params.get("scope") or {}
        if scope.get("type") == "chat" and scope.get("chat_id") in self.blocked:
            raise _bad("chat not found")
        self.commands[self._scope_key(params)] = commands
        return True

    def _api_getMyCommands(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        return self.commands.get(self._scope_key(params), [])

    def _api_deleteMyCommands(self, params: dict[str, Any]) -> bool:
        self.commands.pop(self._scope_key(params), None)
        return True

    def _api_close(self, params: dict[str, Any]) -> bool:
        return True
