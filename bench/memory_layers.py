"""Where a Telegram-only bot's idle memory goes: resident memory layer by layer, in import order.

Run: `.venv/bin/python -m bench.memory_layers [--runs 3]`.

A fresh interpreter (`python -c`, no `.env`) imports the layers below in turn and reads VmRSS
after each one: a layer's figure is what it adds on top of the layers before it (a module two
layers share counts for the first). The libraries come in the order `python -m bots` needs
them; then the bot's own modules, as the runner imports them for a Telegram-only start; last,
rapidfuzz, which the bot imports at the first FAQ question that is no exact phrasing. Set
against bench.memory's idle figure, the total of the layers before rapidfuzz leaves what the
running bot holds: its connections and their threads, the ORM's configuration, compiled
statements, the content.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

from bench._telegram_proc import clean_env
from bench.report import machine, median, table

# (what, modules imported for it)
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("asyncio, with ssl, concurrent.futures, logging", ("asyncio",)),
    # attrs comes with aiohttp too; cattrs structures content and stored replies, environs
    # (on marshmallow and python-dotenv) reads the settings.
    ("attrs, cattrs, environs", ("attrs", "cattrs", "environs")),
    ("SQLAlchemy core and ORM", ("sqlalchemy", "sqlalchemy.orm")),
    ("SQLAlchemy's asyncio layer, greenlet", ("sqlalchemy.ext.asyncio",)),
    (
        "SQLite: sqlite3, aiosqlite, SQLAlchemy's dialects",
        (
            "sqlite3",
            "aiosqlite",
            "sqlalchemy.dialects.sqlite.aiosqlite",
            "sqlalchemy.dialects.sqlite.pysqlite",
        ),
    ),
    ("python-telegram-bot: telegram, telegram.ext, httpx", ("telegram", "telegram.ext")),
    ("aiohttp's client (its connector loads the CA store)", ("aiohttp",)),
    ("limits", ("limits", "limits.storage", "limits.strategies")),
    ("python-dotenv, tomllib", ("dotenv", "tomllib")),
    ("the bot's own modules: runner, core, adapter", ("bots.runner", "bots.telegram.run")),
    ("rapidfuzz (at the first question that is no exact phrasing)", ("rapidfuzz",)),
)
CHILD = """\
import importlib, json, sys


def rss():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024


figures = [("the interpreter, site", rss())]
for what, modules in json.loads(sys.argv[1]):
    before = rss()
    for module in modules:
        importlib.import_module(module)
    figures.append((what, rss() - before))
print(json.dumps(figures))
"""


def layers_once() -> list[tuple[str, float]]:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(LAYERS)],
        env=clean_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    return [(what, float(mb)) for what, mb in json.loads(done.stdout)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    opts = parser.parse_args()
    runs = [layers_once() for _ in range(opts.runs)]
    names = [what for what, _ in runs[0]]
    figures = [median([run[i][1] for run in runs]) for i in range(len(names))]
    rows: list[list[object]] = [[n, f] for n, f in zip(names, figures, strict=True)]
    rows.insert(-1, ["total before the bot opens its store", sum(figures[:-1])])
    print(f"Resident memory by layer, Telegram only; medians of {opts.runs} runs; {machine()}")
    print(table(["layer", "MB"], rows))


if __name__ == "__main__":
    main()
