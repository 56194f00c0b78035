"""`python -m bots.console`: talk to the bot in a terminal, or script it through stdin."""

from __future__ import annotations

import sys

from bots.console.run import parse_args
from bots.runner import run

if __name__ == "__main__":
    sys.exit(run(console=parse_args(sys.argv[1:])))
