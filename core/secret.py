"""A secret (a bot token, a webhook secret) that no repr, str or log line shows."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable

import attrs
from dotenv import dotenv_values

MASK = "**********"
# Variables whose values no message may quote, whichever variable it is about: a token pasted
# into the wrong variable is still a token.
SECRET_NAME = re.compile(r"_(TOKEN|SECRET|PASSWORD|KEY)$")


@attrs.frozen(repr=False)
class Secret:
    """A secret value: masked wherever it is printed; `reveal()` gives it to whoever needs it."""

    _value: str

    def reveal(self) -> str:
        """The value itself, for the one call that sends it (a login, a header)."""
        return self._value

    def __repr__(self) -> str:
        return f"Secret({MASK!r})"

    def __str__(self) -> str:
        return MASK


def redact(text: str, secrets: Iterable[str]) -> str:
    """`text` with each of `secrets` in it masked."""
    # Longest first, so a secret inside another is not left half shown.
    for secret in sorted(set(secrets), key=len, reverse=True):
        if len(secret) >= 4:  # shorter ones are no secrets, and would mask every letter
            text = text.replace(secret, MASK)
    return text


def masked(text: str) -> str:
    """`text` with the value of every secret-named variable (environment or `.env`) masked."""
    variables = {**dotenv_values(".env"), **os.environ}
    return redact(text, (v.strip() for k, v in variables.items() if v and SECRET_NAME.search(k)))
