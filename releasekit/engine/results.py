"""What a run produced, per package and as a whole: the value every front end and report reads.

It sits below the runner and the observer protocol, so both can name it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from releasekit.errors import EXIT_CANCELLED, EXIT_FAILED, EXIT_OK, EXIT_REFUSED
from releasekit.support import envfaults


@dataclass
class PackageResult:
    name: str
    version: str
    status: str  # published | already-published | kept-existing | failed | blocked | cancelled
    stage: str = ""
    message: str = ""
    uploaded: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "status": self.status,
            "stage": self.stage,
            "message": self.message,
            "uploaded": self.uploaded,
        }


@dataclass
class RunResult:
    run_id: str
    packages: list[PackageResult]
    cancelled: bool
    seconds: float
    runtime_errors: list[str] = field(default_factory=list)
    doit_status: int = 0
    #: False when nothing ran: every version was already on the index, or none was selected.
    started: bool = True

    @property
    def ok(self) -> bool:
        return (
            not self.cancelled
            and not self.runtime_errors
            and all(p.status in ("published", "already-published", "kept-existing") for p in self.packages)
        )

    @property
    def environment_fault(self) -> str:
        """The first environment fault the run met (error[RK312] ...), or ""."""
        return next(
            (t for t in [*self.runtime_errors, *(p.message for p in self.packages)] if envfaults.is_fault_line(t)), ""
        )

    @property
    def exit_code(self) -> int:
        if self.ok:
            return EXIT_OK
        if self.environment_fault:
            return EXIT_REFUSED
        return EXIT_CANCELLED if self.cancelled else EXIT_FAILED

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for p in self.packages:
            out[p.status] = out.get(p.status, 0) + 1
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": "releasekit.run/1",
            "run_id": self.run_id,
            "ok": self.ok,
            "exit_code": self.exit_code,
            "cancelled": self.cancelled,
            "seconds": round(self.seconds, 3),
            "counts": self.counts(),
            "packages": [p.to_json() for p in self.packages],
            "runtime_errors": self.runtime_errors,
        }


RELEASED = "already released: skipped without building"


def released_rows(released: Mapping[str, str]) -> list[PackageResult]:
    """Result rows for versions the index had whole before the run (releasekit.workflow.released)."""
    return [PackageResult(n, v, "already-published", message=RELEASED) for n, v in sorted(released.items())]
