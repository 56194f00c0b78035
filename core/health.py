"""What `GET /healthz` reports: one yes/no per part (the store, each running adapter)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class HealthReport:
    checks: Mapping[str, bool]

    @property
    def ok(self) -> bool:
        return all(self.checks.values())
