"""Replies as plain text for a terminal."""

from __future__ import annotations

from core.replies import ActionButton, BlockKind, LinkButton, Reply, SpanStyle


def render_text(reply: Reply) -> str:
    """Every block on its own line; links spelled out; action buttons numbered from 1."""
    lines: list[str] = []
    for block in reply.blocks:
        text = "".join(
            f"{span.text} <{span.url}>" if span.style is SpanStyle.LINK else span.text
            for span in block.spans
        )
        if block.kind is BlockKind.HEADING:
            lines.append(f"== {text} ==")
        elif block.kind is BlockKind.ITEM:
            lines.append(f"  • {text}")
        elif block.kind is BlockKind.QUOTE:
            lines.extend(f"  │ {line}" for line in text.splitlines() or [""])
        else:
            lines.append(text)
    number = 0
    for row in reply.buttons:
        cells = []
        for button in row:
            if isinstance(button, ActionButton):
                number += 1
                cells.append(f"[{number}] {button.label}")
            elif isinstance(button, LinkButton):
                cells.append(f"{button.label} <{button.url}>")
        lines.append("   ".join(cells))
    return "\n".join(lines)
