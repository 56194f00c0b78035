"""/reload in the console: the operator loads a new article file, and it answers at once."""

from __future__ import annotations

from pathlib import Path

from core.app import Core
from tests.support.console import console_session
from tests.support.content import add_townhall, content_copy
from tests.support.settings import console_settings, make_settings


async def test_the_operator_reloads_and_readers_get_the_new_article(
    sqlite_url: str, tmp_path: Path
) -> None:
    content = content_copy(tmp_path / "content")
    core = await Core.open(make_settings(sqlite_url, content_dir=content))
    core.grant_moderators("console", console_settings().moderator_rule())
    written: list[str] = []
    session = console_session(core, written)
    try:
        await session.handle("/reload")
        assert "/reload is for moderators only." in written[-1]
        add_townhall(content)
        await session.handle("/as moderator")
        await session.handle("/reload")
        assert "Reloaded: added /townhall." in written[-1]
        await session.handle("/as reader")
        await session.handle("/townhall")
        assert "Sample Town Hall Reopens" in written[-1]
    finally:
        await core.close()
