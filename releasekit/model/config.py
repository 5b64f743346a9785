"""``[tool.releasekit]`` of the workspace root's pyproject.toml, as frozen dataclasses.

Every key is typed and validated; an unknown key gets a "did you mean" hint. The README
documents each key; :func:`describe` renders that table so the two cannot drift apart.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

#: Set by ``--state-dir``: the state directory for this command, wherever the config puts it.
STATE_DIR_ENV = "RELEASEKIT_STATE_DIR"

TARGETS: dict[str, dict[str, str]] = {
    "pypi": {
        "publish_url": "https://upload.pypi.org/legacy/",
        "check_url": "https://pypi.org/simple/",
        "json_api_url": "https://pypi.org/pypi/",
    },
    "testpypi": {
        "publish_url": "https://test.pypi.org/legacy/",
        "check_url": "https://test.pypi.org/simple/",
        "json_api_url": "https://test.pypi.org/pypi/",
    },
}


@dataclass(frozen=True)
class IndexConfig:
    """Where packages go and where releasekit looks for them afterwards."""

    target: Literal["pypi", "testpypi", "custom"] = "pypi"
    """Preset for the three URLs below; `custom` requires `publish_url` and `check_url`."""
    publish_url: str = ""
    """Upload endpoint (uv's `--publish-url`); empty = the target's."""
    check_url: str = ""
    """Simple index used for dedupe, polling, verification and smoke installs; empty = the target's."""
    json_api_url: str = ""
    """PyPI-style JSON API base (`.../pypi/`) used as a second hash source; empty = the target's, none for custom."""
    fallback_url: str = "https://pypi.org/simple/"
    """Index for third-party dependencies during smoke tests; empty = none."""
    trusted_publishing: Literal["auto", "always", "never"] = "auto"
    """`auto` uses OIDC in GitHub Actions when no token or password is set."""


@dataclass(frozen=True)
class ChecksConfig:
    """Health checks and preflight gates (see `releasekit check`)."""

    skip: tuple[str, ...] = ()
    """Check ids never run."""
    ignore: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Per package (name or glob): check ids whose findings are ignored for it."""
    naming_pattern: str = ""
    """Regex the distribution name must match, e.g. `^acme-`; empty = no constraint."""
    import_name_pattern: str = ""
    """Import package every publishable member must ship (read from its build backend's
    configuration; dotted for namespaces, e.g. `acme.plugins.{dir_underscored}`);
    `{name_underscored}` is the distribution name with `-` as `_`, `{dir_underscored}` the
    member directory's; empty = not checked."""
    max_new_projects: int = 4
    """Preflight warns when more brand-new projects than this would be created on the index."""
    version_groups: tuple[str, ...] = ()
    """Groups (from `groups`) whose members must share one version, besides `lockstep_groups`."""
    directory_naming: dict[str, str] = field(default_factory=dict)
    """Member path glob -> expected distribution name, `{dir}` = the directory's name,
    e.g. `{"plugins/*" = "acme-plugin-{dir}"}`."""


@dataclass(frozen=True)
class WorkflowConfig:
    """The release workflow: versions from commits, changelogs, release PR, tags, notify."""

    base_branch: str = "main"
    """Branch `prepare` releases from and the release PR targets."""
    release_branch: str = "releasekit/release"
    """The one branch `prepare` rewrites and opens the release PR from (releasekit owns it)."""
    remote: str = "origin"
    """Git remote the release branch and the tags are pushed to."""
    github_repository: str = ""
    """`owner/name` on GitHub; empty = `$GITHUB_REPOSITORY`, else parsed from the remote's URL."""
    breaking_on_0x: Literal["minor", "major"] = "minor"
    """Bump for a breaking change while the major version is 0."""
    dependent_bump: Literal["patch", "minor", "none"] = "patch"
    """Bump for a package whose internal dependency gets a new version (its exact pin
    changes); `none` = own changes only."""
    changelog: bool = True
    """Write a section per release at the top of each released package's changelog."""
    changelog_file: str = "CHANGELOG.md"
    """Changelog file name, relative to each package directory."""
    downstream_repositories: tuple[str, ...] = ()
    """`owner/name` repositories `notify` sends a `repository_dispatch` to."""
    dispatch_event_type: str = "releasekit-release"
    """`event_type` of that `repository_dispatch`."""


@dataclass(frozen=True)
class SmokeConfig:
    """What the smoke stage proves in a fresh venv with the exact pins. Per package, key by key:
    `[tool.releasekit.smoke.packages.<name>]` here, or a member's own `[tool.releasekit.smoke]`."""

    imports: tuple[str, ...] = ()
    """Modules to import; empty = every import package the wheel installs (PEP 420 namespaces
    resolved down to the packages that carry code)."""
    import_all: bool = False
    """Import every module the wheel ships, so a module that needs something the wheel lacks fails
    here (`--deep-import` for one run)."""
    skip: tuple[str, ...] = ()
    """Module globs a deep import leaves out (optional modules that need an extra), besides
    `__main__`, `tests` and `conftest`."""
    pip_check: bool = True
    """Run `uv pip check` in the smoke venv: an unsatisfiable or conflicting requirement fails."""
    command: str = ""
    """A command run in the smoke venv after the imports, e.g. `acme --version`; `{name}` and
    `{version}` are filled in; empty = none."""


@dataclass(frozen=True)
class PublishConfig:
    """How `publish` runs."""

    stage: bool = True
    """The staged gate: build everything, install and import every package with its exact pins
    from a throwaway local index, and only then upload anything (`--no-stage` for one run)."""


@dataclass(frozen=True)
class MemberConfig:
    """`[tool.releasekit]` in a member's own pyproject.toml (not the workspace root's)."""

    publish: bool = True
    """`false` keeps this member off every index (samples, demos, test helpers that are members);
    every command treats it like `Private :: Do Not Upload`."""
    smoke: dict[str, Any] = field(default_factory=dict)
    """`[tool.releasekit.smoke]` keys for this member only (see `smoke.*` above)."""


@dataclass(frozen=True)
class Config:
    """The whole `[tool.releasekit]` table."""

    tag_format: str = "{name}-v{version}"
    """Per-package git tag; placeholders `{name}` and `{version}`."""
    umbrella_tag: str = ""
    """Optional extra tag for the whole release, e.g. `v{version}`; empty = none."""
    exclude: tuple[str, ...] = ()
    """Package names or globs never released (still part of the graph)."""
    groups: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Named release groups: group name -> package names or globs."""
    lockstep_groups: tuple[str, ...] = ()
    """Groups whose members always share one version."""
    concurrency: int = 0
    """Parallel workers for publish (`doit -n`); 0 = auto: enough to keep the usable cores busy
    while some wait on the index (see "Workers")."""
    max_retries: int = 3
    """Retries per network operation (upload, poll requests) on 5xx, 429 and dropped connections."""
    retry_base_delay: float = 1.0
    """Base of the exponential backoff with full jitter, in seconds."""
    poll_timeout: float = 600.0
    """Seconds to wait for the index to list an upload before failing."""
    poll_interval: float = 2.0
    """Seconds between polls of the simple index."""
    smoke_test: bool = True
    """Install each package from the index into a fresh venv and import it."""
    verify_download: bool = True
    """Re-download each uploaded file and hash it, besides comparing the index's hashes."""
    state_dir: str = ".releasekit"
    """Journal, doit DB, builds and lock; relative to the workspace root; git-ignored by itself."""
    index: IndexConfig = field(default_factory=IndexConfig)
    smoke: SmokeConfig = field(default_factory=SmokeConfig)
    smoke_packages: dict[str, dict[str, Any]] = field(default_factory=dict, metadata={"key": "smoke.packages"})
    """Per package (name): `smoke.*` keys for it alone, e.g. `[tool.releasekit.smoke.packages.acme]
    imports = ["acme_core"]` (the root package's, or any member's, without touching its pyproject)."""
    publish: PublishConfig = field(default_factory=PublishConfig)
    checks: ChecksConfig = field(default_factory=ChecksConfig)
    workflow: WorkflowConfig = field(default_factory=WorkflowConfig)

    def state_path(self, root: Path) -> Path:
        """``state_dir`` in ``root``, unless ``--state-dir`` (``$RELEASEKIT_STATE_DIR``) moves it."""
        override = os.environ.get(STATE_DIR_ENV)
        return Path(override).resolve() if override else (root / self.state_dir).resolve()
