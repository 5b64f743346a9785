"""``[tool.releasekit]`` of the workspace root's pyproject.toml, as frozen dataclasses.

Every key is typed and validated; an unknown key gets a "did you mean" hint. The README
documents each key; :func:`describe` renders that table so the two cannot drift apart.
"""

from __future__ import annotations

import dataclasses
import os
import re
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from releasekit.errors import ConfigError
from releasekit.support.suggest import did_you_mean, listed
from releasekit.support.urlcreds import CREDENTIALS_HINT, CREDENTIALS_REFUSED, has_credentials

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
    """Parallel workers for publish (`doit -n`); 0 = auto."""
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


def _group_hint(group: str, groups: Mapping[str, object]) -> str:
    if not groups:
        return "define it under groups"
    return did_you_mean(group, groups, listed("known keys", sorted(groups)))


def type_name(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if origin is Literal:
        return " | ".join(repr(a) for a in typing.get_args(tp))
    if origin is tuple:
        return f"list of {type_name(typing.get_args(tp)[0])}"
    if origin is dict:
        value = typing.get_args(tp)[1]
        return "table" if value is Any else f"table of {type_name(value)}"
    if dataclasses.is_dataclass(tp):
        return "table"
    return {str: "string", int: "integer", float: "number", bool: "boolean"}.get(tp, str(tp))


class _Validator:
    def __init__(self, path: Path | None, text: str) -> None:
        self.path = path
        self.text = text

    def fail(self, key: str, message: str, hint: str, code: str = "RK121") -> ConfigError:
        return ConfigError(
            f"[tool.releasekit] {message}",
            path=self.path,
            line=_line_of_config_key(self.text, key) if self.text else None,
            code=code,
            hint=hint,
        )

    def value(self, key: str, tp: Any, raw: Any) -> Any:
        origin = typing.get_origin(tp)
        if origin is Literal:
            choices = typing.get_args(tp)
            if raw not in choices:
                names = [str(c) for c in choices]
                raise self.fail(
                    key,
                    f"`{key}` is {raw!r}, expected one of {', '.join(repr(c) for c in choices)}",
                    did_you_mean(str(raw), names, listed("known keys", sorted(names)))
                    if isinstance(raw, str)
                    else "use one of the listed values",
                )
            return raw
        if origin is tuple:
            if not isinstance(raw, list):
                raise self.fail(
                    key, f"`{key}` must be a {type_name(tp)}, not {_toml_type(raw)}",
                    f'write it as {key} = ["..."]',
                )
            (item_tp, *_) = typing.get_args(tp)
            return tuple(self.value(f"{key}[{i}]", item_tp, v) for i, v in enumerate(raw))
        if origin is dict:
            if not isinstance(raw, dict):
                raise self.fail(
                    key, f"`{key}` must be a {type_name(tp)}, not {_toml_type(raw)}",
                    f"write it as [tool.releasekit.{key}]",
                )
            _, value_tp = typing.get_args(tp)
            return {str(k): self.value(f"{key}.{k}", value_tp, v) for k, v in raw.items()}
        if dataclasses.is_dataclass(tp):
            if not isinstance(raw, dict):
                raise self.fail(
                    key, f"`{key}` must be a table, not {_toml_type(raw)}",
                    f"write it as [tool.releasekit.{key}]",
                )
            return self.table(tp, raw, prefix=f"{key}.")
        if tp is bool:
            if not isinstance(raw, bool):
                raise self.fail(
                    key, f"`{key}` must be a boolean, not {_toml_type(raw)}", "use true or false"
                )
            return raw
        if tp is int:
            if isinstance(raw, bool) or not isinstance(raw, int):
                raise self.fail(
                    key, f"`{key}` must be an integer, not {_toml_type(raw)}",
                    f"write it as {key} = 3",
                )
            if raw < 0:
                raise self.fail(key, f"`{key}` must not be negative (got {raw})", "use 0 or more")
            return raw
        if tp is float:
            if isinstance(raw, bool) or not isinstance(raw, int | float):
                raise self.fail(
                    key, f"`{key}` must be a number, not {_toml_type(raw)}",
                    f"write it as {key} = 1.5",
                )
            if not 0 <= raw < float("inf"):  # also false for NaN
                raise self.fail(
                    key, f"`{key}` must be a finite number >= 0 (got {raw})", "use a number >= 0"
                )
            return float(raw)
        if tp is str:
            if not isinstance(raw, str):
                raise self.fail(
                    key, f"`{key}` must be a string, not {_toml_type(raw)}",
                    f'write it as {key} = "..."',
                )
            return raw
        raise AssertionError(f"unsupported config type {tp!r}")  # pragma: no cover

    def table(self, cls: Any, raw: dict[str, Any], prefix: str = "") -> Any:
        hints = typing.get_type_hints(cls)
        # A field with its own "key" is written elsewhere in the table (smoke.packages): never here.
        known = [f.name for f in dataclasses.fields(cls) if "key" not in f.metadata]
        values: dict[str, Any] = {}
        for key, raw_value in raw.items():
            dashed = key.replace("-", "_")
            if dashed not in known:
                raise self.fail(
                    prefix + key,
                    f"unknown key `{prefix}{key}`",
                    did_you_mean(dashed, known, listed("known keys", sorted(known))),
                    code="RK120",
                )
            values[dashed] = self.value(prefix + dashed, hints[dashed], raw_value)
        return cls(**values)


def _line_of_config_key(text: str, key: str) -> int | None:
    """Line of ``key`` (``index.target``, ``exclude[1]``) searched from its own table's header,
    so a key of the same name in another table ([tool.uv.workspace] exclude) is not taken."""
    from releasekit.model.tomlio import line_of_key

    parts = re.sub(r"\[\d+\]", "", key).split(".")
    leaf = parts[-1]
    tables = [".".join(["tool", "releasekit", *parts[:i]]) for i in range(len(parts) - 1, -1, -1)]
    for table in tables:
        header = re.search(rf"^[ \t]*\[[ \t]*{re.escape(table)}[ \t]*\]", text, re.MULTILINE)
        if header:
            line = line_of_key(text[header.start() :], leaf)
            if line is not None:
                return text.count("\n", 0, header.start()) + line
    return line_of_key(text, leaf)


def _toml_type(raw: Any) -> str:
    if isinstance(raw, bool):
        return "a boolean"
    if isinstance(raw, int):
        return "an integer"
    if isinstance(raw, float):
        return "a float"
    if isinstance(raw, str):
        return "a string"
    if isinstance(raw, list):
        return "an array"
    if isinstance(raw, dict):
        return "a table"
    return type(raw).__name__


def parse_config(raw: Any, path: Path | None = None, text: str = "") -> Config:
    """Validate the `[tool.releasekit]` table (already parsed)."""
    validator = _Validator(path, text)
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise validator.fail(
            "tool.releasekit", "must be a table", "write it as [tool.releasekit]"
        )
    smoke = raw.get("smoke")
    per_package: Any = {}
    if isinstance(smoke, dict) and "packages" in smoke:
        per_package = smoke["packages"]
        raw = {**raw, "smoke": {k: v for k, v in smoke.items() if k != "packages"}}
    config: Config = validator.table(Config, raw)
    if not isinstance(per_package, dict):
        raise validator.fail("smoke.packages", "`smoke.packages` must be a table of package names",
                             "write it as [tool.releasekit.smoke.packages.<name>]")
    packages = {str(name): smoke_overrides(validator, f"smoke.packages.{name}", table)
                for name, table in per_package.items()}
    config = dataclasses.replace(config, smoke_packages=packages)
    _check_semantics(config, validator)
    return config


def smoke_overrides(validator: _Validator, key: str, raw: Any) -> dict[str, Any]:
    """The `smoke.*` keys a table sets (validated like `[tool.releasekit.smoke]`), and only those."""
    checked = validator.value(key, SmokeConfig, raw)
    given = {k.replace("-", "_") for k in raw}
    return {f.name: getattr(checked, f.name) for f in dataclasses.fields(SmokeConfig) if f.name in given}


def parse_member_config(raw: Any, path: Path, text: str) -> MemberConfig:
    """Validate `[tool.releasekit]` of a workspace member (only member-level keys belong there)."""
    validator = _Validator(path, text)
    if not isinstance(raw, dict):
        raise validator.fail("tool.releasekit", "must be a table", "write it as [tool.releasekit]")
    known = {f.name for f in dataclasses.fields(MemberConfig)}
    for key in raw:
        if key.replace("-", "_") not in known and key.replace("-", "_") in {f.name for f in dataclasses.fields(Config)}:
            raise validator.fail(
                key, f"`{key}` belongs in the workspace root's [tool.releasekit], not in a member's",
                "move it to the root pyproject.toml; a member's [tool.releasekit] takes: "
                + ", ".join(sorted(known)), code="RK120",
            )
    smoke = raw.get("smoke", {})
    member: MemberConfig = validator.table(MemberConfig, {k: v for k, v in raw.items() if k != "smoke"})
    if smoke:
        member = dataclasses.replace(member, smoke=smoke_overrides(validator, "smoke", smoke))
    return member


def _check_semantics(config: Config, validator: _Validator) -> None:
    if "{name}" not in config.tag_format or "{version}" not in config.tag_format:
        raise validator.fail(
            "tag_format",
            f"`tag_format` {config.tag_format!r} must contain {{name}} and {{version}}",
            'e.g. tag_format = "{name}-v{version}"',
        )
    import string

    for key in ("tag_format", "umbrella_tag"):
        template = getattr(config, key)
        try:
            fields = [f for _, f, _, _ in string.Formatter().parse(template) if f is not None]
            template.format(name="x", version="1")
            bad = next((f for f in fields if f not in ("name", "version")), None)
        except (KeyError, IndexError, ValueError, AttributeError) as exc:
            bad = f"{type(exc).__name__}: {exc}"
        if bad is not None:
            raise validator.fail(
                key,
                f"`{key}` {template!r} has an unknown placeholder or a stray brace ({bad})",
                "only {name} and {version} are allowed; write {{ and }} for literal braces",
            )
    if config.index.target == "custom" and not (config.index.publish_url and config.index.check_url):
        raise validator.fail(
            "target",
            '`index.target = "custom"` needs `index.publish_url` and `index.check_url`',
            "set both URLs or use target pypi/testpypi",
        )
    for url_key in ("publish_url", "check_url", "json_api_url", "fallback_url"):
        url = getattr(config.index, url_key)
        if url and not url.startswith(("http://", "https://", "file://")):
            raise validator.fail(
                url_key, f"`index.{url_key}` {url!r} is not an http(s) URL",
                "write a full URL like https://host/simple/",
            )
        if has_credentials(url):
            raise validator.fail(url_key, f"`index.{url_key}`: {CREDENTIALS_REFUSED}", CREDENTIALS_HINT, code="RK155")
    if config.poll_interval <= 0:
        raise validator.fail("poll_interval", "`poll_interval` must be > 0", "e.g. 2.0")
    for group in config.lockstep_groups:
        if group not in config.groups:
            raise validator.fail(
                "lockstep_groups",
                f"`lockstep_groups` names {group!r}, which is not in `groups`",
                _group_hint(group, config.groups),
            )
    for group in config.checks.version_groups:
        if group not in config.groups:
            raise validator.fail(
                "version_groups",
                f"`checks.version_groups` names {group!r}, which is not in `groups`",
                _group_hint(group, config.groups),
            )
    if config.checks.naming_pattern:
        try:
            re.compile(config.checks.naming_pattern)
        except re.error as exc:
            raise validator.fail(
                "naming_pattern",
                f"`checks.naming_pattern` {config.checks.naming_pattern!r} is not a regex ({exc})",
                "e.g. naming_pattern = \"^acme-\"",
            ) from None
    try:
        config.checks.import_name_pattern.format(name_underscored="x", dir="x", dir_underscored="x")
        for pattern in config.checks.directory_naming.values():
            pattern.format(dir="x", parent="x")
    except (KeyError, IndexError, ValueError) as exc:
        raise validator.fail(
            "import_name_pattern",
            f"a naming pattern has an unknown placeholder or a stray brace ({exc})",
            "use {name_underscored}, {dir} and {dir_underscored} in import_name_pattern, "
            "{dir} and {parent} in directory_naming",
        ) from None
    state = Path(config.state_dir)
    if state.is_absolute() or ".." in state.parts or not state.parts:
        raise validator.fail(
            "state_dir",
            f"`state_dir` {config.state_dir!r} must be a relative path inside the workspace",
            'e.g. state_dir = ".releasekit"',
        )
