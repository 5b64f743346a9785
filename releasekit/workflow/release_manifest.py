"""What a release names: the manifest in the release PR's body, and the tags at a commit.

``prepare`` writes the manifest into the PR body; ``release`` reads it back and tags the merge
commit once per entry. Those tags are the manifest on disk: ``publish`` at a tagged commit
releases exactly what they name (:func:`tagged_release`), with no GitHub token needed.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from packaging.version import InvalidVersion, Version

from releasekit.backends.protocols import GitBackend
from releasekit.engine.plan import release_set
from releasekit.errors import WorkflowError
from releasekit.model.versionsource import version_source
from releasekit.model.workspace import Workspace
from releasekit.workflow.tags import package_tags

MANIFEST_SCHEMA = "releasekit.release-manifest/1"
#: The trailer that marks a tag ``release`` made; a user's own tags never name a release.
TAG_TRAILER = "releasekit-release:"
_MANIFEST_BLOCK = re.compile(r"```json releasekit-manifest\n(?P<json>.*?)\n```", re.DOTALL)


@dataclass(frozen=True)
class ManifestEntry:
    name: str
    version: str
    previous: str
    tag: str
    path: str

    @property
    def prerelease(self) -> bool:
        return Version(self.version).is_prerelease


@dataclass(frozen=True)
class Manifest:
    """What a release PR releases; the contract between ``prepare`` and ``release``."""

    packages: tuple[ManifestEntry, ...]
    base: str
    umbrella_tag: str | None = None

    @property
    def versions(self) -> dict[str, str]:
        return {e.name: e.version for e in self.packages}

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": MANIFEST_SCHEMA,
            "base": self.base,
            "umbrella_tag": self.umbrella_tag,
            "packages": [
                {
                    "name": e.name,
                    "version": e.version,
                    "previous": e.previous,
                    "tag": e.tag,
                    "path": e.path,
                }
                for e in self.packages
            ],
        }

    def block(self, *, compact: bool = False) -> str:
        text = json.dumps(
            self.to_json(),
            indent=None if compact else 2,
            separators=(",", ":") if compact else None,
        )
        return (
            "<!-- releasekit:manifest -->\n<details><summary>Release manifest "
            "(read by <code>releasekit release</code>; do not edit)</summary>\n\n"
            f"```json releasekit-manifest\n{text}\n```\n\n</details>\n"
        )

    @classmethod
    def parse(cls, body: str | None, where: str) -> Manifest:
        match = _MANIFEST_BLOCK.search(body or "")
        if not match:
            raise WorkflowError(
                f"{where} has no release manifest in its body",
                code="RK704",
                hint="keep the ```json releasekit-manifest block `releasekit prepare` wrote",
            )
        try:
            raw = json.loads(match.group("json"))
            if raw.get("schema") != MANIFEST_SCHEMA:
                raise ValueError(f"unknown schema {raw.get('schema')!r}")
            entries = tuple(
                ManifestEntry(
                    name=str(p["name"]),
                    version=str(Version(str(p["version"]))),
                    previous=str(p.get("previous", "")),
                    tag=str(p["tag"]),
                    path=str(p.get("path", "")),
                )
                for p in raw["packages"]
            )
            return cls(entries, str(raw.get("base", "")), raw.get("umbrella_tag"))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise WorkflowError(
                f"{where}: the release manifest is damaged ({exc})",
                code="RK704",
                hint="rerun `releasekit prepare` to rewrite the release PR",
            ) from None


def tagged_release(ws: Workspace, git: GitBackend, ref: str = "HEAD") -> dict[str, str]:
    """``{package: version}`` of every released member ``release`` tagged at ``ref`` (empty: no
    release). Only tags carrying :data:`TAG_TRAILER` count, so a tag a user set (a VCS version,
    say) never narrows a publish. A release tag whose version is not the member's version at
    ``ref`` means the tree and the release disagree, which no publish papers over (RK708).
    """
    if not git.is_repo():
        return {}
    here = [name for name, note in git.tags_at(ref).items() if note and _made_by_release(note)]
    if not here:
        return {}
    found: dict[str, str] = {}
    for pkg in release_set(ws).included:
        tagged = package_tags(ws.config, pkg.name, here)
        if not tagged:
            continue
        version = max(tagged, key=Version)
        if pkg.version is not None and _differ(pkg.version, version):
            vcs = version_source(pkg).kind == "vcs"
            raise WorkflowError(
                f"{ref} is tagged {tagged[version]}, but {pkg.name}'s version there is {pkg.version}"
                + (" (read from git by its build backend)" if vcs else ""),
                path=pkg.manifest,
                code="RK708",
                hint=f"make its VCS tag pattern match {tagged[version]}"
                if vcs
                else "publish the commit the release tagged (the merge commit of the release PR)",
            )
        found[pkg.name] = pkg.version or version
    return found


def tag_message(entry: ManifestEntry, pr: int) -> str:
    """The annotation of a package's release tag: what it is, and the trailer that marks it."""
    return f"{entry.name} {entry.version}\n\n{TAG_TRAILER} PR #{pr}\n"


def _made_by_release(note: str) -> bool:
    return any(line.startswith(TAG_TRAILER) for line in note.splitlines())


def _differ(a: str, b: str) -> bool:
    try:
        return Version(a) != Version(b)
    except InvalidVersion:
        return a != b
