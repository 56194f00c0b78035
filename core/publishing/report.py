"""What a moderator is told of a publication: each target, posted (when) or why not."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Protocol

from core.replies import Block, Reply
from core.replies.build import heading, item, paragraph, reply


class TargetState(Protocol):
    @property
    def platform(self) -> str: ...
    @property
    def target(self) -> str: ...
    @property
    def posted_at(self) -> datetime | None: ...
    @property
    def failure(self) -> str | None: ...


def when(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC")


def target_name(platform: str, target: str) -> str:
    """ "Telegram @news": the platform by its name (`Platform.name`, capitalised)."""
    return f"{platform.capitalize()} {target}"


def target_lines(states: Iterable[TargetState]) -> list[Block]:
    lines: list[Block] = []
    for state in states:
        name = target_name(state.platform, state.target)
        if state.posted_at is not None:
            lines.append(item(f"✅ {name}: posted {when(state.posted_at)}"))
        elif state.failure is not None:
            lines.append(item(f"❌ {name}: {state.failure}"))
        else:
            lines.append(item(f"⏳ {name}: not posted yet"))
    return lines


def publish_report(slug: str, title: str, states: list[TargetState]) -> Reply:
    """How the posting of /slug went, for the moderator who asked."""
    if not states:
        return reply(paragraph(f"/{slug} was not posted anywhere: no announce channel is set."))
    failed = sum(1 for s in states if s.posted_at is None)
    head = f"Published /{slug}" if not failed else f"Published /{slug}, {failed} not posted"
    blocks = [heading(head), paragraph(f"“{title}”"), *target_lines(states)]
    if failed:
        blocks.append(paragraph(f"Fix what is named, then send /publish {slug} to try again."))
    return reply(*blocks, ephemeral=True)
