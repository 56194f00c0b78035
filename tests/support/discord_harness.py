"""Drives the real discord.py client: raw INTERACTION_CREATE payloads in, recorded REST out."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from bots.discord.run import NewsroomClient, Sync
from bots.discord.settings import DiscordSettings
from core.app import Core
from tests.support.discord_api import (
    APP_ID,
    CHANNEL_ID,
    GUILD_ID,
    FakeDiscord,
    Recorded,
)
from tests.support.settings import discord_settings

_ids = itertools.count(800_000_000_000_000_000)


@dataclass(frozen=True)
class User:
    id: int
    name: str
    roles: tuple[int, ...] = ()

    def json(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "username": self.name.lower().replace(" ", ""),
            "discriminator": "0",
            "global_name": self.name,
            "avatar": None,
        }


@dataclass
class Result:
    """What the adapter sent Discord for one interaction (and anything it set off)."""

    payload: dict[str, Any]
    requests: list[Recorded]
    all_requests: list[Recorded]
    started: float = 0.0  # when the payload was handed to discord.py (time.monotonic)

    @property
    def first(self) -> Recorded:
        return self.requests[0]

    def callback(self) -> dict[str, Any]:
        return next(r.body for r in self.requests if r.path.endswith("/callback"))

    def texts(self) -> str:
        """Every content and embed text the adapter sent for this interaction."""
        out = []
        for record in self.requests:
            body = record.body if isinstance(record.body, dict) else {}
            body = body.get("data", body) if record.path.endswith("/callback") else body
            out.append(body.get("content") or "")
            for embed in body.get("embeds") or []:
                out.append(f"{embed.get('title') or ''}\n{embed.get('description') or ''}")
        return "\n".join(out)


class Payloads:
    """Raw INTERACTION_CREATE payloads, shaped like the gateway's."""

    # Payloads ----------------------------------------------------------------------------

    def payload(
        self,
        kind: int,
        user: User,
        data: dict[str, Any],
        *,
        guild: bool = True,
        message: dict[str, Any] | None = None,
        interaction_id: int | None = None,
        channel_id: int = CHANNEL_ID,
    ) -> dict[str, Any]:
        iid = interaction_id or next(_ids)
        payload: dict[str, Any] = {
            "id": str(iid),
            "application_id": str(APP_ID),
            "type": kind,
            "token": f"token-{iid}",
            "version": 1,
            "data": data,
            "locale": "en-US",
            "attachment_size_limit": 8 << 20,
            "app_permissions": "0",
            "entitlements": [],
            "authorizing_integration_owners": {},
            "channel_id": str(channel_id),
        }
        if guild:
            payload["guild_id"] = str(GUILD_ID)
            payload["context"] = 0
            payload["channel"] = {
                "id": str(channel_id),
                "type": 0,
                "guild_id": str(GUILD_ID),
                "name": "news",
                "position": 0,
                "permission_overwrites": [],
            }
            payload["member"] = {
                "user": user.json(),
                "roles": [str(r) for r in user.roles],
                "joined_at": "2026-01-01T00:00:00+00:00",
                "deaf": False,
                "mute": False,
                "flags": 0,
                "nick": None,
                "permissions": "0",
            }
        else:
            payload["context"] = 1
            payload["channel"] = {"id": str(channel_id), "type": 1, "recipients": [user.json()]}
            payload["user"] = user.json()
        if message is not None:
            payload["message"] = message
        return payload

    def slash(self, name: str, user: User, guild: bool = True, **options: Any) -> dict[str, Any]:
        data: dict[str, Any] = {"id": "1", "name": name, "type": 1}
        if guild:
            data["guild_id"] = str(GUILD_ID)
        if options:
            data["options"] = [
                {"name": k, "type": 4 if isinstance(v, int) else 3, "value": v}
                for k, v in options.items()
            ]
        return self.payload(2, user, data, guild=guild)

    def autocomplete(self, name: str, option: str, value: str, user: User) -> dict[str, Any]:
        data = {
            "id": "1",
            "name": name,
            "type": 1,
            "guild_id": str(GUILD_ID),
            "options": [{"name": option, "type": 3, "value": value, "focused": True}],
        }
        return self.payload(4, user, data)

    def press(
        self, message: dict[str, Any], custom_id: str, user: User, **extra: Any
    ) -> dict[str, Any]:
        data = {"custom_id": custom_id, "component_type": 2}
        payload = self.payload(3, user, data, message=message, **extra)
        payload["channel_id"] = message["channel_id"]
        payload["channel"]["id"] = message["channel_id"]
        return payload

    def submit(
        self,
        modal: dict[str, Any],
        values: dict[str, str],
        user: User,
        *,
        message: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A modal submission: `modal` is the data of the type-9 callback that opened it."""
        by_label = {
            c["label"]: c["custom_id"] for row in modal["components"] for c in row["components"]
        }
        rows = [
            {"type": 1, "components": [{"type": 4, "custom_id": by_label[label], "value": value}]}
            for label, value in values.items()
        ]
        data = {"custom_id": modal["custom_id"], "components": rows}
        return self.payload(5, user, data, message=message)


@dataclass
class Harness(Payloads):
    fake: FakeDiscord
    core: Core
    client: NewsroomClient
    handled: dict[int, asyncio.Event] = field(default_factory=dict)

    @classmethod
    async def start(
        cls,
        fake: FakeDiscord,
        core: Core,
        *,
        sync: Sync = Sync.AUTO,
        settings: DiscordSettings | None = None,
    ) -> Harness:
        """A client on `core` with `settings` (the test ones, `discord_settings()`, if none)."""
        client = NewsroomClient(core, settings or discord_settings(), sync=sync)
        harness = cls(fake, core, client)
        client.adapter.on_handled = harness._done
        await client.login("fake-token")
        return harness

    async def close(self) -> None:
        await self.client.close()

    def _done(self, interaction_id: int) -> None:
        self.handled.setdefault(interaction_id, asyncio.Event()).set()

    # Driving -----------------------------------------------------------------------------

    async def send(
        self, payload: dict[str, Any], *, within: float = 5.0, handled: bool = True
    ) -> Result:
        """Feed the payload to discord.py's gateway parser and wait until it was answered.

        With `handled=False` the adapter is expected never to see it (discord.py drops it):
        wait a moment instead.
        """
        mark = len(self.fake.requests)
        iid = int(payload["id"])
        token = payload["token"]
        event = self.handled.setdefault(iid, asyncio.Event())
        event.clear()
        self.fake.remember(payload)
        started = time.monotonic()
        self.client._connection.parse_interaction_create(payload)  # type: ignore[arg-type]
        if handled:
            await asyncio.wait_for(event.wait(), within)
        else:
            await asyncio.sleep(0.2)
            assert not event.is_set(), "the adapter handled an interaction it should not see"
        if payload["type"] == 4:
            await self.fake.wait_for(lambda r: r.interaction_id == str(iid), within)
        await self.core.events.drain()
        await asyncio.sleep(0)
        await self.core.events.drain()
        new = self.fake.since(mark)
        mine = [r for r in new if r.token == token or r.interaction_id == str(iid)]
        return Result(payload, mine, new, started)

    def modal_of(self, result: Result) -> dict[str, Any]:
        body = result.callback()
        assert body["type"] == 9, body
        data: dict[str, Any] = body["data"]
        return data


# What the `open_core` and `start` fixtures hand a test: open a Core (again, for a restart) on
# one store, start a client on a Core.
OpenCore = Callable[..., Coroutine[Any, Any, Core]]
StartHarness = Callable[..., Coroutine[Any, Any, Harness]]
