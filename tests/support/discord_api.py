"""A loopback fake of Discord's REST API that records every request and answers like Discord.

discord.py talks to it over real HTTP (its `Route.BASE` points here); the fake keeps the
messages it was sent so component interactions can carry them back, as Discord's do.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.support.network import serve_on_loopback

APP_ID = 900_000_000_000_000_001
BOT_ID = 900_000_000_000_000_002
GUILD_ID = 900_000_000_000_000_003
CHANNEL_ID = 900_000_000_000_000_004
MOD_CHANNEL_ID = 900_000_000_000_000_005
BOT_USER = {
    "id": str(BOT_ID),
    "username": "newsroom",
    "discriminator": "0",
    "global_name": "Newsroom",
    "avatar": None,
    "bot": True,
}
RATE_LIMITED = {"message": "You are being rate limited.", "retry_after": 0.05, "global": False}
EPHEMERAL = 64
LOADING = 128
TIMESTAMP = "2026-11-27T12:00:00.000000+00:00"


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    files: list[str]
    at: float
    status: int = 0

    @property
    def interaction_id(self) -> str | None:
        match = re.match(r"^/interactions/(\d+)/", self.path)
        return match.group(1) if match else None

    @property
    def token(self) -> str | None:
        match = re.match(r"^/(?:interactions/\d+|webhooks/\d+)/([^/]+)", self.path)
        return match.group(1) if match else None


@dataclass
class Tokened:
    """What the fake knows of an interaction: its channel and the message it came from."""

    channel_id: str
    message_id: str | None = None
    acknowledged: bool = False


@dataclass
class FakeDiscord:
    requests: list[Recorded] = field(default_factory=list)
    messages: dict[str, dict[str, Any]] = field(default_factory=dict)
    commands: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    interactions: dict[str, Tokened] = field(default_factory=dict)
    dm_channels: dict[str, str] = field(default_factory=dict)  # channel id -> user id
    closed_dms: set[str] = field(default_factory=set)  # user ids whose DMs answer 50007
    rate_limits: dict[str, int] = field(default_factory=dict)  # path regex -> 429s to answer
    reject_duplicate_acks: bool = True
    refuse_commands: bool = False  # answer command sync with 403 Missing Access
    news_channels: set[str] = field(default_factory=set)  # announcement channels (type 5)
    forbidden_channels: set[str] = field(default_factory=set)  # posts answer 50013
    crossposted: list[str] = field(default_factory=list)  # message ids published to followers
    nonces: dict[tuple[str, str], str] = field(default_factory=dict)  # (channel, nonce) -> id
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(10**18))
    identified: list[dict[str, Any]] = field(default_factory=list)  # IDENTIFY payloads
    _sockets: list[web.WebSocketResponse] = field(default_factory=list)
    _shards: dict[web.WebSocketResponse, tuple[int, int]] = field(default_factory=dict)
    _sequence: int = 0
    _runner: web.AppRunner | None = None
    url: str = ""
    gateway_url: str = ""

    def next_id(self) -> str:
        return str(next(self._ids))

    # Server ------------------------------------------------------------------------------

    async def start(self) -> str:
        app = web.Application()
        app.router.add_route("GET", "/gateway", self._gateway)
        app.router.add_route("*", "/api/v10/{tail:.*}", self._handle)
        self._runner, port = await serve_on_loopback(app)
        self.url = f"http://127.0.0.1:{port}/api/v10"
        self.gateway_url = f"ws://127.0.0.1:{port}/gateway"
        return self.url

    async def stop(self) -> None:
        for socket in self._sockets:
            await socket.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # Gateway: HELLO, IDENTIFY -> READY, heartbeats, and events pushed by tests -------------

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self._sockets.append(socket)
        await socket.send_json(
            {"op": 10, "d": {"heartbeat_interval": 45_000}, "s": None, "t": None}
        )
        async for frame in socket:
            message = json.loads(frame.data)
            if message["op"] == 1:
                await socket.send_json({"op": 11})
            elif message["op"] == 2:
                self.identified.append(message["d"])
                shard = list(message["d"].get("shard") or [0, 1])
                self._shards[socket] = (shard[0], shard[1])
                await self._send(socket, "READY", {
                    "v": 10, "user": BOT_USER, "guilds": [], "session_id": "session",
                    "resume_gateway_url": self.gateway_url, "shard": shard,
                    "application": {"id": str(APP_ID), "flags": 0},
                })  # fmt: skip
        self._sockets.remove(socket)
        self._shards.pop(socket, None)
        return socket

    def remember(self, interaction: dict[str, Any]) -> None:
        """Know an interaction as Discord does when it sends one: its channel, and the message
        of a pressed button (what `@original` means for the answer of a press)."""
        if interaction["token"] not in self.interactions:
            message = interaction.get("message")
            self.interactions[interaction["token"]] = Tokened(
                channel_id=interaction["channel_id"],
                message_id=message["id"] if message else None,
            )

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send a gateway event as Discord does: a guild's events to the session of the shard
        that guild belongs to ((guild_id >> 22) % shard count), direct messages to shard 0;
        to every connected client when none identified with a shard count above 1."""
        if event == "INTERACTION_CREATE":
            self.remember(data)
        sockets = list(self._sockets)
        counts = {count for _, count in self._shards.values()}
        if len(counts) == 1 and (count := counts.pop()) > 1:
            guild = data.get("guild_id")
            wanted = (int(guild) >> 22) % count if guild else 0
            sockets = [s for s in sockets if self._shards.get(s, (None, 0))[0] == wanted]
        for socket in sockets:
            await self._send(socket, event, data)

    async def _send(self, socket: web.WebSocketResponse, event: str, data: Any) -> None:
        self._sequence += 1
        await socket.send_json({"op": 0, "t": event, "s": self._sequence, "d": data})

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["tail"]
        body: Any = None
        files: list[str] = []
        if request.content_type == "multipart/form-data":
            reader = await request.multipart()
            async for part in reader:
                if part.name == "payload_json":  # type: ignore[union-attr]
                    body = json.loads(await part.text())  # type: ignore[union-attr]
                else:
                    files.append(part.filename or "")  # type: ignore[union-attr]
                    await part.read()  # type: ignore[union-attr]
        elif request.can_read_body:
            raw = await request.read()
            body = json.loads(raw) if raw else None
        record = Recorded(request.method, path, dict(request.query), body, files, time.monotonic())
        self.requests.append(record)
        for pattern, left in list(self.rate_limits.items()):
            if left > 0 and re.search(pattern, path):
                self.rate_limits[pattern] = left - 1
                record.status = 429
                return reply(
                    {
                        "message": "You are being rate limited.",
                        "retry_after": 0.05,
                        "global": False,
                    },
                    status=429,
                    headers={
                        "X-RateLimit-Limit": "5",
                        "X-RateLimit-Remaining": "0",
                        "X-RateLimit-Reset-After": "0.05",
                        "X-RateLimit-Bucket": "fake",
                        "X-RateLimit-Scope": "user",
                        "Retry-After": "1",
                        "Via": "1.1 google",  # without it discord.py assumes a Cloudflare ban
                    },
                )
        status, payload = self._answer(request.method, path, record)
        record.status = status
        if status == 204:
            return web.Response(status=204)
        return reply(payload, status=status)

    # Discord's answers -------------------------------------------------------------------

    def _answer(self, method: str, path: str, rec: Recorded) -> tuple[int, Any]:
        routes: list[tuple[str, str, Callable[..., tuple[int, Any]]]] = [
            ("GET", r"^/users/@me$", lambda rec: (200, BOT_USER)),
            ("GET", r"^/gateway/bot$", self._gateway_bot),
            ("GET", r"^/oauth2/applications/@me$", self._app_info),
            ("PUT", r"^/applications/\d+/(?:guilds/(\d+)/)?commands$", self._put_commands),
            ("POST", r"^/interactions/(\d+)/([^/]+)/callback$", self._callback),
            ("POST", r"^/webhooks/\d+/([^/]+)$", self._followup),
            ("PATCH", r"^/webhooks/\d+/([^/]+)/messages/([^/]+)$", self._edit_webhook),
            ("DELETE", r"^/webhooks/\d+/([^/]+)/messages/([^/]+)$", self._delete_webhook),
            ("GET", r"^/channels/(\d+)$", self._get_channel),
            ("POST", r"^/channels/(\d+)/messages/(\d+)/crosspost$", self._crosspost),
            ("DELETE", r"^/channels/(\d+)/messages/(\d+)$", self._delete_message),
            ("POST", r"^/channels/(\d+)/messages$", self._post_message),
            ("PATCH", r"^/channels/(\d+)/messages/(\d+)$", self._edit_message),
            ("POST", r"^/users/@me/channels$", self._open_dm),
        ]
        for verb, pattern, handler in routes:
            match = re.match(pattern, path)
            if verb == method and match:
                return handler(*match.groups(), rec)
        return 404, {"message": "404: Not Found", "code": 0}

    def _app_info(self, rec: Recorded) -> tuple[int, Any]:
        return 200, {
            "id": str(APP_ID),
            "name": "Newsroom",
            "icon": None,
            "description": "",
            "bot_public": False,
            "bot_require_code_grant": False,
            "owner": BOT_USER,
            "verify_key": "0" * 64,
            "flags": 0,
        }

    def _gateway_bot(self, rec: Recorded) -> tuple[int, Any]:
        limit = {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}
        return 200, {"url": self.gateway_url, "shards": 1, "session_start_limit": limit}

    def _put_commands(self, guild_id: str | None, rec: Recorded) -> tuple[int, Any]:
        if self.refuse_commands:
            return 403, {"message": "Missing Access", "code": 50001}
        scope = guild_id or "global"
        stored = [
            {**command, "id": self.next_id(), "application_id": str(APP_ID), "version": "1"}
            | ({"guild_id": guild_id} if guild_id else {})
            for command in rec.body
        ]
        self.commands[scope] = stored
        return 200, stored

    def message(
        self,
        channel_id: str,
        body: dict[str, Any],
        *,
        flags: int = 0,
        message_id: str | None = None,
    ) -> dict[str, Any]:
        return {
            "id": message_id or self.next_id(),
            "channel_id": channel_id,
            "author": BOT_USER,
            "content": body.get("content") or "",
            "timestamp": TIMESTAMP,
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": body.get("embeds") or [],
            "components": body.get("components") or [],
            "pinned": False,
            "type": 0,
            "flags": flags | (body.get("flags") or 0),
        }

    def _store(self, message: dict[str, Any]) -> dict[str, Any]:
        self.messages[message["id"]] = message
        return message

    def _callback(self, interaction_id: str, token: str, rec: Recorded) -> tuple[int, Any]:
        known = self.interactions.setdefault(token, Tokened(channel_id=str(CHANNEL_ID)))
        if known.acknowledged and self.reject_duplicate_acks:
            return 400, {"message": "Interaction has already been acknowledged.", "code": 40060}
        known.acknowledged = True
        kind = rec.body["type"]
        data = rec.body.get("data") or {}
        flags = data.get("flags") or 0
        answer: dict[str, Any] = {
            "interaction": {
                "id": interaction_id,
                "type": 2,
                "response_message_loading": kind == 5,
                "response_message_ephemeral": bool(flags & EPHEMERAL),
            },
            "resource": {"type": kind},
        }
        if kind in (4, 5):
            message = self._store(
                self.message(known.channel_id, data, flags=LOADING if kind == 5 else 0)
            )
            known.message_id = message["id"]
            answer["interaction"]["response_message_id"] = message["id"]
            answer["resource"]["message"] = message
        return 200, answer

    def _followup(self, token: str, rec: Recorded) -> tuple[int, Any]:
        known = self.interactions.get(token)
        if known is None:
            return 404, {"message": "Unknown Webhook", "code": 10015}
        message = self._store(self.message(known.channel_id, rec.body or {}))
        if rec.query.get("wait") == "false":
            return 204, None
        return 200, message

    def _target(self, token: str, message_id: str) -> dict[str, Any] | None:
        known = self.interactions.get(token)
        if known is None:
            return None
        if message_id == "@original":
            return self.messages.get(known.message_id or "")
        return self.messages.get(message_id)

    def _edit_webhook(self, token: str, message_id: str, rec: Recorded) -> tuple[int, Any]:
        target = self._target(token, message_id)
        if target is None:
            return 404, {"message": "Unknown Message", "code": 10008}
        return 200, self._apply_edit(target, rec.body or {})

    def _delete_webhook(self, token: str, message_id: str, rec: Recorded) -> tuple[int, Any]:
        target = self._target(token, message_id)
        if target is None:
            return 404, {"message": "Unknown Message", "code": 10008}
        del self.messages[target["id"]]
        return 204, None

    def _apply_edit(self, target: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
        for key in ("content", "embeds", "components"):
            if key in body:
                target[key] = (
                    body[key] if body[key] is not None else ([] if key != "content" else "")
                )
        target["flags"] = target.get("flags", 0) & ~LOADING
        target["edited_timestamp"] = TIMESTAMP
        return target

    def _get_channel(self, channel_id: str, rec: Recorded) -> tuple[int, Any]:
        if channel_id in self.forbidden_channels:
            return 403, {"message": "Missing Access", "code": 50001}
        return 200, {
            "id": channel_id, "type": 5 if channel_id in self.news_channels else 0,
            "guild_id": str(GUILD_ID), "name": "announcements", "position": 0,
            "permission_overwrites": [], "nsfw": False, "parent_id": None,
        }  # fmt: skip

    def _crosspost(self, channel_id: str, message_id: str, rec: Recorded) -> tuple[int, Any]:
        message = self.messages.get(message_id)
        if message is None or message["channel_id"] != channel_id:
            return 404, {"message": "Unknown Message", "code": 10008}
        if channel_id not in self.news_channels:
            return 400, {"message": "Cannot execute action on this channel type", "code": 50024}
        if message_id in self.crossposted:
            return 400, {"message": "This message has already been crossposted.", "code": 40033}
        self.crossposted.append(message_id)
        message["flags"] = message.get("flags", 0) | 1  # CROSSPOSTED
        return 200, message

    def _delete_message(self, channel_id: str, message_id: str, rec: Recorded) -> tuple[int, Any]:
        message = self.messages.get(message_id)
        if message is None or message["channel_id"] != channel_id:
            return 404, {"message": "Unknown Message", "code": 10008}
        del self.messages[message_id]
        return 204, None

    def _post_message(self, channel_id: str, rec: Recorded) -> tuple[int, Any]:
        user_id = self.dm_channels.get(channel_id)
        if user_id is not None and user_id in self.closed_dms:
            return 403, {"message": "Cannot send messages to this user", "code": 50007}
        if channel_id in self.forbidden_channels:
            return 403, {"message": "Missing Permissions", "code": 50013}
        body = rec.body or {}
        if body.get("enforce_nonce") and "nonce" in body:
            # Discord answers a nonce it saw lately with the message it made then.
            known = self.nonces.get((channel_id, str(body["nonce"])))
            if known is not None and known in self.messages:
                return 200, self.messages[known]
            message = self._store(self.message(channel_id, body))
            self.nonces[(channel_id, str(body["nonce"]))] = message["id"]
            return 200, message
        return 200, self._store(self.message(channel_id, rec.body or {}))

    def _edit_message(self, channel_id: str, message_id: str, rec: Recorded) -> tuple[int, Any]:
        target = self.messages.get(message_id)
        if target is None or target["channel_id"] != channel_id:
            return 404, {"message": "Unknown Message", "code": 10008}
        return 200, self._apply_edit(target, rec.body or {})

    def _open_dm(self, rec: Recorded) -> tuple[int, Any]:
        user_id = str(rec.body["recipient_id"])
        channel_id = next((c for c, u in self.dm_channels.items() if u == user_id), None)
        channel_id = channel_id or self.next_id()
        self.dm_channels[channel_id] = user_id
        recipient = {"id": user_id, "username": f"user{user_id}", "discriminator": "0",
                     "avatar": None, "global_name": None}  # fmt: skip
        return 200, {
            "id": channel_id,
            "type": 1,
            "recipients": [recipient],
            "last_message_id": None,
        }

    # Queries for tests -------------------------------------------------------------------

    def since(self, mark: int) -> list[Recorded]:
        return self.requests[mark:]

    def for_interaction(self, interaction_id: str, token: str) -> list[Recorded]:
        return [r for r in self.requests if r.token == token or r.interaction_id == interaction_id]

    async def wait_for(
        self, predicate: Callable[[Recorded], bool], within: float = 5.0
    ) -> Recorded:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            for record in self.requests:
                if predicate(record):
                    return record
            await asyncio.sleep(0.005)
        raise AssertionError("the expected request to Discord never came")


def reply(payload: Any, *, status: int, headers: dict[str, str] | None = None) -> web.Response:
    """JSON as Discord sends it: discord.py wants exactly `application/json`."""
    return web.Response(
        body=json.dumps(payload).encode(),
        status=status,
        headers={**(headers or {}), "Content-Type": "application/json"},
    )
