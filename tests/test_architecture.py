"""The import rules: what the core, the adapters, the tests, bench/ and drills/ may import."""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = {"telegram", "discord", "bots", "aiohttp", "httpx"}
# What runs in production: the core, the adapters and the migrations alembic runs.
PRODUCT = ("core", "bots", "migrations")
TOOLS = ("bench", "drills")
EVERYTHING = (*PRODUCT, *TOOLS, "tests")


def module_of(path: Path, root: Path) -> list[str]:
    """The dotted name of the module at `path`, as parts (a package is its __init__)."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    return parts[:-1] if parts[-1] == "__init__" else parts


def imported_names(path: Path, root: Path = ROOT) -> set[str]:
    """Every dotted name the file imports, relative imports resolved.

    `import a.b` gives a.b; `from a import b` gives a.b, whether b is a module or a name in
    a, so a rule about modules sees `from tests.bots.discord import conftest` too.
    """
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = (node.module or "").split(".") if node.module else []
            if node.level:
                package = module_of(path, root)
                package = package if path.name == "__init__.py" else package[:-1]
                base = package[: len(package) - node.level + 1] + base
            prefix = ".".join(base)
            names.update(
                prefix if alias.name == "*" else f"{prefix}.{alias.name}".lstrip(".")
                for alias in node.names
            )
        elif isinstance(node, ast.Call) and _is_dynamic_import(node.func):
            names.update(
                arg.value
                for arg in node.args[:1]
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str)
            )
    return names


def _is_dynamic_import(func: ast.expr) -> bool:
    if isinstance(func, ast.Name):
        return func.id in {"__import__", "import_module"}
    return isinstance(func, ast.Attribute) and func.attr == "import_module"


def imported_roots(path: Path) -> set[str]:
    return {name.split(".")[0] for name in imported_names(path)}


def offenders(
    root: Path, packages: Iterable[str], refused: Callable[[str], bool]
) -> dict[str, list[str]]:
    """File -> the names it imports that `refused` refuses, for every file of `packages`."""
    found: dict[str, list[str]] = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            if names := sorted(n for n in imported_names(path, root) if refused(n)):
                found[str(path.relative_to(root))] = names
    return found


def reaches_test_code(name: str) -> bool:
    """Product code runs where neither the tests nor bench/ and drills/ are installed."""
    return name.split(".")[0] in {"bench", "drills", "tests"}


def is_conftest(name: str) -> bool:
    """A conftest is pytest's to load: imported elsewhere it runs outside pytest, twice over."""
    return "conftest" in name.split(".")


def bypasses_support(name: str) -> bool:
    """bench/ and drills/ share the tests' fakes and identities through tests.support only."""
    parts = name.split(".")
    return parts[0] == "tests" and parts[1:2] != ["support"]


def is_test_module(name: str) -> bool:
    """Test modules share code through tests.support; importing one collects its tests twice."""
    return any(part.startswith("test_") for part in name.split("."))


def test_core_imports_no_platform_package() -> None:
    found = offenders(ROOT, ["core"], lambda name: name.split(".")[0] in FORBIDDEN)
    # One exception: the content importer, an operator's tool the bot never loads
    # (tests/test_imports.py), fetches feeds and pages over HTTP.
    assert found == {"core/content/importer/fetch.py": ["httpx"]}


def test_the_rule_would_catch_an_offender(tmp_path: Path) -> None:
    sample = tmp_path / "bad.py"
    sample.write_text("import telegram\nfrom discord.ext import commands\nimport bots.console\n")
    assert imported_roots(sample) >= {"telegram", "discord", "bots"}


def test_adapters_do_not_import_each_other() -> None:
    for platform in ("telegram", "discord", "console"):
        others = {f"bots.{p}" for p in ("telegram", "discord", "console") if p != platform}
        for path in (ROOT / "bots" / platform).rglob("*.py"):
            tree = ast.parse(path.read_text())
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and node.module:
                    assert not any(node.module.startswith(o) for o in others), path


def test_product_code_imports_nothing_from_tests_bench_or_drills() -> None:
    assert offenders(ROOT, PRODUCT, reaches_test_code) == {}


def test_nothing_imports_a_conftest() -> None:
    assert offenders(ROOT, EVERYTHING, is_conftest) == {}


def test_bench_and_drills_import_tests_only_through_tests_support() -> None:
    assert offenders(ROOT, TOOLS, bypasses_support) == {}


def test_no_module_imports_a_test_module() -> None:
    assert offenders(ROOT, EVERYTHING, is_test_module) == {}


def write(root: Path, path: str, source: str) -> None:
    file = root / path
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(source)


def test_the_product_rule_would_catch_an_offender(tmp_path: Path) -> None:
    write(tmp_path, "core/a.py", "from tests.support.clock import Clock\n")
    write(tmp_path, "bots/b.py", "import bench.report\n")
    write(tmp_path, "migrations/c.py", "x = __import__('drills._inprocess')\n")
    write(tmp_path, "core/fine.py", "from core.app import Core\nimport testsuite\n")
    assert offenders(tmp_path, PRODUCT, reaches_test_code) == {
        "bots/b.py": ["bench.report"],
        "core/a.py": ["tests.support.clock.Clock"],
        "migrations/c.py": ["drills._inprocess"],
    }


def test_the_conftest_rule_would_catch_an_offender(tmp_path: Path) -> None:
    write(tmp_path, "drills/a.py", "from tests.conftest import make_settings\n")
    write(tmp_path, "bench/b.py", "from tests.bots.discord import conftest\n")
    write(tmp_path, "tests/bots/test_c.py", "from .conftest import READER\n")
    write(tmp_path, "tests/d.py", "import importlib\nimportlib.import_module('tests.conftest')\n")
    write(tmp_path, "tests/fine.py", "from tests.support.settings import make_settings\n")
    assert offenders(tmp_path, EVERYTHING, is_conftest) == {
        "bench/b.py": ["tests.bots.discord.conftest"],
        "drills/a.py": ["tests.conftest.make_settings"],
        "tests/bots/test_c.py": ["tests.bots.conftest.READER"],
        "tests/d.py": ["tests.conftest"],
    }


def test_the_support_rule_would_catch_an_offender(tmp_path: Path) -> None:
    write(tmp_path, "bench/a.py", "from tests.bots.discord.harness import User\n")
    write(tmp_path, "drills/b.py", "import tests.core.test_faq\n")
    write(tmp_path, "drills/c.py", "from tests import conftest\n")
    write(tmp_path, "drills/fine.py", "from tests import support\nimport tests.support.clock\n")
    assert offenders(tmp_path, TOOLS, bypasses_support) == {
        "bench/a.py": ["tests.bots.discord.harness.User"],
        "drills/b.py": ["tests.core.test_faq"],
        "drills/c.py": ["tests.conftest"],
    }


def test_the_test_module_rule_would_catch_an_offender(tmp_path: Path) -> None:
    write(tmp_path, "tests/store/test_a.py", "from tests.store.test_comments import submit\n")
    write(tmp_path, "tests/bots/test_b.py", "from . import test_c\n")
    write(tmp_path, "tests/fine.py", "from tests.support.core_steps import submit\n")
    assert offenders(tmp_path, EVERYTHING, is_test_module) == {
        "tests/bots/test_b.py": ["tests.bots.test_c"],
        "tests/store/test_a.py": ["tests.store.test_comments.submit"],
    }
