"""Durable file writes: a crash at any instant leaves either the old or the new bytes."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

TMP_MARK = ".releasekit-tmp-"


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def fsync_dir(directory: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def tmp_path_for(path: Path) -> Path:
    return path.with_name(f".{path.name}{TMP_MARK}{os.getpid()}")


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a fsynced temporary file and a rename, keeping its mode."""
    tmp = tmp_path_for(path)
    try:
        mode = os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        mode = 0o644
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        try:
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError) and exc.filename is None:
            exc.filename = str(path)  # os.write() names no file: a full disk must say which
        raise
    fsync_dir(path.parent)


def atomic_write_json(path: Path, value: Any) -> None:
    atomic_write(path, (json.dumps(value, indent=2, sort_keys=True) + "\n").encode())


def remove_stale_tmp(path: Path) -> list[Path]:
    """Delete temporary files a killed writer left next to ``path``."""
    removed = []
    prefix = f".{path.name}{TMP_MARK}"
    try:
        for entry in os.scandir(path.parent):
            if entry.name.startswith(prefix):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)
                    removed.append(Path(entry.path))
    except OSError:
        pass
    return removed


def read_json(path: Path) -> Any:
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def save_crash_report(text: str, directory: str | Path | None = None) -> str:
    """Write a (redacted) traceback to a new file; returns "the traceback is in PATH", or why
    it could not be saved (a full or read-only directory), for a one-line message."""
    try:
        if directory is not None:
            Path(directory).mkdir(parents=True, exist_ok=True)
        fd, path = tempfile.mkstemp(prefix="releasekit-crash-", suffix=".txt", dir=directory)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        return f"the traceback could not be saved ({exc.strerror or exc})"
    return f"the traceback is in {path}"


_SKIP_DIRS = {
    ".git",
    "__pycache__",
    ".venv",
    "venv",
    "dist",
    "build",
    ".tox",
    ".nox",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    ".hypothesis",
    ".releasekit",
    "node_modules",
}


def fingerprint(package_dir: Path, pins: Mapping[str, str], exclude: Iterable[str] = ()) -> str:
    """Hash of every source file of a package (plus its pins), skipping build debris.

    Other workspace members below ``package_dir`` (a root that is itself a package) and the
    state directory are excluded, so releasing one package never invalidates another.
    """
    excluded = {os.path.realpath(p) for p in exclude}
    digest = hashlib.sha256()
    digest.update(json.dumps(sorted(pins.items())).encode())
    for current, dirs, files in os.walk(package_dir):
        dirs[:] = sorted(
            d
            for d in dirs
            if d not in _SKIP_DIRS
            and not d.endswith(".egg-info")
            and os.path.realpath(os.path.join(current, d)) not in excluded
        )
        for filename in sorted(files):
            if filename.endswith((".pyc", ".pyo")) or ".releasekit-tmp-" in filename:
                continue
            path = os.path.join(current, filename)
            rel = os.path.relpath(path, package_dir)
            digest.update(rel.encode() + b"\0")
            try:
                digest.update(sha256_file(Path(path)).encode())
            except OSError:
                digest.update(b"<unreadable>")
    return digest.hexdigest()
