"""Tiny real projects, a checked `uv build`, and ways to put files on an index."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

import requests
from packaging.utils import canonicalize_name

from releasekit.backends.uv import uv_binary
from tests.harness.index import LocalIndex
from tests.harness.pypi import parse_filename
from tests.harness.workspace import member_toml, write_tree


def make_project(root: Path, name: str, version: str = "0.1.0", *,
                 dependencies: Sequence[str] = (), marker: str = "") -> Path:
    """A hatchling project ``name`` in ``root/name``; ``marker`` changes the built bytes."""
    module = str(canonicalize_name(name)).replace("-", "_")
    return write_tree(root / name, {
        "pyproject.toml": member_toml(name, version, dependencies, metadata=['requires-python = ">=3.9"']),
        f"src/{module}/__init__.py": f'__version__ = "{version}"\n' + (f"MARKER = {marker!r}\n" if marker else ""),
    })


def uv_build(project: Path, out_dir: Path, env: Mapping[str, str], *,
             wheel_only: bool = False) -> list[Path]:
    """``uv build`` with ``env`` over os.environ; raises with uv's output on failure."""
    args = [uv_binary(), "build", "--quiet", "--out-dir", str(out_dir), str(project)]
    if wheel_only:
        args.insert(2, "--wheel")
    proc = subprocess.run(args, env={**os.environ, **env}, capture_output=True, text=True,
                          check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"uv build failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}")
    return sorted(p for p in out_dir.iterdir() if p.name.endswith((".whl", ".tar.gz")))


def upload_form(path: Path, data: bytes | None = None) -> tuple[dict[str, str], bytes]:
    """The legacy-upload form fields twine and uv send for ``path`` (content separate)."""
    content = path.read_bytes() if data is None else data
    parsed = parse_filename(path.name)
    if parsed is None:
        raise ValueError(f"not a distribution filename: {path.name}")
    project, version, packagetype, python_version = parsed
    return {
        ":action": "file_upload",
        "protocol_version": "1",
        "metadata_version": "2.1",
        "name": project,
        "version": str(version),
        "filetype": packagetype,
        "pyversion": python_version,
        "sha256_digest": hashlib.sha256(content).hexdigest(),
    }, content


def post_upload(index: LocalIndex, path: Path, *, data: bytes | None = None,
                auth: tuple[str, str] | bool | None = True,
                timeout: float = 10.0) -> requests.Response:
    """One upload POST with requests, as a client would send it (``data`` overrides bytes)."""
    fields, content = upload_form(path, data)
    credentials = (index.username, index.password) if auth is True else (auth or None)
    return requests.post(index.upload_url, data=fields,
                         files={"content": (path.name, content, "application/octet-stream")},
                         auth=credentials, timeout=timeout)


def seed_files(index: LocalIndex, *paths: Path) -> None:
    """Put files straight into the index's storage, as if uploaded long ago (no lag, no log)."""
    for path in paths:
        shutil.copy2(path, index.package_dir / path.name)
