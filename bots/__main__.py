"""`python -m bots [adapter ...]`: run the configured adapters (see bots.runner)."""

from __future__ import annotations

import sys

from bots.runner import run

if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
