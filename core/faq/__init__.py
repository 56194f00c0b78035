"""FAQ matching: normalise readers' questions and find the entry they mean."""

from __future__ import annotations

from core.faq.matcher import FaqIndex, FaqMatch, MatchBand
from core.faq.normalize import normalize, tokens

__all__ = ["FaqIndex", "FaqMatch", "MatchBand", "normalize", "tokens"]
