"""pytest fixtures for the real-parts harness (registered by ``tests/conftest.py``).

- ``wheelhouse`` (session): the build backends' wheels the local index serves to ``uv build``.
- ``local_index``: a fresh :class:`LocalIndex` per test; ``make_index`` starts more.
- ``uv_env``: hermetic uv variables for ``local_index`` (also applied to os.environ).
- ``git_env``, ``git_origin``, ``git_repo``, ``workspace_repo``: real git doubles.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tasks.paths import WHEELHOUSE
from tasks.wheelhouse import have_wheelhouse
from tests.harness.gitrepo import (
    GitOrigin,
    GitRepo,
    hermetic_git_env,
    init_origin,
    init_repo,
)
from tests.harness.index import LocalIndex
from tests.harness.netutil import EgressTrap
from tests.harness.uvenv import SCRUBBED, hermetic_uv_env
from tests.harness.workspace import copy_example_workspace

IndexFactory = Callable[..., LocalIndex]
HARNESS_THREADS = ("index-", "waitress-")


@pytest.fixture(scope="session")
def wheelhouse() -> Path:
    """hatchling and its dependencies as wheels. Tests never download: fail if absent."""
    directory = Path(os.environ.get("RELEASEKIT_WHEELHOUSE") or WHEELHOUSE)
    if not have_wheelhouse(directory):
        pytest.fail(
            f"no complete build-backend wheelhouse in {directory}: run `doit wheelhouse` once "
            "(or set RELEASEKIT_WHEELHOUSE); tests do not reach the package registry",
            pytrace=False,
        )
    return directory


@pytest.fixture(scope="session")
def uv_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One uv cache for the session: safe to share (uv locks it) and much faster."""
    return tmp_path_factory.mktemp("uv-cache")


@pytest.fixture(scope="session")
def egress_trap() -> Iterator[EgressTrap]:
    """The refusing proxy that every non-loopback request of uv/requests is sent to."""
    trap = EgressTrap()
    yield trap
    trap.stop()


@pytest.fixture
def make_index(tmp_path: Path, wheelhouse: Path) -> Iterator[IndexFactory]:
    """Start extra indexes: ``make_index("mirror", seed=3, lag_s=1.0)``; all stopped after."""
    started: list[LocalIndex] = []
    before = set(threading.enumerate())

    def factory(name: str = "index", *, seed: int = 0, **options: object) -> LocalIndex:
        index = LocalIndex(tmp_path / name / "packages", seed_dirs=[wheelhouse], seed=seed)
        started.append(index)
        if options:
            index.faults.set(**options)  # type: ignore[arg-type]
        return index

    yield factory
    for index in reversed(started):
        index.stop()
    leaked = [t for t in threading.enumerate()
              if t not in before and t.name.startswith(HARNESS_THREADS)]
    for thread in leaked:
        thread.join(timeout=5)  # waitress workers leave its set just before they end
    if alive := [t.name for t in leaked if t.is_alive()]:
        pytest.fail(f"index threads still running after stop(): {alive}", pytrace=False)


@pytest.fixture
def local_index(make_index: IndexFactory) -> LocalIndex:
    """A fresh index with auth on upload, the build backend seeded, and no faults yet."""
    return make_index()


@pytest.fixture
def uv_env(local_index: LocalIndex, uv_cache_dir: Path, egress_trap: EgressTrap,
           monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[dict[str, str]]:
    """uv variables for ``local_index``. They are also set in os.environ for the test
    (inherited UV_* and index/proxy variables removed), so in-process releasekit and its
    subprocesses are hermetic too. Fails the test if anything tried to leave loopback."""
    env = hermetic_uv_env(local_index, uv_cache_dir, egress_trap.url, tmp_path / "uv-home")
    for key in list(os.environ):
        if key.startswith("UV_") or key in SCRUBBED:
            monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    before = len(egress_trap.attempts)
    yield env
    escaped = egress_trap.attempts[before:]
    if escaped:
        pytest.fail(f"a request tried to leave 127.0.0.1: {escaped}", pytrace=False)


@pytest.fixture
def git_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Isolated git config (bot identity, no signing), applied to os.environ."""
    env = hermetic_git_env(tmp_path / "git-home")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


@pytest.fixture
def git_origin(tmp_path: Path, git_env: dict[str, str]) -> GitOrigin:
    """An empty bare repository; ``git_origin.protect("refs/heads/main")`` rejects pushes."""
    return init_origin(tmp_path / "origin.git")


@pytest.fixture
def git_repo(tmp_path: Path, git_origin: GitOrigin) -> GitRepo:
    """A work tree on ``main`` with one commit, already pushed to ``git_origin``."""
    return init_repo(tmp_path / "repo", git_origin)


@pytest.fixture
def workspace_repo(git_repo: GitRepo) -> GitRepo:
    """``git_repo`` holding a committed, pushed copy of examples/workspace at its root."""
    copy_example_workspace(git_repo.path)
    git_repo.commit_all("feat: add the example workspace")
    git_repo.push()
    return git_repo
