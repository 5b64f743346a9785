"""pytest fixtures of the shape corpus (registered by ``tests/conftest.py``).

Shapes are read by many quick tests, so the index that serves their build backends and each
built shape live for the whole session; a test that changes a workspace asks ``fresh_shape``.
Subprocesses get ``shape_env`` explicitly: os.environ is never changed.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.harness import cli
from tests.harness.cli import ROOT, VENV_BIN, Run
from tests.harness.index import LocalIndex
from tests.harness.netutil import EgressTrap
from tests.harness.uvenv import SCRUBBED, hermetic_uv_env
from tests.shapes.catalog import build_shape
from tests.shapes.layout import Shape

ShapeFactory = Callable[[str], Shape]
Releasekit = Callable[..., Run]


@pytest.fixture(scope="session")
def shape_index(tmp_path_factory: pytest.TempPathFactory, wheelhouse: Path) -> Iterator[LocalIndex]:
    """The build backends (and ``packaging``) on 127.0.0.1, for every shape of the session."""
    index = LocalIndex(tmp_path_factory.mktemp("shape-index") / "packages", seed_dirs=[wheelhouse])
    yield index
    index.stop()


@pytest.fixture(scope="session")
def shape_env(shape_index: LocalIndex, uv_cache_dir: Path, egress_trap: EgressTrap,
              tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A whole environment for uv, git and ``python -m releasekit`` against ``shape_index`` only."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("UV_") and k not in SCRUBBED}
    env.update(hermetic_uv_env(shape_index, uv_cache_dir, egress_trap.url, tmp_path_factory.mktemp("uv-home")))
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    env.pop("RELEASEKIT_UV", None)
    before = len(egress_trap.attempts)
    yield env
    escaped = egress_trap.attempts[before:]
    assert not escaped, f"a shape's uv or releasekit tried to leave 127.0.0.1: {escaped}"


@pytest.fixture(scope="session")
def shapes(tmp_path_factory: pytest.TempPathFactory, shape_env: dict[str, str]) -> ShapeFactory:
    """``shapes("batteries")``: that shape, built once per session. Read it, never change it."""
    built: dict[str, Shape] = {}

    def get(name: str) -> Shape:
        if name not in built:
            built[name] = build_shape(name, tmp_path_factory.mktemp(name) / "ws", shape_env)
        return built[name]

    return get


@pytest.fixture
def fresh_shape(tmp_path: Path, shape_env: dict[str, str]) -> ShapeFactory:
    """``fresh_shape("composite-plugins")``: a new copy for this test alone."""
    return lambda name: build_shape(name, tmp_path / name, shape_env)


@pytest.fixture(scope="session")
def rk(shape_env: dict[str, str]) -> Releasekit:
    """``rk(cwd, "plan", "--format", "json", COLUMNS="100")``: the real CLI, as a user runs it."""

    def run(cwd: Path, *args: str, timeout: float = 120, **env: str) -> Run:
        return cli.rk(cwd, *args, env={**shape_env, **env}, timeout=timeout)

    return run
