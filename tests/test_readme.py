"""The README's command table says what the bot has: every command the registry holds, with its
audience, and nothing else.

The registry is built as the bot builds it (every router in core/handlers, the commands made
from the content pack); per-article commands may be listed by slug (`/stargate`) or as
`/<article>`. The README's and docs/' links to files of the checkout lead somewhere.
"""

from __future__ import annotations

import re

import pytest

from core.commands.registry import Audience, CommandRegistry
from core.commands.router import build_registry, command_names
from core.content.loader import load_library
from core.handlers import ROUTERS
from tests.support.paths import CONTENT, ROOT

README = ROOT / "README.md"
SECTION = "## Commands"
HEADER = ["command", "who", "what it does"]
ARTICLE_PLACEHOLDER = "<article>"
# The first cell: `/name`, then its arguments.
COMMAND_CELL = re.compile(r"^`/(?P<name>\S+)(?: [^`]*)?`$")


def table_rows(readme: str) -> list[tuple[str, str]]:
    """(command name, audience) of each row of the first table in the Commands section."""
    lines = readme.splitlines()
    try:
        start = lines.index(SECTION) + 1
    except ValueError:
        pytest.fail(f"README.md has no {SECTION!r} section")
    table: list[str] = []
    for line in lines[start:]:
        if line.startswith("## ") or (table and not line.startswith("|")):
            break  # the section, or the first table, ends here
        if line.startswith("|"):
            table.append(line)
    cells = [[cell.strip() for cell in line.strip().strip("|").split("|")] for line in table]
    assert cells and cells[0] == HEADER, f"the Commands table's header is not {HEADER}"
    rows = []
    for row in cells[2:]:  # after the header and its |---| line
        match = COMMAND_CELL.match(row[0])
        assert match, f"a Commands row does not start with `/command …`: {row[0]!r}"
        rows.append((match["name"], row[1]))
    return rows


def table_problems(
    rows: list[tuple[str, str]], registry: CommandRegistry, articles: frozenset[str]
) -> list[str]:
    """What the table gets wrong about the registry, one line each; empty when it is right."""
    problems = []
    listed: dict[str, str] = {}
    for name, who in rows:
        if name in listed:
            problems.append(f"/{name} is listed twice")
        listed[name] = who
    for name, who in listed.items():
        if name == ARTICLE_PLACEHOLDER or name in articles:
            expected = Audience.READER.value
        elif (spec := registry.spec(name)) is not None:
            expected = spec.audience.value
        else:
            problems.append(f"/{name} is in the README's table but the bot has no such command")
            continue
        if who != expected:
            problems.append(f"/{name} is for {expected}s, the README's table says {who!r}")
    for spec in registry:
        if spec.name not in articles and spec.name not in listed:
            problems.append(
                f"/{spec.name} ({spec.audience.value}: {spec.description}) is missing from "
                "the README's table"
            )
    if articles and not (listed.keys() & (articles | {ARTICLE_PLACEHOLDER})):
        problems.append(f"no row for the article commands (/{ARTICLE_PLACEHOLDER} or a slug)")
    return problems


@pytest.fixture(scope="module")
def registry_and_articles() -> tuple[CommandRegistry, frozenset[str]]:
    library = load_library(CONTENT, reserved=command_names(ROUTERS), env={})
    registry = build_registry(ROUTERS, library)
    return registry, frozenset(article.slug for article in library.articles)


def test_the_commands_table_matches_the_registry(
    registry_and_articles: tuple[CommandRegistry, frozenset[str]],
) -> None:
    registry, articles = registry_and_articles
    problems = table_problems(table_rows(README.read_text()), registry, articles)
    assert not problems, "README.md, section Commands:\n" + "\n".join(problems)


def test_a_removed_row_a_wrong_audience_and_an_unknown_command_are_caught(
    registry_and_articles: tuple[CommandRegistry, frozenset[str]],
) -> None:
    """The check above can fail: the README's own table, spoiled three ways."""
    registry, articles = registry_and_articles
    readme = README.read_text()
    approve = next(line for line in readme.splitlines() if line.startswith("| `/approve "))
    spoiled = (
        readme.replace(approve + "\n", "")
        .replace("| `/help` | reader |", "| `/help` | moderator |")
        .replace("| `/links` |", "| `/links` | reader | x |\n| `/nonesuch` |")
    )
    before = table_problems(table_rows(readme), registry, articles)
    found = [p for p in table_problems(table_rows(spoiled), registry, articles) if p not in before]
    assert len(found) == 3, found
    assert found[0].startswith("/help is for readers, the README's table says 'moderator'")
    assert found[1].startswith("/nonesuch is in the README's table but the bot has no such")
    assert found[2].startswith("/approve (moderator: Publish a comment) is missing")


@pytest.mark.parametrize("page", ["README.md", "docs/performance.md"])
def test_relative_links_lead_to_files(page: str) -> None:
    """A link from the README or a page of docs/ to a file of the checkout finds it."""
    path = ROOT / page
    targets = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", path.read_text())
    local = [t for t in targets if "://" not in t and not t.startswith("mailto:")]
    missing = [t for t in local if not (path.parent / t).exists()]
    assert not missing, f"{page} links to missing files: {missing}"
