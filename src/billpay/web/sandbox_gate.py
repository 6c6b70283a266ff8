"""The built-in sandboxes as demo equipment behind ``/sandbox/<platform>``, not production surface.

A request reaches a sandbox (its consent page, API and control plane) only when it comes from an admin of
an organization that uses that sandbox — a signed-in admin (session cookie) or an admin's API key in
``X-Billpay-Key`` (``Authorization`` belongs to the platform's own protocol) — and the organization has
a connection to that sandbox, or is in the middle of connecting to it (the signed consent ``state``).
The sandbox itself is built on first such use. Its control plane is the installation's, shared by every
organization's company: through here it may only be read (``GET /_sandbox/clock|faults|limits``); resetting,
seeding, faults, the clock, limits, the request log and the "person in the platform" helpers that reach any
company are refused, so one organization's admin cannot change or see what others run on (``billpay sandbox
<platform>`` runs a sandbox of one's own, with its whole control plane).
"""
from __future__ import annotations

import json
import urllib.parse
from typing import Any

from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.types import Receive, Scope, Send

from ..db import tables as t
from ..domain.users import Role
from ..services import accounting
from ..services.context import Actor
from ..services.orgs import authenticate_api_key

CONTROL = "/_sandbox"
READABLE = ("/_sandbox/clock", "/_sandbox/faults", "/_sandbox/limits")


class SandboxGate:
    def __init__(self, container: Any, platform: str) -> None:
        self.container, self.platform = container, platform

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        body = b""
        if scope.get("method") == "POST":
            more = True
            while more:
                message = await receive()
                body += message.get("body", b"")
                more = message.get("more_body", False)
        verdict = await run_in_threadpool(self._verdict, scope, body)
        if verdict is not None:
            status, detail = verdict
            payload = json.dumps({"type": "about:blank", "title": "Forbidden" if status == 403 else "Unauthorized",
                                  "status": status, "code": "sandbox_not_available", "detail": detail}).encode()
            await send({"type": "http.response.start", "status": status,
                        "headers": [(b"content-type", b"application/problem+json")]})
            await send({"type": "http.response.body", "body": payload})
            return
        replayed = False

        async def replay() -> dict:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        app = self.container.builtin_sandbox(self.platform).app
        await app(scope, replay if scope.get("method") == "POST" else receive, send)

    # -- who may --------------------------------------------------------------------------------------
    def _actor(self, scope: Scope) -> Actor | None:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers") or []}
        key = headers.get("x-billpay-key")
        with self.container.sessionmaker() as s:
            if key:
                return authenticate_api_key(s, key.strip())
            session = scope.get("session") or {}
            uid = session.get("uid")
            if not uid:
                return None
            user = s.get(t.User, uid)
            if user is None or not user.active or (session.get("org") and user.org_id != session.get("org")):
                return None
            return Actor(user.org_id, user.id, frozenset(user.roles or []), "user")

    def _verdict(self, scope: Scope, body: bytes) -> tuple[int, str] | None:
        actor = self._actor(scope)
        if actor is None:
            return 401, "The built-in sandbox answers a signed-in admin or an admin's API key (X-Billpay-Key)."
        if Role.ADMIN.value not in actor.roles:
            return 403, "Only an admin may use the built-in sandbox."
        path = scope.get("path", "")
        root = scope.get("root_path", "")
        inner = path[len(root):] if root and path.startswith(root) else path
        inner = inner.rstrip("/")
        if inner == CONTROL or inner.startswith(CONTROL + "/"):
            if not (scope.get("method") == "GET" and inner in READABLE):
                return 403, ("The installation's sandbox is shared by its organizations: its control plane is not "
                             "changed here (reset, seed, faults, clock, limits, request log, other companies). Run "
                             "`billpay sandbox <platform>` for a sandbox of your own.")
        if self._uses(actor.org_id) or self._consenting(actor.org_id, scope, body):
            return None
        return 403, "Your organization does not use this sandbox: connect it on the Connections page first."

    def _uses(self, org_id: str) -> bool:
        with self.container.sessionmaker() as s:
            return s.scalars(select(t.Connection.id).where(t.Connection.org_id == org_id,
                                                           t.Connection.platform == self.platform,
                                                           t.Connection.sandbox.is_(True))).first() is not None

    def _consenting(self, org_id: str, scope: Scope, body: bytes) -> bool:
        query = dict(urllib.parse.parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        form = dict(urllib.parse.parse_qsl(body.decode("utf-8", "replace"))) if body else {}
        state = query.get("state") or form.get("state")
        data = accounting.oauth_pending(self.container, state) if state else None
        return bool(data and data.get("org") == org_id and data.get("platform") == self.platform)
