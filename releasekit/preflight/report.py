"""The outcome of the preflight gates: one result per gate, and the report publish reads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from releasekit.checks.findings import STATUSES, Status, record_json, render
from releasekit.engine.credentials import Credentials
from releasekit.errors import EXIT_REFUSED, ReleasekitError
from releasekit.support.render import table as render_table

SCHEMA = "releasekit.preflight/1"


class PreflightError(ReleasekitError):
    """A gate failed: publish refuses to start (exit 3) before anything changed."""

    code = "RK350"
    exit_code = EXIT_REFUSED


@dataclass(frozen=True)
class GateResult:
    id: str
    status: Status
    reason: str
    hint: str = ""
    details: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return record_json(self)


@dataclass(frozen=True)
class PreflightReport:
    gates: tuple[GateResult, ...]
    auth: Credentials | None = None
    #: Why publish would refuse this selection's plan before any gate (a cycle, say), if it would.
    refusal: ReleasekitError | None = None

    @property
    def ok(self) -> bool:
        """False when any gate that ran failed: publish must not start."""
        return not self.failures

    @property
    def failures(self) -> list[GateResult]:
        return [g for g in self.gates if g.status == "fail"]

    def gate(self, gate_id: str) -> GateResult:
        for result in self.gates:
            if result.id == gate_id:
                return result
        raise KeyError(gate_id)

    def raise_if_failed(self) -> None:
        if not self.ok:
            names = ", ".join(g.id for g in self.failures)
            raise PreflightError(
                f"preflight failed: {names}",
                hint="fix them, or override one explicitly with --skip-preflight ID",
            )

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "ok": self.ok,
            "gates": [g.to_json() for g in self.gates],
            "auth": None
            if self.auth is None
            else {
                "method": self.auth.method,
                "source": self.auth.source,
                "trusted_publishing": self.auth.trusted_publishing,
            },
        }

    def render(self, fmt: str = "table") -> str:
        return render(self, fmt)

    def table(self) -> str:
        rows = [(g.id, g.status.upper() if g.status in ("fail", "warn") else g.status, g.reason) for g in self.gates]
        text = render_table(("gate", "status", "reason"), rows)
        notes = []
        for g in self.gates:
            if g.status in ("fail", "warn") and (g.details or g.hint):
                notes.append(f"{g.id}:")
                notes.extend(f"  {line}" for line in g.details)
                if g.hint:
                    notes.append(f"  hint: {g.hint}")
        if notes:
            text += "\n" + "\n".join(notes) + "\n"
        counts = {s: sum(1 for g in self.gates if g.status == s) for s in STATUSES}
        verdict = "FAILED: publish would stop here" if not self.ok else "ok"
        text += (
            f"\npreflight {verdict}: {counts['pass']} passed, {counts['warn']} warning(s), "
            f"{counts['fail']} failed, {counts['skipped']} skipped\n"
        )
        return text
