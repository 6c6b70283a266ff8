"""The web app: server-rendered pages over the same services as the JSON API.

``install(app, container)`` adds the cookie session, the signed-in user for
pages and for htmx calls to the API, the static files (one stylesheet, a small
script and a vendored htmx) and the page routes.
"""
from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from starlette.middleware.sessions import SessionMiddleware
from starlette.staticfiles import StaticFiles

from . import errors
from .login_limit import DbLoginLimiter
from .session import SessionActorMiddleware

STATIC = Path(__file__).parent / "static"


def install(app: FastAPI, container) -> None:  # noqa: ANN001
    from .routes import accounting, auth, bill_entry, bills, payments, people, rules, settings, vendors

    app.state.login_limiter = DbLoginLimiter(container, container.settings.login_rate_limit)
    # Added first = inner: the session is decoded before the actor is looked up.
    app.add_middleware(SessionActorMiddleware, container=container)
    app.add_middleware(SessionMiddleware, secret_key=container.settings.resolved_secret_key,
                       session_cookie="billpay_session", max_age=12 * 3600, same_site="lax",
                       https_only=container.settings.public_url.startswith("https://"))
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for module in (auth, bill_entry, bills, payments, vendors, rules, settings, accounting, people):
        app.include_router(module.router, include_in_schema=False)
    errors.install(app)
