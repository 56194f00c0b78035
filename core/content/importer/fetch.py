"""One HTTP GET with a timeout and a size cap (httpx): a feed, or the page of a feed entry."""

from __future__ import annotations

from dataclasses import dataclass

from core.content.importer.errors import ImportProblem

TIMEOUT_SECONDS = 15.0
# A feed or an article page; anything larger is not what was meant.
MAX_BYTES = 10 * 1024 * 1024
USER_AGENT = "newsroom-bot-importer/1 (+python -m core.content)"


@dataclass(frozen=True)
class Fetched:
    """What the server sent: the final URL (after redirects), the body and its charset."""

    url: str
    content: bytes
    charset: str | None


def is_url(location: str) -> bool:
    """Whether `location` is an http(s) URL rather than a path."""
    return location.startswith(("http://", "https://"))


def fetch(url: str, *, timeout: float = TIMEOUT_SECONDS) -> Fetched:
    """The body at `url`; ImportProblem when it can't be had (status, timeout, network, size)."""
    import httpx

    try:
        with (
            httpx.Client(
                timeout=timeout, follow_redirects=True, headers={"User-Agent": USER_AGENT}
            ) as client,
            client.stream("GET", url) as response,
        ):
            if response.status_code >= 400:
                raise ImportProblem(
                    f"{url}: the server answered {response.status_code}"
                    f" {response.reason_phrase}".rstrip()
                )
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > MAX_BYTES:
                    raise ImportProblem(f"{url}: larger than {MAX_BYTES // 2**20} MiB")
            return Fetched(str(response.url), bytes(body), response.charset_encoding)
    except httpx.TimeoutException:
        raise ImportProblem(f"{url}: no answer within {timeout:g} s") from None
    except httpx.HTTPError as exc:
        raise ImportProblem(f"{url}: cannot be fetched ({exc or type(exc).__name__})") from None
