"""Sentences of a paragraph, by rules (pysbd): no model or data to download."""

from __future__ import annotations

from functools import cache
from typing import Protocol


class _Segmenter(Protocol):
    def segment(self, text: str) -> list[str]: ...


@cache
def _segmenter() -> _Segmenter:
    import pysbd

    # clean=False keeps the text as written, so every sentence is a slice of the paragraph.
    segmenter: _Segmenter = pysbd.Segmenter(language="en", clean=False)
    return segmenter


def sentences(paragraph: str) -> list[str]:
    """The paragraph's sentences, each exactly as it stands in the paragraph."""
    found = [s.strip() for s in _segmenter().segment(paragraph) if s.strip()]
    # pysbd keeps the text when clean=False; should it ever not, the paragraph stays whole.
    if not all(s in paragraph for s in found):
        return [paragraph]
    return found
