"""`python -m bots.telegram`: the Telegram adapter alone, as `python -m bots telegram`.

Exit statuses: 2 misconfigured (no or revoked token, store in use), 3 another process polls
with this token, 1 any other failure.
"""

from __future__ import annotations

import sys

from bots.runner import run

if __name__ == "__main__":
    sys.exit(run(["telegram"]))
