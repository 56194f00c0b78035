"""Fixtures for the importer's tests: the seed article and an output directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.paths import SEED


@pytest.fixture(scope="session")
def seed() -> Path:
    return SEED


@pytest.fixture
def out(tmp_path: Path) -> Path:
    """An empty content directory to import into."""
    directory = tmp_path / "content"
    directory.mkdir()
    return directory
