"""Telegram read path: the product's adapter against a bare PTB echo bot, same API, same run.

Run: `.venv/bin/python -m bench.telegram_read [--runs 3] [--scenario mix|faq50|all]
[--api lean|emulator|both] [--updates 3000] [--chats 200] [--rate 400] [--seconds 5]
[--bare-concurrency N] [--profile DIR]` (--profile: cProfile each bot process into DIR, print
where the product spends the time the bare bot does not, for the last comparison run).

Each bot runs as its own process against a loopback Bot API, one of:

- lean: bench/_telegram_fake.py, our aiohttp fake in this process (no reply validation, long
  polls as Telegram does, so it stays cheap next to the bots);
- emulator: telegram-test-api 4.2.1 (npm), a third-party Bot API emulator in Node, fed and read
  through its own client API (bench/_telegram_emulator.py says how it differs from Telegram:
  above all no long polling, so idle bots poll it in a tight loop). Installed with npm on first
  use; the default is both APIs when it is installed, the lean one alone otherwise.

The bots:

- product: `python -m bots.telegram` unmodified (TelegramAdapter on a real Core over SQLite,
  `TELEGRAM_RATE_LIMIT=off`, `COMMAND_RATE_PER_MINUTE=0`: the read path, not the throttles);
- bare: `python -m bench.echo_bot`, PTB with the same pool, timeouts and allowed updates,
  sending each text back; concurrent updates as the product's unless the scenario or
  --bare-concurrency says otherwise (then via bench/_echo_bot_at.py). PTB's default transport
  (httpx): the floor the targets are measured against;
- bare on aiohttp: the same echo bot on the product's transport (bots/telegram/transport.py),
  so what the product costs beyond its transport shows apart from what the transport saves.

Scenarios (each with a warm-up of one update per chat first):

- mix: N updates (`--updates`) over C private chats (`--chats`), `/faq` and `/stargate`
  (TEXTS), then latency at load: the same mix offered at a fixed rate (default 400/s) for a few
  seconds; p50/p99 from "available" to its reply, as the API recorded them;
- faq50: an independent run's: 50 private chats x 20 `/faq <question>` each (1,000 updates,
  FAQ_QUESTIONS, each chat asking all twenty in its own order), bare echo bot at
  `concurrent_updates=4`; capacity only.

Capacity: the N updates are available at once (lean: pushed onto its queue; emulator: the bot
is stopped with SIGSTOP while the emulator takes them, one client request each, and continued
after). Updates/s from the first update served (lean) or the continue (emulator) to the last
reply; bot and API CPU per update (from /proc; the lean API's is this process's) up to the last
reply. Latency here is mostly the wait in the queue. "getUpdates" counts the bot's polls over
its whole run: on the emulator, which does not long-poll, an idle bot polls in a tight loop.

The bots alternate order each run; figures are medians over runs (latency percentiles over all
the runs' samples). Targets: product ≥ 0.9x the bare bot in the same run and ≥ 400 updates/s.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import pstats
import signal
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

from bench import _telegram_emulator as emulator
from bench._telegram_emulator import EmulatedBotApi
from bench._telegram_fake import TOKEN, LeanBotApi
from bench._telegram_proc import BotProcess, clean_env
from bench.report import machine, median, percentile, table

TEXTS = (
    "/faq why wasnt microsoft there",
    "/stargate",
    "/faq how much money",
    "/faq what is stargat",  # a typo: the fuzzy matcher, not an exact phrasing
    "/stargate",
    "/faq how does stargate impact the ai industry",
)
# How readers ask the article's FAQ: short, long, lower case, unpunctuated, some misspelt.
FAQ_QUESTIONS = (
    "why wasnt microsoft there",
    "how much money",
    "what is stargat",
    "how does stargate impact the ai industry",
    "what is stargates main goal",
    "who is involved",
    "where will the data centers be built",
    "how much has microsoft put into openai",
    "is the openai microsoft partnership over",
    "what did sam altman say",
    "what does this mean for azure",
    "what other ai bets has microsoft made",
    "what about jobs and the economy",
    "why does openai need more compute",
    "what advantage does stargate give openai",
    "who pays for it",
    "is microsoft out",
    "wher are the data centres",
    "how big is the investmnet",
    "what is openais stargate",
)
FIRST_CHAT = 10_000
TARGET_RATIO = 0.9
TARGET_RATE = 400.0
BARE, BARE_AIOHTTP, PRODUCT = "bare PTB echo", "bare echo on aiohttp", "product"
BOTS = (BARE, BARE_AIOHTTP, PRODUCT)
API_LABELS = {"lean": "lean fake", "emulator": f"{emulator.PACKAGE} {emulator.VERSION}"}

Api = LeanBotApi | EmulatedBotApi


@dataclass(frozen=True)
class Scenario:
    key: str
    chats: int
    updates: int
    paced: bool
    bare_concurrency: int | None  # None: the product's default_concurrency()
    faq_only: bool = False  # each chat asks FAQ_QUESTIONS in turn (else TEXTS across chats)

    def message(self, i: int) -> tuple[int, str]:
        """The i-th message offered: chats in turn, each with its own sequence of texts."""
        chat = i % self.chats
        if self.faq_only:
            question = FAQ_QUESTIONS[(i // self.chats + chat) % len(FAQ_QUESTIONS)]
            return FIRST_CHAT + chat, f"/faq {question}"
        return FIRST_CHAT + chat, TEXTS[i % len(TEXTS)]

    def describe(self, rate: float) -> str:
        if self.faq_only:
            what = f"{self.chats} private chats x {self.updates // self.chats} /faq <question>"
        else:
            what = f"{self.updates} updates over {self.chats} chats (/faq and /stargate)"
        bare = (
            f"bare concurrent_updates={self.bare_concurrency}"
            if self.bare_concurrency
            else "bare at the product's concurrent updates"
        )
        paced = f"; then offered at {rate:.0f}/s" if self.paced else ""
        return f"{self.key}: {what}, {bare}{paced}"


@dataclass
class Figures:
    capacity: list[float] = field(default_factory=list)
    cpu_per_update: list[float] = field(default_factory=list)
    api_cpu_per_update: list[float] = field(default_factory=list)
    polls: list[int] = field(default_factory=list)
    burst_latencies: list[float] = field(default_factory=list)
    paced_rate: list[float] = field(default_factory=list)
    paced_latencies: list[float] = field(default_factory=list)
    duplicates: int = 0
    refused: Counter[str] = field(default_factory=Counter)

    def add(self, other: Figures) -> None:
        self.capacity += other.capacity
        self.cpu_per_update += other.cpu_per_update
        self.api_cpu_per_update += other.api_cpu_per_update
        self.polls += other.polls
        self.burst_latencies += other.burst_latencies
        self.paced_rate += other.paced_rate
        self.paced_latencies += other.paced_latencies
        self.duplicates += other.duplicates
        self.refused.update(other.refused)


def make_api(kind: str) -> Api:
    return LeanBotApi() if kind == "lean" else EmulatedBotApi()


def offer_at_once(api: LeanBotApi, messages: list[tuple[int, str]]) -> None:
    for chat_id, text in messages:
        api.push(chat_id, text)


async def offer(api: Api, messages: list[tuple[int, str]]) -> None:
    if isinstance(api, LeanBotApi):
        offer_at_once(api, messages)
    else:
        await api.offer(messages)


def answered(api: Api) -> int:
    return api.answered if isinstance(api, EmulatedBotApi) else len(api.window.latencies)


def api_cpu(api: Api) -> float:
    """CPU the API has used: the emulator's process, or this one (the lean fake's)."""
    return api.cpu_seconds() if isinstance(api, EmulatedBotApi) else time.process_time()


class CpuTrace:
    """Bot and API CPU time, sampled until the replies are in: the CPU a window used is read
    at its last reply, not when the bench noticed it (bots poll the emulator in a tight loop
    once idle, and it takes the bench a few rounds of reads to see the last reply)."""

    INTERVAL = 0.02

    def __init__(self, bot: BotProcess, api: Api) -> None:
        self.bot = bot
        self.api = api
        self.samples: list[tuple[float, float, float]] = []
        self._task: asyncio.Task[None] | None = None

    def _sample(self) -> None:
        self.samples.append((time.monotonic(), self.bot.cpu_seconds(), api_cpu(self.api)))

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.INTERVAL)
            self._sample()

    async def __aenter__(self) -> CpuTrace:
        self._sample()
        self._task = asyncio.create_task(self._run())
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        with contextlib.suppress(OSError):  # the bot may have died: the error says so
            self._sample()

    def until(self, instant: float | None) -> tuple[float, float]:
        """Bot and API CPU seconds from the start to the first sample at or after `instant`."""
        _, bot0, api0 = self.samples[0]
        end = next((s for s in self.samples if instant is not None and s[0] >= instant), None)
        _, bot1, api1 = end or self.samples[-1]
        return bot1 - bot0, api1 - api0


async def replies(api: Api, bot: BotProcess, within: float) -> bool:
    """Wait for the window's replies, giving up early if the bot died."""
    deadline = time.monotonic() + within
    while True:
        left = deadline - time.monotonic()
        if await api.finished(max(0.0, min(5.0, left))):
            return True
        bot.check_alive()
        if left <= 5.0:
            return False


async def one_run(
    kind: str, scenario: Scenario, name: str, opts: argparse.Namespace, tmp: Path
) -> Figures:
    api = make_api(kind)
    await api.start()
    figures = Figures()
    env = clean_env(
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=api.root,
        TELEGRAM_RATE_LIMIT="off",
        COMMAND_RATE_PER_MINUTE="0",
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp}/{name.replace(' ', '_')}-{time.time_ns()}.db",
    )
    args = ["-m", "bots.telegram"]
    if name != PRODUCT:
        concurrency = scenario.bare_concurrency
        args = ["-m", "bench._echo_bot_at" if concurrency else "bench.echo_bot"]
        if concurrency:
            env["BENCH_CONCURRENT_UPDATES"] = str(concurrency)
        if name == BARE_AIOHTTP:
            env["BENCH_TRANSPORT"] = "aiohttp"
    if opts.profile:
        args = ["-m", "cProfile", "-o", str(profile_path(opts.profile, name)), *args]
    bot = await BotProcess.spawn(args, env, tmp, f"{scenario.key}-{kind}-{name}".replace(" ", "_"))
    label = f"{name} ({scenario.key}, {API_LABELS[kind]})"
    try:
        if isinstance(api, LeanBotApi):
            while api.first_poll_at is None:
                bot.check_alive()
                await asyncio.sleep(0.02)

        chats = scenario.chats
        api.begin(chats)
        await offer(api, [scenario.message(i) for i in range(chats)])
        if not await replies(api, bot, 90):
            raise RuntimeError(f"{label}: warm-up unanswered\n{bot.tail()}")

        count = scenario.updates
        window = api.begin(count)
        messages = [scenario.message(i) for i in range(count)]
        if isinstance(api, LeanBotApi):
            offer_at_once(api, messages)
        else:
            # One HTTP request per message: the bot waits, stopped, until all are stored.
            bot.process.send_signal(signal.SIGSTOP)
            try:
                await api.offer(messages)
            finally:
                bot.process.send_signal(signal.SIGCONT)
            api.release()
        async with CpuTrace(bot, api) as cpu:
            if not await replies(api, bot, count / 20 + 30):
                raise RuntimeError(f"{label}: {answered(api)}/{count} answered\n{bot.tail()}")
        bot_cpu, server_cpu = cpu.until(window.last_reply)
        figures.cpu_per_update.append(bot_cpu / count)
        figures.api_cpu_per_update.append(server_cpu / count)
        figures.capacity.append(window.rate)
        figures.burst_latencies = window.latencies

        if scenario.paced:
            total = int(opts.rate * opts.seconds)
            window = api.begin(total)
            began = time.monotonic()
            injections = []
            for i in range(total):
                delay = began + i / opts.rate - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                chat_id, text = scenario.message(i)
                if isinstance(api, LeanBotApi):
                    api.push(chat_id, text)
                else:
                    injections.append(api.offer_soon(chat_id, text))
            await asyncio.gather(*injections)
            if not await replies(api, bot, 60):
                raise RuntimeError(f"{label}: {answered(api)}/{total} answered at load")
            figures.paced_rate.append(total / ((window.last_reply or began) - began))
            figures.paced_latencies = window.latencies
    finally:
        status = await bot.stop()
        await api.stop()
    if status != 0:
        raise RuntimeError(f"{label} exited with {status}:\n{bot.tail()}")
    figures.polls.append(api.polls)
    figures.duplicates = api.unexpected
    figures.refused = Counter(api.failed_calls)
    return figures


def choose_apis(requested: str | None) -> list[str]:
    if requested is None:
        reason = emulator.missing()
        if reason is None:
            return ["lean", "emulator"]
        print(
            f"Note: lean fake only ({reason}); `--api both` installs {emulator.PACKAGE}@"
            f"{emulator.VERSION} from npm and compares on it too."
        )
        return ["lean"]
    apis = ["lean", "emulator"] if requested == "both" else [requested]
    if "emulator" in apis and emulator.missing() is not None:
        emulator.install()
    return apis


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--scenario", choices=["mix", "faq50", "all"], default="all")
    parser.add_argument(
        "--api",
        choices=["lean", "emulator", "both"],
        help="default: both if the emulator is installed, else lean",
    )
    parser.add_argument("--updates", type=int, default=3000, help="mix: updates per run")
    parser.add_argument("--chats", type=int, default=200, help="mix: private chats")
    parser.add_argument("--rate", type=float, default=400.0, help="mix: offered updates/s")
    parser.add_argument("--seconds", type=float, default=5.0, help="mix: length of the load")
    parser.add_argument(
        "--bare-concurrency",
        type=int,
        help="the bare bot's concurrent updates in every scenario (default: the scenario's)",
    )
    parser.add_argument("--profile", help="cProfile both bot processes into this directory")
    opts = parser.parse_args()

    scenarios = [
        Scenario("mix", opts.chats, opts.updates, paced=True, bare_concurrency=None),
        Scenario("faq50", 50, 1000, paced=False, bare_concurrency=4, faq_only=True),
    ]
    if opts.scenario != "all":
        scenarios = [s for s in scenarios if s.key == opts.scenario]
    if opts.bare_concurrency:
        scenarios = [replace(s, bare_concurrency=opts.bare_concurrency) for s in scenarios]
    apis = choose_apis(opts.api)

    results = {(s.key, k, n): Figures() for s in scenarios for k in apis for n in BOTS}
    with tempfile.TemporaryDirectory() as tmp:
        for run in range(opts.runs):
            order = BOTS if run % 2 == 0 else BOTS[::-1]
            for scenario in scenarios:
                for kind in apis:
                    for name in order:
                        figures = asyncio.run(one_run(kind, scenario, name, opts, Path(tmp)))
                        results[scenario.key, kind, name].add(figures)

    print(f"Telegram read path; medians of {opts.runs} runs; {machine()}")
    summary = []
    for scenario in scenarios:
        for kind in apis:
            rows = [row(results[scenario.key, kind, name], name) for name in BOTS]
            summary.append(report(scenario, kind, rows, opts))
    print()
    print(
        table(
            [
                "scenario",
                "API",
                "bare updates/s",
                "bare on aiohttp",
                "product updates/s",
                "product/bare",
                "product/bare on aiohttp",
                "targets",
            ],
            summary,
        )
    )
    if opts.profile:
        print_profiles(opts.profile)


def row(f: Figures, name: str) -> list[object]:
    return [
        name,
        median(f.capacity),
        median(f.cpu_per_update) * 1e6,
        median(f.api_cpu_per_update) * 1e6,
        percentile(f.burst_latencies, 0.5) * 1000,
        percentile(f.burst_latencies, 0.99) * 1000,
        median(f.paced_rate),
        percentile(f.paced_latencies, 0.5) * 1000,
        percentile(f.paced_latencies, 0.99) * 1000,
        round(median([float(p) for p in f.polls])),
        f.duplicates,
        ", ".join(f"{m} x{n}" for m, n in sorted(f.refused.items())) or "-",
    ]


def report(
    scenario: Scenario, kind: str, rows: list[list[object]], opts: argparse.Namespace
) -> list[object]:
    """Print one scenario's table on one API; its summary line."""
    headers = [
        "bot",
        "updates/s",
        "CPU µs/update",
        "API CPU µs/update",
        "burst p50 ms",
        "burst p99 ms",
        f"at {opts.rate:.0f}/s: achieved",
        "p50 ms",
        "p99 ms",
        "getUpdates",
        "dup replies",
        "refused calls",
    ]
    if not scenario.paced:
        headers, rows = headers[:6] + headers[9:], [r[:6] + r[9:] for r in rows]
    print()
    print(f"{scenario.describe(opts.rate)}; API: {API_LABELS[kind]}")
    print(table(headers, rows))
    floor, same_transport, product = (float(r[1]) for r in rows)  # type: ignore[arg-type]
    ratio = product / floor
    cpu_ratio = float(rows[2][2]) / float(rows[0][2])  # type: ignore[arg-type]
    own_cpu_ratio = float(rows[2][2]) / float(rows[1][2])  # type: ignore[arg-type]
    met = f"{'met' if ratio >= TARGET_RATIO else 'missed'} ≥ {TARGET_RATIO:.2f}x, " + (
        f"{'met' if product >= TARGET_RATE else 'missed'} ≥ {TARGET_RATE:.0f}/s"
    )
    print(
        f"product / bare throughput: {ratio:.2f}x; product {product:,.0f} updates/s ({met}); "
        f"CPU per update {cpu_ratio:.2f}x the bare bot's; on the same transport "
        f"{product / same_transport:.2f}x the bare bot's throughput, {own_cpu_ratio:.2f}x its CPU"
    )
    return [
        scenario.key,
        API_LABELS[kind],
        floor,
        same_transport,
        product,
        f"{ratio:.2f}x",
        f"{product / same_transport:.2f}x",
        met,
    ]


def profile_path(directory: str, name: str) -> Path:
    path = Path(directory).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path / f"{name.replace(' ', '_')}.prof"


def _area(filename: str) -> str:
    for marker in ("/work/main/bots/", "/work/main/core/", "site-packages/"):
        if marker in filename:
            rest = filename.split(marker, 1)[1]
            return marker.strip("/").split("/")[-1] + "/" + rest.split("/")[0]
    return "python" if filename.startswith(("/", "~")) else filename


def print_profiles(directory: str) -> None:
    """Own time per package, both bots side by side (profiles of the last run, all phases)."""
    own: dict[str, dict[str, float]] = {}
    for name in BOTS:
        stats = pstats.Stats(str(profile_path(directory, name))).stats  # type: ignore[attr-defined]
        for (filename, _, _), (_, _, tottime, _, _) in stats.items():
            bucket = own.setdefault(_area(filename), {})
            bucket[name] = bucket.get(name, 0.0) + tottime
    names = list(BOTS)
    rows = sorted(own.items(), key=lambda kv: -kv[1].get(PRODUCT, 0.0))[:20]
    print("Own CPU seconds by package under cProfile (the last run of each bot):")
    print(table(["package", *names], [[k, *(v.get(n, 0.0) for n in names)] for k, v in rows]))


if __name__ == "__main__":
    main()
