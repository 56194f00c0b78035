"""bots.web: the real server on 127.0.0.1, driven by aiohttp's client and raw sockets."""

from __future__ import annotations

import asyncio
import gzip
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from typing import Any, TypeVar

import aiohttp
import pytest

from bots.web import HEALTH_PATH, HealthReport, WebServer

# Token-shaped, so the log test can tell whether the path was logged.
PATH = "/telegram/123456789:AAHfakeTokenPart0123456789abcdefXYZ"
SECRET = "s3cret-Token_value"
HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Users' text: it must never reach a log.
PRIVATE = "PRIVATE-USER-TEXT-7c1e"
UPDATE = {"update_id": 42, "message": {"text": PRIVATE}}
MB = 1 << 20


class Accept:
    """The `accept` callback: records updates; can be made to wait or to fail."""

    def __init__(self) -> None:
        self.updates: list[Any] = []
        self.entered = asyncio.Event()
        self.release: asyncio.Event | None = None
        self.error: Exception | None = None
        self.cancelled = False

    async def __call__(self, update: Any) -> None:
        self.entered.set()
        try:
            if self.release is not None:
                await self.release.wait()
        except asyncio.CancelledError:
            self.cancelled = True
            raise
        if self.error is not None:
            raise self.error
        self.updates.append(update)


class Health:
    """The `health` callback: a settable report, or an error, or a hang."""

    def __init__(self) -> None:
        self.report = HealthReport({"store": True, "telegram": True})
        self.error: Exception | None = None
        self.hang = False
        self.calls = 0

    async def __call__(self) -> HealthReport:
        self.calls += 1
        if self.hang:
            await asyncio.sleep(3600)
        if self.error is not None:
            raise self.error
        await asyncio.sleep(0.05)
        return self.report


Serve = Callable[..., Awaitable[WebServer]]
T = TypeVar("T")


class Background:
    """Tasks a test starts; all are cancelled and awaited at teardown, even when it fails."""

    def __init__(self) -> None:
        self.tasks: list[asyncio.Task[Any]] = []

    def __call__(self, coro: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
        task = asyncio.create_task(coro)
        self.tasks.append(task)
        return task

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


@pytest.fixture
async def background(serve: Serve, session: aiohttp.ClientSession) -> AsyncIterator[Background]:
    # Depends on both so that its teardown runs first.
    tasks = Background()
    yield tasks
    await tasks.close()


@pytest.fixture
def accept() -> Accept:
    return Accept()


@pytest.fixture
def health() -> Health:
    return Health()


@pytest.fixture
async def serve(accept: Accept, health: Health) -> AsyncIterator[Serve]:
    servers: list[WebServer] = []

    async def start(**options: Any) -> WebServer:
        server = WebServer(host="127.0.0.1", port=0, health=health, **options)
        server.add_webhook(PATH, secret=SECRET, accept=accept)
        await server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        await server.stop()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as client:
        yield client


def url(server: WebServer, path: str = PATH) -> str:
    return f"http://127.0.0.1:{server.port}{path}"


async def post(
    session: aiohttp.ClientSession, server: WebServer, body: bytes, secret: str | None = SECRET
) -> tuple[int, str]:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers[HEADER] = secret
    async with session.post(url(server), data=body, headers=headers) as response:
        return response.status, await response.text()


def head(path: str, *lines: str) -> bytes:
    return (
        "\r\n".join([f"POST {path} HTTP/1.1", "Host: 127.0.0.1", *lines]) + "\r\n\r\n"
    ).encode()


async def read_head(reader: asyncio.StreamReader) -> tuple[int, dict[str, str]]:
    """The status and headers of one response."""
    status = int((await reader.readline()).split()[1])
    headers: dict[str, str] = {}
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode().partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers


async def raw(server: WebServer, data: bytes) -> tuple[int, dict[str, str]]:
    """Send `data` (headers, maybe part of a body) and read the answer without sending more."""
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    try:
        writer.write(data)
        return await asyncio.wait_for(read_head(reader), 1.0)
    finally:
        writer.close()


async def stream(
    server: WebServer,
    data: bytes,
    size: int,
    *,
    chunk: int = 64 * 1024,
    keep_sending: bool = False,
) -> tuple[int, int]:
    """Send `data`, then a chunked body of up to `size` bytes; return the status and bytes sent.

    Sending stops at the answer, or with `keep_sending` (as an attacker would) only once
    `size` bytes are out or the server hangs up.
    """
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    frame = f"{chunk:x}\r\n".encode() + b"x" * chunk + b"\r\n"
    answer = asyncio.ensure_future(read_head(reader))
    sent = 0
    try:
        writer.write(data)
        while sent < size and (keep_sending or not answer.done()):
            writer.write(frame)
            await writer.drain()
            sent += chunk
        writer.write(b"0\r\n\r\n")
        await writer.drain()
    except ConnectionError:
        pass  # the server hung up on the rest of the body
    try:
        status, _ = await asyncio.wait_for(answer, 2.0)
        return status, sent
    finally:
        answer.cancel()
        writer.close()


async def until(condition: Callable[[], bool]) -> None:
    for _ in range(200):
        if condition():
            return
        await asyncio.sleep(0.005)
    raise AssertionError("still false after 1 s")


def secret_line(secret: str = SECRET) -> str:
    return f"{HEADER}: {secret}"


# --- routing -----------------------------------------------------------------------------


async def test_an_update_is_handed_to_accept_and_answered_200(
    serve: Serve, session: aiohttp.ClientSession, accept: Accept
) -> None:
    server = await serve()
    assert await post(session, server, json.dumps(UPDATE).encode()) == (200, "")
    assert accept.updates == [UPDATE]


async def test_an_unknown_path_is_404_before_the_body_is_sent(
    serve: Serve, accept: Accept
) -> None:
    server = await serve()
    # A body is announced but never sent: an answer at all proves it was not awaited.
    assert (await raw(server, head("/elsewhere", "Content-Length: 5000")))[0] == 404
    assert (await raw(server, head(PATH + "/x", "Content-Length: 5000", secret_line())))[0] == 404
    assert accept.updates == []


async def test_a_wrong_method_is_405(serve: Serve, session: aiohttp.ClientSession) -> None:
    server = await serve()
    async with session.get(url(server)) as response:
        assert (response.status, response.headers["Allow"]) == (405, "POST")
    async with session.post(url(server, HEALTH_PATH)) as response:
        assert (response.status, response.headers["Allow"]) == (405, "GET, HEAD")


@pytest.mark.parametrize(
    "secret_line",
    [
        b"",
        f"{HEADER}: ".encode(),
        f"{HEADER}: wrong".encode(),
        f"{HEADER}: {SECRET[:-1]}".encode(),
        f"{HEADER}: {SECRET}x".encode(),
        f"{HEADER}: {SECRET.upper()}".encode(),
        f"X-Other: {SECRET}".encode(),
        # Not UTF-8: compared as bytes, without crashing the handler.
        f"{HEADER}: ".encode() + b"s3cret-\xff\xfe",
    ],
)
async def test_a_missing_or_wrong_secret_is_403_before_the_body_is_sent(
    serve: Serve, accept: Accept, secret_line: bytes
) -> None:
    server = await serve()
    data = head(PATH, "Content-Length: 5000").replace(b"\r\n\r\n", b"\r\n")
    status, headers = await raw(server, data + secret_line + b"\r\n\r\n")
    assert (status, headers["connection"]) == (403, "close")
    assert accept.updates == []


async def test_the_secret_may_come_in_a_configured_header(
    serve: Serve, session: aiohttp.ClientSession, accept: Accept, health: Health
) -> None:
    server = WebServer(host="127.0.0.1", port=0, health=health)
    server.add_webhook("/other", secret="abc", secret_header="X-Other", accept=accept)
    await server.start()
    try:
        body = json.dumps(UPDATE).encode()
        async with session.post(url(server, "/other"), data=body, headers={HEADER: "abc"}) as r:
            assert r.status == 403
        async with session.post(url(server, "/other"), data=body, headers={"X-Other": "abc"}) as r:
            assert r.status == 200
    finally:
        await server.stop()
    assert accept.updates == [UPDATE]


async def test_the_path_must_match_as_sent(serve: Serve, accept: Accept) -> None:
    server = await serve()
    for path in (PATH.replace(":", "%3A"), PATH + "/", PATH.upper()):
        assert (await raw(server, head(path, "Content-Length: 9", secret_line())))[0] == 404
    assert accept.updates == []


async def test_oversized_headers_are_refused_while_being_read(serve: Serve) -> None:
    server = await serve()
    long_value = "v" * 5000
    for data in (head(PATH, f"X-Long: {long_value}"), head(PATH + long_value)):
        assert (await raw(server, data))[0] == 400
    many = [f"X-H{i}: 1" for i in range(60)]
    assert (await raw(server, head(PATH, *many)))[0] == 400


def test_a_webhook_needs_a_secret_and_an_absolute_path(health: Health, accept: Accept) -> None:
    server = WebServer(host="127.0.0.1", port=0, health=health)
    with pytest.raises(ValueError, match="secret"):
        server.add_webhook("/hook", secret="", accept=accept)
    for path in ("hook", HEALTH_PATH):
        with pytest.raises(ValueError, match="path"):
            server.add_webhook(path, secret=SECRET, accept=accept)


# --- size ---------------------------------------------------------------------------------


async def test_a_declared_length_over_the_cap_is_413_before_the_body_is_sent(
    serve: Serve, accept: Accept
) -> None:
    server = await serve(max_body=1000)
    status, headers = await raw(server, head(PATH, "Content-Length: 1001", secret_line()))
    assert (status, headers["connection"]) == (413, "close")
    assert accept.updates == []


async def test_a_body_of_exactly_the_cap_is_accepted(
    serve: Serve, session: aiohttp.ClientSession, accept: Accept
) -> None:
    server = await serve(max_body=1000)
    body = json.dumps({"update_id": 1, "pad": ""}).encode()
    update = {"update_id": 1, "pad": "p" * (1000 - len(body))}
    body = json.dumps(update).encode()
    assert len(body) == 1000
    assert (await post(session, server, body))[0] == 200
    assert accept.updates == [update]


async def test_a_streamed_body_is_read_only_up_to_the_cap(serve: Serve, accept: Accept) -> None:
    server = await serve(max_body=64 * 1024)
    chunked = head(PATH, "Transfer-Encoding: chunked", secret_line())
    status, sent = await stream(server, chunked, 8 * MB, chunk=16 * 1024)
    assert status == 413
    # Refused soon after the cap, not after the whole 8 MB (socket buffers hold a few MB).
    assert sent < 6 * MB
    assert accept.updates == []


# --- time ---------------------------------------------------------------------------------


async def test_a_slow_body_is_408(serve: Serve, accept: Accept) -> None:
    server = await serve(body_timeout=0.3)
    started = time.monotonic()
    status, headers = await raw(
        server, head(PATH, "Content-Length: 100", secret_line()) + b'{"update_id": 1'
    )
    assert (status, headers["connection"]) == (408, "close")
    # After the body timeout, not the client's patience (the bound leaves a slow machine room).
    assert 0.25 < time.monotonic() - started < 5.0
    assert accept.updates == []


async def test_slow_headers_get_the_connection_closed(serve: Serve) -> None:
    server = await serve(idle_timeout=0.5)
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    started = time.monotonic()
    try:
        writer.write(f"POST {PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\n".encode())
        closed_after = None
        for _ in range(30):  # one header byte every 0.05 s: never a complete request
            writer.write(b"X")
            await writer.drain()
            try:
                if await asyncio.wait_for(reader.read(1), 0.05) == b"":
                    closed_after = time.monotonic() - started
                    break
            except TimeoutError:
                continue
    except ConnectionError:
        closed_after = time.monotonic() - started
    finally:
        writer.close()
    assert closed_after is not None and 0.4 < closed_after < 1.0


# --- concurrency --------------------------------------------------------------------------


async def test_requests_beyond_the_limit_get_503_at_once(
    serve: Serve, session: aiohttp.ClientSession, accept: Accept, background: Background
) -> None:
    server = await serve(max_concurrent=2)
    accept.release = asyncio.Event()
    body = json.dumps(UPDATE).encode()
    held = [background(post(session, server, body)) for _ in range(2)]
    await until(lambda: server.in_flight == 2)
    # At once: answered while the two in flight are still held, not when they finish.
    async with (
        asyncio.timeout(10),
        session.post(url(server), data=body, headers={HEADER: SECRET}) as response,
    ):
        assert (response.status, response.headers["Retry-After"]) == (503, "1")
    assert server.in_flight == 2 and accept.updates == []
    accept.release.set()
    assert [(await h)[0] for h in held] == [200, 200]
    # The slots are free again.
    assert (await post(session, server, body))[0] == 200
    assert len(accept.updates) == 3


async def test_a_request_still_sending_its_body_holds_a_slot(
    serve: Serve, session: aiohttp.ClientSession
) -> None:
    server = await serve(max_concurrent=1, body_timeout=1.0)
    _, writer = await asyncio.open_connection("127.0.0.1", server.port)
    try:
        writer.write(head(PATH, "Content-Length: 100", secret_line()) + b"{")
        await until(lambda: server.in_flight == 1)
        assert (await post(session, server, json.dumps(UPDATE).encode()))[0] == 503
    finally:
        writer.close()


# --- content ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        pytest.param(b'{"update_id": 1, "message": ', (), id="truncated"),
        pytest.param(b"[1, 2]", (), id="array"),
        pytest.param(b'"text"', (), id="string"),
        pytest.param(b"", (), id="empty"),
        pytest.param(b"\xff\xfe{}", (), id="not-utf8"),
        # Nesting deep enough to overflow a recursive parser.
        pytest.param(b"[" * 200_000, (), id="deep"),
        # Valid JSON gzipped: the body is not decompressed (a bomb could pass any cap).
        pytest.param(
            gzip.compress(json.dumps(UPDATE).encode()), ("Content-Encoding: gzip",), id="gzip"
        ),
    ],
)
async def test_a_body_that_is_not_a_json_object_is_400(
    serve: Serve, accept: Accept, body: bytes, headers: tuple[str, ...]
) -> None:
    server = await serve()
    data = head(PATH, f"Content-Length: {len(body)}", secret_line(), *headers) + body
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    try:
        writer.write(data)
        status, answer = await asyncio.wait_for(read_head(reader), 1.0)
        text = await reader.readexactly(int(answer["content-length"]))
    finally:
        writer.close()
    assert status == 400
    assert text in (b"malformed JSON", b"not a JSON object")
    assert accept.updates == []


async def test_200_comes_only_once_accept_returns(
    serve: Serve, session: aiohttp.ClientSession, accept: Accept, background: Background
) -> None:
    server = await serve()
    accept.release = asyncio.Event()
    answer = background(post(session, server, json.dumps(UPDATE).encode()))
    await asyncio.wait_for(accept.entered.wait(), 1.0)
    await asyncio.sleep(0.1)
    assert not answer.done()
    accept.release.set()
    assert (await answer)[0] == 200
    assert accept.updates == [UPDATE]


async def test_a_failing_accept_is_503_and_logged_without_the_payload(
    serve: Serve,
    session: aiohttp.ClientSession,
    accept: Accept,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    server = await serve()
    accept.error = RuntimeError(f"could not store {PRIVATE}")
    status, text = await post(session, server, json.dumps(UPDATE).encode())
    assert (status, text) == (503, "try again")
    assert "update 42" in caplog.text and "RuntimeError" in caplog.text
    assert PRIVATE not in caplog.text
    assert "Traceback" not in caplog.text


async def test_logs_show_neither_the_path_nor_the_secret_nor_the_body(
    serve: Serve, session: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    server = await serve(max_body=4096)
    body = json.dumps(UPDATE).encode()
    assert (await post(session, server, body))[0] == 200
    assert (await post(session, server, body, secret="wrong"))[0] == 403
    assert (await post(session, server, b"{" + PRIVATE.encode()))[0] == 400
    assert (await raw(server, head(PATH + "x", "Content-Length: 9")))[0] == 404
    # Broken chunked framing: aiohttp answers 400 itself and its parser error quotes the bytes.
    broken = head(PATH, "Transfer-Encoding: chunked", secret_line())
    assert (await raw(server, broken + b"5\r\n" + PRIVATE.encode() + b"\r\n0\r\n\r\n"))[0] == 400
    [parser_error] = [r for r in caplog.records if r.name == "bots.web.http"]
    assert parser_error.levelno == logging.INFO and parser_error.exc_info is None
    assert "BadHttpMessage" in parser_error.getMessage()
    logged = caplog.text
    assert "update 42" in logged  # the update_id is the one thing logged about an update
    for hidden in (PATH, PATH.split("/")[-1], SECRET, PRIVATE):
        assert hidden not in logged
    assert not [r for r in caplog.records if r.name.startswith("aiohttp.access")]


# --- health -------------------------------------------------------------------------------


async def test_healthz_reports_each_check(
    serve: Serve, session: aiohttp.ClientSession, health: Health
) -> None:
    server = await serve()
    async with session.get(url(server, HEALTH_PATH)) as response:
        assert response.status == 200
        assert await response.json() == {
            "ok": True,
            "checks": {"store": True, "telegram": True},
            "roles": {},
        }
    health.report = HealthReport(
        {"store": True, "telegram": False}, {"telegram": "polling standby, worker"}, "web.1:7:ab"
    )
    async with session.get(url(server, HEALTH_PATH)) as response:
        assert response.status == 503
        assert await response.json() == {
            "ok": False,
            "checks": {"store": True, "telegram": False},
            "roles": {"telegram": "polling standby, worker"},
            "worker": "web.1:7:ab",
        }
    async with session.head(url(server, HEALTH_PATH)) as response:
        assert response.status == 503


@pytest.mark.parametrize("failure", ["error", "hang"])
async def test_healthz_is_503_when_the_check_fails_or_hangs(
    serve: Serve, session: aiohttp.ClientSession, health: Health, failure: str
) -> None:
    server = await serve(health_timeout=0.3)
    health.error = RuntimeError("store down") if failure == "error" else None
    health.hang = failure == "hang"
    started = time.monotonic()
    async with session.get(url(server, HEALTH_PATH)) as response:
        assert response.status == 503
        assert await response.json() == {"ok": False, "checks": {}}
    assert time.monotonic() - started < 5.0  # the 0.3 s timeout, not a hang behind the check


async def test_concurrent_healthz_requests_share_one_check(
    serve: Serve, session: aiohttp.ClientSession, health: Health
) -> None:
    server = await serve()

    async def status() -> int:
        async with session.get(url(server, HEALTH_PATH)) as response:
            return response.status

    assert await asyncio.gather(*(status() for _ in range(10))) == [200] * 10
    assert health.calls < 10


# --- 100-continue -------------------------------------------------------------------------


async def test_100_continue_is_sent_only_once_the_checks_pass(
    serve: Serve, accept: Accept
) -> None:
    server = await serve()
    body = json.dumps(UPDATE).encode()
    expect = ("Expect: 100-continue", f"Content-Length: {len(body)}")
    assert (await raw(server, head(PATH, *expect, secret_line("wrong"))))[0] == 403
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    try:
        writer.write(head(PATH, *expect, secret_line()))
        assert (await asyncio.wait_for(read_head(reader), 1.0))[0] == 100
        writer.write(body)
        assert (await asyncio.wait_for(read_head(reader), 1.0))[0] == 200
    finally:
        writer.close()
    assert accept.updates == [UPDATE]


# --- stop ---------------------------------------------------------------------------------


async def test_stop_lets_an_in_flight_update_finish(
    serve: Serve, session: aiohttp.ClientSession, accept: Accept, background: Background
) -> None:
    server = await serve(grace=5.0)  # ample: the update is released long before it ends
    port = server.port
    accept.release = asyncio.Event()
    answer = background(post(session, server, json.dumps(UPDATE).encode()))
    await asyncio.wait_for(accept.entered.wait(), 1.0)
    stopping = background(server.stop())
    # Longer than aiohttp's own close timeout: only the grace keeps the request alive.
    await asyncio.sleep(0.6)
    assert not stopping.done()
    accept.release.set()
    assert (await answer)[0] == 200
    await asyncio.wait_for(stopping, 1.0)
    assert accept.updates == [UPDATE]
    with pytest.raises(OSError):
        await asyncio.open_connection("127.0.0.1", port)


async def test_stop_cancels_what_outlasts_the_grace(
    serve: Serve, session: aiohttp.ClientSession, accept: Accept, background: Background
) -> None:
    server = await serve(grace=0.3)
    accept.release = asyncio.Event()  # never set
    answer = background(post(session, server, json.dumps(UPDATE).encode()))
    await asyncio.wait_for(accept.entered.wait(), 1.0)
    started = time.monotonic()
    async with asyncio.timeout(10):  # not aiohttp's minute, nor forever
        await server.stop()
    assert time.monotonic() - started >= 0.3  # it gave the update its grace first
    with pytest.raises(aiohttp.ClientError):
        await answer
    assert accept.cancelled and accept.updates == []


# --- memory -------------------------------------------------------------------------------


def peak_rss_kb() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise AssertionError("no VmHWM in /proc/self/status")


def reset_peak_rss() -> None:
    # "5" resets VmHWM to the current RSS (Linux >= 4.0), so the peak covers only what follows.
    with open("/proc/self/clear_refs", "w") as clear_refs:
        clear_refs.write("5")


async def test_large_bodies_do_not_grow_memory(serve: Serve, accept: Accept) -> None:
    server = await serve()  # the default 1 MiB cap
    chunked = ("Transfer-Encoding: chunked",)
    size = 20 * MB

    async def push(data: bytes) -> int:
        status, sent = await stream(server, data, size, keep_sending=True)
        # Pushed on past the answer: the server took (and dropped) the whole body.
        assert sent == size
        return status

    # Warm up allocations (connection, parser, buffers) before measuring.
    assert (await stream(server, head("/nowhere", *chunked), MB, keep_sending=True))[0] == 404
    reset_peak_rss()
    before = peak_rss_kb()
    assert await push(head("/nowhere", *chunked)) == 404
    assert await push(head(PATH, *chunked)) == 403
    assert await push(head(PATH, *chunked, secret_line())) == 413
    assert await push(head(PATH, f"Content-Length: {90 * MB}", secret_line())) == 413
    grown = peak_rss_kb() - before
    # 80 MB went in; the peak may grow by the 1 MiB cap plus a few read buffers.
    assert grown < 4 * 1024, f"peak RSS grew by {grown} kB"
    assert accept.updates == []
