"""The index's front: the stdlib HTTP/1.1 server in front of pypiserver (see ``index``).

It forwards to pypiserver and adds what pypiserver lacks: injected faults (real dropped
connections included), index lag, PyPI's duplicate-upload answers, the JSON API, PEP 691,
the request log and per-file upload counts, all kept in the :class:`LocalIndex` it serves.
"""

from __future__ import annotations

import hashlib
import http.client
import io
import json
import re
import socket
import struct
import time
from collections.abc import Iterable
from dataclasses import dataclass, replace
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from packaging.utils import canonicalize_name

from tests.harness import pypi
from tests.harness.faults import RESET, Injection, RequestRecord
from tests.harness.netutil import TrackingHTTPServer

if TYPE_CHECKING:
    from tests.harness.index import LocalIndex

_SIMPLE_PROJECT = re.compile(r"^/simple/([^/]+)/$")
_JSON_API = re.compile(r"^/pypi/([^/]+)/(?:([^/]+)/)?json/?$")
_HTML_LINK = re.compile(r'[ \t]*<a href="[^"]*">([^<]*)</a><br>[ \t]*\r?\n?')
_REASONS = {429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway",
            503: "Service Unavailable", 504: "Gateway Timeout"}


@dataclass(frozen=True)
class _Upstream:
    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes


class FrontServer(TrackingHTTPServer):
    def __init__(self, index: LocalIndex) -> None:
        super().__init__(_Handler, "index-front")
        self.index = index


class _Handler(BaseHTTPRequestHandler):
    """One connection to the front. HTTP/1.1 with keep-alive, as uv expects of an index."""

    protocol_version = "HTTP/1.1"
    server: FrontServer
    timeout = 60

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the per-request stderr line; the index keeps its own log."""

    # every method goes through one dispatcher
    def do_GET(self) -> None:
        self._dispatch()

    do_HEAD = do_POST = do_PUT = do_DELETE = do_GET

    @property
    def index(self) -> LocalIndex:
        return self.server.index

    def _dispatch(self) -> None:
        options = self.index.faults.options
        if options.delay_ms:
            time.sleep(options.delay_ms / 1000)
        body = self._read_body()
        path = urlsplit(self.path).path
        if self.command == "POST":
            self._upload(path, body)
        elif self.command in ("GET", "HEAD"):
            self._get(path)
        else:
            self._finish(path, self._forward(body))

    # -- reading and writing ----------------------------------------------------------------

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _record(self, path: str, status: int | None, *, injected: bool = False,
                filename: str | None = None, headers: Iterable[tuple[str, str]] = ()) -> None:
        ctype = next((v for k, v in headers if k.lower() == "content-type"), "")
        self.index._log(RequestRecord(self.command, path, status, injected, filename,
                                      self.headers.get("Accept", ""), ctype))

    def _send(self, path: str, status: int, body: bytes = b"", *,
              headers: Iterable[tuple[str, str]] = (), reason: str | None = None,
              injected: bool = False, filename: str | None = None) -> None:
        headers = [*headers, ("Content-Length", str(len(body)))]
        self._respond(path, status, reason, headers, body, injected=injected, filename=filename)

    def _finish(self, path: str, upstream: _Upstream, *, filename: str | None = None,
                extra: Iterable[tuple[str, str]] = ()) -> None:
        """Relay a pypiserver answer (its Content-Length is kept for HEAD)."""
        skip = {"date", "server", "content-length"} | pypi.hop_by_hop(dict(upstream.headers))
        headers = [(k, v) for k, v in upstream.headers if k.lower() not in skip]
        headers.extend(extra)
        if self.command == "HEAD":
            length = next((v for k, v in upstream.headers if k.lower() == "content-length"), "0")
        else:
            length = str(len(upstream.body))
        headers.append(("Content-Length", length))
        self._respond(path, upstream.status, upstream.reason, headers, upstream.body,
                      filename=filename)

    def _respond(self, path: str, status: int, reason: str | None,
                 headers: list[tuple[str, str]], body: bytes, *, injected: bool = False,
                 filename: str | None = None) -> None:
        """Log, then write the answer: once a client has a response, the log has it too."""
        self._record(path, status, injected=injected, filename=filename, headers=headers)
        try:
            self.send_response(status, reason)
            for key, value in headers:
                self.send_header(key, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client went away; the server still answered

    def _forward(self, body: bytes) -> _Upstream:
        """Pass the request to pypiserver; reads share the storage, writes own it."""
        storage = self.index._storage
        with storage.read() if self.command in ("GET", "HEAD") else storage.write():
            return self._forward_unlocked(body)

    def _forward_unlocked(self, body: bytes) -> _Upstream:
        hop = pypi.hop_by_hop(dict(self.headers.items()))
        headers = {k: v for k, v in self.headers.items() if k.lower() not in hop}
        headers["Connection"] = "close"
        if body or self.command in ("POST", "PUT"):
            headers["Content-Length"] = str(len(body))
        conn = http.client.HTTPConnection("127.0.0.1", self.index._backend.port, timeout=60)
        try:
            conn.request(self.command, self.path, body=body or None, headers=headers)
            response = conn.getresponse()
            data = response.read()
            return _Upstream(response.status, response.reason, response.getheaders(), data)
        finally:
            conn.close()

    def _inject(self, path: str, injection: Injection, filename: str | None = None) -> None:
        if injection.drops:
            self._record(path, None, injected=True, filename=filename)
            self._drop(injection.action == RESET)
            return
        status = int(injection.action)
        reason = _REASONS.get(status, "Injected Error")
        body = (f"<html><body><h1>{status} {reason}</h1>"
                f"injected {status} by the test index</body></html>\n").encode()
        headers = [("Content-Type", "text/html; charset=UTF-8")]
        if injection.retry_after is not None:
            headers.append(("Retry-After", injection.retry_after))
        self._send(path, status, body, headers=headers, reason=reason, injected=True,
                   filename=filename)

    def _drop(self, reset: bool) -> None:
        """Close the connection without any HTTP response: RST (reset) or FIN (eof)."""
        self.close_connection = True
        sock: socket.socket = self.connection
        try:
            if reset:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            else:
                sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.wfile.close()
        self.rfile.close()
        sock.close()  # the last reference: with SO_LINGER 0 the kernel sends RST now
        # The base class still flushes and closes these after the handler returns.
        self.wfile = self.rfile = io.BytesIO()

    # -- GET ----------------------------------------------------------------------------

    def _get(self, path: str) -> None:
        match = _SIMPLE_PROJECT.match(path)
        project = unquote(match.group(1)) if match else None
        injection = self.index.faults.pick_get(path, project)
        if injection is not None:
            self._inject(path, injection)
            return
        if path.startswith("/pypi/"):
            self._json_api(path)
        elif path == "/simple/" or project is not None:
            self._simple(path, project)
        elif path.startswith("/packages/") and unquote(path[10:]) in self.index.hidden():
            name = unquote(path[10:])
            self._send(path, 404, f"Not Found ({name} does not exist)\n\n".encode(),
                       headers=[("Content-Type", "text/html; charset=UTF-8")])
        else:
            self._finish(path, self._forward(b""))

    def _json_api(self, path: str) -> None:
        match = _JSON_API.match(path)
        body = None
        if match:
            dists = self.index._visible().get(canonicalize_name(unquote(match.group(1))), [])
            body = pypi.json_api(self.index.url, dists, match.group(2))
        if body is None:
            self._send(path, 404, b'{"message": "Not Found"}',
                       headers=[("Content-Type", "application/json")])
            return
        self._send(path, 200, json.dumps(body).encode(),
                   headers=[("Content-Type", "application/json")])

    def _simple(self, path: str, project: str | None) -> None:
        options = self.index.faults.options
        vary = [("Vary", "Accept")] if options.pep691 else []
        if options.pep691 and pypi.prefers_pep691_json(self.headers.get("Accept", "")):
            self._simple_json(path, project)
            return
        upstream = self._forward(b"")
        hidden = self.index.hidden()
        if upstream.status == 200 and hidden and self.command == "GET":
            upstream = self._filter_html(upstream, project, hidden)
        self._finish(path, upstream, extra=vary)

    def _filter_html(self, upstream: _Upstream, project: str | None,
                     hidden: set[str]) -> _Upstream:
        """Drop links to files (or projects) that the index does not show yet."""
        text = upstream.body.decode("utf-8")
        if project is None:
            visible = set(self.index._visible())
            text = _HTML_LINK.sub(
                lambda m: m.group(0) if canonicalize_name(m.group(1)) in visible else "", text)
            return replace(upstream, body=text.encode())
        filtered = _HTML_LINK.sub(lambda m: "" if m.group(1) in hidden else m.group(0), text)
        if not _HTML_LINK.search(filtered):
            body = f"Not Found ({project} does not exist)\n\n".encode()
            return _Upstream(404, "Not Found", [("Content-Type", "text/html; charset=UTF-8")],
                             body)
        return replace(upstream, body=filtered.encode())

    def _simple_json(self, path: str, project: str | None) -> None:
        headers = [("Content-Type", pypi.PEP691_JSON), ("Vary", "Accept")]
        if project is not None and canonicalize_name(project) != project:
            location = f"{self.index.url}/simple/{canonicalize_name(project)}/"
            self._send(path, 301, b"", headers=[("Location", location), ("Vary", "Accept")])
            return
        visible = self.index._visible()
        if project is None:
            body: dict[str, Any] | None = pypi.simple_root_json(visible)
        else:
            dists = visible.get(project)
            body = pypi.simple_project_json(self.index.url, project, dists) if dists else None
        if body is None:
            self._send(path, 404, f"Not Found ({project} does not exist)\n\n".encode(),
                       headers=[("Content-Type", "text/html; charset=UTF-8")])
            return
        self._send(path, 200, json.dumps(body).encode(), headers=headers)

    # -- POST (uploads) -----------------------------------------------------------------

    def _upload(self, path: str, body: bytes) -> None:
        form = pypi.parse_multipart(body, self.headers.get("Content-Type", ""))
        action = form[":action"].data.decode() if ":action" in form else ""
        content = form.get("content")
        if action != "file_upload" or content is None or not content.filename:
            upstream = self._forward(body)
            self._finish(path, upstream)
            return
        filename = content.filename
        self.index._count_post(filename)
        injection = self.index.faults.pick_upload(filename)
        if injection is not None and not injection.after_store:
            self.index._count_outcome(filename, None if injection.drops else
                                      int(injection.action), stored=False)
            self._inject(path, injection, filename)
            return
        with self.index._lock:
            gate = self.index._gate
        if gate is not None:
            gate.enter(filename)
        upstream, stored = self._store(filename, content.data, body)
        if injection is not None:
            self.index._count_outcome(filename, None if injection.drops else
                                      int(injection.action), stored=stored)
            self._inject(path, injection, filename)
            return
        self.index._count_outcome(filename, upstream.status, stored=stored)
        self._finish(path, upstream, filename=filename)

    def _store(self, filename: str, data: bytes, body: bytes) -> tuple[_Upstream, bool]:
        """Let pypiserver store the file; apply PyPI's duplicate rules when asked to.

        Returns the answer for the client and whether a new file was stored.
        """
        index = self.index
        pypi_mode = index.faults.options.pypi_duplicates
        target = index.package_dir / filename
        with index._storage.write():
            if (pypi_mode and filename in index._ever_stored and not target.exists()
                    and self.headers.get("Authorization") == index._expected_auth):
                return _pypi_error(pypi.REUSE_TEXT), False
            existing = hashlib.sha256(target.read_bytes()).hexdigest() if target.exists() else None
            upstream = self._forward_unlocked(body)
            stored = existing is None and target.exists()
            if stored:
                lag = index.faults.options.lag_s
                with index._lock:
                    index._ever_stored.add(filename)
                    if lag > 0:
                        # The lag clock starts before any reader can see the file.
                        index._visible_at[filename] = time.monotonic() + lag
        if pypi_mode and upstream.status == 409 and existing is not None:
            if hashlib.sha256(data).hexdigest() == existing:
                ok = _Upstream(200, "OK", [("Content-Type", "text/html; charset=UTF-8")], b"")
                return ok, False
            return _pypi_error(pypi.DUPLICATE_TEXT), False
        return upstream, stored


def _pypi_error(message: str) -> _Upstream:
    """Warehouse puts the message in the status line and in a pyramid HTML page."""
    return _Upstream(400, message, [("Content-Type", "text/html; charset=UTF-8")],
                     pypi.pyramid_error_page(400, message))
