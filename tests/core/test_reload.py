"""/reload: new, changed and removed article files are served without a restart; the articles,
their FAQ index, the commands and the shared replies swap together; bad content keeps the old."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from core.actors import Request
from core.app import Core
from core.commands import Router
from core.content.state import ContentState
from core.context import Context
from core.events import ContentReloaded, Event
from core.handlers import ROUTERS
from core.replies import Reply
from core.replies.build import message
from tests.support.actors import MODERATOR, OPERATOR, READER, request_for
from tests.support.content import MISSING_ANSWER, add_townhall, content_copy, rewrite
from tests.support.settings import grant_test_moderators, make_settings

STARGATE_LEAD = "OpenAI announces Stargate, a $500 billion venture"


@pytest.fixture
def content(tmp_path: Path) -> Path:
    return content_copy(tmp_path / "content")


async def open_core(sqlite_url: str, content: Path, routers: tuple[Router, ...] = ROUTERS) -> Core:
    core = await Core.open(make_settings(sqlite_url, content_dir=content), routers=routers)
    grant_test_moderators(core)
    return core


@pytest.fixture
async def core(database_url: str, content: Path) -> AsyncIterator[Core]:
    """On SQLite and PostgreSQL: a reload is no store work, but the answer goes through it."""
    core = await open_core(database_url, content)
    try:
        yield core
    finally:
        await core.close()


def heard(core: Core) -> list[ContentReloaded]:
    """The ContentReloaded events `core` publishes from now on."""
    events: list[ContentReloaded] = []

    async def listen(event: Event) -> None:
        if isinstance(event, ContentReloaded):
            events.append(event)

    core.events.subscribe(listen)
    return events


async def reload(core: Core) -> str:
    outcome = await core.execute(request_for(MODERATOR), "reload")
    await core.events.drain()
    return outcome.reply.text


async def say(core: Core, command: str, args: str = "") -> str:
    return (await core.execute(request_for(READER), command, args)).reply.text


async def test_a_new_file_becomes_an_article_with_its_command_and_faq(
    core: Core, content: Path
) -> None:
    events = heard(core)
    assert "/townhall" not in await say(core, "help")
    add_townhall(content)

    answer = await reload(core)

    assert answer == "Reloaded: added /townhall. The command menus follow."
    assert events == [ContentReloaded(("townhall",), (), (), commands_changed=True)]
    assert [a.slug for a in core.library.articles] == ["stargate", "townhall"]
    assert core.registry.spec("townhall") is not None
    assert "Sample Town Hall Reopens" in await say(core, "townhall")
    assert "/townhall [section] — Summary: Sample Town Hall Reopens" in await say(core, "help")
    assert "It reopens after repairs." in await say(core, "faq", "when does the town hall reopen")


async def test_a_changed_text_is_served_and_its_command_stays(core: Core, content: Path) -> None:
    events = heard(core)
    assert STARGATE_LEAD in await say(core, "stargate")  # the summary is now built and shared
    registry = core.registry
    rewrite(content / "stargate.toml", STARGATE_LEAD, "Stargate, rewritten by an editor")

    assert await reload(core) == "Reloaded: changed /stargate."

    summary = await say(core, "stargate")
    assert "Stargate, rewritten by an editor" in summary and STARGATE_LEAD not in summary
    assert events == [ContentReloaded((), ("stargate",), (), commands_changed=False)]
    assert list(core.registry) == list(registry)  # the same commands, so no menu to redo


async def test_a_new_title_changes_the_command(core: Core, content: Path) -> None:
    events = heard(core)
    rewrite(content / "stargate.toml", 'title = "OpenAI’s Stargate', 'title = "The Stargate')
    assert await reload(core) == "Reloaded: changed /stargate. The command menus follow."
    assert events[0].commands_changed  # its description is the title: menus must show it
    assert "/stargate [section] — Summary: The Stargate" in await say(core, "help")


async def test_a_removed_file_takes_its_command_away(sqlite_url: str, content: Path) -> None:
    townhall = add_townhall(content)
    core = await open_core(sqlite_url, content)
    try:
        events = heard(core)
        townhall.unlink()
        assert await reload(core) == "Reloaded: removed /townhall. The command menus follow."
        assert events == [ContentReloaded((), (), ("townhall",), commands_changed=True)]
        assert "I don't know the command /townhall" in await say(core, "townhall")
        assert core.registry.spec("townhall") is None
    finally:
        await core.close()


async def test_several_changes_are_listed_together(sqlite_url: str, content: Path) -> None:
    add_townhall(content)
    core = await open_core(sqlite_url, content)
    try:
        (content / "townhall.toml").rename(content / "zz.toml")  # the same article, renamed
        rewrite(content / "zz.toml", "Visitors are welcome.", "Visitors are very welcome.")
        rewrite(content / "stargate.toml", STARGATE_LEAD, "A new lead")
        rewrite(content / "channels.toml", 'url = ""', 'url = "https://example.org"')
        assert await reload(core) == (
            "Reloaded: changed /stargate, /townhall; changed the channels of /links."
        )
    finally:
        await core.close()


async def test_identical_files_change_nothing(core: Core) -> None:
    events = heard(core)
    content = core.context.content
    assert await reload(core) == "Nothing changed."
    assert core.context.content is content  # its shared replies stay built
    assert events == []


async def test_a_bad_file_keeps_the_old_content_and_says_which_file_field_and_problem(
    core: Core, content: Path, caplog: pytest.LogCaptureFixture
) -> None:
    events = heard(core)
    before = core.context.content
    add_townhall(content)  # a good new file does not come in alone: all or nothing
    broken = content / "broken.toml"
    broken.write_bytes(MISSING_ANSWER.read_bytes())

    with caplog.at_level(logging.ERROR, logger="core.app"):
        answer = await core.execute(request_for(MODERATOR), "reload")

    problem = f"{broken}: faq[2].answer: is missing"
    assert answer.reply.is_error and answer.reply.ephemeral
    assert "Not reloaded: the articles as they were are still served" in answer.reply.text
    assert problem in answer.reply.text
    assert problem in caplog.text and "the old content stays" in caplog.text
    assert core.context.content is before
    assert (
        await say(core, "townhall")
        == "I don't know the command /townhall. Send /help for the list."
    )
    assert events == []

    broken.unlink()  # fixed: the next reload takes everything
    assert await reload(core) == "Reloaded: added /townhall. The command menus follow."


async def test_a_long_list_of_problems_is_cut_to_fit_one_message(
    core: Core, content: Path
) -> None:
    for n in range(12):
        (content / f"bad{n:02}.toml").write_text(f'slug = "bad{n}"\ntitle = "{"x" * 400}"\n')
    answer = (await core.execute(request_for(MODERATOR), "reload")).reply
    assert len(answer.text) < 2000  # one Discord message
    assert "bad00.toml" in answer.text and "more (see the log)" in answer.text


async def test_readers_may_not_reload(core: Core, content: Path) -> None:
    add_townhall(content)
    assert await say(core, "reload") == "/reload is for moderators only."
    assert core.registry.spec("townhall") is None
    assert "/reload" not in await say(core, "help")


async def test_the_console_operator_reloads(core: Core, content: Path) -> None:
    add_townhall(content)
    answer = await core.execute(request_for(OPERATOR), "reload")
    assert answer.reply.text == "Reloaded: added /townhall. The command menus follow."


async def test_a_request_in_flight_keeps_the_content_it_started_with(
    sqlite_url: str, content: Path
) -> None:
    probe = Router()
    started, go_on = asyncio.Event(), asyncio.Event()
    seen: list[tuple[ContentState, ContentState]] = []

    @probe.command("probe", "Look at the content, wait, look again")
    async def look(ctx: Context, request: Request, args: str) -> Reply:
        """Which content the request saw before and after waiting (as on the store)."""
        before = ctx.content
        started.set()
        await go_on.wait()
        assert ctx.library is before.library and ctx.faq is before.faq
        assert ctx.commands is before.registry
        seen.append((before, ctx.content))
        return message(" ".join(article.slug for article in ctx.library.articles))

    core = await open_core(sqlite_url, content, routers=(*ROUTERS, probe))
    try:
        old = core.context.content
        in_flight = asyncio.create_task(core.execute(request_for(READER), "probe"))
        await started.wait()
        add_townhall(content)
        await reload(core)
        assert core.context.content is not old
        go_on.set()
        assert (await in_flight).reply.text == "stargate"
        assert seen == [(old, old)]
        assert await say(core, "probe") == "stargate townhall"
    finally:
        await core.close()


async def test_readers_never_see_articles_without_their_index_and_commands(
    core: Core, content: Path
) -> None:
    """Sample the content as often as the loop allows while reloads come and go: every state
    seen is whole (its FAQ index and commands are of its articles), and the Core's and the
    handlers' views are one."""
    sampled: list[ContentState] = []
    done = asyncio.Event()

    async def sample() -> None:
        while not done.is_set():
            state = core.context.content
            assert core.library is state.library and core.registry is state.registry
            assert core.context.faq is state.faq
            sampled.append(state)
            await asyncio.sleep(0)

    sampler = asyncio.create_task(sample())
    for _ in range(3):
        add_townhall(content)
        assert "added /townhall" in await reload(core)
        (content / "townhall.toml").unlink()
        assert "removed /townhall" in await reload(core)
    done.set()
    await sampler

    states = {id(state): state for state in sampled}.values()
    assert len(states) >= 6
    for state in states:
        slugs = {article.slug for article in state.library.articles}
        assert slugs <= state.registry.names
        assert ("townhall" in slugs) == ("townhall" in state.registry.names)
        assert ("townhall" in slugs) == (state.faq.find("when_open", "townhall") is not None)


async def test_two_reloads_at_once_load_once(core: Core, content: Path) -> None:
    events = heard(core)
    add_townhall(content)
    answers = await asyncio.gather(reload(core), reload(core))
    assert sorted(answers) == [
        "Nothing changed.",
        "Reloaded: added /townhall. The command menus follow.",
    ]
    assert len(events) == 1
