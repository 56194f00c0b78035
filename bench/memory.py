"""Memory and start-up of `python -m bots`, against loopback fakes.

Run: `.venv/bin/python -m bench.memory [--starts 5] [--soak 600] [--rate 100]
[--baseline-ref HEAD~3]`; `--comments 0` (no big store, no soak) gives only the start-up and
idle figures, in a few minutes.

`python -m bots` runs as a subprocess with TELEGRAM_BOT_TOKEN (and DISCORD_BOT_TOKEN) set, on
SQLite, `TELEGRAM_RATE_LIMIT=off`. Telegram talks to the lean fake Bot API in this process
(TELEGRAM_API_BASE_URL); Discord to FakeDiscord (tests/support/discord_api.py), REST and
gateway. discord.py has no setting for its API root, so the child gets a `sitecustomize` on
its PYTHONPATH that points `discord.http.Route.BASE` at the fake before anything runs, as the
tests do with monkeypatch (only when Discord is configured: the hook imports discord.py); the
product's code is unchanged. RSS is VmRSS from /proc.

- idle, three ways, each a median of `--starts` starts: Telegram only on a current store (a
  copy of a migrated one), Telegram only on a first start (a new store: it also migrates), and
  both adapters on a current store. RSS once the adapters are connected (first poll, Discord
  IDENTIFY) and quiet, next to the floor: the libraries alone, imported and nothing else;
- start-up: spawn to the first getUpdates the fake records, in the same starts;
- `--baseline-ref REF`: the same starts, interleaved, also run the code of REF (exported with
  `git archive` to a temporary directory, put first on the child's PYTHONPATH), so the
  before and after come from one run on one machine. It runs on this .venv's libraries: one
  it needs and this tree dropped must be installed (e.g. `limits` before ed82fdd);
- 100,000 comments (both adapters): the store pre-filled in bulk (valid rows: 70% approved,
  20% pending, 10% rejected, each with its audit row), then /comments and /pending pages
  asked a few times; RSS once quiet;
- soak: on that same process, /faq and /stargate at `--rate` updates/s over `--chats` chats
  (a tenth as Discord slash commands) for `--soak` seconds (0: none); RSS every `--every`
  seconds; growth is the last sample minus the first taken under load.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench._telegram_fake import TOKEN, LeanBotApi
from bench._telegram_load import SteadyFeed, prefill_comments, quiet
from bench._telegram_proc import ROOT, BotProcess, clean_env
from bench.report import machine, median, table
from tests.support.databases import migrate
from tests.support.discord_api import GUILD_ID, MOD_CHANNEL_ID, FakeDiscord

MODERATOR = 1001
TARGET_MB = 80
# The libraries `python -m bots` cannot run without, imported and nothing else: the models'
# and settings', the store's, and each platform's (the Telegram adapter sends on aiohttp).
FLOOR = """\
import signal, sys
import attrs, cattrs, environs, sqlalchemy.ext.asyncio, aiosqlite, telegram.ext, aiohttp
if "discord" in sys.argv:
    import discord
print("ready", flush=True)
signal.pause()
"""
HOOK = """\
import os

if os.environ.get("BENCH_DISCORD_API"):
    import discord.http

    discord.http.Route.BASE = os.environ["BENCH_DISCORD_API"]
"""


@dataclass(frozen=True)
class Code:
    """The checkout whose `python -m bots` runs: this one, or a baseline exported from git."""

    label: str
    root: Path


@dataclass(frozen=True)
class Scenario:
    name: str
    discord: bool  # both adapters, not Telegram only
    new_store: bool  # the first start: the store is created and migrated


SCENARIOS = (
    Scenario("Telegram only, current store", discord=False, new_store=False),
    Scenario("Telegram only, first start (migrates)", discord=False, new_store=True),
    Scenario("both adapters, current store", discord=True, new_store=False),
)


class Fakes:
    """The two loopback platforms, and `python -m bots` pointed at them."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.api = LeanBotApi()
        self.discord = FakeDiscord()

    async def __aenter__(self) -> Fakes:
        await self.api.start()
        await self.discord.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.api.stop()
        await self.discord.stop()

    async def spawn(
        self, database: Path, *, discord: bool = True, code: Code | None = None
    ) -> BotProcess:
        root = code.root if code is not None else ROOT
        hook = self.tmp / "hook"
        hook.mkdir(exist_ok=True)
        (hook / "sitecustomize.py").write_text(HOOK)
        env = clean_env(
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_API_BASE_URL=self.api.root,
            TELEGRAM_RATE_LIMIT="off",
            TELEGRAM_MODERATOR_IDS=str(MODERATOR),
            DATABASE_URL=f"sqlite+aiosqlite:///{database}",
            CONTENT_DIR=str(root / "content"),
        )
        if discord:
            env.update(
                DISCORD_BOT_TOKEN="fake-token",
                DISCORD_GUILD_ID=str(GUILD_ID),
                DISCORD_MODERATION_CHANNEL_ID=str(MOD_CHANNEL_ID),
                BENCH_DISCORD_API=self.discord.url,
            )
        env["PYTHONPATH"] = f"{hook}:{root}"
        return await BotProcess.spawn(["-m", "bots"], env, self.tmp, "bots")

    async def ready(self, bot: BotProcess, within: float = 60.0, *, discord: bool = True) -> float:
        """Wait for the first getUpdates (and the Discord IDENTIFY); seconds to the first poll."""
        deadline = time.monotonic() + within
        while self.api.first_poll_at is None or (discord and not self.discord.identified):
            bot.check_alive()
            if time.monotonic() > deadline:
                raise RuntimeError(f"bot not ready in {within:.0f} s:\n{bot.tail()}")
            await asyncio.sleep(0.005)
        return self.api.first_poll_at - bot.started


@dataclass
class Idle:
    to_first_call: float  # interpreter, imports, Core.open (content, store, migrations)
    to_first_poll: float  # + getMe, command menus, deleteWebhook: polling begins
    rss: float


async def idle_once(tmp: Path, database: Path, scenario: Scenario, code: Code) -> Idle:
    """One start of `code` in `scenario`: start-up times, then RSS once quiet."""
    async with Fakes(tmp) as fakes:
        bot = await fakes.spawn(database, discord=scenario.discord, code=code)
        try:
            to_poll = await fakes.ready(bot, discord=scenario.discord)
            assert fakes.api.first_call_at is not None
            to_call = fakes.api.first_call_at - bot.started
            await quiet(fakes.api, fakes.discord)
            return Idle(to_call, to_poll, await settled_rss(bot))
        finally:
            await bot.stop()


async def floor_rss(tmp: Path, discord: bool) -> float:
    """RSS of an interpreter that only imports the libraries the bot is built on."""
    args = ["-c", FLOOR, *(["discord"] if discord else [])]
    bot = await BotProcess.spawn(args, clean_env(), tmp, "floor")
    try:
        for _ in range(3000):
            bot.check_alive()
            if "ready" in bot.tail():
                break
            await asyncio.sleep(0.01)
        return await settled_rss(bot, 1.5)
    finally:
        await bot.stop()


async def settled_rss(bot: BotProcess, seconds: float = 3.0) -> float:
    """Median of RSS samples over a few quiet seconds."""
    samples = []
    for _ in range(int(seconds / 0.5)):
        await asyncio.sleep(0.5)
        samples.append(bot.rss_mb())
    return statistics.median(samples)


@dataclass
class Results:
    """Every start of every code in every scenario."""

    runs: dict[tuple[str, str], list[Idle]] = field(default_factory=dict)

    def add(self, code: Code, scenario: Scenario, run: Idle) -> None:
        self.runs.setdefault((code.label, scenario.name), []).append(run)

    def rss(self, code: Code, scenario: Scenario) -> float:
        return median([r.rss for r in self.runs[code.label, scenario.name]])

    def poll(self, code: Code, scenario: Scenario) -> float:
        return median([r.to_first_poll for r in self.runs[code.label, scenario.name]])

    def call(self, code: Code, scenario: Scenario) -> float:
        return median([r.to_first_call for r in self.runs[code.label, scenario.name]])

    def each_rss(self, code: Code, scenario: Scenario) -> str:
        return ", ".join(f"{r.rss:.1f}" for r in self.runs[code.label, scenario.name])


def measure_idle(tmp: Path, codes: list[Code], starts: int) -> Results:
    """`starts` rounds; each runs every code in every scenario, in turns, so drift is shared."""
    # A current store per code: a baseline's schema may be older than this tree's.
    current = {
        code.label: migrated_by(code, tmp / f"current-{code.label}.sqlite3") for code in codes
    }
    results = Results()
    for round_ in range(starts):
        for code in codes if round_ % 2 == 0 else codes[::-1]:
            for scenario in SCENARIOS:
                database = tmp / f"store-{code.label}-{round_}-{len(results.runs)}.sqlite3"
                database.unlink(missing_ok=True)
                if not scenario.new_store:
                    shutil.copyfile(current[code.label], database)
                results.add(code, scenario, asyncio.run(idle_once(tmp, database, scenario, code)))
    return results


def migrated_by(code: Code, database: Path) -> Path:
    """A store at the head of `code`'s own migrations."""
    env = {**clean_env(), "DATABASE_URL": f"sqlite+aiosqlite:///{database}"}
    env["PYTHONPATH"] = str(code.root)
    subprocess.run(
        [sys.executable, "-m", "alembic", "upgrade", "head"],
        cwd=code.root, env=env, check=True, capture_output=True,
    )  # fmt: skip
    return database


def export(ref: str, into: Path) -> Code:
    """The tree of `ref` in `into`, without touching the repository's worktrees."""
    sha = subprocess.run(
        ["git", "rev-parse", "--short", ref], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    into.mkdir()
    archive = subprocess.Popen(["git", "archive", sha], cwd=ROOT, stdout=subprocess.PIPE)
    subprocess.run(["tar", "-x", "-C", str(into)], stdin=archive.stdout, check=True)
    if archive.wait() != 0:
        raise RuntimeError(f"git archive {ref} failed")
    return Code(sha if sha.startswith(ref) else f"{ref} ({sha})", into)


async def loaded(
    tmp: Path, database: Path, opts: argparse.Namespace
) -> tuple[float, list[tuple[float, float]], int]:
    """RSS with the big store after /comments and /pending; then the soak's samples."""
    async with Fakes(tmp) as fakes:
        bot = await fakes.spawn(database)
        try:
            await fakes.ready(bot)
            for page in range(1, 6):
                for reader in range(5):
                    fakes.api.push(20_000 + reader, f"/comments {page}")
                fakes.api.push(MODERATOR, f"/pending {page}")
                await quiet(fakes.api, fakes.discord, gap=0.3)
            with_comments = await settled_rss(bot)
            feed = SteadyFeed(fakes.api, fakes.discord, opts.chats, discord_share=0.1)
            samples: list[tuple[float, float]] = []
            began = time.monotonic()
            for _ in range(round(opts.soak / opts.every)):
                await feed.run(opts.rate, opts.every)
                bot.check_alive()
                samples.append((time.monotonic() - began, bot.rss_mb()))
            await quiet(fakes.api, fakes.discord)
            return with_comments, samples, fakes.api.sends
        finally:
            await bot.stop()


def slope_per_minute(samples: list[tuple[float, float]]) -> float:
    if len(samples) < 2:
        return float("nan")
    xs, ys = zip(*samples, strict=True)
    return statistics.linear_regression(xs, ys).slope * 60


def idle_table(results: Results, codes: list[Code], floors: dict[bool, float]) -> str:
    """Idle RSS and start-up per scenario: one column per code, the target judged on the last."""
    ours = codes[-1]
    rows: list[list[object]] = []
    for scenario in SCENARIOS:
        rss = [results.rss(code, scenario) for code in codes]
        # The target is for one adapter; both in one process are reported, not judged.
        judged = [f"< {TARGET_MB}", _met(rss[-1] < TARGET_MB)]
        rows.append(
            [f"idle RSS, {scenario.name} (MB)", *rss, *([""] * 2 if scenario.discord else judged)]
        )
    for discord, what in ((False, "Telegram's"), (True, "both platforms'")):
        label = f"  floor: {what} libraries imported, nothing else (MB)"
        rows.append([label, *[floors[discord]] * len(codes), "", ""])
    for scenario in SCENARIOS:
        poll = [results.poll(code, scenario) for code in codes]
        rows.append(
            [f"start to first poll, {scenario.name} (s)", *poll, "< 2", _met(poll[-1] < 2)]
        )
    both = SCENARIOS[-1]
    calls = [results.call(code, both) for code in codes]
    rows.append(["  of which spawn to first Bot API call, both (s)", *calls, "", ""])
    headers = ["figure", *[code.label for code in codes[:-1]], ours.label, "target", "met"]
    return table(headers, rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--soak", type=float, default=600.0, help="soak length, s (0: none)")
    parser.add_argument("--rate", type=float, default=100.0, help="updates/s during the soak")
    parser.add_argument("--chats", type=int, default=2_000, help="distinct chats in the soak")
    parser.add_argument("--every", type=float, default=5.0, help="RSS sample interval, s")
    parser.add_argument("--starts", type=int, default=5, help="starts per scenario and code")
    parser.add_argument(
        "--comments", type=int, default=100_000, help="big store's comments (0: no big store)"
    )
    parser.add_argument(
        "--baseline-ref", help="also measure the idle figures of this git ref, same run"
    )
    opts = parser.parse_args()

    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        codes = [Code("this tree", ROOT)]
        if opts.baseline_ref:
            codes.insert(0, export(opts.baseline_ref, tmp / "baseline"))
        results = measure_idle(tmp, codes, opts.starts)
        floors = {
            discord: median([asyncio.run(floor_rss(tmp, discord)) for _ in range(3)])
            for discord in (False, True)
        }
        print(
            f"`python -m bots` on loopback fakes, SQLite; {machine()}. Idle RSS and start-up: "
            f"medians of {opts.starts} starts per figure and code, the codes in turns; "
            "floors: medians of 3."
        )
        print(idle_table(results, codes, floors))
        for code in codes:
            for scenario in SCENARIOS:
                each = results.each_rss(code, scenario)
                print(f"  {code.label}, {scenario.name}: RSS {each} MB")
        if opts.comments <= 0:
            return

        full = tmp / "full.sqlite3"
        asyncio.run(migrate(f"sqlite+aiosqlite:///{full}"))
        began = time.monotonic()
        prefill_comments(str(full), opts.comments)
        fill_seconds = time.monotonic() - began
        with_comments, samples, replies = asyncio.run(loaded(tmp, full, opts))

    rss = [r for _, r in samples]
    nan = float("nan")
    growth = rss[-1] - rss[0] if rss else nan
    late = [s for s in samples if s[0] >= samples[-1][0] / 2] if samples else []
    rows = [
        [
            f"RSS with {opts.comments:,} comments, both adapters (MB)",
            with_comments,
            "< 120",
            _met(with_comments < 120),
        ],
    ]
    if samples:
        rows += [
            ["soak: RSS first sample under load (MB)", rss[0], "", ""],
            ["soak: RSS last sample (MB)", rss[-1], "", ""],
            ["soak: RSS max (MB)", max(rss), "", ""],
            ["soak: growth, last - first (MB)", growth, "< 5", _met(growth < 5)],
            ["soak: slope, whole soak (MB/min)", slope_per_minute(samples), "", ""],
            ["soak: slope, second half (MB/min)", slope_per_minute(late), "", ""],
        ]
    print(
        f"\nThis tree, Telegram + Discord: {opts.comments:,} comments filled in "
        f"{fill_seconds:.1f} s; soak {opts.soak:.0f} s at {opts.rate:.0f} updates/s over "
        f"{opts.chats:,} chats (10% Discord), {len(samples)} samples, {replies:,} Telegram replies"
    )
    print(table(["figure", "value", "target", "met"], rows))
    if samples:
        # Where the growth happens: a leak climbs to the end, bounded caches level off.
        step = max(1, round(60 / opts.every))
        curve = ", ".join(f"{t / 60:.0f}′ {r:.1f}" for t, r in samples[step - 1 :: step])
        print(f"soak RSS (MB) by minute under load: {curve}")


def _met(ok: bool) -> str:
    return "met" if ok else "MISSED"


if __name__ == "__main__":
    main()
