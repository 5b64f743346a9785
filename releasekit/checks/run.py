"""Running the checks: the built-in backends, the config's skip list and ignores, and the report."""

from __future__ import annotations

import fnmatch
import sys
from collections.abc import Collection, Iterable, Sequence
from pathlib import Path

from releasekit.checks.base import CheckBackend, CheckContext
from releasekit.checks.findings import parse_ids, unknown_id_hint
from releasekit.checks.python import PythonCheckBackend
from releasekit.checks.report import Change, CheckReport, Finding
from releasekit.checks.universal import UniversalCheckBackend
from releasekit.errors import ConfigError, ReleasekitError
from releasekit.model.config import ChecksConfig
from releasekit.model.context import open_workspace
from releasekit.model.package import normalize
from releasekit.model.selection import Selection
from releasekit.model.workspace import Workspace
from releasekit.support.suggest import did_you_mean


def default_backends() -> list[CheckBackend]:
    """The universal checks and the Python checks: what `releasekit check` runs."""
    return [UniversalCheckBackend(), PythonCheckBackend()]


def check_ids(backends: Sequence[CheckBackend]) -> dict[str, CheckBackend]:
    """Check id -> the backend that owns it; two backends claiming one id is a bug."""
    owners: dict[str, CheckBackend] = {}
    for backend in backends:
        for info in backend.checks():
            if info.id in owners:
                raise ValueError(
                    f"check id {info.id!r} is offered by both {owners[info.id].name!r} and {backend.name!r}"
                )
            owners[info.id] = backend
    return owners


def parse_check_ids(values: Collection[str], owners: Iterable[str]) -> list[str]:
    """``--skip a --skip b,c`` -> [a, b, c]; an unknown id is bad input (RK151)."""
    return parse_ids(values, sorted(owners), kind="check id", option="--skip", code="RK151", listing="known checks")


def _refuse_unknown(ws: Workspace, owners: Iterable[str], check_ids: Iterable[str], where: str) -> None:
    known = sorted(owners)
    for check_id in check_ids:
        if check_id not in known:
            raise ConfigError(
                f"{where} names unknown check {check_id!r}",
                path=ws.manifest,
                hint=unknown_id_hint(check_id, known, "known checks"),
                code="RK123",
            )


def _validate(ws: Workspace, owners: dict[str, CheckBackend]) -> None:
    """The config's skip list and ignore table name real checks and packages."""
    config = ws.config.checks
    _refuse_unknown(ws, owners, config.skip, "[tool.releasekit.checks] skip")
    for pattern, ids in config.ignore.items():
        if not _is_glob(pattern) and normalize(pattern) not in ws.by_name:
            raise ConfigError(
                f"[tool.releasekit.checks.ignore] names {pattern!r}, which is not a workspace package",
                path=ws.manifest,
                hint=did_you_mean(normalize(pattern), ws.by_name, "use a package name or a glob"),
                code="RK123",
            )
        _refuse_unknown(ws, owners, ids, f"[tool.releasekit.checks.ignore] {pattern}")


def _is_glob(pattern: str) -> bool:
    return any(c in pattern for c in "*?[")


def is_ignored(config: ChecksConfig, finding: Finding) -> bool:
    """Whether the config's per-package ``ignore`` table silences ``finding``."""
    if finding.package is None:
        return False
    for pattern, ids in config.ignore.items():
        matches = (
            fnmatch.fnmatchcase(finding.package, pattern)
            if _is_glob(pattern)
            else normalize(pattern) == finding.package
        )
        if matches and finding.check in ids:
            return True
    return False


def _collect(
    ctx: CheckContext, owners: dict[str, CheckBackend], enabled: Sequence[str]
) -> tuple[list[Finding], list[Finding]]:
    kept: list[Finding] = []
    ignored: list[Finding] = []
    for check_id in enabled:
        for finding in owners[check_id].run(check_id, ctx):
            if finding.package is not None and finding.package not in ctx.chosen:
                continue  # a problem outside the selection never fails a command about it
            (ignored if is_ignored(ctx.config, finding) else kept).append(finding)
    return kept, ignored


def run_checks(
    ws: Workspace,
    backends: Sequence[CheckBackend] | None = None,
    *,
    skip: Collection[str] = (),
    fix: bool = False,
    selection: Selection | None = None,
) -> CheckReport:
    """Run every check of ``backends`` (default: universal + Python) on ``ws``.

    ``skip`` adds to the config's ``checks.skip``; an unknown id is a usage error (exit 2)
    rather than a silently ignored typo. With ``fix``, fixable findings are repaired and the
    checks run again, so the report shows what is still wrong after the changes.
    """
    chosen = list(default_backends() if backends is None else backends)
    owners = check_ids(chosen)
    skip_list = parse_check_ids(skip, owners)
    _validate(ws, owners)
    skipped = set(skip_list) | set(ws.config.checks.skip)
    enabled = [check_id for check_id in owners if check_id not in skipped]
    ctx = CheckContext(ws, selection or Selection())
    findings, ignored = _collect(ctx, owners, enabled)
    changes: list[Change] = []
    if fix and any(f.fixable for f in findings):
        for finding in findings:
            if finding.fixable:
                changes.extend(owners[finding.check].fix(finding, ctx))
        ctx = CheckContext(ws, selection or Selection())
        findings, ignored = _collect(ctx, owners, enabled)
    order = {"error": 0, "warning": 1}
    findings.sort(key=lambda f: (order[f.severity], f.check, f.package or "", f.file or "", f.message))
    return CheckReport(
        root=str(ws.root),
        findings=tuple(findings),
        checks_run=tuple(enabled),
        skipped=tuple(c for c in owners if c in skipped),
        ignored=tuple(ignored),
        changes=tuple(changes),
    )


def run_for_doit(workspace_root: str) -> bool:
    """The `check` task of the doit loader: plain-data argument, False (task fails) on errors."""
    try:
        report = run_checks(open_workspace(Path(workspace_root), repair=False))
    except ReleasekitError as exc:  # one line, not a doit traceback
        print(exc.one_line(), file=sys.stderr)
        return False
    sys.stdout.write(report.render())
    sys.stdout.flush()
    return report.ok
