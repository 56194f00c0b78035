"""Where the checkout, its content and the tests' fixtures are, wherever a test, bench or drill
runs from."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The content pack the tests know (the Stargate article and the channels as shipped), kept
# with them: a publisher's own articles in content/ change no test.
CONTENT = ROOT / "tests" / "fixtures" / "content" / "stargate"
# What the bot serves by default: its articles must load, whatever they are.
SHIPPED_CONTENT = ROOT / "content"
# The source article: a copy kept with the tests, so they run wherever the checkout is; the
# shared folder's original, beside the checkout, when there is one (a test compares the two).
SEED = ROOT / "tests" / "fixtures" / "seed" / "stargate-article.txt"
SHARED_SEED = ROOT.parent / "shared" / "seed" / "stargate-article.txt"
# Articles in layouts of our own for the importer (python -m core.content).
IMPORT_FIXTURES = ROOT / "tests" / "fixtures" / "import"
