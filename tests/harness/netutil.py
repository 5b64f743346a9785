"""Loopback servers that stop at once and leave no thread behind, and an egress trap.

``socketserver.serve_forever`` polls (stopping waits up to ``poll_interval``) and its
keep-alive handler threads block until the client goes away. :class:`ServerThread` waits
on the listening socket and a wake-up pipe instead, and on stop shuts every live
connection down before joining the handler threads.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import socket
import socketserver
import sys
import threading
from http.server import ThreadingHTTPServer
from typing import Any


class TrackingHTTPServer(ThreadingHTTPServer):
    """A threading HTTP server that knows its open connections, so stop can close them."""

    def __init__(self, handler: type[socketserver.BaseRequestHandler], name: str) -> None:
        super().__init__(("127.0.0.1", 0), handler)
        self.name = name
        self._conns: set[socket.socket] = set()
        self._conns_lock = threading.Lock()
        self._handler_threads: list[threading.Thread] = []

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def process_request(self, request: Any, client_address: Any) -> None:
        """Like ThreadingMixIn's, but the handler thread is named after the server."""
        thread = threading.Thread(target=self.process_request_thread,
                                  args=(request, client_address), name=f"{self.name}-conn")
        with self._conns_lock:
            self._conns.add(request)
            self._handler_threads = [t for t in self._handler_threads if t.is_alive()]
            self._handler_threads.append(thread)
        thread.start()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away mid-request (a killed upload) is not the server's error."""
        if isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            return
        super().handle_error(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._conns_lock:
            self._conns.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """Wake every handler blocked on a keep-alive read, then wait for all of them."""
        with self._conns_lock:
            conns = list(self._conns)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        with self._conns_lock:
            threads = list(self._handler_threads)
        for thread in threads:
            thread.join()


class ServerThread:
    """Runs ``server`` on a thread until :meth:`stop`, which returns only when all is closed."""

    def __init__(self, server: socketserver.TCPServer, name: str) -> None:
        self.server = server
        self._wake_r, self._wake_w = os.pipe()
        self._stopped = False
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        with selectors.DefaultSelector() as selector:
            selector.register(self.server.fileno(), selectors.EVENT_READ, "accept")
            selector.register(self._wake_r, selectors.EVENT_READ, "wake")
            while True:
                for key, _events in selector.select():
                    if key.data == "wake":
                        return
                    self.server._handle_request_noblock()  # type: ignore[attr-defined]

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        os.write(self._wake_w, b"x")
        self._thread.join()
        if isinstance(self.server, TrackingHTTPServer):
            self.server.close_connections()
        self.server.server_close()
        os.close(self._wake_r)
        os.close(self._wake_w)


class _TrapHandler(socketserver.StreamRequestHandler):
    timeout = 5

    def handle(self) -> None:
        try:
            line = self.rfile.readline(4096).decode("latin-1").strip()
        except OSError:
            line = ""
        trap: EgressTrap = self.server.trap  # type: ignore[attr-defined]
        trap.record(line or "<no request line>")
        body = b"egress blocked by the releasekit test harness\n"
        self.wfile.write(
            b"HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nConnection: close\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
        )


class _TrapServer(TrackingHTTPServer):
    def __init__(self, trap: EgressTrap) -> None:
        super().__init__(_TrapHandler, "egress-trap")
        self.trap = trap


class EgressTrap:
    """A fake HTTP(S) proxy on loopback. Point HTTP(S)_PROXY at it (with NO_PROXY for
    127.0.0.1): any attempt to reach a non-local host lands here, is refused with 403,
    and is recorded (e.g. ``CONNECT pypi.org:443 HTTP/1.1``) so a test can fail on it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._attempts: list[str] = []
        self._server = _TrapServer(self)
        self.url = f"http://127.0.0.1:{self._server.port}"
        self._runner = ServerThread(self._server, name="egress-trap")

    def record(self, line: str) -> None:
        with self._lock:
            self._attempts.append(line)

    @property
    def attempts(self) -> list[str]:
        with self._lock:
            return list(self._attempts)

    def stop(self) -> None:
        self._runner.stop()
