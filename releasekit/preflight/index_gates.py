"""The gates about the upload: its credentials, and what the index already holds."""

from __future__ import annotations

from urllib.parse import urlsplit

from releasekit.engine.builds import load_record
from releasekit.engine.credentials import resolve_credentials
from releasekit.errors import ReleasekitError
from releasekit.preflight.context import PYPI_TARGETS, GateContext
from releasekit.preflight.report import GateResult
from releasekit.workflow.released import version_on_index


def auth_gate(ctx: GateContext) -> GateResult:
    info = resolve_credentials(ctx.settings.target, ctx.settings.trusted_publishing, ctx.environ)
    ctx.credentials = info
    if info.problem:
        return GateResult("auth", "fail", info.problem, info.hint)
    if info.method == "trusted-publishing" and ctx.settings.target not in PYPI_TARGETS:
        return GateResult(
            "auth",
            "warn",
            f"trusted publishing ({info.source}) with a custom index",
            "trusted publishing is a PyPI feature; set a token for other indexes",
        )
    return GateResult("auth", "pass", f"will upload with {info.describe()}")


def index_reachable(ctx: GateContext) -> GateResult:
    url = ctx.client.check_url
    try:
        ctx.retrying(ctx.client.reachable)
    except ReleasekitError as exc:
        ctx.index_error = exc.message
        return GateResult(
            "index_reachable",
            "fail",
            f"{url} cannot be read: {exc.message}",
            exc.hint or "check index.check_url and the network",
        )
    return GateResult("index_reachable", "pass", f"{url} answered (credentials are proven only by the upload)")


def _not_checked(ctx: GateContext, gate_id: str) -> GateResult | None:
    """Why a gate that asks the index about the plan's versions cannot ask, or None."""
    if ctx.index_error:
        return GateResult(gate_id, "fail", "not checked: the index is not reachable (see index_reachable)")
    if ctx.plan is None:
        return GateResult(gate_id, "fail", "not checked: no release plan (dependency cycle)")
    return None


def version_conflicts(ctx: GateContext) -> GateResult:
    """The released-version rule of :mod:`releasekit.workflow.released`: a released version is
    skipped, a partial one (a resume) must match the local build, a new one is free."""
    blocked = _not_checked(ctx, "version_conflicts")
    if blocked:
        return blocked
    conflicts: list[str] = []
    warnings: list[str] = []
    released: list[str] = []
    resumed: list[str] = []
    try:
        for name, version in ctx.versions():
            found = version_on_index(ctx.listing(name), name, version)
            where = f"{name}=={version}"
            if found.state == "new":
                continue
            if found.state == "released":
                released.append(f"{where}: already released ({found.listed}); publish skips it")
                continue
            built = load_record(ctx.ws.state_dir, name, version)
            record = built.files if built is not None and built.files else None
            if record is None:
                warnings.append(
                    f"{where}: partly on the index ({found.listed}); publish resumes it: "
                    "the new build must match those files"
                )
                continue
            on_index = found.files
            common = sorted(set(record) & set(on_index))
            different = [f for f in common if on_index[f].sha256 and on_index[f].sha256 != record[f]]
            unhashed = [f for f in common if not on_index[f].sha256]
            if different:
                conflicts.append(f"{where}: the index has other bytes for {', '.join(different)} than releasekit built")
            elif unhashed:
                warnings.append(f"{where}: the index lists no sha256 for {', '.join(unhashed)}")
            else:
                resumed.append(f"{where}: partly on the index, with the recorded sha256 (resumed)")
    except ReleasekitError as exc:
        return GateResult("version_conflicts", "fail", f"the index failed to answer: {exc.message}", exc.hint)
    done = tuple(released + resumed)
    if conflicts:
        return GateResult(
            "version_conflicts",
            "fail",
            f"{len(conflicts)} half-published version(s) hold other files than this build",
            "bump these packages to a new version: an index never lets a version's files change",
            tuple(conflicts + warnings) + done,
        )
    if warnings:
        return GateResult(
            "version_conflicts",
            "warn",
            f"{len(warnings)} version(s) are partly on the index",
            "publish uploads the rest; if those files are not this release's, bump the version",
            tuple(warnings) + done,
        )
    reason = f"none of {len(ctx.versions())} version(s) exists on the index"
    if done:
        reason = f"no conflict; {len(released)} already released (skipped), {len(resumed)} resumed"
    return GateResult("version_conflicts", "pass", reason, details=done)


def new_projects(ctx: GateContext) -> GateResult:
    blocked = _not_checked(ctx, "new_projects")
    if blocked:
        return blocked
    try:
        new = [name for name, _ in ctx.versions() if ctx.listing(name) is None]
    except ReleasekitError as exc:
        return GateResult("new_projects", "fail", f"the index failed to answer: {exc.message}", exc.hint)
    limit = ctx.settings.max_new_projects
    details = tuple(f"{name}: not on the index yet" for name in new)
    if len(new) > limit and ctx.settings.target in PYPI_TARGETS:
        return GateResult(
            "new_projects",
            "warn",
            f"{len(new)} brand-new projects would be created; PyPI allows about {limit} a day",
            "publish the rest tomorrow (select them with -p), or ask PyPI to raise the limit",
            details,
        )
    if ctx.settings.target not in PYPI_TARGETS:
        where = urlsplit(ctx.settings.check_url).netloc or ctx.settings.check_url
        reason = f"{len(new)} new project(s); PyPI's daily limit does not apply to {where}"
    else:
        reason = f"{len(new)} new project(s), within PyPI's daily limit of about {limit}"
    return GateResult("new_projects", "pass", reason, details=details)
