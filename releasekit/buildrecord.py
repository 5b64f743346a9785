"""Build records: the sha256 of every file releasekit built for ``name==version``.

They live in the state directory, so preflight and a resumed publish can tell "the index
already has exactly the bytes we built" (a safe re-run) from "the index has other bytes under
this version" (a conflict no upload can fix). Layout::

    <state_dir>/builds/<normalized-name>/<version>/checksums.json   {"files": {filename: sha256}}

The artifacts themselves may sit next to ``checksums.json``; without it, they are hashed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from releasekit.fsutil import atomic_write_json, sha256_file
from releasekit.workspace import normalize

SCHEMA = "releasekit.build/1"
CHECKSUMS = "checksums.json"
ARTIFACTS = ("*.whl", "*.tar.gz")


def record_dir(state_dir: Path, name: str, version: str) -> Path:
    return state_dir / "builds" / normalize(name) / version


def write_record(state_dir: Path, name: str, version: str, files: Mapping[str, str]) -> Path:
    """Durably record ``{filename: sha256}`` of one build; returns the record's path."""
    directory = record_dir(state_dir, name, version)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / CHECKSUMS
    atomic_write_json(
        path,
        {"schema": SCHEMA, "name": normalize(name), "version": version, "files": dict(files)},
    )
    return path


def read_record(state_dir: Path, name: str, version: str) -> dict[str, str] | None:
    """``{filename: sha256}`` of the recorded build, or None when releasekit built nothing."""
    directory = record_dir(state_dir, name, version)
    checksums = directory / CHECKSUMS
    if checksums.is_file():
        try:
            data = json.loads(checksums.read_text(encoding="utf-8"))
            files = data["files"]
            return {str(k): str(v).lower() for k, v in files.items()}
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None  # a damaged record proves nothing; treat it as absent
    if not directory.is_dir():
        return None
    found = {
        p.name: sha256_file(p) for pattern in ARTIFACTS for p in sorted(directory.glob(pattern))
    }
    return found or None
