from __future__ import annotations

from tests.bots.discord.conftest import READER
from tests.bots.discord.harness import Harness


async def test_help(bot: Harness) -> None:
    result = await bot.send(bot.slash("help", READER))
    for r in result.all_requests:
        print(r.method, r.path, r.status, r.body)
    assert "What I can do" in result.texts()
