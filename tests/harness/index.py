"""A local package index for tests: the real pypiserver 2.4.2, in-process, behind a front.

Layout (both on 127.0.0.1, ephemeral ports, started in this process)::

    client (uv, requests) --> front (stdlib HTTP/1.1, ours) --> pypiserver on waitress

pypiserver stores, authenticates, lists and serves the files. The front adds what no
installable server offers (notes/test-harness.md): fault injection including real dropped
connections (a WSGI app cannot drop its socket), index lag, PyPI's duplicate-upload
answers, the PyPI JSON API, PEP 691 JSON, latency, a request log and per-file upload
counts. Stores exclude listings and downloads, because pypiserver writes an upload in
place: without that, a poller can see a half-written file and its wrong sha256.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from releasekit.engine.localindex import serve_pypiserver
from tests.harness import pypi
from tests.harness.faults import Faults, RequestRecord, UploadStats
from tests.harness.front import FrontServer
from tests.harness.netutil import ServerThread

USERNAME = "releasekit-test"
PASSWORD = "s3cret-test-password"

class _StorageLock:
    """Readers (listings, downloads) never see a file pypiserver is still writing in place:
    stores take the lock exclusively, reads share it. Waiting writers go first, so a
    client polling the index cannot starve an upload."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writing = False
        self._writers_waiting = 0

    @contextmanager
    def read(self) -> Iterator[None]:
        with self._cond:
            self._cond.wait_for(lambda: not self._writing and not self._writers_waiting)
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                self._cond.notify_all()

    @contextmanager
    def write(self) -> Iterator[None]:
        with self._cond:
            self._writers_waiting += 1
            self._cond.wait_for(lambda: not self._writing and self._readers == 0)
            self._writers_waiting -= 1
            self._writing = True
        try:
            yield
        finally:
            with self._cond:
                self._writing = False
                self._cond.notify_all()


class UploadGate:
    """Holds upload POSTs (after they are read, before they are stored) until released.

    For crash tests: wait until the client is mid-upload, kill it, then release.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._open = False
        self._waiting: list[str] = []

    def enter(self, filename: str, timeout: float = 60.0) -> None:
        with self._cond:
            self._waiting.append(filename)
            self._cond.notify_all()
            self._cond.wait_for(lambda: self._open, timeout)
            self._waiting.remove(filename)

    def wait_arrived(self, count: int = 1, timeout: float = 30.0) -> list[str]:
        """Block until ``count`` uploads are held; returns their filenames."""
        with self._cond:
            if not self._cond.wait_for(lambda: len(self._waiting) >= count, timeout):
                raise TimeoutError(f"{len(self._waiting)} of {count} uploads arrived")
            return list(self._waiting)

    def release(self) -> None:
        with self._cond:
            self._open = True
            self._cond.notify_all()


class LocalIndex:
    """A running local index. Start one with ``LocalIndex(package_dir, seed_dirs=[...])``
    (or the ``local_index`` fixture); always :meth:`stop` it."""

    def __init__(self, package_dir: Path, *, seed_dirs: Iterable[Path] = (), seed: int = 0,
                 username: str = USERNAME, password: str = PASSWORD) -> None:
        from passlib.apache import HtpasswdFile

        self.package_dir = Path(package_dir)
        self.package_dir.mkdir(parents=True, exist_ok=True)
        self.seed_dirs = tuple(Path(d) for d in seed_dirs)
        self.username = username
        self.password = password
        self.faults = Faults(seed)
        self._auth_dir = Path(tempfile.mkdtemp(prefix="rk-index-auth-"))
        htpasswd = HtpasswdFile(str(self._auth_dir / "htpasswd"), new=True)
        htpasswd.set_password(username, password)
        htpasswd.save()
        self._expected_auth = "Basic " + _b64(f"{username}:{password}")

        self._lock = threading.Condition()
        self._requests: list[RequestRecord] = []
        self._uploads: dict[str, UploadStats] = {}
        self._visible_at: dict[str, float] = {}
        self._ever_stored: set[str] = set()
        self._storage = _StorageLock()
        self._gate: UploadGate | None = None
        self.scanner = pypi.DistScanner([self.package_dir, *self.seed_dirs])

        # waitress warns "Task queue depth is N" whenever uv opens parallel connections.
        logging.getLogger("waitress.queue").setLevel(logging.ERROR)
        # pypiserver stores uploads in its first root, so uploads land in package_dir.
        self._backend = serve_pypiserver([self.package_dir, *self.seed_dirs], threads=4, name="index-backend",
                                         authenticate=["update"], hash_algo="sha256",
                                         password_file=str(self._auth_dir / "htpasswd"))
        try:
            self._front = FrontServer(self)
            self._runner = ServerThread(self._front, name="index-front")
        except BaseException:
            self._backend.stop()
            raise
        self.url = f"http://127.0.0.1:{self._front.port}"
        self.simple_url = f"{self.url}/simple/"
        self.upload_url = f"{self.url}/"
        self.json_api_url = f"{self.url}/pypi/"
        self.backend_url = f"http://127.0.0.1:{self._backend.port}"
        self._stopped = False

    # -- what tests look at -------------------------------------------------------------

    def files(self) -> dict[str, str]:
        """filename -> sha256 of every stored file, seeded build backends excluded."""
        out = {}
        with self._storage.read():
            for path in sorted(self.package_dir.iterdir()):
                if path.is_file() and not path.name.startswith("."):
                    out[path.name] = hashlib.sha256(path.read_bytes()).hexdigest()
        return out

    @property
    def uploads(self) -> dict[str, UploadStats]:
        with self._lock:
            return dict(self._uploads)

    @property
    def requests(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._requests)

    def requests_for(self, method: str | None = None, prefix: str = "") -> list[RequestRecord]:
        return [r for r in self.requests
                if (method is None or r.method == method) and r.path.startswith(prefix)]

    def wait_for_request(self, predicate: Callable[[RequestRecord], bool],
                         timeout: float = 10.0) -> RequestRecord:
        """The first logged request (earlier ones included) that satisfies ``predicate``,
        waiting for new ones up to ``timeout`` seconds."""
        with self._lock:
            seen = 0

            def found() -> RequestRecord | None:
                nonlocal seen
                for record in self._requests[seen:]:
                    if predicate(record):
                        return record
                seen = len(self._requests)
                return None

            hit = found()
            deadline = time.monotonic() + timeout
            while hit is None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError("no matching request reached the index")
                self._lock.wait(remaining)
                hit = found()
            return hit

    def hold_uploads(self) -> UploadGate:
        """From now on upload POSTs wait at a gate until ``gate.release()`` (or stop())."""
        gate = UploadGate()
        with self._lock:
            self._gate = gate
        return gate

    def reveal(self) -> None:
        """End the lag now for every file stored so far."""
        with self._lock:
            self._visible_at.clear()

    def hidden(self) -> set[str]:
        """Filenames stored but not visible yet (index lag)."""
        now = time.monotonic()
        with self._lock:
            return {f for f, at in self._visible_at.items() if now < at}

    def stop(self) -> None:
        """Stop both servers and join every thread they started. Idempotent."""
        if self._stopped:
            return
        self._stopped = True
        with self._lock:
            gate = self._gate
        if gate is not None:
            gate.release()
        self._runner.stop()
        self._backend.stop()
        shutil.rmtree(self._auth_dir, ignore_errors=True)

    def __enter__(self) -> LocalIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"LocalIndex({self.url}, package_dir={self.package_dir})"

    # -- used by the front --------------------------------------------------------------

    def _log(self, record: RequestRecord) -> None:
        with self._lock:
            self._requests.append(record)
            self._lock.notify_all()

    def _count_post(self, filename: str) -> None:
        with self._lock:
            stats = self._uploads.get(filename, UploadStats())
            exists = (self.package_dir / filename).exists()
            self._uploads[filename] = replace(stats, posts=stats.posts + 1,
                                              duplicates=stats.duplicates + int(exists))

    def _count_outcome(self, filename: str, status: int | None, stored: bool) -> None:
        with self._lock:
            stats = self._uploads.get(filename, UploadStats())
            self._uploads[filename] = replace(stats, stored=stats.stored + int(stored),
                                              outcomes=(*stats.outcomes, status))

    def _visible(self) -> dict[str, list[pypi.DistFile]]:
        hidden = self.hidden()
        projects: dict[str, list[pypi.DistFile]] = {}
        with self._storage.read():
            dists = self.scanner.scan()
        for dist in dists:
            if dist.filename not in hidden:
                projects.setdefault(dist.project, []).append(dist)
        return projects


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()
