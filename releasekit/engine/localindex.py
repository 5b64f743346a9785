"""Throwaway indexes on 127.0.0.1: the staged gate's, and `publish --rehearse`'s target.

Both serve a package directory listed afresh on every request (files dropped into it are
served at once), from a thread of this process on an ephemeral port, and are torn down when
the block ends; neither ever writes a log line to the user's terminal.

- :func:`staging_index`: read-only PEP 503 pages with sha256 fragments, on the standard
  library alone, so the staged gate needs no extra package.
- :func:`local_index`: pypiserver, which also takes uploads (the rehearsal's real `uv
  publish`); its and waitress's log lines ("Task queue depth is N", once per queued request)
  go to the run's log file.
- :func:`serve_pypiserver`: the one way pypiserver is started, here and by the tests' and
  benchmarks' indexes (which add their own password, seed directories or a front).
"""

from __future__ import annotations

import contextlib
import html
import logging
import re
import secrets
import shutil
import tempfile
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from packaging.utils import InvalidSdistFilename, InvalidWheelFilename, parse_sdist_filename, parse_wheel_filename

from releasekit.errors import UsageError
from releasekit.support.fsutil import sha256_file
from releasekit.support.redact import register

_SERVER_LOGGERS = ("waitress", "waitress.queue", "pypiserver")


@dataclass(frozen=True)
class LocalIndex:
    url: str
    packages: Path
    username: str = ""
    password: str = ""

    @property
    def simple_url(self) -> str:
        return self.url + "simple/"


@contextlib.contextmanager
def local_index(
    packages: Path | None = None,
    *,
    uploads: bool = True,
    threads: int = 8,
    log: Path | None = None,
    name: str = "releasekit-local-index",
) -> Iterator[LocalIndex]:
    """Serve ``packages`` (default: a fresh temporary directory, removed afterwards).

    With ``uploads``, a random uploader password guards uploads (read access is open).
    """
    # lazy: the optional [rehearse] extra, +180 ms (pypiserver 99, passlib 68, waitress 11) that only rehearsals pay
    try:  # all three up front: the error names the extra before anything is written
        import pypiserver  # noqa: F401
        import waitress  # noqa: F401
        from passlib.apache import HtpasswdFile
    except ImportError:
        raise UsageError(
            "--rehearse needs pypiserver, passlib and waitress",
            code="RK153",
            hint="pip install 'releasekit[rehearse]'",
        ) from None
    tmp = Path(tempfile.mkdtemp(prefix="releasekit-index-"))
    root = packages or tmp / "packages"
    root.mkdir(parents=True, exist_ok=True)
    username = password = ""
    options: dict[str, object] = {"authenticate": [], "password_file": "."}
    if uploads:
        username, password = "releasekit", secrets.token_urlsafe(18)
        register(password)
        htpasswd = HtpasswdFile(str(tmp / "htpasswd"), new=True)
        htpasswd.set_password(username, password)
        htpasswd.save()
        options = {"authenticate": ["update"], "password_file": str(tmp / "htpasswd")}
    with _quiet(log):
        server = serve_pypiserver([root], threads=max(4, threads), name=name, **options)
        try:
            yield LocalIndex(f"http://127.0.0.1:{server.port}/", root, username, password)
        finally:
            server.stop()
            shutil.rmtree(tmp, ignore_errors=True)


class PypiServer:
    """pypiserver's WSGI app on waitress, on an ephemeral port of 127.0.0.1, in a thread."""

    def __init__(self, server: Any, name: str) -> None:
        self._server = server
        self.port = int(server.effective_port)
        self._thread = threading.Thread(target=server.run, name=name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Close every connection (a client's keep-alive would hold the loop), then the server,
        and join the loop's and the workers' threads."""
        server = self._server

        def close_everything() -> None:  # runs on the waitress loop thread
            for dispatcher in list(server._map.values()):
                if dispatcher is not server and dispatcher is not server.trigger:
                    dispatcher.close()
            server.close()  # closes the trigger too; the empty map ends the loop

        server.trigger.pull_trigger(close_everything)
        self._thread.join(timeout=10)
        server.task_dispatcher.shutdown()


def serve_pypiserver(
    roots: Sequence[Path], *, threads: int = 8, name: str = "releasekit-local-index", **options: Any
) -> PypiServer:
    """Start pypiserver over ``roots`` (uploads land in the first); ``options`` go to
    ``pypiserver.app`` (authenticate, password_file, hash_algo). Stop it with ``stop()``."""
    # lazy: the optional [rehearse] extra, +110 ms that only rehearsals and staged runs pay
    import pypiserver
    import waitress

    app = pypiserver.app(roots=[str(r) for r in roots], disable_fallback=True, **options)
    return PypiServer(waitress.create_server(app, host="127.0.0.1", port=0, threads=threads, ident=name), name)


@contextlib.contextmanager
def staging_index(packages: Path) -> Iterator[LocalIndex]:
    """Serve the files in ``packages`` as a read-only simple index (PEP 503, sha256 fragments)."""
    packages.mkdir(parents=True, exist_ok=True)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(packages))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="releasekit-staging-index", daemon=True)
    thread.start()
    try:
        yield LocalIndex(f"http://127.0.0.1:{server.server_address[1]}/", packages)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _project_of(filename: str) -> str | None:
    try:
        if filename.endswith(".whl"):
            return str(parse_wheel_filename(filename)[0])
        if filename.endswith(".tar.gz"):
            return str(parse_sdist_filename(filename)[0])
    except (InvalidWheelFilename, InvalidSdistFilename):
        return None
    return None


def _handler(packages: Path) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass  # never on the user's terminal

        def do_HEAD(self) -> None:  # uv asks before a ranged GET
            self._answer(body=False)

        def do_GET(self) -> None:
            self._answer(body=True)

        def _answer(self, *, body: bool) -> None:
            path = self.path.split("?", 1)[0]
            files = {p.name: p for p in packages.iterdir() if p.is_file()}
            if path in ("/simple", "/simple/"):
                names = sorted({n for n in map(_project_of, files) if n})
                self._page("Simple index", "".join(f'<a href="/simple/{n}/">{n}</a>\n' for n in names), body)
            elif match := re.fullmatch(r"/simple/([^/]+)/?", path):
                wanted = re.sub(r"[-_.]+", "-", match.group(1)).lower()
                links = "".join(
                    f'<a href="/packages/{html.escape(fn)}#sha256={sha256_file(p)}">{html.escape(fn)}</a>\n'
                    for fn, p in sorted(files.items())
                    if _project_of(fn) == wanted
                )
                if links:
                    self._page(f"Links for {wanted}", links, body)
                else:
                    self.send_error(404)
            elif (match := re.fullmatch(r"/packages/([^/]+)", path)) and match.group(1) in files:
                data = files[match.group(1)].read_bytes()
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if body:
                    self.wfile.write(data)
            else:
                self.send_error(404)

        def _page(self, title: str, links: str, body: bool) -> None:
            data = f"<!DOCTYPE html><html><head><title>{title}</title></head><body>\n{links}</body></html>\n"
            encoded = data.encode("utf-8")
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(encoded)))
            self.end_headers()
            if body:
                self.wfile.write(encoded)

    return Handler


@contextlib.contextmanager
def _quiet(log: Path | None) -> Iterator[None]:
    """Route the servers' loggers to ``log`` (or nowhere) for the duration of the block."""
    handler: logging.Handler
    if log is not None:
        log.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(log, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    else:
        handler = logging.NullHandler()
    saved = []
    for name in _SERVER_LOGGERS:
        logger = logging.getLogger(name)
        saved.append((logger, logger.propagate, list(logger.handlers)))
        logger.handlers = [handler]
        logger.propagate = False
    try:
        yield
    finally:
        for logger, propagate, handlers in saved:
            logger.handlers = handlers
            logger.propagate = propagate
        handler.close()
