"""Where the checkout and its real content pack are, wherever a test, bench or drill runs from."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONTENT = ROOT / "content"
# The source article, in the shared folder beside the checkout (tests skip when it is absent).
SEED = ROOT.parent / "shared" / "seed" / "stargate-article.txt"
# Articles in layouts of our own for the importer (python -m core.content).
IMPORT_FIXTURES = ROOT / "tests" / "fixtures" / "import"
