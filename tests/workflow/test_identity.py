"""Commits and tags take git's own identity order: GIT_* variables, then config, then the bot."""

from __future__ import annotations

from pathlib import Path

import pytest

from releasekit.backends.git import FALLBACK_EMAIL, FALLBACK_NAME, Git
from tests.harness.gitrepo import git_out


@pytest.fixture
def bare_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Git:
    """A repository on a runner with no identity anywhere (no global or system config)."""
    for name in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME",
                 "GIT_COMMITTER_EMAIL", "EMAIL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "no-global-config"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    git_out(tmp_path, "init", "-q", "-b", "main")
    return Git(tmp_path)


def _who(repo: Git, ref: str, fmt: str) -> str:
    return repo.run("log", "-1", f"--format={fmt}", ref).stdout.strip()


def test_the_bot_only_where_git_finds_nothing(bare_git: Git) -> None:
    assert bare_git.identity_env() == {
        "GIT_AUTHOR_NAME": FALLBACK_NAME, "GIT_COMMITTER_NAME": FALLBACK_NAME,
        "GIT_AUTHOR_EMAIL": FALLBACK_EMAIL, "GIT_COMMITTER_EMAIL": FALLBACK_EMAIL,
    }
    bare_git.run("commit", "-q", "--allow-empty", "-m", "chore: first", env=bare_git.identity_env())
    assert _who(bare_git, "HEAD", "%an <%ae> / %cn") == f"{FALLBACK_NAME} <{FALLBACK_EMAIL}> / {FALLBACK_NAME}"


def test_git_variables_win_and_the_rest_falls_back(
    bare_git: Git, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GIT_AUTHOR_NAME", "Ada Lovelace")
    monkeypatch.setenv("GIT_COMMITTER_NAME", "Release Robot")
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", "robot@acme.invalid")
    assert bare_git.identity_env() == {"GIT_AUTHOR_EMAIL": FALLBACK_EMAIL}
    bare_git.run("commit", "-q", "--allow-empty", "-m", "chore: first", env=bare_git.identity_env())
    assert _who(bare_git, "HEAD", "%an <%ae> / %cn <%ce>") == (
        f"Ada Lovelace <{FALLBACK_EMAIL}> / Release Robot <robot@acme.invalid>"
    )
    bare_git.tag("v1", "HEAD", message="the tagger is the committer")
    tagger = bare_git.run("for-each-ref", "--format=%(taggername) %(taggeremail)", "refs/tags/v1")
    assert tagger.stdout.strip() == "Release Robot <robot@acme.invalid>"


def test_config_then_email_variable(bare_git: Git, monkeypatch: pytest.MonkeyPatch) -> None:
    git_out(bare_git.cwd, "config", "user.name", "Configured Name")
    monkeypatch.setenv("EMAIL", "from-env@acme.invalid")
    assert bare_git.identity_env() == {}
    bare_git.run("commit", "-q", "--allow-empty", "-m", "chore: first", env=bare_git.identity_env())
    assert _who(bare_git, "HEAD", "%an <%ae>") == "Configured Name <from-env@acme.invalid>"
