"""`bench.echo_bot` with its concurrent updates set by the bench: `BENCH_CONCURRENT_UPDATES=N`.

bench/echo_bot.py takes the product's `default_concurrency()` (4 per core, at least 4: 8 on two
cores). A scenario that compares against the bare bot at another setting (e.g. the independent
run's `concurrent_updates=4`) starts this instead; the pool grows with it (N + 4), as in the
echo bot. Unset, it is `python -m bench.echo_bot` unchanged.
"""

from __future__ import annotations

import asyncio
import logging
import os

from bench import echo_bot

ENV = "BENCH_CONCURRENT_UPDATES"


def main() -> None:
    setting = os.environ.get(ENV)
    if setting:
        concurrency = int(setting)
        if concurrency < 1:
            raise SystemExit(f"{ENV} must be at least 1, not {setting}")
        # echo_bot.build() reads its module-level name: the one place the setting enters.
        echo_bot.default_concurrency = lambda: concurrency  # type: ignore[attr-defined]
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level="INFO")
    echo_bot.log.info("concurrent updates: %d", echo_bot.default_concurrency())  # type: ignore[attr-defined]
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    asyncio.run(echo_bot.main())


if __name__ == "__main__":
    main()
