"""Bytes to text: UTF-8 for plain text; for HTML, UTF-8 or the charset the page declares."""

from __future__ import annotations

import codecs

import lxml.html
from lxml.etree import ParserError

from core.content.importer.errors import ImportProblem


def decode_text(data: bytes) -> str:
    """UTF-8 text (a byte-order mark is fine); ImportProblem naming the first bad byte."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportProblem(
            f"not UTF-8 text (byte {exc.start} is 0x{data[exc.start]:02x}): save it as UTF-8"
        ) from None


def looks_like_html(data: bytes) -> bool:
    """Whether the bytes start as an HTML document does."""
    head = data[:1024].removeprefix(b"\xef\xbb\xbf").lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html"))


def decode_html(data: bytes, declared: str | None = None) -> str:
    """A page's text in the charset its server or its <meta> declares, else UTF-8."""
    for charset in (declared, _meta_charset(data)):
        if charset:
            try:
                return data.decode(codecs.lookup(charset).name)
            except (LookupError, UnicodeDecodeError):
                continue
    return decode_text(data)


def _meta_charset(data: bytes) -> str | None:
    try:
        root = lxml.html.document_fromstring(data[:65536])
    except (ParserError, ValueError):
        return None
    for meta in root.iter("meta"):
        if charset := meta.get("charset"):
            return charset.strip()
        content = meta.get("content") or ""
        if (meta.get("http-equiv") or "").lower() == "content-type" and "charset=" in content:
            return content.split("charset=", 1)[1].split(";")[0].strip()
    return None
