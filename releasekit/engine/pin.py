"""Ephemeral exact pinning of internal dependencies, for the duration of a build only."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement

from releasekit.model.edit import rewrite_requirements
from releasekit.model.package import normalize
from releasekit.model.versions import pin_requirement
from releasekit.support.journal import Journal


def pinned_text(text: str, pins: Mapping[str, str]) -> tuple[str, list[tuple[str, str]]]:
    """``text`` with every requirement on a package in ``pins`` rewritten to ``==version``.

    Extras and environment markers are kept exactly; self-references (``pkg[extra]`` inside
    pkg's own extras) are left alone because ``pins`` never contains the package itself.
    """

    def rewrite(raw: str) -> str | None:
        try:
            name = normalize(Requirement(raw).name)
        except InvalidRequirement:
            return None
        return pin_requirement(raw, pins[name]) if name in pins else None

    return rewrite_requirements(text, rewrite)


@contextlib.contextmanager
def pinned(journal: Journal, manifest: Path, pins: Mapping[str, str], reason: str) -> Iterator[list[tuple[str, str]]]:
    """Pin ``manifest`` inside the block; the original bytes are back on every exit path."""
    original = manifest.read_bytes()
    new_text, changes = pinned_text(original.decode("utf-8"), pins)
    if not changes:
        yield []
        return
    with journal.rewritten(manifest, new_text.encode("utf-8"), reason):
        yield changes
