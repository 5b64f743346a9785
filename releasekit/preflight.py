"""Preflight: the gates ``publish`` runs before it pins, builds or uploads anything.

Each gate answers pass, warn or fail with a reason. A failing gate stops the release before
a single file changes; ``--skip-preflight ID`` overrides one gate explicitly and the report
says so. Every external question goes through a backend: git, uv (``uv lock --check``, whose
exit code decides), and the registry client for the three gates that ask the index.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from packaging.version import Version

from releasekit.backends.git import Git
from releasekit.backends.registry import IndexClient, IndexFile
from releasekit.backends.uv import Uv
from releasekit.builds import load_record
from releasekit.config import Config
from releasekit.depgraph import workspace_graph
from releasekit.errors import EXIT_REFUSED, ReleasekitError, UsageError
from releasekit.package import Package
from releasekit.plan import Plan
from releasekit.released import version_on_index
from releasekit.retry import call_with_retries
from releasekit.settings import PublishSettings, github_oidc_available
from releasekit.workspace import Workspace

Status = Literal["pass", "warn", "fail", "skipped"]
SCHEMA = "releasekit.preflight/1"


@dataclass(frozen=True)
class GateInfo:
    id: str
    summary: str
    network: bool = False
    #: False when no override can make publish work: the gate stands for a refusal publish
    #: itself makes (a dependency cycle leaves no publish order at all).
    skippable: bool = True


GATES: tuple[GateInfo, ...] = (
    GateInfo(
        "clean_worktree",
        "no uncommitted or untracked files under the workspace (state dir excluded)",
    ),
    GateInfo("not_shallow", "the git clone has full history (tags and changelogs need it)"),
    GateInfo("lock_current", "`uv lock --check` passes: uv.lock matches every pyproject.toml"),
    GateInfo("no_cycles", "no cycle of dependency edges among the packages to release (extras never gate)",
             skippable=False),
    GateInfo("no_stale_dist", "no dist/ folder with old artifacts in the workspace or a package"),
    GateInfo(
        "sdist_and_wheel",
        "each package declares a build backend, so uv builds an sdist and a wheel",
    ),
    GateInfo(
        "public_versions",
        "no version with a local segment (`1.0+local`) goes to PyPI or TestPyPI, which refuse them",
    ),
    GateInfo("readme_renders", "each README renders for its content type, as PyPI requires"),
    GateInfo(
        "auth", "which credentials the upload will use: trusted publishing, token or password"
    ),
    GateInfo("index_reachable", "the index's check URL answers", network=True),
    GateInfo(
        "version_conflicts",
        "no half-published version holds other files than this build (released ones are skipped)",
        network=True,
    ),
    GateInfo(
        "new_projects",
        "at most `checks.max_new_projects` brand-new projects (PyPI's daily limit)",
        network=True,
    ),
)
GATE_IDS = tuple(g.id for g in GATES)
NETWORK_GATES = frozenset(g.id for g in GATES if g.network)
PYPI_TARGETS = ("pypi", "testpypi")
COMPILED_BACKENDS = ("maturin", "scikit_build_core.build", "mesonpy")
READABLE_TYPES = ("text/markdown", "text/plain", "text/x-rst")


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
        return {
            "id": self.id,
            "status": self.status,
            "reason": self.reason,
            "hint": self.hint,
            "details": list(self.details),
        }


@dataclass(frozen=True)
class AuthInfo:
    """How `uv publish` will authenticate. Holds variable names, never secret values."""

    method: Literal["trusted-publishing", "token", "password", "none"]
    source: str
    trusted_publishing: Literal["always", "never"]
    problem: str = ""
    hint: str = ""
    token_var: str = ""

    def uv_env(self, environ: Mapping[str, str] | None = None) -> dict[str, str]:
        """Variables to pass to `uv publish` (a TESTPYPI_TOKEN becomes UV_PUBLISH_TOKEN)."""
        env = os.environ if environ is None else environ
        if self.method == "token" and self.token_var and self.token_var != "UV_PUBLISH_TOKEN":
            return {"UV_PUBLISH_TOKEN": env.get(self.token_var, "")}
        return {}

    def describe(self) -> str:
        return f"{self.method} ({self.source})" if self.source else self.method


def detect_auth(target: str, mode: str, environ: Mapping[str, str]) -> AuthInfo:
    """Which credentials an upload will use: the order of :mod:`releasekit.settings` and the actions.

    ``mode`` is `index.trusted_publishing` (`auto`, `always`, `never`), or the value publish has
    already resolved. OIDC counts only inside GitHub Actions with both request variables set.
    """
    oidc = github_oidc_available(environ)
    in_actions = environ.get("GITHUB_ACTIONS") == "true"
    oidc_hint = "give the job `permissions: id-token: write` and register it as a trusted publisher"
    if mode == "always":
        if oidc:
            return AuthInfo("trusted-publishing", "GitHub Actions OIDC", "always")
        return AuthInfo(
            "none",
            "",
            "always",
            problem="trusted publishing is `always`, but no OIDC token is available (outside GitHub "
            "Actions, or ACTIONS_ID_TOKEN_REQUEST_URL/ACTIONS_ID_TOKEN_REQUEST_TOKEN not set)",
            hint=oidc_hint,
        )
    token_var = ""
    if target == "testpypi" and environ.get("TESTPYPI_TOKEN"):
        token_var = "TESTPYPI_TOKEN"  # the publish action hands it to uv as UV_PUBLISH_TOKEN
    elif environ.get("UV_PUBLISH_TOKEN"):
        token_var = "UV_PUBLISH_TOKEN"
    if token_var:
        return AuthInfo("token", token_var, "never", token_var=token_var)
    user, password = environ.get("UV_PUBLISH_USERNAME"), environ.get("UV_PUBLISH_PASSWORD")
    if user and password:
        return AuthInfo("password", "UV_PUBLISH_USERNAME/UV_PUBLISH_PASSWORD", "never")
    if user or password:
        have, lack = (
            ("UV_PUBLISH_USERNAME", "UV_PUBLISH_PASSWORD")
            if user
            else ("UV_PUBLISH_PASSWORD", "UV_PUBLISH_USERNAME")
        )
        return AuthInfo(
            "none",
            "",
            "never",
            problem=f"{have} is set but {lack} is not",
            hint=f"set {lack} too, or use UV_PUBLISH_TOKEN",
        )
    if mode == "auto" and oidc:
        return AuthInfo("trusted-publishing", "GitHub Actions OIDC", "always")
    token_name = (
        "TESTPYPI_TOKEN or UV_PUBLISH_TOKEN" if target == "testpypi" else "UV_PUBLISH_TOKEN"
    )
    if in_actions:
        hint = f"for trusted publishing, {oidc_hint}; otherwise set {token_name}"
    else:
        hint = f"set {token_name}, or UV_PUBLISH_USERNAME and UV_PUBLISH_PASSWORD"
    return AuthInfo("none", "", "never", problem="no credentials for the upload", hint=hint)


@dataclass(frozen=True)
class PreflightSettings:
    """What the gates need beyond the workspace; :meth:`from_config` fills it from config."""

    target: str = "pypi"
    check_url: str = "https://pypi.org/simple/"
    trusted_publishing: str = "auto"
    max_new_projects: int = 4
    max_retries: int = 3
    retry_base_delay: float = 1.0
    timeout: float = 15.0
    environ: Mapping[str, str] | None = None

    @classmethod
    def from_config(cls, config: Config, **changes: Any) -> PreflightSettings:
        _, check_url, _ = config.resolved_urls()
        settings = cls(
            target=config.index.target,
            check_url=check_url,
            trusted_publishing=config.index.trusted_publishing,
            max_new_projects=config.checks.max_new_projects,
            max_retries=config.max_retries,
            retry_base_delay=config.retry_base_delay,
        )
        return replace(settings, **changes)

    @classmethod
    def from_publish(cls, publish: PublishSettings, config: Config, **changes: Any) -> PreflightSettings:
        """The gates' view of what `publish` resolved (target, URLs, trusted publishing, retries)."""
        settings = cls(
            target=publish.target,
            check_url=publish.check_url,
            trusted_publishing=publish.trusted_publishing,
            max_new_projects=config.checks.max_new_projects,
            max_retries=publish.max_retries,
            retry_base_delay=publish.retry_base_delay,
        )
        return replace(settings, **changes)


@dataclass(frozen=True)
class PreflightReport:
    gates: tuple[GateResult, ...]
    auth: AuthInfo | None = None

    @property
    def failed(self) -> bool:
        """True when any gate that ran failed: publish must not start."""
        return any(g.status == "fail" for g in self.gates)

    @property
    def failures(self) -> list[GateResult]:
        return [g for g in self.gates if g.status == "fail"]

    @property
    def warnings(self) -> list[GateResult]:
        return [g for g in self.gates if g.status == "warn"]

    def gate(self, gate_id: str) -> GateResult:
        for result in self.gates:
            if result.id == gate_id:
                return result
        raise KeyError(gate_id)

    def raise_if_failed(self) -> None:
        if self.failed:
            names = ", ".join(g.id for g in self.failures)
            raise PreflightError(
                f"preflight failed: {names}",
                hint="fix them, or override one explicitly with --skip-preflight ID",
            )

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "ok": not self.failed,
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
        from releasekit.redact import redact

        return redact(self._render(fmt))  # gate lines quote URLs and tools' output

    def _render(self, fmt: str) -> str:
        if fmt == "json":
            return json.dumps(self.to_json(), indent=2) + "\n"
        from releasekit.render import table

        rows = [
            (g.id, g.status.upper() if g.status in ("fail", "warn") else g.status, g.reason)
            for g in self.gates
        ]
        text = table(("gate", "status", "reason"), rows)
        notes = []
        for g in self.gates:
            if g.status in ("fail", "warn") and (g.details or g.hint):
                notes.append(f"{g.id}:")
                notes.extend(f"  {line}" for line in g.details)
                if g.hint:
                    notes.append(f"  hint: {g.hint}")
        if notes:
            text += "\n" + "\n".join(notes) + "\n"
        counts = {
            s: sum(1 for g in self.gates if g.status == s)
            for s in ("pass", "warn", "fail", "skipped")
        }
        verdict = "FAILED: publish would stop here" if self.failed else "ok"
        text += (
            f"\npreflight {verdict}: {counts['pass']} passed, {counts['warn']} warning(s), "
            f"{counts['fail']} failed, {counts['skipped']} skipped\n"
        )
        return text


def parse_gate_ids(values: Collection[str], *, from_user: bool = True) -> list[str]:
    """``--skip-preflight a --skip-preflight b,c`` -> [a, b, c]; unknown ids are bad input."""
    import difflib

    ids = [part.strip() for value in values for part in value.split(",") if part.strip()]
    for gate_id in ids:
        if from_user and gate_id in GATE_IDS and not next(g for g in GATES if g.id == gate_id).skippable:
            raise UsageError(
                f"preflight gate {gate_id!r} cannot be skipped: a cycle of dependency edges leaves "
                "no order to publish in, with or without the gate",
                hint="break the cycle (`releasekit check` names every edge and file); extras never "
                "make a cycle",
                code="RK152",
            )
        if gate_id not in GATE_IDS:
            close = difflib.get_close_matches(gate_id, GATE_IDS, n=1, cutoff=0.6)
            raise UsageError(
                f"unknown preflight gate {gate_id!r} in --skip-preflight",
                hint=f"did you mean `{close[0]}`?" if close else "gates: " + ", ".join(GATE_IDS),
                code="RK152",
            )
    return ids


def _is_pypi_url(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return host in ("pypi.org", "test.pypi.org", "upload.pypi.org")


def _tail(text: str, lines: int = 6) -> tuple[str, ...]:
    kept = [line.rstrip() for line in text.strip().splitlines() if line.strip()]
    return tuple(kept[-lines:])


class _Gates:
    """The gate implementations, sharing one view of the workspace, the plan and the index."""

    def __init__(
        self,
        ws: Workspace,
        plan: Plan | None,
        settings: PreflightSettings,
        uv: Uv | None,
        client: IndexClient | None,
    ) -> None:
        self.ws = ws
        self.plan = plan
        self.settings = settings
        self.environ: Mapping[str, str] = (
            os.environ if settings.environ is None else settings.environ
        )
        self._uv = uv
        self.client = client or IndexClient(settings.check_url, timeout=settings.timeout)
        self.git = Git(ws.root)
        self._is_repo: bool | None = None
        self.listings: dict[str, dict[str, IndexFile] | None] = {}
        self.index_error: str = ""
        self.auth: AuthInfo | None = None

    # --- helpers ------------------------------------------------------------------------

    @property
    def uv(self) -> Uv:
        if self._uv is None:
            self._uv = Uv()
        return self._uv

    def packages(self) -> list[Package]:
        """The packages the plan releases; every publishable one when there is no plan (a cycle)."""
        if self.plan is None:
            return [p for p in self.ws.packages if p.publishable]
        return [self.ws.by_name[p.name] for p in self.plan.packages]

    def versions(self) -> list[tuple[str, str]]:
        if self.plan is None:
            return []
        return [(p.name, p.next_version) for p in self.plan.packages]

    def repo(self) -> GateResult | None:
        """None inside a git work tree, else the failure every git gate reports."""
        if self._is_repo is None:
            self._is_repo = self.git.is_repo()
        if self._is_repo:
            return None
        return GateResult(
            "",
            "fail",
            "the workspace is not inside a git work tree",
            "releases are tagged in git: run releasekit from a clone",
        )

    def _retrying(self, func: Callable[[], Any]) -> Any:
        return call_with_retries(
            func, max_retries=self.settings.max_retries, base_delay=self.settings.retry_base_delay
        )

    def listing(self, name: str) -> dict[str, IndexFile] | None:
        """The index's files for ``name`` (None = unknown project); fetched once per run."""
        if name not in self.listings:
            self.listings[name] = self._retrying(lambda: self.client.known_project_files(name))
        return self.listings[name]

    # --- git ----------------------------------------------------------------------------

    def clean_worktree(self) -> GateResult:
        broken = self.repo()
        if broken:
            return replace(broken, id="clean_worktree")
        top = self.git.toplevel().resolve()
        state = self.ws.state_dir.resolve()
        pathspec = ["."]
        note = ""
        if state.is_relative_to(top):
            pathspec.append(f":(exclude,top){state.relative_to(top).as_posix()}")
            note = f" ({self.ws.relative(state)} excluded: releasekit's own state)"
        lines = self.git.status(*pathspec)
        if not lines:
            return GateResult(
                "clean_worktree",
                "pass",
                "no uncommitted or untracked files in the workspace" + note,
            )
        shown = tuple(lines[:10]) + (
            (f"... and {len(lines) - 10} more",) if len(lines) > 10 else ()
        )
        return GateResult(
            "clean_worktree",
            "fail",
            f"{len(lines)} uncommitted or untracked path(s) in the workspace",
            "commit, stash or git-ignore them: a build must contain only what the tag points at",
            shown,
        )

    def not_shallow(self) -> GateResult:
        broken = self.repo()
        if broken:
            return replace(broken, id="not_shallow")
        if self.git.is_shallow():
            return GateResult(
                "not_shallow",
                "fail",
                "the clone is shallow: history and tags are incomplete",
                "run `git fetch --unshallow --tags`, or check out with `fetch-depth: 0` in CI",
            )
        return GateResult("not_shallow", "pass", "full clone")

    # --- uv -----------------------------------------------------------------------------

    def lock_current(self) -> GateResult:
        if not (self.ws.root / "uv.lock").is_file():
            return GateResult(
                "lock_current",
                "warn",
                "no uv.lock in the workspace: nothing to check",
                "run `uv lock` and commit uv.lock for reproducible releases",
            )
        result = self.uv.lock(self.ws.root, check=True)
        if result.returncode == 0:
            return GateResult("lock_current", "pass", "`uv lock --check` passed")
        output = result.output
        stale = "needs to be updated" in output
        return GateResult(
            "lock_current",
            "fail",
            f"`uv lock --check` exited with code {result.returncode}: "
            + ("uv.lock is out of date" if stale else "the lock could not be checked"),
            "run `uv lock` and commit uv.lock"
            if stale
            else "run `uv lock --check` yourself to see why",
            _tail(output),
        )

    # --- graph and files ----------------------------------------------------------------

    def no_cycles(self) -> GateResult:
        graph = workspace_graph(self.ws)
        names = {p.name for p in self.packages()}
        cycle = graph.hard.subgraph(names).find_cycle()
        if cycle:
            error = graph.cycle_error(cycle)
            return GateResult("no_cycles", "fail", error.message, error.hint)
        extras = [edge for edge, _ in graph.extra_cycles() if edge.source in names]
        if extras:
            shown = ", ".join(f"{e.source}[{e.extra}] -> {e.target}" for e in extras[:3])
            more = f" and {len(extras) - 3} more" if len(extras) > 3 else ""
            return GateResult(
                "no_cycles", "warn",
                f"no dependency cycle; {len(extras)} extra(s) point back at their dependents ({shown}{more}): "
                "they are pinned at build and never gate, so the order stands",
            )
        return GateResult("no_cycles", "pass", "no dependency cycle among the packages to release")

    def no_stale_dist(self) -> GateResult:
        stale = []
        for directory in dict.fromkeys([self.ws.root, *(p.path for p in self.packages())]):
            dist = directory / "dist"
            if dist.is_dir():
                content = [e.name for e in os.scandir(dist) if e.name != ".gitignore"]
                if content:
                    stale.append(f"{self.ws.relative(dist)}: {len(content)} file(s)")
        if stale:
            return GateResult(
                "no_stale_dist",
                "fail",
                f"{len(stale)} dist/ folder(s) hold old artifacts",
                "delete them (`releasekit check --fix` does) so no old file can be uploaded by "
                "mistake",
                tuple(stale),
            )
        return GateResult("no_stale_dist", "pass", "no dist/ folder with artifacts")

    def sdist_and_wheel(self) -> GateResult:
        problems: list[str] = []
        notes: list[str] = []
        for pkg in self.packages():
            build_system = _table(_read_manifest(pkg), "build-system")
            requires = build_system.get("requires")
            if not pkg.build_backend:
                problems.append(
                    f"{pkg.name}: no [build-system] build-backend (uv would guess setuptools' "
                    "legacy one)"
                )
            elif not isinstance(requires, list) or not requires:
                problems.append(
                    f"{pkg.name}: [build-system] requires is empty, so {pkg.build_backend} cannot "
                    "load"
                )
            elif pkg.build_backend.startswith(COMPILED_BACKENDS):
                notes.append(
                    f"{pkg.name}: {pkg.build_backend} builds a wheel for this platform only"
                )
        if problems:
            return GateResult(
                "sdist_and_wheel",
                "fail",
                f"{len(problems)} package(s) cannot be built reliably",
                'add [build-system] requires = ["hatchling"], build-backend = "hatchling.build"',
                tuple(problems),
            )
        if notes:
            return GateResult(
                "sdist_and_wheel",
                "warn",
                "compiled packages get one platform's wheel",
                "build the other platforms' wheels in CI (e.g. cibuildwheel)",
                tuple(notes),
            )
        return GateResult(
            "sdist_and_wheel",
            "pass",
            f"{len(self.packages())} package(s) declare a build backend; uv builds sdist + wheel",
        )

    def public_versions(self) -> GateResult:
        public = self.settings.target in PYPI_TARGETS or _is_pypi_url(self.settings.check_url)
        local = [
            f"{name} {version}" for name, version in self.versions() if Version(version).local
        ]
        if not local:
            return GateResult("public_versions", "pass", "no version has a local segment")
        if not public:
            return GateResult(
                "public_versions",
                "pass",
                f"{len(local)} local version(s); allowed on this index (only PyPI refuses them)",
                details=tuple(local),
            )
        return GateResult(
            "public_versions",
            "fail",
            f"{len(local)} version(s) with a local segment, which "
            f"{'TestPyPI' if self.settings.target == 'testpypi' else 'PyPI'} refuses",
            "release a public version (drop the `+...` part), or publish to another index",
            tuple(local),
        )

    def readme_renders(self) -> GateResult:
        problems: list[str] = []
        unchecked: list[str] = []
        for pkg in self.packages():
            outcome = readme_problem(pkg)
            if outcome is None:
                continue
            kind, message = outcome
            (problems if kind == "fail" else unchecked).append(f"{pkg.name}: {message}")
        if problems:
            return GateResult(
                "readme_renders",
                "fail",
                f"{len(problems)} README(s) would be rejected or mangled",
                "fix the markup or the declared content-type",
                tuple(problems + unchecked),
            )
        if unchecked:
            return GateResult(
                "readme_renders",
                "warn",
                f"{len(unchecked)} README(s) could not be checked",
                "pip install 'releasekit[rst]' to check reStructuredText",
                tuple(unchecked),
            )
        return GateResult("readme_renders", "pass", "every README renders for its content type")

    # --- credentials and index ----------------------------------------------------------

    def auth_gate(self) -> GateResult:
        info = detect_auth(self.settings.target, self.settings.trusted_publishing, self.environ)
        self.auth = info
        if info.problem:
            return GateResult("auth", "fail", info.problem, info.hint)
        if info.method == "trusted-publishing" and self.settings.target not in PYPI_TARGETS:
            return GateResult(
                "auth",
                "warn",
                f"trusted publishing ({info.source}) with a custom index",
                "trusted publishing is a PyPI feature; set a token for other indexes",
            )
        return GateResult("auth", "pass", f"will upload with {info.describe()}")

    def index_reachable(self) -> GateResult:
        url = self.client.check_url
        try:
            self._retrying(self.client.reachable)
        except ReleasekitError as exc:
            self.index_error = exc.message
            return GateResult(
                "index_reachable",
                "fail",
                f"{url} cannot be read: {exc.message}",
                exc.hint or "check index.check_url and the network",
            )
        return GateResult(
            "index_reachable", "pass", f"{url} answered (credentials are proven only by the upload)"
        )

    def _unreachable(self, gate_id: str) -> GateResult | None:
        if self.index_error:
            return GateResult(
                gate_id, "fail", "not checked: the index is not reachable (see index_reachable)"
            )
        return None

    def version_conflicts(self) -> GateResult:
        """The released-version rule of :mod:`releasekit.released`: a released version is
        skipped, a partial one (a resume) must match the local build, a new one is free."""
        blocked = self._unreachable("version_conflicts")
        if blocked:
            return blocked
        if self.plan is None:
            return GateResult(
                "version_conflicts", "fail", "not checked: no release plan (dependency cycle)"
            )
        conflicts: list[str] = []
        warnings: list[str] = []
        released: list[str] = []
        resumed: list[str] = []
        try:
            for name, version in self.versions():
                found = version_on_index(self.listing(name), name, version)
                where = f"{name}=={version}"
                if found.state == "new":
                    continue
                if found.state == "released":
                    released.append(f"{where}: already released ({found.listed}); publish skips it")
                    continue
                built = load_record(self.ws.state_dir, name, version)
                record = built.files if built is not None and built.files else None
                if record is None:
                    warnings.append(
                        f"{where}: partly on the index ({found.listed}); publish resumes it: "
                        "the new build must match those files"
                    )
                    continue
                on_index = found.files
                common = sorted(set(record) & set(on_index))
                different = [
                    f for f in common if on_index[f].sha256 and on_index[f].sha256 != record[f]
                ]
                unhashed = [f for f in common if not on_index[f].sha256]
                if different:
                    conflicts.append(
                        f"{where}: the index has other bytes for {', '.join(different)} "
                        "than releasekit built"
                    )
                elif unhashed:
                    warnings.append(f"{where}: the index lists no sha256 for {', '.join(unhashed)}")
                else:
                    resumed.append(f"{where}: partly on the index, with the recorded sha256 (resumed)")
        except ReleasekitError as exc:
            return GateResult(
                "version_conflicts", "fail", f"the index failed to answer: {exc.message}", exc.hint
            )
        done = tuple(released + resumed)
        if conflicts:
            return GateResult(
                "version_conflicts",
                "fail",
                f"{len(conflicts)} half-published version(s) hold other files than this build",
                "bump these packages to a new version: an index never lets a version's files "
                "change",
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
        reason = f"none of {len(self.versions())} version(s) exists on the index"
        if done:
            reason = (
                f"no conflict; {len(released)} already released (skipped), "
                f"{len(resumed)} resumed"
            )
        return GateResult("version_conflicts", "pass", reason, details=done)

    def new_projects(self) -> GateResult:
        blocked = self._unreachable("new_projects")
        if blocked:
            return blocked
        if self.plan is None:
            return GateResult(
                "new_projects", "fail", "not checked: no release plan (dependency cycle)"
            )
        try:
            new = [name for name, _ in self.versions() if self.listing(name) is None]
        except ReleasekitError as exc:
            return GateResult(
                "new_projects", "fail", f"the index failed to answer: {exc.message}", exc.hint
            )
        limit = self.settings.max_new_projects
        details = tuple(f"{name}: not on the index yet" for name in new)
        if len(new) > limit and self.settings.target in PYPI_TARGETS:
            return GateResult(
                "new_projects",
                "warn",
                f"{len(new)} brand-new projects would be created; PyPI allows about {limit} a day",
                "publish the rest tomorrow (select them with -p), or ask PyPI to raise the limit",
                details,
            )
        if self.settings.target not in PYPI_TARGETS:
            where = urlsplit(self.settings.check_url).netloc or self.settings.check_url
            reason = f"{len(new)} new project(s); PyPI's daily limit does not apply to {where}"
        else:
            reason = f"{len(new)} new project(s), within PyPI's daily limit of about {limit}"
        return GateResult("new_projects", "pass", reason, details=details)


def _read_manifest(pkg: Package) -> dict[str, Any]:
    import tomllib

    try:
        return tomllib.loads(pkg.manifest.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return {}


def _table(data: Mapping[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key)
    return value if isinstance(value, dict) else {}


def readme_content_type(pkg: Package) -> str | None:
    """The README's declared content type, or the one its extension implies (PEP 621)."""
    if pkg.readme_content_type:
        return pkg.readme_content_type.split(";")[0].strip().lower()
    if pkg.readme is None:
        return None
    suffix = Path(pkg.readme).suffix.lower()
    return {
        ".md": "text/markdown",
        ".markdown": "text/markdown",
        ".rst": "text/x-rst",
        ".txt": "text/plain",
        "": "text/plain",
    }.get(suffix)


def readme_problem(pkg: Package) -> tuple[Literal["fail", "warn"], str] | None:
    """Why ``pkg``'s README would not render on PyPI, or None when it renders."""
    if pkg.readme is None:
        return None
    if pkg.readme == "<inline>":
        table = pkg.project.get("readme")
        text = str(table.get("text", "")) if isinstance(table, dict) else ""
    else:
        path = pkg.path / pkg.readme
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return "fail", f"readme {pkg.readme!r} does not exist"
        except (OSError, UnicodeDecodeError) as exc:
            return "fail", f"readme {pkg.readme!r} cannot be read as UTF-8 ({exc})"
    ctype = readme_content_type(pkg)
    if ctype is None:
        return (
            "fail",
            f"cannot tell the content type of {pkg.readme!r}; declare readme = "
            "{ file, content-type }",
        )
    if ctype not in READABLE_TYPES:
        return (
            "fail",
            f"content type {ctype!r} is not one PyPI renders ({', '.join(READABLE_TYPES)})",
        )
    if ctype != "text/x-rst":
        return None
    return _rst_problem(text)


def _rst_problem(text: str) -> tuple[Literal["fail", "warn"], str] | None:
    try:
        from readme_renderer import rst
    except ImportError:
        pass
    else:
        # What PyPI itself runs: None means the description would be rejected.
        stream = io.StringIO()
        if rst.render(text, stream=stream) is None:
            return "fail", "reStructuredText does not render: " + " | ".join(
                _tail(stream.getvalue(), 3)
            )
        return None
    try:
        from docutils.core import publish_parts
        from docutils.utils import SystemMessage
    except ImportError:
        return (
            "warn",
            "reStructuredText not checked (neither readme_renderer nor docutils is installed)",
        )
    try:
        publish_parts(
            text,
            writer_name="html",
            settings_overrides={
                "halt_level": 2,
                "report_level": 5,
                "warning_stream": io.StringIO(),
                "raw_enabled": False,
                "file_insertion_enabled": False,
            },
        )
    except SystemMessage as exc:
        return "fail", f"reStructuredText does not render: {exc}"
    return None


def run_preflight(
    ws: Workspace,
    plan: Plan | None,
    settings: PreflightSettings | PublishSettings | None = None,
    *,
    skip: Collection[str] = (),
    skip_reason: Mapping[str, str] | None = None,
    uv: Uv | None = None,
    client: IndexClient | None = None,
) -> PreflightReport:
    """Run every gate not in ``skip`` and return the report; raises nothing for a failed gate.

    ``plan`` is what publish will release (None when the graph has a cycle, so the other gates
    still report). ``skip`` holds gate ids (unknown ones are a usage error, exit 2); each one
    is listed as skipped, with ``skip_reason[id]`` or "skipped by --skip-preflight".
    ``settings`` may be publish's own :class:`~releasekit.settings.PublishSettings`, so the
    gates look at exactly the index and credentials the upload will use.
    """
    if settings is None:
        settings = PreflightSettings.from_config(ws.config)
    elif isinstance(settings, PublishSettings):
        settings = PreflightSettings.from_publish(settings, ws.config)
    skipped = set(parse_gate_ids(skip, from_user=False))  # the CLI already refused unskippable ones
    gates = _Gates(ws, plan, settings, uv, client)
    runners: dict[str, Callable[[], GateResult]] = {
        "clean_worktree": gates.clean_worktree,
        "not_shallow": gates.not_shallow,
        "lock_current": gates.lock_current,
        "no_cycles": gates.no_cycles,
        "no_stale_dist": gates.no_stale_dist,
        "sdist_and_wheel": gates.sdist_and_wheel,
        "public_versions": gates.public_versions,
        "readme_renders": gates.readme_renders,
        "auth": gates.auth_gate,
        "index_reachable": gates.index_reachable,
        "version_conflicts": gates.version_conflicts,
        "new_projects": gates.new_projects,
    }
    results: list[GateResult] = []
    reasons = dict(skip_reason or {})
    for gate_id in GATE_IDS:
        if gate_id in skipped:
            why = reasons.get(gate_id, f"skipped by --skip-preflight {gate_id}")
            results.append(GateResult(gate_id, "skipped", why))
            continue
        try:
            results.append(runners[gate_id]())
        except ReleasekitError as exc:  # git or uv missing or failing: the gate cannot pass
            results.append(GateResult(gate_id, "fail", exc.message, exc.hint))
        except OSError as exc:
            results.append(GateResult(gate_id, "fail", f"cannot read the workspace: {exc}"))
    if gates.auth is None and "auth" in skipped:
        gates.auth = detect_auth(settings.target, settings.trusted_publishing, gates.environ)
    return PreflightReport(tuple(results), gates.auth)
