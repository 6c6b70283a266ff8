"""Running a sandbox app under uvicorn on a free port in a background thread."""

from __future__ import annotations

import json
import socket
import sys
import threading
import time
from typing import Callable, TextIO

import uvicorn
from starlette.types import ASGIApp


def bind_socket(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    """A bound, listening TCP socket; port 0 picks a free port.

    Listening before the server starts means clients that connect early wait
    in the backlog instead of being refused.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def public_host(host: str) -> str:
    return "127.0.0.1" if host in ("0.0.0.0", "") else host


class BackgroundServer:
    """uvicorn serving ``app`` in a daemon thread; use as a context manager.

    ``base_url`` is known once ``start()`` returns.
    """

    def __init__(self, app: ASGIApp, host: str = "127.0.0.1", port: int = 0) -> None:
        self._sock = bind_socket(host, port)
        self.host = public_host(host)
        self.port = self._sock.getsockname()[1]
        config = uvicorn.Config(
            app, log_level="warning", lifespan="off", timeout_graceful_shutdown=1, access_log=False
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._sock]}, name="sandbox-server", daemon=True
        )

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 10.0) -> "BackgroundServer":
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("sandbox server did not start")
            time.sleep(0.01)
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._server.should_exit = True
        self._thread.join(timeout)
        if self._thread.is_alive():
            self._server.force_exit = True
            self._thread.join(timeout)
        self._sock.close()

    def __enter__(self) -> "BackgroundServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve_announced(host: str, port: int, prepare: Callable[[str], tuple[ASGIApp, dict]],
                    out: TextIO | None = None) -> None:
    """Serve a sandbox until killed, first printing one JSON line saying how to connect.

    ``prepare(base_url)`` seeds what it needs and returns ``(app, connection info)``; port 0 picks a free
    port, and the base URL handed to ``prepare`` is the real one, bound before anything is printed.
    """
    sock = bind_socket(host, port)
    app, info = prepare(f"http://{public_host(host)}:{sock.getsockname()[1]}")
    stream = out or sys.stdout
    stream.write(json.dumps(info) + "\n")
    stream.flush()
    config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
    uvicorn.Server(config).run(sockets=[sock])
