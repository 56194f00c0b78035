"""The console as the core's relay sees it (core.relay.port): what moderators and authors
would receive on their platforms, written to the terminal."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable

from bots.console.render import render_text
from core.relay.port import Delivery, PostRef
from core.replies import Reply

PLATFORM = "console"


class ConsolePlatform:
    def __init__(self, write: Callable[[str], None], name_of: Callable[[str], str]) -> None:
        self._write = write
        self._name_of = name_of
        # The store keeps every post under its id for good: a run's ids must not repeat an
        # earlier run's, so they start with when this one started.
        self._run = f"{time.time_ns():x}"
        self._ids = itertools.count(1)
        self.name = PLATFORM
        self.moderation_target = "moderators"
        # /publish shows the article card as the publisher's channel would.
        self.posts_once_per_key = True  # printing again does no harm
        self.announce_targets = ("channel",)

    async def post(
        self, target: str, reply: Reply, *, broadcast: bool = False, once_key: str | None = None
    ) -> PostRef:
        self._write(f"[to {target}]\n{render_text(reply)}")
        return PostRef(PLATFORM, target, f"{self._run}-{next(self._ids)}")

    async def edit(self, post: PostRef, reply: Reply, *, broadcast: bool = False) -> None:
        """A terminal can't change what it printed: the moderator saw the decision made."""

    async def delete(self, post: PostRef) -> None:
        """Likewise: nothing printed can be taken back."""

    async def notify(self, user_id: str, reply: Reply) -> Delivery:
        self._write(f"[to {self._name_of(user_id)}]\n{render_text(reply)}")
        return Delivery(True, "shown in the console")
