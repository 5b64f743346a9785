"""Build records: the exact files a release uploads, their sha256, and what became of them.

A record lives in ``<state>/builds/<name>/<version>/record.json`` next to the files. It is
what makes a retry upload the same bytes (never a rebuild) and what verification compares
the index against. A record is reused only while the package's sources are unchanged.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.parser import HeaderParser
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from releasekit.errors import PublishError
from releasekit.support.fsutil import atomic_write_json, read_json, sha256_file
from releasekit.support.redact import mask_urls

_BUILDING = ".building-"  # ".<version>.building-<pid>": a build's output until it is complete


@dataclass
class BuildRecord:
    name: str
    version: str
    fingerprint: str
    files: dict[str, str]  # filename -> sha256
    pins: dict[str, str]
    built_at: float = field(default_factory=time.time)
    notes: dict[str, Any] = field(default_factory=dict)  # stage outcomes: upload, verify, smoke

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "fingerprint": self.fingerprint,
            "files": self.files,
            "pins": self.pins,
            "built_at": self.built_at,
            "notes": self.notes,
        }


def build_dir(state_dir: str | Path, name: str, version: str) -> Path:
    return Path(state_dir) / "builds" / name / version


def load_record(state_dir: str | Path, name: str, version: str) -> BuildRecord | None:
    path = build_dir(state_dir, name, version) / "record.json"
    try:
        raw = read_json(path)
        return BuildRecord(
            name=raw["name"],
            version=raw["version"],
            fingerprint=raw["fingerprint"],
            files=dict(raw["files"]),
            pins=dict(raw.get("pins", {})),
            built_at=float(raw.get("built_at", 0)),
            notes=dict(raw.get("notes", {})),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def save_record(state_dir: str | Path, record: BuildRecord) -> None:
    atomic_write_json(build_dir(state_dir, record.name, record.version) / "record.json", record.to_json())


def note(state_dir: str | Path, name: str, version: str, index: str, key: str, value: Any) -> None:
    """Record a stage outcome for one index in the build record.

    Outcomes are kept per index (the check URL, any password in it masked), so a rehearsal
    against a throwaway index never stands in for the real one, while the artifacts
    themselves are shared.
    Single writer per package: only that package's own tasks, which run one after another.
    """
    record = load_record(state_dir, name, version)
    if record is None:
        return
    record.notes.setdefault(mask_urls(index), {})[key] = value
    save_record(state_dir, record)


def notes_for(record: BuildRecord, index: str) -> dict[str, Any]:
    found = record.notes.get(mask_urls(index), {})
    return found if isinstance(found, dict) else {}


def record_files_intact(state_dir: str | Path, record: BuildRecord) -> bool:
    directory = build_dir(state_dir, record.name, record.version)
    for filename, sha in record.files.items():
        path = directory / filename
        if not path.is_file() or sha256_file(path) != sha:
            return False
    return bool(record.files)


def wheel_metadata(wheel: Path) -> Any:
    with zipfile.ZipFile(wheel) as archive:
        names = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA") and n.count("/") == 1]
        if not names:
            raise PublishError(f"{wheel.name} has no .dist-info/METADATA", code="RK602")
        text = archive.read(names[0]).decode("utf-8", "replace")
    return HeaderParser().parsestr(text)


def check_wheel_pins(wheel: Path, pins: Mapping[str, str]) -> None:
    """Every internal dependency in the wheel's METADATA must be pinned to the planned version."""
    requires = wheel_metadata(wheel).get_all("Requires-Dist") or []
    seen: dict[str, list[str]] = {}
    for line in requires:
        try:
            req = Requirement(line)
        except InvalidRequirement:
            continue
        seen.setdefault(str(canonicalize_name(req.name)), []).append(str(req.specifier))
    for dep, version in pins.items():
        specs = seen.get(dep)
        if not specs:
            raise PublishError(
                f"{wheel.name} does not require {dep} at all, so the pin {dep}=={version} did not reach it",
                code="RK603",
                hint="dependencies must be static in [project] for releasekit to pin them",
            )
        bad = [s for s in specs if s != f"=={version}"]
        if bad:
            raise PublishError(
                f"{wheel.name} requires {dep}{bad[0]} instead of the pin =={version}",
                code="RK603",
                hint="the build did not use the pinned pyproject.toml; check the build backend",
            )


def remove_partial_builds(state_dir: str | Path, name: str, version: str) -> Path:
    """Remove the half-built folders a failed or killed build of ``name`` left (the workspace
    lock makes this run their only builder); returns the folder for this process's build."""
    builds = Path(state_dir) / "builds" / name
    for leftover in builds.glob(f".*{_BUILDING}*"):
        shutil.rmtree(leftover, ignore_errors=True)
    return builds / f".{version}{_BUILDING}{os.getpid()}"


def install_built(out_dir: Path, final_dir: Path, files: list[Path]) -> None:
    """Move freshly built files into ``final_dir``, replacing an older build of that version."""
    final_dir.mkdir(parents=True, exist_ok=True)
    keep = {f.name for f in files} | {"record.json"}
    for old in final_dir.iterdir():
        if old.name not in keep:
            with contextlib.suppress(OSError):
                old.unlink() if old.is_file() else shutil.rmtree(old)
    for f in files:
        os.replace(f, final_dir / f.name)
    shutil.rmtree(out_dir, ignore_errors=True)
