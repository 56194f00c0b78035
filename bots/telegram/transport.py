"""PTB's requests on aiohttp, with JSON bodies: the Bot API transport of the adapter.

PTB ships an httpx transport. Per request, httpx, httpcore, anyio and h11 cost about a third of
the bare echo bot's CPU (bench.telegram_read --profile), httpcore checks each pooled socket
before reuse, and PTB url-encodes every body with a Python-level quoter. aiohttp, already the
web server's library, sends the same request for less, and a JSON body (which the Bot API
accepts for every method) is encoded in C. Uploads (documents) stay multipart.
"""

from __future__ import annotations

from typing import Any

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

_DEFAULT = type(BaseRequest.DEFAULT_NONE)
JSON_HEADERS = {"User-Agent": BaseRequest.USER_AGENT, "Content-Type": "application/json"}
PLAIN_HEADERS = {"User-Agent": BaseRequest.USER_AGENT}
# Below the idle time after which Telegram's servers close a kept-alive connection, so a
# request rarely meets a connection the server is closing.
KEEPALIVE_SECONDS = 30.0


class AiohttpRequest(BaseRequest):
    """One aiohttp session with a bounded pool; timeouts as PTB's HTTPXRequest takes them."""

    __slots__ = ("_connect", "_pool", "_pool_size", "_read", "_session", "_write")

    def __init__(
        self,
        connection_pool_size: int = 8,
        *,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
    ) -> None:
        self._pool_size = connection_pool_size
        self._read = read_timeout
        self._write = write_timeout
        self._connect = connect_timeout
        self._pool = pool_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read

    @read_timeout.setter
    def read_timeout(self, seconds: float | None) -> None:
        """Change the default read timeout of later requests (drills shorten it)."""
        self._read = seconds

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(
                limit=self._pool_size, keepalive_timeout=KEEPALIVE_SECONDS
            )
            # No cookies, no environment proxies: a bot token's requests go where configured.
            self._session = aiohttp.ClientSession(
                connector=connector, cookie_jar=aiohttp.DummyCookieJar(), trust_env=False
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        read = self._read if isinstance(read_timeout, _DEFAULT) else read_timeout
        connect = self._connect if isinstance(connect_timeout, _DEFAULT) else connect_timeout
        pool = self._pool if isinstance(pool_timeout, _DEFAULT) else pool_timeout
        # aiohttp's `connect` covers waiting for a pooled connection and opening one; it has no
        # write timeout (a body this bot sends is small, or a document under the read timeout).
        waiting = None if connect is None or pool is None else connect + pool
        timeout = aiohttp.ClientTimeout(total=None, connect=waiting, sock_read=read)
        body: Any = None
        headers = PLAIN_HEADERS
        if request_data is not None:
            if request_data.contains_files:
                body = _multipart(request_data)
            else:
                body = request_data.json_payload
                headers = JSON_HEADERS
        try:
            async with self._session.request(
                method, url, data=body, headers=headers, timeout=timeout
            ) as response:
                return response.status, await response.read()
        except TimeoutError as exc:
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            # The URL holds the bot token: keep it out of a message that may be logged.
            detail = str(exc).replace(url, "<the Bot API URL>")
            raise NetworkError(f"aiohttp.{type(exc).__name__}: {detail}") from exc


def _multipart(request_data: RequestData) -> aiohttp.FormData:
    form = aiohttp.FormData()
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, upload in request_data.multipart_data.items():
        filename, content, mime_type = upload
        form.add_field(name, content, filename=filename, content_type=mime_type)
    return form
