"""In-process stand-ins for a backend, for tests that need no server at all.

Each one has every member of its protocol (tests/test_backend_protocols.py holds it to that),
so a gate or action that starts asking for more fails there, not by an AttributeError mid-run.
"""

from __future__ import annotations

from releasekit.backends.registry import IndexFile


class EmptyIndex:
    """An index that knows no project: every listing is a 404, nothing is ever served."""

    def __init__(self, check_url: str = "http://127.0.0.1:9/simple/") -> None:
        self.check_url = check_url

    def known_project_files(self, project: str) -> dict[str, IndexFile] | None:
        return None

    def version_files(self, project: str, version: str) -> dict[str, IndexFile]:
        return {}

    def json_api_hashes(self, project: str, version: str) -> dict[str, str] | None:
        return None

    def download_sha256(self, url: str) -> str | None:
        return None

    def reachable(self) -> None:
        return None
