"""The registry backend: what an index has, read from its simple API (PEP 691 JSON or PEP 503
HTML), its PyPI-style JSON API where there is one, and the files themselves.

All HTTP that reads an index lives here. Caches are bypassed; 5xx, 429 and dropped
connections become :class:`TransientError` (retried by the caller's policy); 404 means
"not there"; anything else is a :class:`RegistryError`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urldefrag, urljoin

import requests
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from releasekit import __version__
from releasekit.backends.protocols import IndexBackend
from releasekit.backends.uv import parse_retry_after
from releasekit.errors import RegistryError
from releasekit.support.redact import redact
from releasekit.support.retry import TransientError

SIMPLE_ACCEPT = "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.1"
NO_CACHE = {"Cache-Control": "no-cache, max-age=0", "Pragma": "no-cache"}
USER_AGENT = f"releasekit/{__version__}"


@dataclass(frozen=True)
class IndexFile:
    filename: str
    url: str
    sha256: str | None
    yanked: bool = False


def file_version(filename: str) -> tuple[str, Version] | None:
    """(normalized project, version) of a wheel or sdist filename; None if it is neither."""
    try:
        if filename.endswith(".whl"):
            name, version, _build, _tags = parse_wheel_filename(filename)
            return str(name), version
        if filename.endswith((".tar.gz", ".zip")):
            sname, sversion = parse_sdist_filename(filename)
            return str(sname), sversion
    except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion):
        return None
    return None


class _LinkParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, dict[str, str | None], str]] = []
        self._current: tuple[str, dict[str, str | None]] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            attributes = dict(attrs)
            self._current = (attributes.get("href") or "", attributes)
            self._text = []

    def handle_data(self, data: str) -> None:
        if self._current is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._current is not None:
            href, attributes = self._current
            self.links.append((href, attributes, "".join(self._text).strip()))
            self._current = None


def parse_simple_html(text: str, base_url: str) -> dict[str, IndexFile]:
    parser = _LinkParser()
    parser.feed(text)
    files: dict[str, IndexFile] = {}
    for href, attributes, label in parser.links:
        absolute = urljoin(base_url, href)
        url, fragment = urldefrag(absolute)
        filename = label or url.rsplit("/", 1)[-1]
        sha = None
        if fragment.startswith("sha256="):
            sha = fragment.split("=", 1)[1].lower()
        files[filename] = IndexFile(filename, url, sha, "data-yanked" in attributes)
    return files


def parse_simple_json(data: dict[str, Any], base_url: str) -> dict[str, IndexFile]:
    files: dict[str, IndexFile] = {}
    for item in data.get("files", []):
        filename = item.get("filename")
        if not isinstance(filename, str):
            continue
        hashes = item.get("hashes") or {}
        sha = hashes.get("sha256")
        files[filename] = IndexFile(
            filename,
            urljoin(base_url, item.get("url", filename)),
            sha.lower() if isinstance(sha, str) else None,
            bool(item.get("yanked")),
        )
    return files


class IndexClient:
    """Reads one index. Every request bypasses caches and has a timeout."""

    def __init__(
        self, check_url: str, json_api_url: str = "", *, timeout: float = 30.0, session: requests.Session | None = None
    ) -> None:
        self.check_url = check_url.rstrip("/") + "/"
        self.json_api_url = json_api_url.rstrip("/") + "/" if json_api_url else ""
        self.timeout = timeout
        self.session = session or requests.Session()
        self.session.headers.update({"User-Agent": USER_AGENT, **NO_CACHE})

    def _get(self, url: str, *, accept: str | None = None, stream: bool = False) -> requests.Response | None:
        """GET ``url``; None on 404. Raises TransientError or RegistryError otherwise."""
        headers = {"Accept": accept} if accept else {}
        try:
            response = self.session.get(url, headers=headers, timeout=self.timeout, stream=stream)
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise TransientError(f"GET {redact(url)} failed: {type(exc).__name__}: {redact(str(exc))[:200]}") from None
        except requests.RequestException as exc:
            raise RegistryError(f"GET {redact(url)} failed: {redact(str(exc))[:200]}", code="RK501") from None
        if response.status_code == 404:
            return None
        if response.status_code in (408, 429) or response.status_code >= 500:
            header = response.headers.get("Retry-After")
            raise TransientError(
                f"GET {redact(url)} answered {response.status_code}",
                retry_after=parse_retry_after(header) if header else None,
                status=response.status_code,
            )
        if response.status_code in (401, 403):
            raise RegistryError(
                f"GET {redact(url)} answered {response.status_code}: not allowed to read the index",
                code="RK502",
                hint="check the index credentials or URL",
            )
        if response.status_code >= 400:
            raise RegistryError(
                f"GET {redact(url)} answered {response.status_code}", code="RK501", hint="check the index URL"
            )
        return response

    def project_url(self, project: str) -> str:
        return urljoin(self.check_url, f"{canonicalize_name(project)}/")

    def project_files(self, project: str) -> dict[str, IndexFile]:
        """Every file the simple index lists for ``project`` (empty if the project is unknown)."""
        return self.known_project_files(project) or {}

    def known_project_files(self, project: str) -> dict[str, IndexFile] | None:
        """Like :meth:`project_files`, but None when the index does not know the project (404)."""
        url = self.project_url(project)
        response = self._get(url, accept=SIMPLE_ACCEPT)
        if response is None:
            return None
        ctype = response.headers.get("Content-Type", "")
        if "json" in ctype:
            try:
                return parse_simple_json(response.json(), response.url or url)
            except ValueError:
                raise RegistryError(f"{redact(url)} returned invalid JSON", code="RK503") from None
        return parse_simple_html(response.text, response.url or url)

    def version_files(self, project: str, version: str) -> dict[str, IndexFile]:
        want_name, want_version = canonicalize_name(project), Version(version)
        found = {}
        for filename, item in self.project_files(project).items():
            parsed = file_version(filename)
            if parsed and parsed[0] == want_name and parsed[1] == want_version:
                found[filename] = item
        return found

    def json_api_hashes(self, project: str, version: str) -> dict[str, str] | None:
        """sha256 per filename from ``<json_api>/<project>/<version>/json``; None if unavailable."""
        if not self.json_api_url:
            return None
        url = urljoin(self.json_api_url, f"{canonicalize_name(project)}/{version}/json")
        response = self._get(url, accept="application/json")
        if response is None:
            return None
        try:
            data = response.json()
            return {
                item["filename"]: str(item["digests"]["sha256"]).lower()
                for item in data.get("urls", [])
                if isinstance(item, dict) and "filename" in item
            }
        except (ValueError, KeyError, TypeError):
            raise RegistryError(f"{redact(url)} returned an unexpected JSON shape", code="RK503") from None

    def download_sha256(self, url: str) -> str | None:
        """sha256 of the bytes the index serves at ``url``; None if it is not there (yet)."""
        response = self._get(url, stream=True)
        if response is None:
            return None
        digest = hashlib.sha256()
        try:
            for chunk in response.iter_content(1 << 16):
                digest.update(chunk)
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise TransientError(f"download of {redact(url)} broke off: {type(exc).__name__}") from None
        return digest.hexdigest()

    def reachable(self) -> None:
        """Raise unless the index answers; used by preflight."""
        # Streamed and closed unread: PyPI's root listing is tens of megabytes.
        response = self._get(self.check_url, accept=SIMPLE_ACCEPT, stream=True)
        if response is None:
            # Some indexes do not serve a root listing; that still proves reachability.
            return
        response.close()


def index_backend(check_url: str, json_api_url: str = "", *, timeout: float = 30.0) -> IndexBackend:
    """A reader of the index at ``check_url``, as the upper layers see it."""
    return IndexClient(check_url, json_api_url, timeout=timeout)
