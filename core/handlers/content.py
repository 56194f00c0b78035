"""Content: moderators load new and changed article files without a restart."""

from __future__ import annotations

from core.actors import Request
from core.commands import Audience, Router
from core.content.loader import ContentError
from core.context import Context
from core.replies import Reply
from core.replies.build import item, message, paragraph

router = Router()

# A refusal must fit one message on every platform (Discord: 2000 characters): the first few
# problems, each cut short, say where to look; the log has them all.
SHOWN_PROBLEMS = 8
PROBLEM_CHARS = 200


@router.command(
    "reload",
    "Load new and changed article files (every process)",
    audience=Audience.MODERATOR,
)
async def reload(ctx: Context, request: Request, args: str) -> Reply:
    """Read the article files again; keep the old content and say why when one is bad."""
    try:
        change = await ctx.reload_content()
    except ContentError as exc:
        return refused(exc)
    if change.nothing:
        return message("Nothing changed.")
    text = f"Reloaded: {change.describe()}."
    if change.commands_changed:
        text += " The command menus follow."
    return message(text)


def refused(exc: ContentError) -> Reply:
    """Which file, field and problem, for a moderator: the old content is still served."""
    problems = exc.problems or (str(exc),)
    shown = [_clip(problem) for problem in problems[:SHOWN_PROBLEMS]]
    blocks = [
        paragraph(
            "Not reloaded: the articles as they were are still served. Fix this, then send "
            "/reload again:"
        ),
        *(item(problem) for problem in shown),
    ]
    if len(problems) > SHOWN_PROBLEMS:
        blocks.append(paragraph(f"…and {len(problems) - SHOWN_PROBLEMS} more (see the log)."))
    return Reply(blocks=tuple(blocks), ephemeral=True, is_error=True)


def _clip(text: str) -> str:
    return text if len(text) <= PROBLEM_CHARS else text[: PROBLEM_CHARS - 1] + "…"
