"""Where the checkout and its real content pack are, wherever a test, bench or drill runs from."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONTENT = ROOT / "content"
# The source article: a copy kept with the tests, so they run wherever the checkout is; the
# shared folder's original, beside the checkout, when there is one (a test compares the two).
SEED = ROOT / "tests" / "fixtures" / "seed" / "stargate-article.txt"
SHARED_SEED = ROOT.parent / "shared" / "seed" / "stargate-article.txt"
# Articles in layouts of our own for the importer (python -m core.content).
IMPORT_FIXTURES = ROOT / "tests" / "fixtures" / "import"
