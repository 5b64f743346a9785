"""What ``releasekit check`` found: the findings, what was skipped, ignored and fixed, as one value."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from releasekit.checks.findings import Severity, Status, record_json, render, status_of
from releasekit.support.render import table as render_table
from releasekit.support.render import table_width

SCHEMA = "releasekit.check/1"


@dataclass(frozen=True)
class Finding:
    """One problem: plain data, so it renders as a table row or a JSON object alike."""

    check: str
    severity: Severity
    package: str | None
    file: str | None
    message: str
    hint: str = ""
    fixable: bool = False

    @property
    def status(self) -> Status:
        """On the gates' scale: an error fails the command, a warning warns."""
        return status_of(self.severity)

    def to_json(self) -> dict[str, Any]:
        return record_json(self)


@dataclass(frozen=True)
class Change:
    """What ``--fix`` did to one path, so the user sees every change it made."""

    check: str
    package: str | None
    path: str
    action: Literal["created", "removed"]

    def describe(self) -> str:
        return f"{self.action} {self.path} ({self.check})"

    def to_json(self) -> dict[str, Any]:
        return record_json(self)


@dataclass(frozen=True)
class CheckReport:
    """The outcome of one run: what is wrong, what was skipped, ignored and fixed."""

    root: str
    findings: tuple[Finding, ...]
    checks_run: tuple[str, ...]
    skipped: tuple[str, ...]
    ignored: tuple[Finding, ...] = ()
    changes: tuple[Change, ...] = field(default=())

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.status == "fail"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.status == "warn"]

    @property
    def ok(self) -> bool:
        """False when any error remains: the exit status of `releasekit check` follows it."""
        return not self.errors

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "workspace": self.root,
            "ok": self.ok,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "findings": [f.to_json() for f in self.findings],
            "fixed": [c.to_json() for c in self.changes],
            "checks_run": list(self.checks_run),
            "skipped": list(self.skipped),
            "ignored": [f.to_json() for f in self.ignored],
        }

    def render(self, fmt: str = "table") -> str:
        return render(self, fmt)

    def table(self) -> str:
        """The findings as a table with their hints below it; a wrapped block each when too wide."""
        lines: list[str] = []
        for change in self.changes:
            lines.append(f"fixed: {change.describe()}")
        if lines:
            lines.append("")
        text = "\n".join(lines) + ("\n" if lines else "")
        if self.findings:
            rows = [
                (
                    f.severity,
                    f.check,
                    f.package or "-",
                    f.file or "-",
                    f.message + (" [fixable]" if f.fixable else ""),
                )
                for f in self.findings
            ]
            headers = ("severity", "check", "package", "file", "message")
            wide = render_table(headers, rows, max_width=10**6)
            text += wide if max(map(len, wide.splitlines())) <= table_width() else _blocks(self.findings)
            hints = [(f, f.hint) for f in self.findings if f.hint]
            if hints:
                text += "\nhints:\n"
                seen: set[tuple[str, str | None, str]] = set()
                for f, hint in hints:
                    key = (f.check, f.package, hint)
                    if key in seen:
                        continue
                    seen.add(key)
                    label = f.check + (f" {f.package}" if f.package else "")
                    text += f"  {label}: {hint}\n"
        summary = f"{len(self.errors)} error(s), {len(self.warnings)} warning(s) from {len(self.checks_run)} checks"
        if self.skipped:
            summary += f"; skipped: {', '.join(self.skipped)}"
        if self.ignored:
            summary += f"; {len(self.ignored)} finding(s) ignored by [tool.releasekit.checks.ignore]"
        if any(f.fixable for f in self.findings):
            summary += "; run with --fix to repair the fixable ones"
        text += ("\n" if self.findings else "") + summary + "\n"
        return text


def _blocks(findings: Sequence[Finding]) -> str:
    """Findings too long for one table row: a heading line each, the message wrapped below it."""
    width = table_width()
    out: list[str] = []
    for f in findings:
        out.append(f"{f.severity:<8}  {f.check}  {f.package or '-'}  {f.file or '-'}")
        message = f.message + (" [fixable]" if f.fixable else "")
        out.extend(textwrap.wrap(message, width - 4, initial_indent="    ", subsequent_indent="    "))
    return "\n".join(out) + "\n"
