"""Real git doubles: a work tree with an identity, a local bare ``file://`` origin, and a
``pre-receive`` hook that rejects chosen refs (a protected branch), as GitHub does.

Every git call here checks its exit code; a failure raises with git's own output.
"""

from __future__ import annotations

import os
import stat
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

IDENTITY = {"user.name": "Release Bot", "user.email": "release-bot@example.invalid"}
REPO_CONFIG = {
    **IDENTITY,
    "commit.gpgsign": "false",
    "tag.gpgsign": "false",
    "core.autocrlf": "false",
    "advice.detachedHead": "false",
}
#: A committer given by the environment, which beats any git config (no global file either):
#: for repositories a test writes without :func:`init_repo`.
AUTHOR_ENV = {
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.invalid",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.invalid",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_TERMINAL_PROMPT": "0",
}


class GitFailed(RuntimeError):
    """git exited non-zero; the message carries the command, the code and the output."""

    def __init__(self, args: list[str], code: int, output: str) -> None:
        super().__init__(f"git {' '.join(args)} exited {code}:\n{output}")
        self.args_list = args
        self.code = code
        self.output = output


def hermetic_git_env(home: Path) -> dict[str, str]:
    """Environment that swaps the user's and the system's git config for a clean "global"
    one with a bot identity and no signing, like a configured CI runner."""
    home.mkdir(parents=True, exist_ok=True)
    config = home / "gitconfig"
    lines = ["[user]", f"\tname = {IDENTITY['user.name']}", f"\temail = {IDENTITY['user.email']}",
             "[init]", "\tdefaultBranch = main", "[commit]", "\tgpgsign = false",
             "[tag]", "\tgpgsign = false"]
    config.write_text("\n".join(lines) + "\n")
    return {
        "GIT_CONFIG_GLOBAL": str(config),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_TERMINAL_PROMPT": "0",
    }


def git(cwd: Path, *args: str, env: Mapping[str, str] | None = None, check: bool = True,
        inherit: bool = True) -> subprocess.CompletedProcess[str]:
    """Run git in ``cwd``; raise :class:`GitFailed` on a non-zero exit when ``check``.

    ``env`` is laid over this process's environment, or replaces it when not ``inherit``
    (a CI runner's job sees only what the runner gives it)."""
    merged = {**(os.environ if inherit else {}), "LC_ALL": "C", **(env or {})}
    proc = subprocess.run(["git", *args], cwd=cwd, env=merged, capture_output=True, text=True,
                          check=False)
    if check and proc.returncode != 0:
        raise GitFailed(list(args), proc.returncode, (proc.stdout + proc.stderr).strip())
    return proc


def git_out(cwd: Path, *args: str, env: Mapping[str, str] | None = None, check: bool = True) -> str:
    """:func:`git`'s stdout, stripped: for the many calls that only read an answer."""
    return git(cwd, *args, env=env, check=check).stdout.strip()


@dataclass
class GitOrigin:
    """A bare repository used as ``origin`` through a ``file://`` URL."""

    path: Path

    @property
    def url(self) -> str:
        return self.path.resolve().as_uri()

    def git(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return git(self.path, *args, check=check)

    def refs(self) -> dict[str, str]:
        """ref name -> object id, as the remote holds them (annotated tags: the tag object)."""
        out = self.git("for-each-ref", "--format=%(refname) %(objectname)").stdout
        pairs = (line.split(" ", 1) for line in out.splitlines() if line)
        return {ref: oid for ref, oid in pairs}

    def protect(self, *refs: str, message: str | None = None) -> Path:
        """Install a pre-receive hook rejecting pushes to ``refs`` (e.g. ``refs/heads/main``).

        Git then reports ``! [remote rejected] main -> main (pre-receive hook declined)``
        and exits 1, which is what a protected branch looks like to a client.
        """
        wanted = " ".join(refs)
        text = message or "GH006: Protected branch update failed for {ref}."
        hook = self.path / "hooks" / "pre-receive"
        hook.write_text(
            "#!/bin/sh\n"
            f'protected="{wanted}"\n'
            "status=0\n"
            "while read old new ref; do\n"
            "  for p in $protected; do\n"
            '    if [ "$ref" = "$p" ]; then\n'
            f'      echo "error: {text}" | sed "s|{{ref}}|$ref|" >&2\n'
            "      status=1\n"
            "    fi\n"
            "  done\n"
            "done\n"
            "exit $status\n"
        )
        hook.chmod(hook.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        return hook

    def unprotect(self) -> None:
        (self.path / "hooks" / "pre-receive").unlink(missing_ok=True)


@dataclass
class GitRepo:
    """A work tree with an identity configured and (optionally) an ``origin``."""

    path: Path
    origin: GitOrigin | None = None

    def git(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return git(self.path, *args, check=check)

    def write(self, relpath: str, text: str) -> Path:
        target = self.path / relpath
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        return target

    def commit_all(self, message: str) -> str:
        """Stage everything and commit (allowing an empty commit); returns the new HEAD."""
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message)
        return self.head()

    def head(self) -> str:
        return self.git("rev-parse", "HEAD").stdout.strip()

    def push(self, *refs: str) -> subprocess.CompletedProcess[str]:
        return self.git("push", "-q", "origin", *(refs or ("HEAD",)))

    def status(self) -> list[str]:
        out = self.git("status", "--porcelain=v1", "--untracked-files=all").stdout
        return [line for line in out.splitlines() if line]


def init_origin(path: Path) -> GitOrigin:
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "--bare", "--initial-branch=main")
    return GitOrigin(path)


def init_repo(path: Path, origin: GitOrigin | None = None, *, branch: str = "main",
              initial_commit: bool = True) -> GitRepo:
    """``git init`` with repo-local identity and no signing; push an initial commit to origin."""
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", f"--initial-branch={branch}")
    for key, value in REPO_CONFIG.items():
        git(path, "config", key, value)
    repo = GitRepo(path, origin)
    if origin is not None:
        repo.git("remote", "add", "origin", origin.url)
    if initial_commit:
        repo.commit_all("chore: initial commit")
        if origin is not None:
            repo.git("push", "-q", "-u", "origin", f"HEAD:refs/heads/{branch}")
    return repo

