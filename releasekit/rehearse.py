"""A throwaway index on 127.0.0.1 for `publish --rehearse`: the real pipeline, no real upload.

pypiserver runs in this process on an ephemeral port with a random uploader password and
an empty package directory; everything is torn down when the block ends.
"""

from __future__ import annotations

import contextlib
import secrets
import shutil
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from releasekit.errors import UsageError
from releasekit.redact import register


@dataclass(frozen=True)
class ThrowawayIndex:
    url: str
    username: str
    password: str

    @property
    def simple_url(self) -> str:
        return self.url + "simple/"


@contextlib.contextmanager
def throwaway_index() -> Iterator[ThrowawayIndex]:
    try:
        import pypiserver
        import waitress
        from passlib.apache import HtpasswdFile
    except ImportError:
        raise UsageError(
            "--rehearse needs pypiserver, passlib and waitress",
            code="RK153",
            hint="pip install 'releasekit[rehearse]'",
        ) from None
    tmp = Path(tempfile.mkdtemp(prefix="releasekit-rehearse-"))
    packages = tmp / "packages"
    packages.mkdir()
    username, password = "rehearsal", secrets.token_urlsafe(18)
    register(password)
    htpasswd = HtpasswdFile(str(tmp / "htpasswd"), new=True)
    htpasswd.set_password(username, password)
    htpasswd.save()
    app = pypiserver.app(
        roots=[str(packages)],
        authenticate=["update"],
        password_file=str(tmp / "htpasswd"),
        disable_fallback=True,
    )
    server = waitress.create_server(app, host="127.0.0.1", port=0, threads=8, ident="releasekit-rehearsal")
    port = server.effective_port
    thread = threading.Thread(target=server.run, name="rehearsal-index", daemon=True)
    thread.start()
    try:
        yield ThrowawayIndex(f"http://127.0.0.1:{port}/", username, password)
    finally:
        server.close()
        thread.join(timeout=5)
        shutil.rmtree(tmp, ignore_errors=True)
