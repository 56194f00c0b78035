"""Command and action handlers, a module per concept, registered on a Core."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.handlers import comments, faq, moderation, reading

if TYPE_CHECKING:
    from core.app import Core


def install_all(core: Core) -> None:
    reading.install(core)
    faq.install(core)
    comments.install(core)
    moderation.install(core)
