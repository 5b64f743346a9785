"""`[tool.releasekit]`: typed, validated, every key documented, errors with a line and a hint."""

from __future__ import annotations

import dataclasses
import math
import typing
from pathlib import Path
from typing import Any

import pytest

from releasekit.errors import ConfigError
from releasekit.model.config import Config
from releasekit.model.config_parse import parse_config
from releasekit.model.configdoc import describe
from releasekit.model.indexurls import index_urls
from releasekit.model.workspace import load_workspace
from tests.harness.workspace import EXAMPLE, make_ws, member_toml, root_toml


def _fail(raw: Any, text: str = "") -> ConfigError:
    with pytest.raises(ConfigError) as info:
        parse_config(raw, Path("pyproject.toml"), text)
    return info.value


def test_defaults() -> None:
    config = parse_config(None)
    assert config == Config()
    assert config.tag_format == "{name}-v{version}" and config.state_dir == ".releasekit"
    assert index_urls(config.index) == (
        "https://upload.pypi.org/legacy/",
        "https://pypi.org/simple/",
        "https://pypi.org/pypi/",
    )


def test_example_config() -> None:
    config = load_workspace(EXAMPLE).config
    assert config.groups == {
        "foundation": ("acme-core", "acme-log"),
        "service": ("acme-http", "acme-store", "acme-api"),
    }
    assert config.index.target == "pypi" and config.smoke_test is True


def test_every_key_parses() -> None:
    raw = {
        "tag_format": "v{version}-{name}",
        "umbrella_tag": "release-{version}",
        "exclude": ["internal-*"],
        "groups": {"g": ["a", "b"]},
        "lockstep_groups": ["g"],
        "concurrency": 4,
        "max_retries": 0,
        "retry_base_delay": 2,
        "poll_timeout": 30.5,
        "poll_interval": 0.5,
        "smoke_test": False,
        "verify_download": False,
        "state_dir": "build/.rk",
        "index": {
            "target": "custom",
            "publish_url": "http://127.0.0.1:8080/",
            "check_url": "http://127.0.0.1:8080/simple/",
            "json_api_url": "",
            "fallback_url": "",
            "trusted_publishing": "never",
        },
        "checks": {
            "skip": ["readme"],
            "ignore": {"a": ["license"]},
            "naming_pattern": "^a",
            "import_name_pattern": "{name_underscored}",
            "max_new_projects": 1,
        },
    }
    config = parse_config(raw)
    assert config.retry_base_delay == 2.0 and isinstance(config.retry_base_delay, float)
    assert config.exclude == ("internal-*",) and config.lockstep_groups == ("g",)
    assert config.checks.ignore == {"a": ("license",)}
    assert index_urls(config.index) == ("http://127.0.0.1:8080/", "http://127.0.0.1:8080/simple/", "")
    assert config.state_path(Path("/ws")) == Path("/ws/build/.rk")


def test_testpypi_preset_and_override() -> None:
    config = parse_config({"index": {"target": "testpypi", "check_url": "https://mirror/simple/"}})
    publish, check, json_api = index_urls(config.index)
    assert publish == "https://test.pypi.org/legacy/" and check == "https://mirror/simple/"
    assert json_api == "https://test.pypi.org/pypi/"


def test_dashed_keys_are_accepted() -> None:
    config = parse_config(
        {"tag-format": "{name}@{version}", "index": {"trusted-publishing": "always"}}
    )
    assert config.tag_format == "{name}@{version}" and config.index.trusted_publishing == "always"


@pytest.mark.parametrize(
    ("raw", "hint"),
    [
        ({"max_retry": 1}, "did you mean `max_retries`?"),
        ({"concurency": 1}, "did you mean `concurrency`?"),
        ({"index": {"taget": "pypi"}}, "did you mean `target`?"),
        ({"checks": {"skp": []}}, "did you mean `skip`?"),
        ({"zzzzzz": 1}, "known keys: "),
    ],
)
def test_unknown_key(raw: dict[str, Any], hint: str) -> None:
    err = _fail(raw)
    assert err.code == "RK120" and hint in err.hint
    assert "unknown key" in err.message


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ({"max_retries": "3"}, "must be an integer, not a string"),
        ({"max_retries": True}, "must be an integer, not a boolean"),
        ({"max_retries": 1.5}, "must be an integer, not a float"),
        ({"max_retries": -1}, "must not be negative"),
        ({"retry_base_delay": "1"}, "must be a number"),
        ({"retry_base_delay": math.inf}, "finite number"),
        ({"retry_base_delay": math.nan}, "finite number"),
        ({"retry_base_delay": -0.5}, "finite number"),
        ({"smoke_test": "yes"}, "must be a boolean"),
        ({"smoke_test": 1}, "must be a boolean"),
        ({"tag_format": 3}, "must be a string"),
        ({"exclude": "a"}, "must be a list of string"),
        ({"exclude": ["a", 3]}, "`exclude[1]` must be a string"),
        ({"groups": ["a"]}, "must be a table of list of string"),
        ({"groups": {"g": "a"}}, "`groups.g` must be a list of string"),
        ({"index": "pypi"}, "`index` must be a table"),
        ({"index": {"target": "pypy"}}, "expected one of 'pypi', 'testpypi', 'custom'"),
        ({"index": {"target": 1}}, "expected one of"),
        ({"index": {"trusted_publishing": True}}, "expected one of"),
        ({"checks": {"ignore": {"a": "x"}}}, "`checks.ignore.a` must be a list of string"),
    ],
)
def test_wrong_types(raw: dict[str, Any], fragment: str) -> None:
    err = _fail(raw)
    assert err.code == "RK121" and fragment in err.message
    assert err.hint


def test_not_a_table() -> None:
    assert _fail(["x"]).code == "RK121"


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ({"tag_format": "{name}"}, "must contain {name} and {version}"),
        ({"tag_format": "{version}"}, "must contain"),
        ({"tag_format": "{name}-{version}-{date}"}, "unknown placeholder"),
        ({"tag_format": "{name}-{version}{"}, "stray brace"),
        ({"tag_format": "{name}-{version}-{name.upper}"}, "unknown placeholder"),
        ({"umbrella_tag": "v{version.major}"}, "`umbrella_tag`"),
        ({"umbrella_tag": "v{0}"}, "`umbrella_tag`"),
        ({"index": {"target": "custom"}}, "needs `index.publish_url` and `index.check_url`"),
        ({"index": {"check_url": "pypi.org/simple"}}, "not an http(s) URL"),
        ({"poll_interval": 0}, "must be > 0"),
        ({"lockstep_groups": ["g"], "groups": {"h": []}}, "not in `groups`"),
        ({"state_dir": "/abs"}, "relative path inside the workspace"),
        ({"state_dir": "../out"}, "relative path inside the workspace"),
        ({"state_dir": ""}, "relative path"),
        ({"state_dir": "."}, "relative path"),
    ],
)
def test_semantic_errors(raw: dict[str, Any], fragment: str) -> None:
    err = _fail(raw)
    assert err.code == "RK121" and fragment in err.message


def test_literal_braces_are_allowed() -> None:
    assert (
        parse_config({"tag_format": "{{x}}{name}-{version}"}).tag_format == "{{x}}{name}-{version}"
    )


def test_error_points_at_the_line_inside_tool_releasekit(tmp_path: Path) -> None:
    # `exclude` also exists in [tool.uv.workspace], earlier in the file: the error must name
    # the line of the releasekit key, not the first `exclude =` of the file.
    root = root_toml(exclude=["packages/old"]) + '\n[tool.releasekit]\nexclude = "acme-*"\n'
    make_ws(tmp_path, {"packages/a": member_toml("a")}, root=root)
    with pytest.raises(ConfigError) as info:
        load_workspace(tmp_path)
    lines = root.splitlines()
    assert lines[info.value.line - 1] == 'exclude = "acme-*"'  # type: ignore[operator]


def test_nested_key_line(tmp_path: Path) -> None:
    root = (
        root_toml() + '\n[tool.other]\ntarget = "x"\n\n[tool.releasekit]\nmax_retries = 1\n\n'
        '[tool.releasekit.index]\ntarget = "pypy"\n'
    )
    make_ws(tmp_path, {"packages/a": member_toml("a")}, root=root)
    with pytest.raises(ConfigError) as info:
        load_workspace(tmp_path)
    assert root.splitlines()[info.value.line - 1] == 'target = "pypy"'  # type: ignore[operator]


def test_every_key_is_documented() -> None:
    rows = describe()
    keys = [row[0] for row in rows]
    expected: list[str] = []

    def walk(cls: Any, prefix: str) -> None:
        hints = typing.get_type_hints(cls)
        for f in dataclasses.fields(cls):
            if dataclasses.is_dataclass(hints[f.name]):
                walk(hints[f.name], f"{prefix}{f.name}.")
            else:
                expected.append(f.metadata.get("key", prefix + f.name))

    walk(Config, "")
    assert "index.target" in expected and "checks.skip" in expected
    assert set(expected) == set(keys)
    for key, type_name, default, meaning in rows:
        assert type_name and default and meaning, key
    assert rows[keys.index("max_retries")][:3] == ("max_retries", "integer", "3")
    assert rows[keys.index("index.target")][1] == "'pypi' | 'testpypi' | 'custom'"


def test_smoke_settings_per_package_from_the_root() -> None:
    config = parse_config({"smoke": {"import_all": True, "packages": {"acme-meta": {"imports": ["acme_core"]}}}})
    assert config.smoke.import_all is True
    assert config.smoke_packages == {"acme-meta": {"imports": ("acme_core",)}}
    with pytest.raises(ConfigError) as raised:
        parse_config({"smoke": {"packages": {"acme-meta": {"import": ["x"]}}}})
    assert raised.value.code == "RK120" and "did you mean `imports`?" in raised.value.hint
    with pytest.raises(ConfigError) as raised:
        parse_config({"smoke_packages": {}})  # the key is written smoke.packages, never like this
    assert raised.value.code == "RK120"
