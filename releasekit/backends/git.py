"""The VCS backend: git, run as a subprocess, every result checked and redacted.

Commits and tags get a fallback identity where git would find none (a fresh CI runner), so a
release never stops at "Please tell me who you are"; ``GIT_*`` variables and git's config win.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from releasekit.backends.process import Result, run
from releasekit.backends.protocols import GitBackend
from releasekit.errors import CommandError

_RS, _US = "\x1e", "\x1f"
#: Used only when git has no user.name/user.email (the GitHub Actions bot's noreply identity).
FALLBACK_NAME = "github-actions[bot]"
FALLBACK_EMAIL = "41898282+github-actions[bot]@users.noreply.github.com"


@dataclass(frozen=True)
class Commit:
    sha: str
    author: str
    email: str
    date: str
    subject: str
    body: str
    files: tuple[str, ...]
    parents: tuple[str, ...] = ()

    @property
    def short(self) -> str:
        return self.sha[:7]


class Git:
    def __init__(self, cwd: Path) -> None:
        self.cwd = cwd

    def run(
        self,
        *args: str,
        check: bool = True,
        hint: str | None = None,
        env: Mapping[str, str] | None = None,
    ) -> Result:
        return run(
            ["git", *args],
            cwd=self.cwd,
            check=check,
            hint=hint,
            env={"GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C", **(env or {})},
        )

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

    def tag(self, name: str, ref: str = "HEAD", message: str | None = None) -> None:
        if message:
            self.run("tag", "-a", name, "-m", message, ref, env=self.identity_env())
        else:
            self.run("tag", name, ref)

    def add(self, *paths: str) -> None:
        self.run("add", "--", *paths)

    def add_all(self, *paths: str) -> None:
        """Stage additions, modifications and deletions (under ``paths``, default everything)."""
        self.run("add", "-A", "--", *(paths or (".",)))

    def commit(self, message: str, *paths: str) -> str:
        if paths:
            self.add(*paths)
        self.run("commit", "-q", "-m", message, env=self.identity_env())
        return self.head()

    def config_get(self, key: str) -> str | None:
        result = self.run("config", "--get", key, check=False)
        return result.stdout.strip() or None if result.returncode == 0 else None

    def identity_env(self, environ: Mapping[str, str] | None = None) -> dict[str, str]:
        """The bot identity only where git would find none, in git's own order.

        For each of author and committer, name and email: a ``GIT_*`` variable wins, then
        ``user.name``/``user.email`` from git's config (and ``$EMAIL`` for the email); only
        what is still missing gets the GitHub Actions bot.
        """
        env = os.environ if environ is None else environ
        configured = {"NAME": self.config_get("user.name"), "EMAIL": self.config_get("user.email")}
        fallback = {"NAME": FALLBACK_NAME, "EMAIL": FALLBACK_EMAIL}
        out: dict[str, str] = {}
        for role in ("AUTHOR", "COMMITTER"):
            for part in ("NAME", "EMAIL"):
                variable = f"GIT_{role}_{part}"
                if env.get(variable) or configured[part] or (part == "EMAIL" and env.get("EMAIL")):
                    continue
                out[variable] = fallback[part]
        return out

    def rev_parse(self, ref: str) -> str | None:
        """The commit ``ref`` names (tags peeled), or None if there is none."""
        result = self.run("rev-parse", "-q", "--verify", f"{ref}^{{commit}}", check=False)
        return result.stdout.strip() if result.returncode == 0 else None

    def tree_of(self, ref: str) -> str | None:
        result = self.run("rev-parse", "-q", "--verify", f"{ref}^{{tree}}", check=False)
        return result.stdout.strip() if result.returncode == 0 else None

    def commit_date(self, ref: str = "HEAD") -> str:
        """Committer date of ``ref`` as ISO 8601 (deterministic, unlike "today")."""
        return self.run("log", "-1", "--format=%cI", ref).stdout.strip()

    def tags_merged(self, ref: str = "HEAD") -> list[str]:
        """Tags reachable from ``ref``."""
        return [t for t in self.run("tag", "--list", "--merged", ref).stdout.splitlines() if t]

    def tags_at(self, ref: str = "HEAD") -> dict[str, str | None]:
        """Tags that point at ``ref``: name -> annotation message (None: a lightweight tag)."""
        fmt = "%(refname:strip=2)%1f%(objecttype)%1f%(contents)%1e"
        out = self.run("for-each-ref", f"--points-at={ref}", f"--format={fmt}", "refs/tags").stdout
        found: dict[str, str | None] = {}
        for record in out.split(_RS):
            name, _, rest = record.strip("\n").partition(_US)
            kind, _, message = rest.partition(_US)
            if name:
                found[name] = message if kind == "tag" else None
        return found

    def changed_since(self, ref: str, pathspecs: Sequence[str]) -> bool:
        """True when the work tree's committed ``pathspecs`` differ between ``ref`` and HEAD."""
        result = self.run("diff", "--quiet", ref, "HEAD", "--", *pathspecs, check=False)
        if result.returncode not in (0, 1):
            raise CommandError(
                ["git", "diff", "--quiet", ref, "HEAD"], result.returncode, result.stdout + result.stderr
            )
        return result.returncode == 1

    def show(self, rev: str, path: str) -> str | None:
        """File content at ``rev`` (path relative to the repository top), or None if absent."""
        result = self.run("show", f"{rev}:{path}", check=False)
        return result.stdout if result.returncode == 0 else None

    def fetch(self, remote: str, *refspecs: str, tags: bool = False) -> None:
        args = ["fetch", "-q"]
        if tags:
            args.append("--tags")
        self.run(*args, remote, *refspecs, hint=f"check that the remote {remote!r} is reachable")

    def ls_remote(self, remote: str, *patterns: str) -> dict[str, str]:
        """``{ref: sha}`` on the remote; annotated tags map to the commit they point at."""
        out = self.run("ls-remote", remote, *patterns, hint=f"check that the remote {remote!r} is reachable").stdout
        refs: dict[str, str] = {}
        peeled: dict[str, str] = {}
        for line in out.splitlines():
            sha, _, ref = line.partition("\t")
            if ref.endswith("^{}"):
                peeled[ref[:-3]] = sha
            elif ref:
                refs[ref] = sha
        refs.update(peeled)
        return refs

    def worktree_add(self, path: Path, ref: str) -> None:
        self.run("worktree", "add", "-q", "--detach", str(path), ref)

    def worktree_remove(self, path: Path) -> None:
        """Remove a worktree releasekit made; a half-created or deleted one is pruned."""
        self.run("worktree", "remove", "--force", str(path), check=False)
        if path.exists():
            shutil.rmtree(path, ignore_errors=True)
        self.run("worktree", "prune")

    def checkout(self, branch: str, *, create: bool = False, start: str | None = None) -> None:
        args = ["checkout", "-q"]
        if create:
            args += ["-B", branch]
            if start:
                args.append(start)
        else:
            args.append(branch)
        self.run(*args)

    def push(
        self,
        remote: str,
        refs: Sequence[str],
        *,
        force: bool = False,
        atomic: bool = False,
        overwrite: bool = False,
    ) -> Result:
        """Push ``refs``; ``force`` uses a lease, ``overwrite`` (a branch releasekit owns) not."""
        args = ["push", "--porcelain"]
        if overwrite:
            args.append("--force")
        elif force:
            args.append("--force-with-lease")
        if atomic:
            args.append("--atomic")
        return self.run(*args, remote, *refs, hint="check the remote's permissions and branch protection")

    def remote_url(self, remote: str = "origin") -> str | None:
        result = self.run("remote", "get-url", remote, check=False)
        return result.stdout.strip() if result.returncode == 0 else None

    def log(self, revision_range: str | None = None, paths: Sequence[str] = ()) -> list[Commit]:
        """Commits newest first, each with the files it touched (within ``paths``, if given).

        Paths are relative to the repository top. Merge commits list no files (git's default
        for ``--name-only``): their changes are attributed to the commits they merge.
        """
        fmt = _RS + _US.join(["%H", "%P", "%an", "%ae", "%aI", "%s", "%b"]) + _US
        args = ["log", f"--format={fmt}", "--name-only", "--no-renames"]
        if revision_range:
            args.append(revision_range)
        if paths:
            args += ["--", *paths]
        out = self.run(*args).stdout
        commits = []
        for record in out.split(_RS)[1:]:
            fields = record.split(_US)
            sha, parents, author, email, date, subject, body, rest = (fields + [""] * 8)[:8]
            files = tuple(line for line in rest.splitlines() if line.strip())
            commits.append(Commit(sha, author, email, date, subject, body.strip(), files, tuple(parents.split())))
        return commits


def git_backend(cwd: Path) -> GitBackend:
    """The git of the work tree at ``cwd``, as the upper layers see it."""
    return Git(cwd)
