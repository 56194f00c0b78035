"""A platform port that records what the relay asks of it, for tests of the core's relay
without a platform stack (the adapters' own ports are tested on their real stacks)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from core.relay.port import Delivery, MessageGone, PortError, PostRef
from core.replies import Reply


@dataclass
class Posted:
    target: str
    reply: Reply
    broadcast: bool
    ref: PostRef


@dataclass
class RecordingPlatform:
    """Posts succeed (each target gets numbered messages) unless `refuse` names the target;
    edits of a message in `gone` raise MessageGone, as after an admin deleted it."""

    name: str = "telegram"
    moderation_target: str | None = None
    announce_targets: tuple[str, ...] = ()
    posts_once_per_key: bool = False
    refuse: dict[str, PortError] = field(default_factory=dict)
    gone: set[str] = field(default_factory=set)
    posted: list[Posted] = field(default_factory=list)
    edits: list[tuple[PostRef, Reply]] = field(default_factory=list)
    told: list[tuple[str, Reply]] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    async def post(
        self, target: str, reply: Reply, *, broadcast: bool = False, once_key: str | None = None
    ) -> PostRef:
        if target in self.refuse:
            raise self.refuse[target]
        ref = PostRef(self.name, f"chat-{target}", str(next(self._ids)))
        self.posted.append(Posted(target, reply, broadcast, ref))
        return ref

    async def edit(self, post: PostRef, reply: Reply, *, broadcast: bool = False) -> None:
        if post.message_id in self.gone:
            raise MessageGone("Bad Request: message to edit not found")
        self.edits.append((post, reply))

    async def delete(self, post: PostRef) -> None:
        self.gone.add(post.message_id)

    async def notify(self, user_id: str, reply: Reply) -> Delivery:
        self.told.append((user_id, reply))
        return Delivery(True)

    def edits_of(self, message_id: str) -> list[Reply]:
        return [reply for ref, reply in self.edits if ref.message_id == message_id]
