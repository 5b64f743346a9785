"""`init`: idempotent, keeps what is there, lands every setting where releasekit reads it."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from releasekit.commands.init import DEFAULTS, LOADER_SPEC, RUN_SPEC, init_text
from releasekit.model.workspace import load_workspace
from tests.harness.cli import run_cli
from tests.harness.tree import tree_hash
from tests.harness.workspace import make_ws, member_toml, root_toml

BARE = root_toml(sources=["a"])
WS = '[tool.uv.workspace]\nmembers = ["packages/*"]\n'


def _settings(text: str) -> tuple[dict[str, object], dict[str, object]]:
    tool = tomllib.loads(text)["tool"]
    return tool["releasekit"], tool["doit"]


def _ws(tmp_path: Path, root: str) -> Path:
    return make_ws(tmp_path, {"packages/a": member_toml("a")}, root=root)


def test_init_on_a_bare_workspace_then_again(tmp_path: Path) -> None:
    ws = _ws(tmp_path, BARE)
    first = run_cli("init", cwd=ws)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("added to pyproject.toml:\n  [tool.releasekit] tag_format = ")
    text = (ws / "pyproject.toml").read_text()
    assert text.startswith(BARE)  # appended; the user's part is untouched
    releasekit, doit = _settings(text)
    assert {k: releasekit[k] for k in DEFAULTS} == DEFAULTS
    assert releasekit["index"] == {"target": "pypi"}
    assert doit == {"loader": "releasekit",
                    "plugins": {"loader": {"releasekit": LOADER_SPEC}, "command": {"run": RUN_SPEC}}}
    assert load_workspace(ws).config.max_retries == 3  # what init writes is valid config
    before = tree_hash(ws)
    second = run_cli("init", cwd=ws)
    assert second.returncode == 0
    assert "nothing to do" in second.stdout
    assert tree_hash(ws) == before


def test_init_dry_run_writes_nothing(tmp_path: Path) -> None:
    ws = _ws(tmp_path, BARE)
    before = tree_hash(ws)
    result = run_cli("init", "--dry-run", cwd=ws)
    assert result.returncode == 0
    assert result.stdout.startswith("would add to pyproject.toml:")
    assert result.stdout.endswith("dry run: nothing was written\n")
    assert tree_hash(ws) == before


def test_init_keeps_existing_keys_and_comments(tmp_path: Path) -> None:
    root = BARE + (
        "\n[tool.releasekit]  # ours\n"
        "max_retries = 7  # we retry a lot\n"
        'tag_format = "v{version}/{name}"\n'
        "\n[tool.releasekit.groups]\n"
        'core = ["a"]\n'
        "\n[tool.doit]\n"
        "verbosity = 2\n"
    )
    ws = _ws(tmp_path, root)
    assert run_cli("init", cwd=ws).returncode == 0
    text = (ws / "pyproject.toml").read_text()
    assert "max_retries = 7  # we retry a lot" in text and "[tool.releasekit]  # ours" in text
    releasekit, doit = _settings(text)
    assert releasekit["max_retries"] == 7 and releasekit["tag_format"] == "v{version}/{name}"
    assert releasekit["groups"] == {"core": ["a"]}
    assert releasekit["concurrency"] == 0
    assert doit["verbosity"] == 2 and doit["loader"] == "releasekit"
    assert load_workspace(ws).config.groups == {"core": ("a",)}


def test_the_example_needs_nothing() -> None:
    from tests.harness.workspace import EXAMPLE

    text = (EXAMPLE / "pyproject.toml").read_text()
    assert init_text(text) == (text, [])


@pytest.mark.parametrize(
    "layout",
    [
        # [tool.releasekit] as an inline table: tomlkit cannot nest [tool.releasekit.index] in it
        "[tool]\nreleasekit = { max_retries = 5 }\n\n" + WS,
        # dotted keys: a nested table would render as a top-level [releasekit.index]
        '[tool.uv.workspace]\nmembers = ["packages/*"]\n\n[tool]\nreleasekit.max_retries = 5\n',
        '[tool.uv.workspace]\nmembers = ["packages/*"]\n\n[tool]\ndoit.verbosity = 2\n',
        'tool.uv.workspace.members = ["packages/*"]\ntool.releasekit.max_retries = 5\n',
        # only a sub-table exists so far
        WS + '\n[tool.releasekit.index]\ntarget = "testpypi"\n',
        WS + '\n[tool.doit.plugins.loader]\nother = "x:Y"\n',
    ],
    ids=["inline", "dotted", "dotted-doit", "top-level-dotted", "only-index", "only-plugins"],
)
def test_init_on_unusual_layouts(layout: str) -> None:
    out, added = init_text(layout)
    assert added
    new, old = tomllib.loads(out), tomllib.loads(layout)
    assert set(new) == {"tool"}  # nothing landed outside [tool]
    releasekit, doit = new["tool"]["releasekit"], new["tool"]["doit"]
    for key, value in DEFAULTS.items():
        assert releasekit[key] == old["tool"].get("releasekit", {}).get(key, value)
    assert "target" in releasekit["index"]
    assert doit["loader"] == "releasekit" and doit["plugins"]["loader"]["releasekit"] == LOADER_SPEC
    assert doit["plugins"]["command"]["run"] == RUN_SPEC
    assert init_text(out) == (out, [])  # idempotent


def test_init_keeps_crlf_line_endings() -> None:
    text = BARE.replace("\n", "\r\n")
    out, added = init_text(text)
    assert added and out.startswith(text)
    assert "\n" not in out.replace("\r\n", "")
