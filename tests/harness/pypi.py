"""PyPI's shapes, built from the files pypiserver stores, for what pypiserver lacks:
the JSON API (``/pypi/<p>[/<v>]/json``), PEP 691 simple JSON, and PyPI's answers to
duplicate uploads. Also the small HTTP parsing helpers the index front needs.
"""

from __future__ import annotations

import hashlib
import html
import os
import re
import tarfile
import threading
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.parser import HeaderParser
from pathlib import Path
from typing import Any

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

PEP691_JSON = "application/vnd.pypi.simple.v1+json"
HELP_URL = "https://pypi.org/help/#file-name-reuse"
DUPLICATE_TEXT = f"File already exists. See {HELP_URL} for more information."
REUSE_TEXT = ("This filename has already been used, use a different version. "
              f"See {HELP_URL} for more information.")


@dataclass(frozen=True)
class DistFile:
    """One stored distribution file with everything the JSON shapes need."""

    filename: str
    path: Path
    project: str  # normalised
    version: Version
    packagetype: str  # "bdist_wheel" | "sdist"
    python_version: str
    size: int
    sha256: str
    md5: str
    blake2b_256: str
    name: str  # as written in the metadata
    summary: str
    requires_python: str | None
    mtime: float


def parse_filename(filename: str) -> tuple[str, Version, str, str] | None:
    """(project, version, packagetype, python_version) of a wheel or sdist; None otherwise."""
    try:
        if filename.endswith(".whl"):
            name, version, _build, tags = parse_wheel_filename(filename)
            pythons = sorted({t.interpreter for t in tags})
            return str(name), version, "bdist_wheel", ".".join(pythons)
        if filename.endswith((".tar.gz", ".zip")):
            sname, sversion = parse_sdist_filename(filename)
            return str(sname), sversion, "sdist", "source"
    except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion):
        return None
    return None


def _metadata(path: Path, packagetype: str) -> dict[str, str]:
    """Name, Summary and Requires-Python from the file's own core metadata."""
    raw = ""
    try:
        if packagetype == "bdist_wheel":
            with zipfile.ZipFile(path) as zf:
                member = next((n for n in zf.namelist() if n.endswith(".dist-info/METADATA")), None)
                if member:
                    raw = zf.read(member).decode("utf-8", "replace")
        elif path.name.endswith(".tar.gz"):
            with tarfile.open(path) as tf:
                info = next(
                    (m for m in tf.getmembers() if m.name.count("/") == 1
                     and m.name.endswith("/PKG-INFO")), None)
                extracted = tf.extractfile(info) if info else None
                if extracted is not None:
                    raw = extracted.read().decode("utf-8", "replace")
    except (OSError, zipfile.BadZipFile, tarfile.TarError):
        return {}
    headers = HeaderParser().parsestr(raw)
    return {k: str(headers[k]) for k in ("Name", "Summary", "Requires-Python") if headers[k]}


class DistScanner:
    """Scans package roots; hashes and metadata are cached per (path, size, mtime)."""

    def __init__(self, roots: Iterable[Path]) -> None:
        self.roots = tuple(roots)
        self._cache: dict[tuple[str, int, int], DistFile] = {}
        self._lock = threading.Lock()

    def scan(self) -> list[DistFile]:
        found: list[DistFile] = []
        for root in self.roots:
            for entry in sorted(os.scandir(root), key=lambda e: e.name):
                if not entry.is_file() or entry.name.startswith("."):
                    continue
                dist = self._describe(Path(entry.path), entry.stat())
                if dist is not None:
                    found.append(dist)
        return found

    def by_project(self) -> dict[str, list[DistFile]]:
        projects: dict[str, list[DistFile]] = {}
        for dist in self.scan():
            projects.setdefault(dist.project, []).append(dist)
        return projects

    def _describe(self, path: Path, stat: os.stat_result) -> DistFile | None:
        key = (str(path), stat.st_size, stat.st_mtime_ns)
        with self._lock:
            if key in self._cache:
                return self._cache[key]
        parsed = parse_filename(path.name)
        if parsed is None:
            return None
        project, version, packagetype, python_version = parsed
        data = path.read_bytes()
        meta = _metadata(path, packagetype)
        dist = DistFile(
            filename=path.name, path=path, project=project, version=version,
            packagetype=packagetype, python_version=python_version, size=len(data),
            sha256=hashlib.sha256(data).hexdigest(), md5=hashlib.md5(data).hexdigest(),
            blake2b_256=hashlib.blake2b(data, digest_size=32).hexdigest(),
            name=meta.get("Name", project), summary=meta.get("Summary", ""),
            requires_python=meta.get("Requires-Python"), mtime=stat.st_mtime,
        )
        with self._lock:
            self._cache[key] = dist
        return dist


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def file_url(base_url: str, dist: DistFile) -> str:
    return f"{base_url}/packages/{dist.filename}"


def simple_project_json(base_url: str, project: str, dists: list[DistFile]) -> dict[str, Any]:
    """PEP 691 (api-version 1.1, with PEP 700's versions/size/upload-time) for one project."""
    ordered = sorted(dists, key=lambda d: (d.version, d.filename))
    return {
        "meta": {"api-version": "1.1"},
        "name": project,
        "versions": sorted({str(d.version) for d in ordered}, key=Version),
        "files": [
            {
                "filename": d.filename,
                "url": file_url(base_url, d),
                "hashes": {"sha256": d.sha256},
                "requires-python": d.requires_python,
                "size": d.size,
                "upload-time": _iso(d.mtime),
                "yanked": False,
            }
            for d in ordered
        ],
    }


def simple_root_json(projects: Iterable[str]) -> dict[str, Any]:
    return {"meta": {"api-version": "1.1"}, "projects": [{"name": p} for p in sorted(projects)]}


def _json_file(base_url: str, d: DistFile) -> dict[str, Any]:
    return {
        "comment_text": "",
        "digests": {"blake2b_256": d.blake2b_256, "md5": d.md5, "sha256": d.sha256},
        "downloads": -1,
        "filename": d.filename,
        "has_sig": False,
        "md5_digest": d.md5,
        "packagetype": d.packagetype,
        "python_version": d.python_version,
        "requires_python": d.requires_python,
        "size": d.size,
        "upload_time": _iso(d.mtime)[:19],
        "upload_time_iso_8601": _iso(d.mtime),
        "url": file_url(base_url, d),
        "yanked": False,
        "yanked_reason": None,
    }


def _info(dists: list[DistFile], version: Version) -> dict[str, Any]:
    sample = next(d for d in dists if d.version == version)
    return {
        "name": sample.name,
        "version": str(version),
        "summary": sample.summary,
        "requires_python": sample.requires_python,
        "yanked": False,
        "yanked_reason": None,
    }


def latest_version(versions: Iterable[Version]) -> Version:
    """PyPI's "latest": the highest final release, else the highest pre-release."""
    pool = list(versions)
    finals = [v for v in pool if not (v.is_prerelease or v.is_devrelease)]
    return max(finals or pool)


def json_api(base_url: str, dists: list[DistFile], version: str | None) -> dict[str, Any] | None:
    """PyPI's ``/pypi/<p>/json`` (version None) or ``/pypi/<p>/<v>/json``; None means 404."""
    if not dists:
        return None
    if version is None:
        chosen = latest_version(d.version for d in dists)
    else:
        try:
            chosen = Version(version)
        except InvalidVersion:
            return None
        if not any(d.version == chosen for d in dists):
            return None
    files = sorted((d for d in dists if d.version == chosen), key=lambda d: d.filename)
    body: dict[str, Any] = {
        "info": _info(dists, chosen),
        "last_serial": len(dists),
        "urls": [_json_file(base_url, d) for d in files],
        "vulnerabilities": [],
    }
    if version is None:
        releases: dict[str, list[dict[str, Any]]] = {}
        for d in sorted(dists, key=lambda d: (d.version, d.filename)):
            releases.setdefault(str(d.version), []).append(_json_file(base_url, d))
        body["releases"] = releases
    return body


def pyramid_error_page(status: int, message: str) -> bytes:
    """The HTML body warehouse (pyramid) sends with an HTTPBadRequest carrying a message."""
    title = html.escape(f"{status} {message}")
    return (
        f"<html>\n <head>\n  <title>{title}</title>\n </head>\n <body>\n  <h1>{title}</h1>\n"
        "  The server could not comply with the request since it is either malformed or "
        f"otherwise incorrect.<br/><br/>\n{html.escape(message)}\n\n\n </body>\n</html>"
    ).encode()


# -- HTTP helpers ---------------------------------------------------------------------------

_PARAM = re.compile(r';\s*([\w-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)')


def header_params(value: str) -> tuple[str, dict[str, str]]:
    """``'form-data; name="x"'`` -> ("form-data", {"name": "x"})."""
    main, _, _rest = value.partition(";")
    params = {
        k.lower(): (v[1:-1].replace('\\"', '"') if v.startswith('"') else v.strip())
        for k, v in _PARAM.findall(value)
    }
    return main.strip().lower(), params


@dataclass(frozen=True)
class FormPart:
    name: str
    filename: str | None
    data: bytes


def parse_multipart(body: bytes, content_type: str) -> dict[str, FormPart]:
    """Exact-bytes multipart/form-data parser (the email package may touch line endings)."""
    kind, params = header_params(content_type)
    boundary = params.get("boundary")
    if kind != "multipart/form-data" or not boundary:
        return {}
    delimiter = b"--" + boundary.encode("latin-1")
    parts: dict[str, FormPart] = {}
    for raw in body.split(delimiter)[1:]:
        if raw.startswith(b"--"):
            break
        head, sep, data = raw.removeprefix(b"\r\n").removesuffix(b"\r\n").partition(b"\r\n\r\n")
        if not sep:
            continue
        headers: dict[str, str] = {}
        for line in head.decode("utf-8", "replace").split("\r\n"):
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
        _disp, dparams = header_params(headers.get("content-disposition", ""))
        name = dparams.get("name")
        if name is not None and name not in parts:
            parts[name] = FormPart(name, dparams.get("filename"), data)
    return parts


def _accept_q(accept: str) -> dict[str, float]:
    weights: dict[str, float] = {}
    for item in accept.split(","):
        media, params = header_params(item)
        if not media:
            continue
        try:
            q = float(params.get("q", "1"))
        except ValueError:
            q = 0.0
        weights[media] = max(q, weights.get(media, 0.0))
    return weights


def prefers_pep691_json(accept: str) -> bool:
    """True when Accept explicitly names the v1 JSON type and ranks it at least as high as HTML.

    ``*/*`` alone keeps HTML, as PyPI does for clients that did not ask for JSON.
    """
    weights = _accept_q(accept)
    json_q = max(weights.get(PEP691_JSON, 0.0),
                 weights.get("application/vnd.pypi.simple.latest+json", 0.0))
    html_q = max(weights.get("application/vnd.pypi.simple.v1+html", 0.0),
                 weights.get("application/vnd.pypi.simple.latest+html", 0.0),
                 weights.get("text/html", 0.0))
    return json_q > 0 and json_q >= html_q


def hop_by_hop(headers: Mapping[str, str]) -> set[str]:
    """Header names a proxy must not forward (RFC 9110 section 7.6.1)."""
    names = {"connection", "keep-alive", "proxy-connection", "te", "trailer",
             "transfer-encoding", "upgrade", "proxy-authorization", "proxy-authenticate"}
    for key, value in headers.items():
        if key.lower() == "connection":
            names.update(v.strip().lower() for v in value.split(","))
    return names
