"""Telegram's HTML parse mode as the Bot API applies it, for the fake server and property tests.

Rules from core.telegram.org/bots/api#html-style: only the listed tags, `<a>` needs `href`,
tags closed in order, `<`, `>` and `&` escaped unless part of a tag or an entity (the four named
ones and numeric ones). The result is the visible text, whose length Telegram limits.
"""

from __future__ import annotations

import html
import re

ALLOWED = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "a",
    "code",
    "pre",
    "tg-spoiler",
    "span",
    "blockquote",
    "tg-emoji",
}
NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^<>]*)?)>")
_ATTR = re.compile(r'\s*([a-zA-Z-]+)(?:\s*=\s*(?:"([^"]*)"|\'([^\']*)\'|([^\s"\'>]+)))?')
_ENTITY = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z]+);")


class EntityError(ValueError):
    """What Telegram answers as 400 "Bad Request: can't parse entities: ..."."""


def _attrs(raw: str) -> dict[str, str]:
    attrs: dict[str, str] = {}
    pos = 0
    raw = raw.rstrip()
    while pos < len(raw):
        match = _ATTR.match(raw, pos)
        if not match or match.end() == pos:
            raise EntityError(f"bad attributes {raw!r}")
        value = next((g for g in match.groups()[1:] if g is not None), "")
        attrs[match.group(1).lower()] = html.unescape(value)
        pos = match.end()
    return attrs


def _entity(match: re.Match[str]) -> str:
    body = match.group(1)
    if body.startswith("#"):
        code = int(body[2:], 16) if body[1:2] in "xX" else int(body[1:])
        if code > 0x10FFFF:
            raise EntityError(f"bad numeric entity &{body};")
        return chr(code)
    if body not in NAMED_ENTITIES:
        raise EntityError(f"unsupported entity &{body};")
    return NAMED_ENTITIES[body]


def visible_text(markup: str) -> str:
    """Parse `markup` like Telegram does and return the text the reader sees."""
    out: list[str] = []
    stack: list[str] = []
    pos = 0
    while pos < len(markup):
        ch = markup[pos]
        if ch == "<":
            match = _TAG.match(markup, pos)
            if not match:
                raise EntityError(f"unexpected '<' at byte offset {pos}")
            closing, name, raw = match.group(1), match.group(2).lower(), match.group(3)
            if name not in ALLOWED:
                raise EntityError(f"unsupported start tag {name!r} at byte offset {pos}")
            if closing:
                if not stack or stack[-1] != name:
                    raise EntityError(f"unmatched end tag at byte offset {pos}, expected ...")
                stack.pop()
            else:
                attrs = _attrs(raw)
                if name == "a" and not attrs.get("href"):
                    raise EntityError("<a> without href")
                if (
                    stack
                    and stack[-1] in {"code", "pre"}
                    and not (stack[-1] == "pre" and name == "code")
                ):
                    raise EntityError(f"<{name}> inside <{stack[-1]}>")
                if name == "blockquote" and "blockquote" in stack:
                    raise EntityError("nested blockquote")
                stack.append(name)
            pos = match.end()
        elif ch == "&":
            match = _ENTITY.match(markup, pos)
            if not match:
                raise EntityError(f"unescaped '&' at byte offset {pos}")
            out.append(_entity(match))
            pos = match.end()
        elif ch == ">":
            raise EntityError(f"unescaped '>' at byte offset {pos}")
        else:
            out.append(ch)
            pos += 1
    if stack:
        raise EntityError(f"can't find end tag corresponding to start tag {stack[-1]!r}")
    return "".join(out)


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def check_message(markup: str, limit: int = 4096) -> str:
    """Validate a message text as sendMessage does; return its visible text."""
    text = visible_text(markup)
    if not text.strip():
        raise EntityError("message text is empty")
    if utf16_len(text.strip()) > limit:
        raise EntityError("message is too long")
    return text
