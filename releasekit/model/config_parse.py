"""Reading ``[tool.releasekit]``: every key checked against the typed config, errors that name the file and line."""

from __future__ import annotations

import dataclasses
import re
import string
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from releasekit.errors import ConfigError
from releasekit.model.config import (
    Config,
    MemberConfig,
    SmokeConfig,
)
from releasekit.model.tomlio import line_of_key
from releasekit.support.suggest import did_you_mean, listed
from releasekit.support.urlcreds import CREDENTIALS_HINT, CREDENTIALS_REFUSED, has_credentials


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
                    key,
                    f"`{key}` must be a {type_name(tp)}, not {_toml_type(raw)}",
                    f'write it as {key} = ["..."]',
                )
            (item_tp, *_) = typing.get_args(tp)
            return tuple(self.value(f"{key}[{i}]", item_tp, v) for i, v in enumerate(raw))
        if origin is dict:
            if not isinstance(raw, dict):
                raise self.fail(
                    key,
                    f"`{key}` must be a {type_name(tp)}, not {_toml_type(raw)}",
                    f"write it as [tool.releasekit.{key}]",
                )
            _, value_tp = typing.get_args(tp)
            return {str(k): self.value(f"{key}.{k}", value_tp, v) for k, v in raw.items()}
        if dataclasses.is_dataclass(tp):
            if not isinstance(raw, dict):
                raise self.fail(
                    key,
                    f"`{key}` must be a table, not {_toml_type(raw)}",
                    f"write it as [tool.releasekit.{key}]",
                )
            return self.table(tp, raw, prefix=f"{key}.")
        if tp is bool:
            if not isinstance(raw, bool):
                raise self.fail(key, f"`{key}` must be a boolean, not {_toml_type(raw)}", "use true or false")
            return raw
        if tp is int:
            if isinstance(raw, bool) or not isinstance(raw, int):
                raise self.fail(
                    key,
                    f"`{key}` must be an integer, not {_toml_type(raw)}",
                    f"write it as {key} = 3",
                )
            if raw < 0:
                raise self.fail(key, f"`{key}` must not be negative (got {raw})", "use 0 or more")
            return raw
        if tp is float:
            if isinstance(raw, bool) or not isinstance(raw, int | float):
                raise self.fail(
                    key,
                    f"`{key}` must be a number, not {_toml_type(raw)}",
                    f"write it as {key} = 1.5",
                )
            if not 0 <= raw < float("inf"):  # also false for NaN
                raise self.fail(key, f"`{key}` must be a finite number >= 0 (got {raw})", "use a number >= 0")
            return float(raw)
        if tp is str:
            if not isinstance(raw, str):
                raise self.fail(
                    key,
                    f"`{key}` must be a string, not {_toml_type(raw)}",
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
        raise validator.fail("tool.releasekit", "must be a table", "write it as [tool.releasekit]")
    smoke = raw.get("smoke")
    per_package: Any = {}
    if isinstance(smoke, dict) and "packages" in smoke:
        per_package = smoke["packages"]
        raw = {**raw, "smoke": {k: v for k, v in smoke.items() if k != "packages"}}
    config: Config = validator.table(Config, raw)
    if not isinstance(per_package, dict):
        raise validator.fail(
            "smoke.packages",
            "`smoke.packages` must be a table of package names",
            "write it as [tool.releasekit.smoke.packages.<name>]",
        )
    packages = {
        str(name): smoke_overrides(validator, f"smoke.packages.{name}", table) for name, table in per_package.items()
    }
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
                key,
                f"`{key}` belongs in the workspace root's [tool.releasekit], not in a member's",
                "move it to the root pyproject.toml; a member's [tool.releasekit] takes: " + ", ".join(sorted(known)),
                code="RK120",
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
                url_key,
                f"`index.{url_key}` {url!r} is not an http(s) URL",
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
                'e.g. naming_pattern = "^acme-"',
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
