"""One hardened HTTP server (aiohttp) for the Telegram webhook and `GET /healthz`.

Every webhook request is checked (path, method, secret, declared length, free slot) before a
byte of its body is read; the body is then read up to `max_body` within `body_timeout`.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from aiohttp.http import HttpProcessingError, HttpVersion11

from core.health import HealthReport

__all__ = ["HEALTH_PATH", "HealthReport", "WebServer"]

log = logging.getLogger(__name__)
# aiohttp's own messages (a malformed request line, broken chunked framing) go here, not to
# aiohttp.server, so the filter below can keep request bytes out of them.
protocol_log = logging.getLogger(f"{__name__}.http")

HEALTH_PATH = "/healthz"
TELEGRAM_SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# After a refusal aiohttp reads and discards the unread body for this long (so the client is
# still reading when it gets the answer), then closes: bounded time, no buffering.
LINGER_SECONDS = 1.0
# What stop() gives aiohttp to close connections once our own grace for webhooks has passed.
CLOSE_SECONDS = 0.25
# Telegram sends about six short headers and a proxy adds a dozen: these bound what one
# connection can make the parser hold (aiohttp's defaults: 128 headers, 8190-byte lines).
MAX_HEADERS = 48
MAX_LINE = 4096
RETRY_SOON = {"Retry-After": "1"}


class _BodyTooLarge(Exception):
    """The streamed body went past `max_body`."""


class _ClientErrorsBriefly(logging.Filter):
    """Logs a client's malformed request as one INFO line naming the error, without its text."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        # Their messages quote the request's bytes; any other error is ours and keeps its trace.
        if isinstance(error, HttpProcessingError | web.RequestPayloadError):
            record.msg = f"{record.getMessage()} ({type(error).__name__})"
            record.args = record.exc_info = record.exc_text = None
            record.levelno, record.levelname = logging.INFO, "INFO"
        return True


protocol_log.addFilter(_ClientErrorsBriefly())


@dataclass(frozen=True, slots=True)
class _Webhook:
    secret: bytes
    secret_header: str
    accept: Callable[[Any], Awaitable[None]]


def _answer(
    status: int, text: str, *, close: bool = True, headers: Mapping[str, str] | None = None
) -> web.Response:
    response = web.Response(status=status, text=text, headers=headers)
    if close:
        # A refused client may still be sending: don't keep its connection for another request.
        response.force_close()
    return response


def _retrieve(task: asyncio.Future[Any]) -> None:
    # Every waiter may have timed out: mark the outcome seen so asyncio does not log it.
    if not task.cancelled():
        task.exception()


class WebServer:
    """One aiohttp server on one port: webhook routes and GET /healthz."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        health: Callable[[], Awaitable[HealthReport]],
        max_body: int = 1 << 20,
        max_concurrent: int = 64,
        body_timeout: float = 10.0,
        health_timeout: float = 3.0,
        idle_timeout: float = 75.0,
        grace: float = 2.0,
    ) -> None:
        if max_body <= 0 or max_concurrent <= 0:
            raise ValueError("max_body and max_concurrent must be positive")
        if min(body_timeout, health_timeout, idle_timeout) <= 0 or grace < 0:
            raise ValueError("timeouts must be positive")
        self.host = host
        self._requested_port = port
        self._health = health
        self.max_body = max_body
        self.max_concurrent = max_concurrent
        self.body_timeout = body_timeout
        self.health_timeout = health_timeout
        # aiohttp's keepalive_timeout: also the deadline for a new connection's first headers.
        self.idle_timeout = idle_timeout
        self.grace = grace
        self._hooks: dict[str, _Webhook] = {}
        self._inflight: set[asyncio.Task[Any]] = set()
        self._probing: asyncio.Future[HealthReport] | None = None
        self._runner: web.ServerRunner | None = None
        self._site: web.TCPSite | None = None
        self._stopping = False

    def add_webhook(
        self,
        path: str,
        *,
        secret: str,
        secret_header: str = TELEGRAM_SECRET_HEADER,
        accept: Callable[[Any], Awaitable[None]],
    ) -> None:
        """Route POSTs to `path` with `secret` in `secret_header` to `accept(update)`."""
        if not path.startswith("/") or path == HEALTH_PATH or path in self._hooks:
            raise ValueError("a webhook path starts with '/' and is not already routed")
        if not secret:
            raise ValueError("a webhook needs a secret")
        self._hooks[path] = _Webhook(secret.encode(), secret_header, accept)

    @property
    def port(self) -> int:
        """The bound port (the OS picks one when constructed with port=0)."""
        if self._site is None:
            raise RuntimeError("the server is not running")
        return self._site.port

    @property
    def in_flight(self) -> int:
        """How many webhook requests are being read or accepted right now."""
        return len(self._inflight)

    async def start(self) -> None:
        """Bind and start serving."""
        if self._runner is not None:
            raise RuntimeError("the server is already running")
        # The low-level server, not web.Application: the Application's router answers
        # "Expect: 100-continue" (inviting the body) before any handler runs, even for 404.
        server = web.Server(
            self._dispatch,
            handler_cancellation=False,  # a client hanging up must not cut accept() short
            access_log=None,  # request lines carry the webhook path
            logger=protocol_log,
            keepalive_timeout=self.idle_timeout,
            lingering_time=LINGER_SECONDS,
            auto_decompress=False,  # a gzip body could inflate far past max_body
            max_headers=MAX_HEADERS,
            max_line_size=MAX_LINE,
            max_field_size=MAX_LINE,
        )
        runner = web.ServerRunner(server, shutdown_timeout=CLOSE_SECONDS)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self._requested_port)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner, self._site, self._stopping = runner, site, False
        log.info("web server listening on %s:%d", self.host, site.port)

    async def stop(self) -> None:
        """Stop accepting, give in-flight webhook requests up to `grace` seconds, close."""
        runner, site = self._runner, self._site
        if runner is None or site is None:
            return
        self._runner = self._site = None
        # Requests arriving on open keep-alive connections from now on get 503 (retried).
        self._stopping = True
        await site.stop()
        if self._inflight:
            _, pending = await asyncio.wait(set(self._inflight), timeout=self.grace)
            if pending:
                log.warning(
                    "%d webhook request(s) still running after %.1f s: cancelled (Telegram "
                    "delivers them again)",
                    len(pending),
                    self.grace,
                )
                for task in pending:
                    task.cancel()
                await asyncio.wait(pending, timeout=CLOSE_SECONDS)
        # aiohttp waits up to shutdown_timeout twice per connection, then cancels.
        await runner.cleanup()
        if self._probing is not None:
            self._probing.cancel()
            self._probing = None

    async def _dispatch(self, request: web.BaseRequest) -> web.StreamResponse:
        """Route by exact path and method, before anything of the body is read."""
        # As sent (not percent-decoded), like the URL given to Telegram.
        path = request.rel_url.raw_path
        hook = self._hooks.get(path)
        if hook is not None:
            if request.method != "POST":
                return _answer(405, "method not allowed", headers={"Allow": "POST"})
            return await self._webhook(hook, request)
        if path == HEALTH_PATH:
            if request.method not in ("GET", "HEAD"):
                return _answer(405, "method not allowed", headers={"Allow": "GET, HEAD"})
            return await self._healthz()
        return _answer(404, "not found")

    async def _webhook(self, hook: _Webhook, request: web.BaseRequest) -> web.StreamResponse:
        """Refuse on the headers alone (secret, declared size, no free slot), else deliver."""
        # aiohttp decodes header bytes as UTF-8 with surrogateescape: this gives the bytes back.
        sent = request.headers.get(hook.secret_header, "").encode("utf-8", "surrogateescape")
        if not hmac.compare_digest(sent, hook.secret):
            log.info("webhook request refused: missing or wrong secret")
            return _answer(403, "forbidden")
        declared = request.content_length
        if declared is not None and declared > self.max_body:
            log.debug("webhook request refused: declares %d bytes", declared)
            return _answer(413, "payload too large")
        if self._stopping or len(self._inflight) >= self.max_concurrent:
            log.warning("webhook request refused: %d in flight", len(self._inflight))
            return _answer(503, "busy", headers=RETRY_SOON)
        task = asyncio.current_task()
        assert task is not None
        self._inflight.add(task)
        try:
            return await self._deliver(hook, request)
        finally:
            self._inflight.discard(task)

    async def _deliver(self, hook: _Webhook, request: web.BaseRequest) -> web.StreamResponse:
        """Read the body (bounded), parse it, and answer 200 once `accept` has returned."""
        if (
            request.version == HttpVersion11
            and request.headers.get("Expect", "").lower() == "100-continue"
        ):
            # Only now that every check passed is the client invited to send its body.
            await request.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            request.writer.output_size = 0  # as aiohttp's own: the response is still unsent
        try:
            body = await self._read_body(request)
        except TimeoutError:
            log.debug(
                "webhook request refused: body not received within %.1f s", self.body_timeout
            )
            return _answer(408, "request timeout")
        except _BodyTooLarge:
            log.debug("webhook request refused: body over %d bytes", self.max_body)
            return _answer(413, "payload too large")
        except (web.RequestPayloadError, ConnectionError) as exc:
            log.debug("webhook request refused: body unreadable (%s)", type(exc).__name__)
            return _answer(400, "bad request")
        try:
            update = json.loads(body)
        except (ValueError, RecursionError):
            log.debug("webhook request refused: malformed JSON")
            return _answer(400, "malformed JSON", close=False)
        if not isinstance(update, dict):
            log.debug("webhook request refused: JSON is not an object")
            return _answer(400, "not a JSON object", close=False)
        update_id = update.get("update_id")
        update_id = update_id if type(update_id) is int else None
        try:
            await hook.accept(update)
        except Exception as exc:
            # The exception's message may quote the update: its type is enough to start from.
            log.warning(
                "accepting update %s failed (%s): answered 503 so Telegram retries",
                update_id,
                type(exc).__name__,
            )
            return _answer(503, "try again", close=False, headers=RETRY_SOON)
        log.debug("update %s accepted", update_id)
        return web.Response(status=200)

    async def _read_body(self, request: web.BaseRequest) -> bytes:
        """The body, or _BodyTooLarge past `max_body`, or TimeoutError after `body_timeout`."""
        body = bytearray()
        async with asyncio.timeout(self.body_timeout):
            while chunk := await request.content.readany():
                # Refused before the chunk joins the body: never more than max_body is kept.
                if len(body) + len(chunk) > self.max_body:
                    raise _BodyTooLarge
                body += chunk
        return bytes(body)

    async def _healthz(self) -> web.StreamResponse:
        """`{"ok": ..., "checks": {...}}`: 200 when every check passed, else 503."""
        report = await self._probe()
        ok = report is not None and report.ok
        body: dict[str, object] = {"ok": ok, "checks": {}}
        if report is not None:
            body = {"ok": ok, "checks": dict(report.checks), "roles": dict(report.roles)}
            if report.worker is not None:
                body["worker"] = report.worker
        return web.json_response(
            body,
            status=200 if ok else 503,
            headers={"Cache-Control": "no-store"},
        )

    async def _probe(self) -> HealthReport | None:
        """The health report, or None when the check failed or did not answer in time."""
        # Concurrent /healthz requests share one check, so a flood of them (or a hung store)
        # never runs more than one health() at a time.
        try:
            if self._probing is None or self._probing.done():
                self._probing = asyncio.ensure_future(self._health())
                self._probing.add_done_callback(_retrieve)
            return await asyncio.wait_for(asyncio.shield(self._probing), self.health_timeout)
        except TimeoutError:
            log.warning("health check did not answer within %.1f s", self.health_timeout)
        except Exception as exc:
            log.warning("health check failed (%s)", type(exc).__name__)
        return None
