"""A synchronous ``httpx`` transport that calls an ASGI app in-process.

Connectors take an ``httpx.Client``; tests and the embedded demo hand them
``httpx.Client(transport=InProcessTransport(app), base_url=...)`` so no socket
is opened. Each request runs the app on a fresh event loop in the calling
thread (or in a helper thread when the caller already runs an event loop), so
several threads may use one transport at once and the app sees them as
concurrent requests.

When the app withholds a committed response (fault "timeout after commit"),
the transport raises ``httpx.ReadTimeout`` just as a real client would.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import anyio
import httpx
from starlette.types import ASGIApp, Message

from .faults import IN_PROCESS_SCOPE_KEY, WITHHELD_RESPONSE_HEADER


class InProcessTransport(httpx.BaseTransport):
    """Serve ``httpx`` requests from an ASGI app without a network.

    ``root_path`` is the prefix the app is mounted under (if the base URL
    carries one, e.g. ``http://local/sandbox/quickbooks``); request paths keep
    the prefix, as Starlette expects of mounted apps.
    """

    def __init__(
        self, app: ASGIApp, *, root_path: str = "", client: tuple[str, int] = ("127.0.0.1", 50000)
    ) -> None:
        self.app = app
        self.root_path = root_path.rstrip("/")
        self.client = client

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        scope = self._scope(request)
        status, headers, content = _run(self._call, scope, body)
        if any(k.lower() == WITHHELD_RESPONSE_HEADER.encode() for k, _ in headers):
            raise httpx.ReadTimeout(
                "the sandbox committed the write but withheld its response", request=request
            )
        return httpx.Response(status, headers=headers, content=content, request=request)

    def _scope(self, request: httpx.Request) -> dict[str, Any]:
        url = request.url
        port = url.port or (443 if url.scheme == "https" else 80)
        return {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": request.method,
            "scheme": url.scheme,
            "path": url.path,
            "raw_path": url.raw_path.split(b"?", 1)[0],
            "query_string": url.query,
            "root_path": self.root_path,
            "headers": [(k.lower(), v) for k, v in request.headers.raw],
            "client": self.client,
            "server": (url.host, port),
            "extensions": {IN_PROCESS_SCOPE_KEY: True},
            "state": {},
        }

    async def _call(self, scope: dict[str, Any], body: bytes) -> tuple[int, list, bytes]:
        sent_request = False
        response_done = anyio.Event()
        status = 500
        headers: list[tuple[bytes, bytes]] = []
        chunks: list[bytes] = []

        async def receive() -> Message:
            nonlocal sent_request
            if not sent_request:
                sent_request = True
                return {"type": "http.request", "body": body, "more_body": False}
            await response_done.wait()
            return {"type": "http.disconnect"}

        async def send(message: Message) -> None:
            nonlocal status, headers
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    response_done.set()

        await self.app(scope, receive, send)
        return status, headers, b"".join(chunks)


def _run(fn: Any, *args: Any) -> Any:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return anyio.run(fn, *args)
    # The caller is inside an event loop: run ours on a helper thread.
    result: dict[str, Any] = {}

    def target() -> None:
        try:
            result["value"] = anyio.run(fn, *args)
        except BaseException as exc:  # re-raised in the caller's thread
            result["error"] = exc

    thread = threading.Thread(target=target, name="sandbox-in-process", daemon=True)
    thread.start()
    thread.join()
    if "error" in result:
        raise result["error"]
    return result["value"]
