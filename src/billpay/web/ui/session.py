"""Who is signed in: the cookie session and CSRF tokens (the sign-in rate limit is in login_limit.py).

The session cookie (signed, not encrypted) holds only the user id, the
organization id and the CSRF token. Every request reloads the user, so a
deactivated user or a changed role takes effect at once. The JSON API accepts
the session too (the pages call it with htmx), but a cookie-authenticated write
to the API must carry the CSRF token in ``X-CSRF-Token``.
"""
from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from ...db import tables as t
from ...services.context import Actor

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class SessionUser:
    """The signed-in person as the pages need them."""

    actor: Actor
    email: str
    name: str
    org_name: str
    tz: str = "America/New_York"

    @property
    def display_name(self) -> str:
        return self.name or self.email


def csrf_token(session: dict) -> str:
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(32)
    return token


def csrf_ok(session: dict, presented: str | None) -> bool:
    expected = session.get("csrf")
    return bool(expected and presented and hmac.compare_digest(expected, presented))


def _load(container, user_id: str, org_id: str | None) -> SessionUser | None:  # noqa: ANN001
    with container.sessionmaker() as s:
        user = s.get(t.User, user_id)
        if user is None or not user.active or (org_id and user.org_id != org_id):
            return None
        org = s.get(t.Organization, user.org_id)
        tz = ((org.settings or {}).get("timezone") if org else None) or "America/New_York"
        return SessionUser(Actor(user.org_id, user.id, frozenset(user.roles or []), "user"),
                           user.email, user.name or "", org.name if org else "", tz)


class SessionActorMiddleware:
    """Sets ``request.state.session_user`` / ``session_actor`` from the session cookie."""

    def __init__(self, app: ASGIApp, container) -> None:  # noqa: ANN001
        self.app = app
        self.container = container

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope["path"].startswith(("/static/", "/sandbox/")):
            session = scope.get("session")
            uid = session.get("uid") if session is not None else None
            if uid:
                user = await run_in_threadpool(_load, self.container, uid, session.get("org"))
                if user is None:
                    session.clear()
                else:
                    state = scope.setdefault("state", {})
                    state["session_user"] = user
                    api_write = scope["path"].startswith("/api/") and scope["method"] not in SAFE_METHODS
                    headers = dict(scope.get("headers") or [])
                    token = headers.get(b"x-csrf-token", b"").decode("latin-1")
                    if not api_write or csrf_ok(session, token):
                        state["session_actor"] = user.actor
        await self.app(scope, receive, send)
