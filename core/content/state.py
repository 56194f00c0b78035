"""The content a process serves, as one value: the articles, their FAQ index, the command
registry made from them and the replies built from them.

A reload builds a whole new `ContentState` and swaps it in with one assignment
(`Core.reload_content`), so no reader ever sees articles without their FAQ index or commands,
and a request that started on the old one finishes on it (`Context.pinned`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from core.commands.registry import CommandRegistry
from core.commands.router import build_registry
from core.content.models import Library
from core.faq.library import FaqLibrary

if TYPE_CHECKING:
    from core.commands.router import Router
    from core.replies import Reply


# eq=False: two states are the same only if they are one object, which is what a reader of a
# swapped state is asked about (and `shared` is a dict, which could not be hashed anyway).
@dataclass(frozen=True, slots=True, eq=False)
class ContentState:
    library: Library
    faq: FaqLibrary
    registry: CommandRegistry
    # Replies of fixed content (summaries), built once and shared: the replay cache then holds
    # references, not a copy per reader. Built from this state's articles, so it goes with them.
    shared: dict[str, Reply] = field(default_factory=dict)

    @classmethod
    def build(cls, library: Library, routers: Iterable[Router]) -> ContentState:
        """The FAQ index and the command registry of `library` (every router's commands and
        those they make from the content)."""
        return cls(library, FaqLibrary(library), build_registry(routers, library))


@dataclass(frozen=True, slots=True)
class ContentChange:
    """What a reload changed: articles by slug, the channels, the command definitions."""

    added: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    channels_changed: bool = False
    # Any command's name, description, arguments or audience differs, or their order: the
    # platforms' menus and Discord's slash commands must follow.
    commands_changed: bool = False

    @classmethod
    def between(cls, old: ContentState, new: ContentState) -> ContentChange:
        before = {article.slug: article for article in old.library.articles}
        after = {article.slug: article for article in new.library.articles}
        return cls(
            added=tuple(slug for slug in after if slug not in before),
            changed=tuple(
                slug for slug in after if slug in before and after[slug] != before[slug]
            ),
            removed=tuple(slug for slug in before if slug not in after),
            channels_changed=old.library.channels != new.library.channels,
            commands_changed=list(old.registry) != list(new.registry),
        )

    @property
    def nothing(self) -> bool:
        return not (self.added or self.changed or self.removed or self.channels_changed)

    def describe(self) -> str:
        """One line for a moderator and the log, e.g. "added /townhall; changed /stargate"."""
        parts = [
            f"{verb} {', '.join(f'/{slug}' for slug in slugs)}"
            for verb, slugs in (
                ("added", self.added),
                ("changed", self.changed),
                ("removed", self.removed),
            )
            if slugs
        ]
        if self.channels_changed:
            parts.append("changed the channels of /links")
        return "; ".join(parts) if parts else "nothing changed"
