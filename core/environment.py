"""Settings read from the process environment over `.env` (environs): each variable parsed by
its type and checked by its field's validators, every problem reported at once."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

import attrs
from environs import Env, EnvValidationError, ValidationError

from core.checks import BadValue, shown
from core.secret import Secret, masked

T = TypeVar("T")

TRUE = frozenset({"1", "on", "t", "true", "y", "yes"})
FALSE = frozenset({"0", "off", "f", "false", "n", "no"})


class SettingsError(ValueError):
    """Settings that cannot be used: one line per bad variable, its name and the problem."""


def split_csv(text: str) -> tuple[str, ...]:
    """A comma-separated variable ("1, 2,3", or a bare "5") as its items, blanks dropped."""
    return tuple(part.strip() for part in text.split(",") if part.strip())


def parse_flag(text: str) -> bool:
    """On or off, in any case and any of the words hosts use: on/off, true/false, yes/no, 1/0."""
    word = text.strip().lower()
    if word not in TRUE | FALSE:
        raise ValidationError(f"{shown(text)} is not on or off (true/false, yes/no, 1/0)")
    return word in TRUE


def parse_numbers(text: str) -> tuple[int, ...]:
    """Comma-separated whole numbers ("0, 1")."""
    try:
        return tuple(int(part) for part in split_csv(text))
    except ValueError:
        raise ValidationError(f"{shown(text)} is not numbers separated by commas") from None


def _unless_unset(parse: Callable[[str], T]) -> Callable[[str | None], T | None]:
    # environs hands a custom parser the default (None) for a variable that is not set.
    return lambda text: None if text is None else parse(text)


class Reading:
    """One read of the environment over `.env` in the working directory (the environment wins;
    no parent directory is searched). A getter gives None for a variable not set or not good;
    `finish` raises every problem at once, or builds the settings."""

    def __init__(self) -> None:
        self.env = Env(eager=False)  # keep every problem for `seal`, not just the first
        # environs keeps `.env` in this Env: os.environ is untouched, so nothing leaks into the
        # process (or into a later reading in another working directory).
        self.env.read_env(".env", recurse=False)
        self.env.add_parser("flag", _unless_unset(parse_flag))
        self.env.add_parser("csv", _unless_unset(split_csv))
        self.env.add_parser("numbers", _unless_unset(parse_numbers))
        self.prefix = ""
        self._problems: dict[str, list[str]] = {}

    @contextlib.contextmanager
    def prefixed(self, prefix: str) -> Iterator[None]:
        """Read the variables named after `prefix` (e.g. TELEGRAM_)."""
        with self.env.prefixed(prefix):
            self.prefix = prefix
            try:
                yield
            finally:
                self.prefix = ""

    def text(self, name: str) -> str | None:
        return self.env.str(name, None)

    def integer(self, name: str) -> int | None:
        return self.env.int(name, None)

    def number(self, name: str) -> float | None:
        return self.env.float(name, None)

    def path(self, name: str) -> Path | None:
        return self.env.path(name, None)

    def flag(self, name: str) -> bool | None:
        value: bool | None = self.env.flag(name, None)
        return value

    def texts(self, name: str) -> tuple[str, ...] | None:
        value: tuple[str, ...] | None = self.env.csv(name, None)
        return value

    def numbers(self, name: str) -> tuple[int, ...] | None:
        value: tuple[int, ...] | None = self.env.numbers(name, None)
        return value

    def secret(self, name: str) -> Secret | None:
        """A secret; blanks count as not set (hosts' forms leave empty values behind)."""
        value = self.env.str(name, None)
        if value is None or not value.strip():
            return None
        return Secret(value)

    def checked(
        self, cls: type[attrs.AttrsInstance], read: Mapping[str, object]
    ) -> dict[str, Any]:
        """The values of `read` (by field name) that are set, each put to its field's checks; a
        refused one is a problem of its variable: the prefix, then the field's name in capitals."""
        fields = attrs.fields_dict(cls)
        values = {name: value for name, value in read.items() if value is not None}
        for name, value in values.items():
            check = fields[name].validator
            try:
                if check is not None:
                    check(None, fields[name], value)
            except BadValue as exc:
                self._problems.setdefault(self.prefix + name.upper(), []).append(exc.problem)
        return values

    def finish(self, build: Callable[[], T]) -> T:
        """`build()` the settings once every variable read is good; SettingsError otherwise."""
        try:
            self.env.seal()
        except EnvValidationError as exc:
            if isinstance(exc.error_messages, Mapping):
                for name, messages in exc.error_messages.items():
                    self._problems.setdefault(name, []).extend(map(str, messages))
        if self._problems:
            lines = [f"{name}: {'; '.join(said)}" for name, said in sorted(self._problems.items())]
            raise SettingsError(masked("\n".join(lines)))
        try:
            return build()
        except ValueError as exc:  # a rule across variables, which its message names
            raise SettingsError(masked(str(exc))) from None


class Problems:
    """The SettingsErrors of several readings, to be raised together."""

    def __init__(self) -> None:
        self._messages: list[str] = []

    def read(self, read: Callable[[], T], instead: Callable[[], T]) -> T:
        """`read()`; if it fails, `instead()`, its problems kept for `raise_any`."""
        try:
            return read()
        except SettingsError as exc:
            self._messages.append(str(exc))
            return instead()

    def raise_any(self) -> None:
        if self._messages:
            raise SettingsError("\n".join(self._messages))
