"""Drill: abuse the Telegram webhook of a running bot; it must refuse cheaply and stay up.

Run: `.venv/bin/python -m drills.webhook_abuse [--requests 10000] [--big-mb 90] [--seed 5]`

The bot (`python -m bots.telegram`, SQLite file) runs in webhook mode against the fake Bot API,
listening on a free port of this machine. First three 90 MB POSTs at once, chunked (so no
declared length gives them away: the server must count), sent as an attacker would, on and on
until the body is out or the server hangs up: to a wrong path, to the webhook path without
the secret, and to it with the secret. Then `--requests` abusive requests (malformed JSON, JSON
that is not an object, a declared Content-Length over 1 MiB, a chunked body over 1 MiB, a few
bodies that trickle, a wrong or missing secret, a wrong path, a wrong method), with a valid
update (`/help` or `/faq`, each from a user of its own, POSTed with the secret and retried on
503 as Telegram does) after every 20, at most 32 requests at a time. The bot's memory is read
from /proc/<pid>/status (VmRSS; VmHWM for the peak) after a warm-up and at the end.

Exits non-zero if an abusive request got another status than expected (a connection closed
without an answer is reported, not failed), the resident memory grew by 10 MB or more, a valid
update was not answered 200 or not answered exactly once in the fake, `GET /healthz` did not
answer 200, or the process died.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import random
import secrets
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.report import table
from drills._process import BotProcess, DrillReport, bot_env, quiet_fake_server, workdir
from drills._webhook import SECRET_HEADER, Webhook, proc_status
from tests.support.telegram_api import FakeBotApi

HOST = "127.0.0.1"
MB = 1 << 20
MAX_BODY = MB  # the server's limit (bots.web.WebServer.max_body)
BIG_MB = 90
REQUESTS = 10_000
VALID_EVERY = 20
CONCURRENCY = 32
CHUNK = 64 * 1024
MAX_RSS_GROWTH_MB = 10.0
# Bounds: one abusive exchange, a slow body (the server gives a body 10 s), a big POST, the
# whole mixed phase, a valid update's retries, and the wait for the answers.
EXCHANGE_SECONDS = 5.0
SLOW_SECONDS = 15.0
BIG_SECONDS = 60.0
PHASE_SECONDS = 600.0
VALID_ATTEMPTS = 50
RETRY_DELAY = 0.2
ANSWER_SECONDS = 60.0
# Before memory is first read: first use of each path (parsers, refusals, the store, caches)
# allocates for good, which is not what the abuse costs.
WARM_UP_VALID = 100
WARM_UP_ABUSIVE = 50  # of each kind but the chunked one
WARM_UP_CHUNKED = 5
FIRST_READER = 3_000_001
FIRST_UPDATE = 50_000_000  # above anything the fake numbers
READS = [
    "/help",
    "/faq Why wasn't Microsoft part of the announcement?",
    "/faq stargate objective",
    "/faq how much will be invested in stargate",
    "/faq what is the weather on mars tomorrow",
]
HEADERS = [
    "kind", "sent", "expected", "got expected", "closed, no answer", "other statuses",
    "body written before the answer came, max",
]  # fmt: skip


@dataclass(frozen=True)
class Kind:
    """One kind of request: what it is, what the server must answer, how often it is sent."""

    name: str
    expected: int
    weight: int = 0


MALFORMED = Kind("malformed JSON, with the secret", 400, 20)
NOT_OBJECT = Kind("JSON not an object, with the secret", 400, 10)
DECLARED = Kind("Content-Length over 1 MiB declared", 413, 15)
CHUNKED = Kind("chunked body over 1 MiB", 413, 4)
WRONG_SECRET = Kind("wrong or no secret", 403, 20)
WRONG_PATH = Kind("wrong path", 404, 16)
WRONG_METHOD = Kind("wrong method (GET, PUT, DELETE)", 405, 15)
SLOW = Kind("slow body (1 byte / 0.5 s)", 408)
ABUSIVE = [MALFORMED, NOT_OBJECT, DECLARED, CHUNKED, WRONG_SECRET, WRONG_PATH, WRONG_METHOD]
VALID = Kind("valid update (/help, /faq), with the secret", 200)
BIG = [
    Kind("{mb} MB chunked, wrong path", 404),
    Kind("{mb} MB chunked, webhook path, no secret", 403),
    Kind("{mb} MB chunked, webhook path, with the secret", 413),
]


@dataclass
class Exchange:
    """One request's answer: its status (None: closed without one) and body bytes sent."""

    status: int | None
    before_answer: int = 0
    sent: int = 0
    seconds: float = 0.0


@dataclass
class Tally:
    """Per kind: how many were sent and what came back."""

    sent: int = 0
    statuses: Counter[int | None] = field(default_factory=Counter)
    before_answer: int = 0  # the most body bytes any one sent before its answer came

    def add(self, exchange: Exchange) -> None:
        self.sent += 1
        self.statuses[exchange.status] += 1
        self.before_answer = max(self.before_answer, exchange.before_answer)


async def _read_status(reader: asyncio.StreamReader) -> int | None:
    """The status of the response, or None when the connection closed first."""
    try:
        line = await reader.readline()
    except (ConnectionError, OSError):
        return None
    parts = line.split()
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/") or not parts[1].isdigit():
        return None
    return int(parts[1])


async def exchange(
    port: int,
    head: bytes,
    body: Iterable[bytes] = (),
    *,
    keep_sending: bool = False,
    pace: float = 0.0,
    within: float = EXCHANGE_SECONDS,
) -> Exchange:
    """Send `head`, then `body` piece by piece (every `pace` s), and read the status.

    Sending stops at the answer, unless `keep_sending` (as an attacker would): then only once
    the body is out or the server hung up. Never takes longer than `within` seconds.
    """
    started = time.monotonic()
    try:
        async with asyncio.timeout(within):
            reader, writer = await asyncio.open_connection(HOST, port)
    except (OSError, TimeoutError):
        return Exchange(None, seconds=time.monotonic() - started)
    answer = asyncio.ensure_future(_read_status(reader))
    sent = before = 0
    status: int | None = None
    try:
        async with asyncio.timeout(within):
            with contextlib.suppress(ConnectionError, OSError):
                writer.write(head)
                await writer.drain()
                for piece in body:
                    if answer.done() and not keep_sending:
                        break
                    # drain() does not yield while the socket takes the bytes: without a pause
                    # the answer would be read only after the whole body was written.
                    await asyncio.sleep(pace)
                    writer.write(piece)
                    await writer.drain()
                    sent += len(piece)
                    if not answer.done():
                        before = sent
            status = await answer
    except TimeoutError:
        status = answer.result() if answer.done() else None
    finally:
        answer.cancel()
        writer.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(writer.wait_closed(), 1.0)
    return Exchange(status, before, sent, time.monotonic() - started)


def request_head(
    method: str, path: str, headers: dict[str, str] | None = None, *, length: int | None = None
) -> bytes:
    """The request line and headers of one HTTP/1.1 request."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}"]
    if length is not None:
        lines.append(f"Content-Length: {length}")
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def chunked(total: int, chunk: int = CHUNK) -> Iterable[bytes]:
    """A chunked body of `total` bytes, one reused frame at a time (nothing held)."""
    frame = f"{chunk:x}\r\n".encode() + b"x" * chunk + b"\r\n"
    yield from itertools.repeat(frame, max(1, total // chunk))
    yield b"0\r\n\r\n"


def update(update_id: int, user_id: int, text: str) -> dict[str, Any]:
    """A Telegram update: `text` sent by `user_id` in their private chat."""
    user = {"id": user_id, "is_bot": False, "first_name": f"Reader{user_id}"}
    message: dict[str, Any] = {
        "message_id": 1,
        "date": int(time.time()),
        "chat": {"id": user_id, "type": "private", "first_name": user["first_name"]},
        "from": user,
        "text": text,
    }
    if text.startswith("/"):
        length = len(text.split(maxsplit=1)[0])
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
    return {"update_id": update_id, "message": message}


class Attack:
    """Builds and sends each kind of request against one bot's webhook."""

    def __init__(self, webhook: Webhook, rng: random.Random) -> None:
        self.webhook = webhook
        self.rng = rng
        self.valid: dict[int, int] = {}  # chat id -> status of its update's last POST
        self.retries = 0  # valid POSTs answered 503 or closed, then sent again
        self._readers = itertools.count(FIRST_READER)
        self._update_ids = itertools.count(FIRST_UPDATE)

    @property
    def port(self) -> int:
        return self.webhook.port

    def secret_headers(self, **extra: str) -> dict[str, str]:
        return {SECRET_HEADER: self.webhook.secret, **extra}

    async def send(self, kind: Kind) -> Exchange:
        path, rng = self.webhook.path, self.rng
        if kind is VALID:
            return await self.send_valid()
        if kind is MALFORMED:
            body = rng.choice(
                [
                    b'{"update_id": 1, "message": {"text": "cut',
                    b"{'update_id': 1}",
                    b"\xff\xfe\x00{",
                    b"[" * 100_000,  # deep nesting: the parser's recursion limit
                    b"",
                    b'{"update_id": NaN',
                    os.urandom(rng.randint(1, 512)),
                ]
            )
            headers = self.secret_headers(**{"Content-Type": "application/json"})
            head = request_head("POST", path, headers, length=len(body))
            return await exchange(self.port, head, [body])
        if kind is NOT_OBJECT:
            body = rng.choice([b"[1, 2, 3]", b'"update"', b"42", b"null", b"true", b"[]"])
            headers = self.secret_headers(**{"Content-Type": "application/json"})
            head = request_head("POST", path, headers, length=len(body))
            return await exchange(self.port, head, [body])
        if kind is DECLARED:
            length = rng.choice([MAX_BODY + 1, 5 * MB, 100 * MB, 2**40])
            head = request_head("POST", path, self.secret_headers(), length=length)
            return await exchange(self.port, head, [b"{" + b" " * 1023])
        if kind is CHUNKED:
            head = request_head(
                "POST", path, self.secret_headers(**{"Transfer-Encoding": "chunked"})
            )
            return await exchange(self.port, head, chunked(MAX_BODY + 4 * CHUNK))
        if kind is WRONG_SECRET:
            headers = rng.choice([{}, {SECRET_HEADER: secrets.token_urlsafe(24)}])
            body = json.dumps(update(next(self._update_ids), 1, "/help")).encode()
            head = request_head("POST", path, headers, length=len(body))
            return await exchange(self.port, head, [body])
        if kind is WRONG_PATH:
            wrong = rng.choice(
                [f"/telegram/{secrets.token_urlsafe(18)}", "/", path + "/", path[:-1], "/x" * 50]
            )
            body = json.dumps(update(next(self._update_ids), 1, "/help")).encode()
            head = request_head("POST", wrong, self.secret_headers(), length=len(body))
            return await exchange(self.port, head, [body])
        if kind is WRONG_METHOD:
            method = rng.choice(["GET", "PUT", "DELETE"])
            return await exchange(
                self.port, request_head(method, path, self.secret_headers(), length=0)
            )
        if kind is SLOW:
            head = request_head("POST", path, self.secret_headers(), length=100)
            return await exchange(
                self.port, head, itertools.repeat(b"{", 100), pace=0.5, within=SLOW_SECONDS
            )
        raise ValueError(kind.name)

    async def send_valid(self) -> Exchange:
        """A fresh update from a user of its own, POSTed until answered 200 (bounded)."""
        chat = next(self._readers)
        body = json.dumps(update(next(self._update_ids), chat, self.rng.choice(READS))).encode()
        headers = self.secret_headers(**{"Content-Type": "application/json"})
        head = request_head("POST", self.webhook.path, headers, length=len(body))
        result = Exchange(None)
        for _ in range(VALID_ATTEMPTS):
            result = await exchange(self.port, head, [body])
            self.valid[chat] = result.status or 0
            if result.status == 200:
                break
            # Telegram retries what was not answered 200 (503 busy, a lost connection).
            self.retries += 1
            await asyncio.sleep(RETRY_DELAY)
        return result


async def big_posts(attack: Attack, mb: int) -> list[tuple[Kind, Exchange]]:
    """Three bodies of `mb` MB at once: wrong path, webhook path without and with the secret."""
    size = mb * MB
    heads = [
        request_head("POST", f"/telegram/{secrets.token_urlsafe(18)}", attack.secret_headers()),
        request_head("POST", attack.webhook.path, {}),
        request_head("POST", attack.webhook.path, attack.secret_headers()),
    ]
    chunked_head = [
        h.replace(b"\r\n\r\n", b"\r\nTransfer-Encoding: chunked\r\n\r\n") for h in heads
    ]
    sent = await asyncio.gather(
        *(
            exchange(attack.port, head, chunked(size), keep_sending=True, within=BIG_SECONDS)
            for head in chunked_head
        )
    )
    kinds = [Kind(k.name.format(mb=mb), k.expected) for k in BIG]
    return list(zip(kinds, sent, strict=True))


def schedule(requests: int, rng: random.Random) -> list[Kind]:
    """The abusive requests in a seeded order, a valid update after every VALID_EVERY, and a
    few slow bodies spread among them."""
    kinds = rng.choices(ABUSIVE, weights=[k.weight for k in ABUSIVE], k=requests)
    slow = max(1, requests // 1000)
    for n in range(slow):
        kinds[(n * requests) // slow] = SLOW
    order: list[Kind] = []
    for n, kind in enumerate(kinds, 1):
        order.append(kind)
        if n % VALID_EVERY == 0:
            order.append(VALID)
    return order


async def run_mixed(attack: Attack, order: list[Kind], concurrency: int) -> dict[Kind, Tally]:
    """Send `order` with at most `concurrency` requests at a time; tally the answers."""
    tallies: dict[Kind, Tally] = defaultdict(Tally)
    queue: asyncio.Queue[Kind] = asyncio.Queue()
    for kind in order:
        queue.put_nowait(kind)

    async def worker() -> None:
        while not queue.empty():
            kind = queue.get_nowait()
            tallies[kind].add(await attack.send(kind))

    workers = [asyncio.create_task(worker()) for _ in range(concurrency)]
    try:
        async with asyncio.timeout(PHASE_SECONDS):
            await asyncio.gather(*workers)
    except TimeoutError:
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
    return tallies


async def answers(api: FakeBotApi, chats: Iterable[int]) -> dict[int, int]:
    """How many answers each chat got (its first reply's text, counted), once all came."""
    wanted = set(chats)
    deadline = time.monotonic() + ANSWER_SECONDS
    while time.monotonic() < deadline:
        answered = {c.params.get("chat_id") for c in api.sent()}
        if wanted <= answered:
            break
        await asyncio.sleep(0.2)
    await api.idle(1.0)  # a second answer would come now
    texts: dict[int, list[str]] = defaultdict(list)
    for call in api.sent():
        chat = call.params.get("chat_id")
        if chat in wanted:
            texts[chat].append(str(call.params.get("text")))
    return {chat: texts[chat].count(texts[chat][0]) if texts[chat] else 0 for chat in wanted}


async def healthz(port: int) -> int | None:
    return (await exchange(port, request_head("GET", "/healthz"))).status


class Memory:
    """Samples the bot's VmRSS in the background: the highest seen, in kB."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.highest = 0
        self._task: asyncio.Task[None] | None = None

    def now(self) -> dict[str, int]:
        found = proc_status(self.pid)
        self.highest = max(self.highest, found.get("VmRSS", 0))
        return found

    def start(self) -> None:
        self._task = asyncio.create_task(self._sample())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _sample(self) -> None:
        while True:
            self.now()
            await asyncio.sleep(0.05)


@dataclass
class AbuseReport(DrillReport):
    """The per-kind table, then the memory and valid updates table."""

    summary: list[list[object]] = field(default_factory=list)

    def sections(self) -> list[str]:
        return [table(["measure", "value"], self.summary), ""]


def _mb(kb: int) -> str:
    return f"{kb / 1024:.1f} MB"


def _row(kind: Kind, tally: Tally) -> list[object]:
    statuses = tally.statuses
    other = {s: n for s, n in statuses.items() if s not in (kind.expected, None)}
    return [
        kind.name,
        tally.sent,
        kind.expected if kind is not SLOW else "408 or close",
        statuses.get(kind.expected, 0),
        statuses.get(None, 0),
        ", ".join(f"{s}: {n}" for s, n in sorted(other.items())) or "-",
        f"{tally.before_answer / MB:.2f} MB",
    ]


async def run(
    requests: int = REQUESTS,
    big_mb: int = BIG_MB,
    seed: int = 5,
    concurrency: int = CONCURRENCY,
    keep: Path | None = None,
) -> AbuseReport:
    quiet_fake_server()
    rng = random.Random(seed)
    report = AbuseReport(
        f"webhook abuse drill: 3 x {big_mb} MB at once, then {requests:,} abusive requests "
        f"with a valid update after every {VALID_EVERY}, {concurrency} at a time, seed {seed}",
        HEADERS,
    )
    root = keep or workdir("drill-webhook-abuse-")
    api = FakeBotApi()
    await api.start()
    webhook = Webhook()
    env = bot_env(api.root, f"sqlite+aiosqlite:///{root / 'bot.sqlite3'}", **webhook.env())
    bot = BotProcess(env, root)
    memory: Memory | None = None
    try:
        await bot.start()
        assert bot.process is not None
        memory = Memory(bot.process.pid)
        attack = Attack(webhook, rng)
        started = memory.now()
        warm = [VALID] * WARM_UP_VALID + [CHUNKED] * WARM_UP_CHUNKED
        warm += [k for k in ABUSIVE if k is not CHUNKED] * WARM_UP_ABUSIVE
        warm_tallies = await run_mixed(attack, warm, concurrency)
        await answers(api, attack.valid)
        before = memory.now()
        memory.start()
        began = time.monotonic()
        for kind, result in await big_posts(attack, big_mb):
            tally = Tally()
            tally.add(result)
            report.rows.append(_row(kind, tally))
            _check(report, kind, tally)
            report.notes.append(
                f"{kind.name}: {result.status or 'closed'} after "
                f"{result.before_answer / MB:.2f} MB; {result.sent / MB:.1f} MB written before "
                f"the server hung up or the body ended, in {result.seconds:.2f} s"
            )
        after_big = memory.now()
        valid_before = set(attack.valid)
        tallies = await run_mixed(attack, schedule(requests, rng), concurrency)
        for kind in [*ABUSIVE, SLOW, VALID]:
            tally = tallies.get(kind, Tally())
            report.rows.append(_row(kind, tally))
            _check(report, kind, tally)
        mixed_seconds = time.monotonic() - began
        valid = [chat for chat in attack.valid if chat not in valid_before]
        counts = await answers(api, valid)
        await asyncio.sleep(1.0)
        await memory.stop()
        after = memory.now()
        health = await healthz(webhook.port)
        alive = bot.running
        _summarise(
            report, started, before, after_big, after, memory.highest, attack, valid, counts,
            health, alive, mixed_seconds,
        )  # fmt: skip
        warm_off = sum(t.sent - t.statuses.get(k.expected, 0) for k, t in warm_tallies.items())
        report.notes.append(
            f"warm-up before the first reading: {len(warm)} requests ({WARM_UP_VALID} valid "
            f"updates, {WARM_UP_CHUNKED} chunked bodies over 1 MiB, {WARM_UP_ABUSIVE} of each "
            f"other abusive kind but the slow one), {warm_off} not answered as expected"
        )
    finally:
        if memory is not None:
            await memory.stop()
        await bot.close()
        await api.stop()
        report.tidy(root, keep=keep, what="store and bot log")
    return report


def _check(report: AbuseReport, kind: Kind, tally: Tally) -> None:
    closed = tally.statuses.get(None, 0)
    wrong = tally.sent - tally.statuses.get(kind.expected, 0) - closed
    if kind is VALID:
        return  # checked with their answers
    if wrong:
        report.problems.append(f"{kind.name}: {wrong} of {tally.sent} answered otherwise")


def _summarise(
    report: AbuseReport,
    started: dict[str, int],
    before: dict[str, int],
    after_big: dict[str, int],
    after: dict[str, int],
    highest: int,
    attack: Attack,
    valid: list[int],
    counts: dict[int, int],
    health: int | None,
    alive: bool,
    seconds: float,
) -> None:
    growth = after.get("VmRSS", 0) - before.get("VmRSS", 0)
    not_200 = sum(1 for chat in valid if attack.valid.get(chat) != 200)
    once = sum(1 for chat in valid if counts.get(chat) == 1)
    unanswered = sum(1 for chat in valid if counts.get(chat, 0) == 0)
    twice = sum(1 for chat in valid if counts.get(chat, 0) > 1)
    report.summary += [
        ["RSS after start-up", _mb(started.get("VmRSS", 0))],
        ["RSS before (after the warm-up)", _mb(before.get("VmRSS", 0))],
        ["RSS after the big POSTs", _mb(after_big.get("VmRSS", 0))],
        ["RSS after", _mb(after.get("VmRSS", 0))],
        ["RSS growth", f"{growth / 1024:+.1f} MB"],
        ["RSS peak sampled during the abuse (every 50 ms)", _mb(highest)],
        [
            "VmHWM (peak) before -> after",
            f"{_mb(before.get('VmHWM', 0))} -> {_mb(after.get('VmHWM', 0))}",
        ],
        ["valid updates sent", len(valid)],
        ["answered 200", len(valid) - not_200],
        ["answered once", once],
        ["unanswered", unanswered],
        ["answered twice or more", twice],
        ["valid POSTs retried (503 or closed)", attack.retries],
        ["GET /healthz", health if health is not None else "closed"],
        ["process alive", "yes" if alive else "NO"],
        ["abuse took", f"{seconds:.1f} s"],
    ]
    if growth / 1024 >= MAX_RSS_GROWTH_MB:
        report.problems.append(f"RSS grew by {growth / 1024:.1f} MB")
    if not_200:
        report.problems.append(f"{not_200} valid updates never answered 200")
    if unanswered or twice:
        report.problems.append(
            f"valid updates: {unanswered} unanswered, {twice} answered more than once"
        )
    if health != 200:
        report.problems.append(f"GET /healthz answered {health or 'nothing'}")
    if not alive:
        report.problems.append("the bot process died")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=REQUESTS)
    parser.add_argument("--big-mb", type=int, default=BIG_MB, help="size of each big POST")
    parser.add_argument("--concurrency", type=int, default=CONCURRENCY)
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args(argv)
    report = asyncio.run(run(args.requests, args.big_mb, args.seed, args.concurrency))
    print(report.render())
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
