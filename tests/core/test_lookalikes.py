"""The look-alike table the word rules use: what the confusables data gives, in folded form."""

from __future__ import annotations

import importlib.util
from types import ModuleType

from core.lookalike_letters import LOOKALIKE_LETTERS
from core.text import fold, unmask_lookalikes
from tests.support.paths import ROOT


def builder() -> ModuleType:
    path = ROOT / "scripts" / "build_lookalike_letters.py"
    spec = importlib.util.spec_from_file_location("build_lookalike_letters", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_committed_table_is_what_the_installed_confusables_data_gives() -> None:
    # Fails after an update of confusable-homoglyphs: run scripts/build_lookalike_letters.py.
    build = builder()
    assert (build.TABLE.read_text(encoding="utf-8")) == build.render(build.build())


def test_every_entry_is_a_folded_letter_that_passes_for_one_ascii_letter() -> None:
    assert len(LOOKALIKE_LETTERS) > 200
    for letter, passes_for in LOOKALIKE_LETTERS.items():
        assert fold(letter) == letter and not letter.isascii() and letter.isalpha()
        assert len(passes_for) == 1 and "a" <= passes_for <= "z"


def test_the_common_disguises_are_in_it() -> None:
    # Cyrillic а с е о р х у і ѕ, Greek α ο ρ ν ι, Cyrillic capitals folded (К, Н, В, М, Т).
    disguises = fold("асеорхуіѕ αορνι КНВМТ")
    assert "".join(LOOKALIKE_LETTERS.get(c, c) for c in disguises) == "aceopxyis aopvi khbmt"


def test_in_a_text_of_another_script_only_words_mixing_in_latin_letters_are_unmasked() -> None:
    assert unmask_lookalikes("привет, как bеt вет-bеt") == "привет, как bet вет-bet"


def test_in_a_latin_text_every_look_alike_is_unmasked() -> None:
    assert unmask_lookalikes("the word вет in a sentence") == "the word bet in a sentence"
    assert unmask_lookalikes("plain ascii") == "plain ascii"
