"""Where the checkout and its real content pack are, wherever a test, bench or drill runs from."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONTENT = ROOT / "content"
