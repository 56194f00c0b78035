"""One-way fingerprints of platform identities, for facts that must outlive a person's data.

A ban has to keep holding after its author asked to be forgotten, and a daily cap has to count
without a list of who asked. Both key on `fingerprint(actor.key)`: the bot can tell whether an
identity it meets again is the one fingerprinted, but the stored value names no one.
"""

from __future__ import annotations

import hashlib

PREFIX = "fp:"
# Distinct from any other hash of the same key the project may make.
_PERSON = b"newsroom-actor"


def fingerprint(actor_key: str) -> str:
    """`fp:` and 32 hex digits (fits every key column) for e.g. `telegram:12345`."""
    digest = hashlib.blake2b(actor_key.encode(), digest_size=16, person=_PERSON)
    return PREFIX + digest.hexdigest()


def is_fingerprint(key: str) -> bool:
    return key.startswith(PREFIX)
