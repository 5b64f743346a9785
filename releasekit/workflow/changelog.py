"""Changelogs and release notes from the changes of one release.

A package's ``CHANGELOG.md`` grows at the top: the new section goes below the title (before
the first ``## `` heading) and every existing byte stays where it was, so hand edits to
older sections survive. The GitHub release notes are the same section without its heading.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from releasekit.workflow.conventional import Change

#: (key, heading) in the order sections appear.
SECTIONS: tuple[tuple[str, str], ...] = (
    ("breaking", "⚠ Breaking changes"),
    ("feat", "Features"),
    ("fix", "Fixes"),
    ("perf", "Performance"),
    ("revert", "Reverts"),
    ("deps", "Dependencies"),
)
TITLE = "# Changelog\n"
_HEADING = re.compile(r"^## ", re.MULTILINE)


@dataclass(frozen=True)
class Links:
    """Where commits, pull requests and comparisons live; empty base = no links."""

    base: str = ""

    def commit(self, sha: str) -> str:
        return f"[{sha[:7]}]({self.base}/commit/{sha})" if self.base else sha[:7]

    def pr(self, number: int) -> str:
        return f"[#{number}]({self.base}/pull/{number})" if self.base else f"#{number}"

    def heading(self, version: str, previous_tag: str | None, tag: str) -> str:
        if self.base and previous_tag:
            return f"[{version}]({self.base}/compare/{previous_tag}...{tag})"
        if self.base:
            return f"[{version}]({self.base}/releases/tag/{tag})"
        return version


def _entry(change: Change, links: Links, text: str | None = None) -> str:
    scope = f"**{change.scope}:** " if change.scope else ""
    refs = []
    if change.pr is not None:
        refs.append(f"({links.pr(change.pr)})")
    refs.append(f"({links.commit(change.sha)})")
    by = f" by {change.author}" if change.author else ""
    return f"* {scope}{text if text is not None else change.description} {' '.join(refs)}{by}"


def render_section(
    version: str,
    *,
    tag: str,
    previous_tag: str | None,
    date: str,
    changes: Sequence[Change],
    dependencies: Iterable[tuple[str, str]] = (),
    links: Links = Links(),
) -> str:
    """The markdown section of one release: ``## version (date)`` and its sub-sections."""
    grouped: dict[str, list[str]] = {key: [] for key, _ in SECTIONS}
    for change in changes:
        if change.breaking:
            notes = change.breaking_notes or (change.description,)
            grouped["breaking"].extend(_entry(change, links, note) for note in notes)
        if change.type in grouped and change.type not in ("breaking", "deps"):
            grouped[change.type].append(_entry(change, links))
    grouped["deps"] = [f"* {name} bumped to {v}" for name, v in dependencies]
    day = date[:10]
    lines = [
        f"## {links.heading(version, previous_tag, tag)} ({day})" if day else f"## {version}",
        "",
    ]
    any_entry = False
    for key, heading in SECTIONS:
        entries = grouped[key]
        if not entries:
            continue
        any_entry = True
        lines += [f"### {heading}", "", *entries, ""]
    if not any_entry:
        lines += ["* No user-facing changes.", ""]
    # No trailing blank line: insert_section puts exactly one between sections.
    return "\n".join(lines).rstrip("\n") + "\n"


def release_notes(section: str) -> str:
    """The section without its ``## `` heading: the body of a GitHub release."""
    body = section.split("\n", 1)[1] if section.startswith("## ") else section
    return body.strip() + "\n"


def has_version(text: str, version: str) -> bool:
    return extract_section(text, version) is not None


def insert_section(existing: str | None, section: str) -> str:
    """``existing`` with ``section`` added at the top; every existing byte is kept, in order."""
    if not existing:
        return TITLE + "\n" + section
    match = _HEADING.search(existing)
    if match:
        return existing[: match.start()] + section + "\n" + existing[match.start() :]
    if existing.startswith("# "):
        # a title (and maybe an intro) but no release yet: append after it
        sep = "" if existing.endswith("\n\n") else ("\n" if existing.endswith("\n") else "\n\n")
        return existing + sep + section
    return section + "\n" + existing


def extract_section(text: str, version: str) -> str | None:
    """The ``## `` section of ``version`` (linked or not), up to the next ``## `` heading."""
    pattern = re.compile(
        r"^## (?:\[" + re.escape(version) + r"\]\([^)]*\)|" + re.escape(version) + r")(?:\s|$)",
        re.MULTILINE,
    )
    match = pattern.search(text)
    if not match:
        return None
    nxt = _HEADING.search(text, match.end())
    end = nxt.start() if nxt else len(text)
    return text[match.start() : end].rstrip() + "\n"
