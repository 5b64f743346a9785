"""A real local index made slow on purpose, for watching a real publish in a terminal.

pypiserver (the rehearsal index, in this process) behind a stdlib reverse proxy that waits
``delay`` seconds before forwarding each request, so every index-bound stage takes long
enough to pause, watch and cancel.
"""

from __future__ import annotations

import contextlib
import http.client
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from releasekit.engine.localindex import local_index

HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
    "proxy-authorization",
    "proxy-authenticate",
}


@dataclass
class SlowIndex:
    url: str
    username: str
    password: str
    delay: float  # may be changed while the index runs

    @property
    def simple_url(self) -> str:
        return self.url + "simple/"


def _handler(backend: str, index: list[SlowIndex]) -> type[BaseHTTPRequestHandler]:
    target = urlsplit(backend)

    class Proxy(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def _forward(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            time.sleep(index[0].delay)
            conn = http.client.HTTPConnection(target.hostname, target.port, timeout=60)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            headers["Host"] = target.netloc
            conn.request(self.command, self.path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
            conn.close()
            self.send_response(response.status, response.reason)
            proxy_base = f"http://{self.headers.get('Host', '')}"
            for key, raw in response.getheaders():
                if key.lower() in HOP_BY_HOP or (
                    key.lower() == "content-length" and self.command != "HEAD"
                ):
                    continue  # a HEAD answer keeps the real length (uv reads wheels by range)
                value = (
                    raw.replace(backend.rstrip("/"), proxy_base)
                    if key.lower() == "location"
                    else raw
                )
                self.send_header(key, value)
            if self.command != "HEAD":
                self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        do_GET = do_POST = do_HEAD = _forward

    return Proxy


@contextlib.contextmanager
def slow_index(delay: float) -> Iterator[SlowIndex]:
    with local_index() as backend:
        holder: list[SlowIndex] = []
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(backend.url, holder))
        server.daemon_threads = True
        holder.append(
            SlowIndex(
                f"http://127.0.0.1:{server.server_address[1]}/",
                backend.username,
                backend.password,
                delay,
            )
        )
        thread = threading.Thread(target=server.serve_forever, name="slow-index", daemon=True)
        thread.start()
        try:
            yield holder[0]
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)
