"""Content directories a test may change under a running bot: a copy of the real pack, and the
second article (`townhall`) or a broken file to drop into it, as an editor would."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.support.paths import CONTENT, ROOT

FIXTURES = ROOT / "tests" / "fixtures" / "content"
TOWNHALL = FIXTURES / "second" / "townhall.toml"
# A file whose third FAQ has no answer: the loader says `faq[2].answer: is missing`.
MISSING_ANSWER = FIXTURES / "broken" / "missing_answer" / "article.toml"


def content_copy(directory: Path) -> Path:
    """A copy of the real content pack in `directory` (made if missing), to edit freely."""
    directory.mkdir(parents=True, exist_ok=True)
    for source in CONTENT.glob("*.toml"):
        shutil.copy(source, directory / source.name)
    return directory


def add_townhall(directory: Path) -> Path:
    """The second article, as a new file in `directory`; its path."""
    return Path(shutil.copy(TOWNHALL, directory / TOWNHALL.name))


def rewrite(path: Path, old: str, new: str) -> None:
    """Replace `old` (which must be there) with `new` in the file at `path`."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} is not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
