"""The VCS backend: git, run as a subprocess, every result checked and redacted."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from releasekit.backends.process import Result, run
from releasekit.errors import CommandError

_RS, _US = "\x1e", "\x1f"


@dataclass(frozen=True)
class Commit:
    sha: str
    author: str
    email: str
    date: str
    subject: str
    body: str
    files: tuple[str, ...]


class Git:
    def __init__(self, cwd: Path) -> None:
        self.cwd = cwd

    def run(self, *args: str, check: bool = True, hint: str | None = None) -> Result:
        return run(["git", *args], cwd=self.cwd, check=check, hint=hint,
                   env={"GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"})

    def is_repo(self) -> bool:
        try:
            return self.run("rev-parse", "--is-inside-work-tree", check=False).stdout.strip() == "true"
        except CommandError:  # git itself missing
            return False

    def toplevel(self) -> Path:
        return Path(self.run("rev-parse", "--show-toplevel").stdout.strip())

    def is_shallow(self) -> bool:
        return self.run("rev-parse", "--is-shallow-repository").stdout.strip() == "true"

    def status(self, *paths: str) -> list[str]:
        """`git status --porcelain` lines (untracked files included), optionally for ``paths``."""
        args = ["status", "--porcelain=v1", "--untracked-files=all"]
        if paths:
            args += ["--", *paths]
        return [line for line in self.run(*args).stdout.splitlines() if line.strip()]

    def head(self) -> str:
        return self.run("rev-parse", "HEAD").stdout.strip()

    def current_branch(self) -> str | None:
        name = self.run("rev-parse", "--abbrev-ref", "HEAD").stdout.strip()
        return None if name == "HEAD" else name

    def tags(self, pattern: str | None = None) -> list[str]:
        args = ["tag", "--list"]
        if pattern:
            args.append(pattern)
        return [t for t in self.run(*args).stdout.splitlines() if t]

    def tag_exists(self, name: str) -> bool:
        return self.run("rev-parse", "-q", "--verify", f"refs/tags/{name}", check=False).returncode == 0

    def tag(self, name: str, ref: str = "HEAD", message: str | None = None) -> None:
        if message:
            self.run("tag", "-a", name, "-m", message, ref)
        else:
            self.run("tag", name, ref)

    def add(self, *paths: str) -> None:
        self.run("add", "--", *paths)

    def commit(self, message: str, *paths: str) -> str:
        if paths:
            self.add(*paths)
        self.run("commit", "-m", message)
        return self.head()

    def checkout(self, branch: str, *, create: bool = False, start: str | None = None) -> None:
        args = ["checkout", "-q"]
        if create:
            args += ["-B", branch]
            if start:
                args.append(start)
        else:
            args.append(branch)
        self.run(*args)

    def push(self, remote: str, refs: Sequence[str], *, force: bool = False, atomic: bool = False) -> Result:
        args = ["push", "--porcelain"]
        if force:
            args.append("--force-with-lease")
        if atomic:
            args.append("--atomic")
        return self.run(*args, remote, *refs, hint="check the remote's permissions and branch protection")

    def remote_url(self, remote: str = "origin") -> str | None:
        result = self.run("remote", "get-url", remote, check=False)
        return result.stdout.strip() if result.returncode == 0 else None

    def log(self, revision_range: str | None = None, paths: Sequence[str] = ()) -> list[Commit]:
        fmt = _RS + _US.join(["%H", "%an", "%ae", "%aI", "%s", "%b"]) + _US
        args = ["log", f"--format={fmt}", "--name-only", "--no-renames"]
        if revision_range:
            args.append(revision_range)
        if paths:
            args += ["--", *paths]
        out = self.run(*args).stdout
        commits = []
        for record in out.split(_RS)[1:]:
            fields = record.split(_US)
            sha, author, email, date, subject, body, rest = (fields + [""] * 7)[:7]
            files = tuple(line for line in rest.splitlines() if line.strip())
            commits.append(Commit(sha, author, email, date, subject, body.strip(), files))
        return commits
