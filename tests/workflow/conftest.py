"""Fixtures for the release workflow: a real git repository with a bare origin, and the fake GitHub.

Everything stays on this machine: the origin is a ``file://`` bare repository and GitHub is
the fake on 127.0.0.1. ``GITHUB_API_URL`` always points at a local address, so a test that
forgot the fake gets "connection refused" instead of reaching api.github.com.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from tests.harness.github import FakeGitHub, running
from tests.harness.gitrepo import git_out
from tests.harness.workspace import copy_example_workspace

PACKAGES = ("acme-api", "acme-cli", "acme-core", "acme-http", "acme-log", "acme-store")
REPO = "acme/widgets"
DOWNSTREAM = "acme/downstream"
WORKFLOW_CONFIG = f"""
[tool.releasekit.workflow]
github_repository = "{REPO}"
downstream_repositories = ["{DOWNSTREAM}"]
"""


@dataclass
class Repo:
    """A clone (``work``) of a bare ``origin``, holding the example workspace in ``ws``."""

    work: Path
    origin: Path
    subdir: str = ""

    @property
    def ws(self) -> Path:
        return self.work / self.subdir if self.subdir else self.work

    def write(self, rel: str, text: str) -> Path:
        path = self.work / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(text)
        return path

    def commit(self, message: str, *files: str, author: str = "Ada Lovelace") -> str:
        """Touch ``files`` (relative to the workspace) and commit them with ``message``."""
        for rel in files:
            self.write(
                f"{self.subdir}/{rel}" if self.subdir else rel, f"# {message.splitlines()[0]}\n"
            )
        git_out(self.work, "add", "-A")
        git_out(self.work, "-c", f"user.name={author}", "commit", "-q", "--allow-empty", "-m", message)
        return git_out(self.work, "rev-parse", "HEAD")

    def push(self) -> None:
        git_out(self.work, "push", "-q", "origin", "HEAD:refs/heads/main")

    def head(self) -> str:
        return git_out(self.work, "rev-parse", "HEAD")

    def merge_release(self, branch: str = "releasekit/release") -> str:
        """Merge the release branch into main on the origin, as GitHub's merge button does."""
        git_out(self.work, "fetch", "-q", "origin")
        git_out(self.work, "checkout", "-q", "main")
        git_out(self.work, "reset", "-q", "--hard", "origin/main")
        git_out(
            self.work,
            "-c",
            "user.name=Merger",
            "merge",
            "-q",
            "--no-ff",
            "-m",
            f"Merge pull request from {branch}",
            f"origin/{branch}",
        )
        self.push()
        return self.head()

    def tags(self) -> set[str]:
        return set(git_out(self.work, "tag", "--list").split())

    def remote_tags(self) -> set[str]:
        out = git_out(self.work, "ls-remote", "--tags", "origin")
        return {
            line.split("refs/tags/")[1] for line in out.splitlines() if not line.endswith("^{}")
        }


def make_repo(
    root: Path, config: str = WORKFLOW_CONFIG, tag: bool = True, subdir: str = ""
) -> Repo:
    """A repository whose origin is a local bare repo; the workspace lives in ``subdir``."""
    origin = root / "origin.git"
    work = root / "work"
    ws = work / subdir if subdir else work
    git_out(root, "init", "-q", "--bare", "-b", "main", str(origin))
    copy_example_workspace(ws)
    with open(ws / "pyproject.toml", "a", encoding="utf-8") as handle:
        handle.write(config)
    text = (ws / "pyproject.toml").read_text(encoding="utf-8")
    text = text.replace("retry_base_delay = 1.0", "retry_base_delay = 0.01")
    (ws / "pyproject.toml").write_text(text, encoding="utf-8")
    git_out(work, "init", "-q", "-b", "main")
    git_out(work, "config", "user.email", "dev@acme.invalid")
    git_out(work, "config", "user.name", "Dev")
    git_out(work, "remote", "add", "origin", origin.as_uri())
    git_out(work, "add", "-A")
    git_out(work, "commit", "-q", "-m", "chore: initial import")
    if tag:
        for name in PACKAGES:
            git_out(work, "tag", "-a", "-m", name, f"{name}-v0.3.0")
    git_out(work, "push", "-q", "origin", "main", "--tags")
    return Repo(work, origin, subdir)


@pytest.fixture(autouse=True)
def _no_real_github(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "GITHUB_REPOSITORY",
        "GITHUB_SERVER_URL",
        "GITHUB_OUTPUT",
        "GH_TOKEN",
        "RELEASEKIT_GITHUB_TOKEN",
        "GITHUB_TOKEN",
        "GITHUB_ACTIONS",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GITHUB_API_URL", "http://127.0.0.1:9")


@pytest.fixture(scope="session")
def template_repo(tmp_path_factory: pytest.TempPathFactory) -> Repo:
    return make_repo(tmp_path_factory.mktemp("template"))


@pytest.fixture
def repo(tmp_path: Path, template_repo: Repo) -> Repo:
    """A private copy of the session's tagged repository (copying beats re-creating it)."""
    work, origin = tmp_path / "work", tmp_path / "origin.git"
    shutil.copytree(template_repo.origin, origin, symlinks=True)
    shutil.copytree(template_repo.work, work, symlinks=True)
    git_out(work, "remote", "set-url", "origin", origin.as_uri())
    return Repo(work, origin)


@pytest.fixture(scope="session")
def github_server() -> Iterator[HTTPServer]:
    """One loopback server for the session; each test's fake installs its own state on it."""
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def fake(
    repo: Repo, monkeypatch: pytest.MonkeyPatch, github_server: HTTPServer
) -> Iterator[FakeGitHub]:
    gen = running(repo=REPO, origin=repo.origin, other_repos=(DOWNSTREAM,), server=github_server)
    fake = next(gen)
    monkeypatch.setenv("GITHUB_API_URL", fake.url)
    monkeypatch.setenv("GITHUB_TOKEN", fake.token)
    yield fake
    next(gen, None)
