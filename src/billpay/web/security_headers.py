"""Security headers on every answer of the web app and the API.

Pages get a Content-Security-Policy without inline script (scripts come from /static only), may not be
framed, are not MIME-sniffed and send only their origin as referrer. The built-in sandboxes under
/sandbox/ stand in for other sites and keep their own headers.
"""
from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

PAGE_CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
            "connect-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'")
COMMON = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"same-origin")]
PAGES = [(b"content-security-policy", PAGE_CSP.encode()), (b"x-frame-options", b"DENY")]


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if scope["type"] != "http" or path.startswith("/sandbox/"):
            await self.app(scope, receive, send)
            return
        extra = COMMON if path.startswith("/api/") else COMMON + PAGES

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [(k, v) for k, v in extra
                                                                         if k not in present]
            await send(message)

        await self.app(scope, receive, send_with_headers)
