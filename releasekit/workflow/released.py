"""What an index already has of a version, and the one rule every command applies to it.

releasekit uploads one sdist and one wheel per version. A version whose sdist and a wheel are
both on the index is *released*: it is never rebuilt, uploaded or compared again (sources
that changed since are an unreleased change for the next version, not a conflict). A version
with only some of its files there is *partial*, a run that stopped half-way: the rest is
uploaded and the files already there must be the bytes built now. A version with nothing
there is *new*. ``publish``, preflight's ``version_conflicts`` and ``notify`` all decide
with :func:`version_on_index`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from packaging.utils import canonicalize_name
from packaging.version import Version

from releasekit.backends.protocols import IndexBackend
from releasekit.backends.registry import IndexFile, file_version
from releasekit.errors import ReleasekitError
from releasekit.support.retry import call_with_retries

State = Literal["new", "partial", "released"]


@dataclass(frozen=True)
class OnIndex:
    """The files of one version the index lists."""

    name: str
    version: str
    files: Mapping[str, IndexFile]

    @property
    def state(self) -> State:
        kinds = {"wheel" if fn.endswith(".whl") else "sdist" for fn in self.files}
        if kinds >= {"wheel", "sdist"}:
            return "released"
        return "partial" if self.files else "new"

    @property
    def listed(self) -> str:
        return ", ".join(sorted(self.files))


def version_files(listing: Mapping[str, IndexFile] | None, name: str, version: str) -> dict[str, IndexFile]:
    """The files of ``name`` ``version`` among a project's listing (None: unknown project)."""
    want = (canonicalize_name(name), Version(version))
    return {fn: f for fn, f in (listing or {}).items() if file_version(fn) == want}


def version_on_index(listing: Mapping[str, IndexFile] | None, name: str, version: str) -> OnIndex:
    return OnIndex(name, version, version_files(listing, name, version))


@dataclass(frozen=True)
class IndexReading:
    """What the index has of each version asked about; ``error`` when it stopped answering."""

    found: dict[str, OnIndex]
    error: str = ""

    def names(self, state: State) -> dict[str, str]:
        """``{package: version}`` of the versions in ``state``."""
        return {n: o.version for n, o in self.found.items() if o.state == state}


def read_index(
    client: IndexBackend,
    versions: Iterable[tuple[str, str]],
    *,
    max_retries: int,
    base_delay: float,
    on_retry: Callable[[int, float, BaseException], None] | None = None,
) -> IndexReading:
    """Ask the index about each ``(name, version)``; after a failure, ask nothing more.

    A failure is reported, never raised: what could not be read is treated as not there,
    so nothing is skipped on a guess (preflight's ``index_reachable`` then says why).
    """
    found: dict[str, OnIndex] = {}
    for name, version in versions:
        try:
            listing = call_with_retries(
                functools.partial(client.known_project_files, name),
                max_retries=max_retries,
                base_delay=base_delay,
                on_retry=on_retry,
            )
        except ReleasekitError as exc:
            return IndexReading(found, exc.message)
        found[name] = version_on_index(listing, name, version)
    return IndexReading(found)
