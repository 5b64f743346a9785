"""Conventional Commits: a commit message -> the changes it carries, and reverts that cancel.

* ``feat`` -> minor; ``fix``, ``perf`` and a revert of an already released commit -> patch;
  ``!`` or a ``BREAKING CHANGE:``/``BREAKING-CHANGE:`` footer -> major. Other types (docs,
  chore, ci...) and non-conventional commits change nothing.
* A revert whose target is in the range cancels it, and both disappear; a revert of a revert
  restores the original.
* A commit whose subject is not conventional may carry its changes as ``* type: ...`` bullet
  lines in its body (GitHub's squash-merge format).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from dataclasses import dataclass

from releasekit.backends.git import Commit
from releasekit.model.versions import BumpKind

_HEADER = re.compile(
    r"^(?P<type>[A-Za-z][A-Za-z0-9_-]*)(?:\((?P<scope>[^()\r\n]*)\))?(?P<bang>!)?"
    r":[ \t]+(?P<desc>\S.*?)\s*$"
)
_BULLET = re.compile(r"^\s*[*-]\s+(?P<header>.+?)\s*$")
_PR_SUFFIX = re.compile(r"\s*\(#(?P<pr>\d+)\)\s*$")
_MERGE_PR = re.compile(r"^Merge pull request #(?P<pr>\d+) ")
_GIT_REVERT = re.compile(r'^Revert "(?P<header>.*)"\s*$')
_REVERTS_SHA = re.compile(r"This reverts commit (?P<sha>[0-9a-fA-F]{7,40})")
_REFS_SHA = re.compile(r"^Refs?:\s*(?P<sha>[0-9a-fA-F]{7,40})\s*$", re.MULTILINE)
_BREAKING = re.compile(r"^BREAKING[ -]CHANGE:[ \t]*(?P<text>.*)$")
_FOOTER_TOKEN = re.compile(r"^(?:[A-Za-z][A-Za-z0-9-]*(?::[ \t]| #)|BREAKING[ -]CHANGE:)")

#: Types that release something (breaking changes release whatever their type).
TYPE_BUMPS: dict[str, BumpKind] = {
    "feat": "minor",
    "fix": "patch",
    "perf": "patch",
    "revert": "patch",
}


@dataclass(frozen=True)
class Change:
    """One Conventional-Commit change; a commit carries one, or several as body bullets."""

    sha: str
    type: str
    scope: str | None
    description: str
    breaking: bool
    breaking_notes: tuple[str, ...] = ()
    pr: int | None = None
    author: str = ""
    reverts_sha: str | None = None
    reverts_header: str | None = None

    @property
    def short(self) -> str:
        return self.sha[:7]

    @property
    def is_revert(self) -> bool:
        return self.type == "revert"

    @property
    def kind(self) -> BumpKind | None:
        """The bump this change asks for, before the 0.x rule."""
        if self.breaking:
            return "major"
        return TYPE_BUMPS.get(self.type)


@dataclass(frozen=True)
class Header:
    type: str
    scope: str | None
    breaking: bool
    description: str


def parse_header(line: str) -> Header | None:
    """``type(scope)!: description`` -> Header; None if the line is not conventional."""
    match = _HEADER.match(line.strip())
    if not match:
        return None
    scope = match.group("scope")
    return Header(
        type=match.group("type").lower(),
        scope=scope.strip() or None if scope is not None else None,
        breaking=bool(match.group("bang")),
        description=match.group("desc"),
    )


def breaking_notes(body: str) -> tuple[str, ...]:
    """Every ``BREAKING CHANGE:`` footer's text ("" if it has none); a note runs to a blank
    line or the next footer."""
    notes: list[str] = []
    current: list[str] | None = None
    for line in body.splitlines():
        match = _BREAKING.match(line)
        if match:
            if current is not None:
                notes.append(" ".join(current).strip())
            current = [match.group("text").strip()]
            continue
        if current is not None:
            if not line.strip() or _FOOTER_TOKEN.match(line):
                notes.append(" ".join(current).strip())
                current = None
            else:
                current.append(line.strip())
    if current is not None:
        notes.append(" ".join(current).strip())
    return tuple(notes)


def _split_pr(description: str) -> tuple[str, int | None]:
    match = _PR_SUFFIX.search(description)
    if not match:
        return description, None
    return description[: match.start()].rstrip(), int(match.group("pr"))


def parse_message(sha: str, subject: str, body: str, author: str = "") -> tuple[Change, ...]:
    """Every change a commit message carries; () for a message that is not conventional."""
    subject = subject.strip()
    merge = _MERGE_PR.match(subject)
    merge_pr = int(merge.group("pr")) if merge else None
    reverted_sha = _REVERTS_SHA.search(body) or _REFS_SHA.search(body)
    git_revert = _GIT_REVERT.match(subject)
    if git_revert:
        inner = git_revert.group("header")
        inner_text, pr = _split_pr(inner)
        inner_header = parse_header(inner_text)
        return (
            Change(
                sha=sha,
                type="revert",
                scope=inner_header.scope if inner_header else None,
                description=inner_text,
                breaking=False,
                pr=pr,
                author=author,
                reverts_sha=reverted_sha.group("sha").lower() if reverted_sha else None,
                reverts_header=inner,
            ),
        )
    header = parse_header(subject)
    if header is not None:
        notes = breaking_notes(body)
        description, pr = _split_pr(header.description)
        reverts_header = None
        if header.type == "revert":
            reverts_header = description.strip().strip('"') or None
        return (
            Change(
                sha=sha,
                type=header.type,
                scope=header.scope,
                description=description,
                breaking=header.breaking or bool(notes),
                breaking_notes=tuple(n for n in notes if n),
                pr=pr if pr is not None else merge_pr,
                author=author,
                reverts_sha=reverted_sha.group("sha").lower() if header.type == "revert" and reverted_sha else None,
                reverts_header=reverts_header,
            ),
        )
    return _squash_bullets(sha, subject, body, author, merge_pr)


def _squash_bullets(sha: str, subject: str, body: str, author: str, merge_pr: int | None) -> tuple[Change, ...]:
    """A squash merge's changes, listed as ``* type: ...`` bullets under a plain subject."""
    changes: list[Change] = []
    _, subject_pr = _split_pr(subject)
    for line in body.splitlines():
        bullet = _BULLET.match(line)
        inner = parse_header(bullet.group("header")) if bullet else None
        if inner is None:
            continue
        description, pr = _split_pr(inner.description)
        changes.append(
            Change(
                sha=sha,
                type=inner.type,
                scope=inner.scope,
                description=description,
                breaking=inner.breaking,
                pr=pr or subject_pr or merge_pr,
                author=author,
            )
        )
    notes = breaking_notes(body)
    if changes and notes:
        changes[0] = dataclasses.replace(changes[0], breaking=True, breaking_notes=tuple(n for n in notes if n))
    return tuple(changes)


def parse_commit(commit: Commit) -> tuple[Change, ...]:
    return parse_message(commit.sha, commit.subject, commit.body, commit.author)


def effective_changes(commits: Iterable[Commit]) -> tuple[list[Change], set[str]]:
    """Changes left after reverts cancel their targets, oldest first, and the cancelled shas.

    ``commits`` are newest first (git log order). Walking from the newest, a revert that is
    itself not cancelled cancels its target if the target is in the list, so a revert of a
    revert restores the original.
    """
    ordered = list(commits)
    parsed = {c.sha: parse_commit(c) for c in ordered}
    cancelled: set[str] = set()
    for index, commit in enumerate(ordered):
        if commit.sha in cancelled:
            continue
        for change in parsed[commit.sha]:
            if not change.is_revert:
                continue
            target = _find_target(change, ordered[index + 1 :], cancelled)
            if target is not None:
                cancelled.update({commit.sha, target.sha})
                break
    changes = [ch for c in reversed(ordered) if c.sha not in cancelled for ch in parsed[c.sha]]
    return changes, cancelled


def _find_target(revert: Change, older: list[Commit], cancelled: set[str]) -> Commit | None:
    for candidate in older:
        if candidate.sha in cancelled:
            continue
        if revert.reverts_sha and candidate.sha.lower().startswith(revert.reverts_sha):
            return candidate
    if revert.reverts_sha:
        return None
    if revert.reverts_header:
        wanted = _split_pr(revert.reverts_header.strip())[0]
        for candidate in older:
            if candidate.sha not in cancelled and _split_pr(candidate.subject.strip())[0] == wanted:
                return candidate
    return None
