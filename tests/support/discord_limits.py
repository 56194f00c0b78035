"""Discord's published limits, checked on every request the adapter sent (see LIMITS.md)."""

from __future__ import annotations

import re
from typing import Any

from tests.support.discord_api import Recorded

MESSAGE_PATHS = re.compile(
    r"^/(?:channels/\d+/messages(?:/\d+)?|webhooks/\d+/[^/]+(?:/messages/[^/]+)?)$"
)
MENTION = re.compile(r"@(everyone|here)\b|<@[!&]?\d+>")


def embed_size(embed: dict[str, Any]) -> int:
    size = len(embed.get("title") or "") + len(embed.get("description") or "")
    size += len((embed.get("footer") or {}).get("text") or "")
    size += len((embed.get("author") or {}).get("name") or "")
    for field in embed.get("fields") or []:
        size += len(field.get("name") or "") + len(field.get("value") or "")
    return size


def components_problems(components: list[dict[str, Any]]) -> list[str]:
    problems = []
    if len(components) > 5:
        problems.append(f"{len(components)} action rows")
    for row in components:
        children = row.get("components") or []
        if len(children) > 5:
            problems.append(f"{len(children)} buttons in a row")
        for child in children:
            if len(child.get("custom_id") or "") > 100:
                problems.append(f"custom_id over 100: {child['custom_id']!r}")
            if len(child.get("label") or "") > 80:
                problems.append("button label over 80")
            if child.get("url") and len(child["url"]) > 512:
                problems.append("button url over 512")
            if child.get("type") == 2 and not child.get("label"):
                problems.append("button without a label")
    return problems


def message_problems(body: dict[str, Any]) -> list[str]:
    problems = []
    content = body.get("content") or ""
    if len(content) > 2000:
        problems.append(f"content of {len(content)} characters")
    embeds = body.get("embeds") or []
    if len(embeds) > 10:
        problems.append(f"{len(embeds)} embeds")
    if sum(embed_size(e) for e in embeds) > 6000:
        problems.append("embeds over 6000 characters")
    for embed in embeds:
        if len(embed.get("description") or "") > 4096:
            problems.append("embed description over 4096")
        if len(embed.get("title") or "") > 256:
            problems.append("embed title over 256")
        if len(embed.get("fields") or []) > 25:
            problems.append("over 25 embed fields")
    problems += components_problems(body.get("components") or [])
    mentions = body.get("allowed_mentions")
    if mentions != {"parse": []} and not (
        isinstance(mentions, dict)
        and mentions.get("parse") == []
        and not mentions.get("users")
        and not mentions.get("roles")
    ):
        problems.append(f"allowed_mentions not none: {mentions!r}")
    texts = [content] + [f"{e.get('title') or ''}\n{e.get('description') or ''}" for e in embeds]
    problems += [f"live mention in {text!r}" for text in texts if MENTION.search(text)]
    return problems


def problems(record: Recorded) -> list[str]:
    """Every limit the request breaks (empty when it is fine)."""
    body = record.body
    if not isinstance(body, dict):
        return []
    if record.interaction_id is not None:
        data = body.get("data") or {}
        kind = body.get("type")
        if kind == 8:
            choices = data.get("choices") or []
            found = [f"{len(choices)} choices"] if len(choices) > 25 else []
            for choice in choices:
                if not 1 <= len(choice["name"]) <= 100 or len(str(choice["value"])) > 100:
                    found.append(f"bad choice {choice!r}")
            return found
        if kind == 9:
            found = [] if len(data.get("title", "")) <= 45 else ["modal title over 45"]
            found += [] if len(data.get("custom_id", "")) <= 100 else ["modal custom_id over 100"]
            inputs = [c for row in data.get("components", []) for c in row.get("components", [])]
            if len(inputs) > 5:
                found.append("over 5 modal inputs")
            for text_input in inputs:
                if len(text_input.get("label") or "") > 45:
                    found.append("text input label over 45")
                if (text_input.get("max_length") or 0) > 4000:
                    found.append("text input max_length over 4000")
            return found
        if kind in (4, 7):
            return message_problems(data)
        return []
    if record.method in ("POST", "PATCH") and MESSAGE_PATHS.match(record.path):
        return message_problems(body)
    return []


def unacknowledged(requests: list[Recorded]) -> list[str]:
    """Requests on an interaction token that came before its acknowledgement (callback)."""
    acknowledged: set[str] = set()
    early = []
    for record in requests:
        if record.interaction_id is not None:
            acknowledged.add(record.token or "")
        elif record.token is not None and record.token not in acknowledged:
            early.append(f"{record.method} {record.path}")
    return early
