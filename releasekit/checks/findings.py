"""What checks and preflight gates share: ids, skip lists, statuses and the rendering of a report.

A check finding is an ``error`` or a ``warning``; a preflight gate ends ``pass``, ``warn``,
``fail`` or ``skipped``. Both are one :data:`Status` scale (:func:`status_of`), take ids the
same way (``--skip a --skip b,c``, an unknown id is bad input with a "did you mean") and
render through :func:`render`: JSON that parses, or the 100-column table.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from releasekit.errors import UsageError
from releasekit.support.redact import redact
from releasekit.support.suggest import did_you_mean, listed

Status = Literal["pass", "warn", "fail", "skipped"]
Severity = Literal["error", "warning"]
STATUSES: tuple[Status, ...] = ("pass", "warn", "fail", "skipped")
_OF_SEVERITY: dict[Severity, Status] = {"error": "fail", "warning": "warn"}


@dataclass(frozen=True)
class Rule:
    """A check or a gate: its stable id (what skip lists, ignore tables and the docs name) and
    what it makes sure of, in one line."""

    id: str
    summary: str


def status_of(severity: Severity) -> Status:
    """A check finding on the gates' scale: an error fails, a warning warns."""
    return _OF_SEVERITY[severity]


def record_json(value: Any) -> dict[str, Any]:
    """A finding, a gate result or a change as a JSON object: its fields in order, tuples as lists."""
    return {f.name: list(v) if isinstance(v := getattr(value, f.name), tuple) else v for f in dataclasses.fields(value)}


def split_ids(values: Iterable[str]) -> list[str]:
    """``--skip a --skip b,c`` -> [a, b, c]."""
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def parse_ids(
    values: Collection[str], known: Sequence[str], *, kind: str, option: str, code: str, listing: str
) -> list[str]:
    """The ids of ``values``; one not in ``known`` is a usage error (exit 2) naming the closest id."""
    ids = split_ids(values)
    for item in ids:
        if item not in known:
            raise UsageError(
                f"unknown {kind} {item!r} in {option}",
                hint=unknown_id_hint(item, known, listing),
                code=code,
            )
    return ids


def unknown_id_hint(item: str, known: Sequence[str], listing: str) -> str:
    return did_you_mean(item, known, listed(listing, known))


def last_lines(text: str, lines: int = 6) -> tuple[str, ...]:
    """The last non-blank lines of a tool's output: where it says what went wrong."""
    kept = [line.rstrip() for line in text.strip().splitlines() if line.strip()]
    return tuple(kept[-lines:])


class Report(Protocol):
    """A checks or preflight report: one JSON object, or a table for people."""

    @property
    def ok(self) -> bool:
        """False when something must stop the command (an error, a failed gate)."""
        ...

    def to_json(self) -> dict[str, Any]: ...

    def table(self) -> str: ...


def render(report: Report, fmt: str = "table") -> str:
    """``fmt`` is `json` or `table`; secrets the lines may quote (URLs, tools' output) are masked."""
    text = json.dumps(report.to_json(), indent=2) + "\n" if fmt == "json" else report.table()
    return redact(text)
