"""What `GET /healthz` reports: one yes/no per part (the store, each running adapter), and
what this process does (its roles, e.g. "telegram": "poller, worker")."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class HealthReport:
    checks: Mapping[str, bool]
    roles: Mapping[str, str] = field(default_factory=dict)
    worker: str | None = None  # this process's id among the workers sharing the store

    @property
    def ok(self) -> bool:
        return all(self.checks.values())
