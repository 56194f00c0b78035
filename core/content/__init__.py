"""Articles, FAQ and channels: validated content packs read from TOML files."""

from __future__ import annotations

from core.content.loader import CHANNELS_FILE, ContentError, load_library
from core.content.models import (
    Article,
    Channel,
    FaqEntry,
    Library,
    Point,
    Provenance,
    Section,
)
from core.content.structure import InvalidContent, Problem, structure, unstructure

__all__ = [
    "CHANNELS_FILE",
    "Article",
    "Channel",
    "ContentError",
    "FaqEntry",
    "InvalidContent",
    "Library",
    "Point",
    "Problem",
    "Provenance",
    "Section",
    "load_library",
    "structure",
    "unstructure",
]
