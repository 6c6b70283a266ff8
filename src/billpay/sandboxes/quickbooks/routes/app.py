"""``create_app(state)``: the QuickBooks Online sandbox as one ASGI app.

Routes: the Accounting API under ``/v3/company/{realmId}/``, OAuth and OpenID
endpoints (``routes/oauth.py``), and the control plane under ``/_sandbox/``
(``routes/control.py``). The app may be mounted under a prefix; every URL it
hands out is built from the URL it was reached at.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from ...core import sandbox_base_url
from ..models import QuickBooksState
from .api import build_api_router
from .control import build_control_router
from .oauth import build_oauth_router, discovery_document


def create_app(state: QuickBooksState | None = None) -> FastAPI:
    """The sandbox app over ``state`` (a fresh, empty state when omitted)."""
    state = state if state is not None else QuickBooksState()
    app = FastAPI(title="QuickBooks Online sandbox", openapi_url=None, docs_url=None, redoc_url=None)
    app.state.qbo = state
    app.include_router(build_oauth_router(state))
    app.include_router(build_control_router(state))
    app.include_router(build_api_router(state))

    @app.get("/")
    async def index(request: Request) -> JSONResponse:
        base = sandbox_base_url(request)
        return JSONResponse(
            {
                "platform": "quickbooks",
                "api_base_url": f"{base}/v3",
                "discovery_url": f"{base}/.well-known/openid_configuration",
                "companies": state.realm_ids(),
                "oauth": discovery_document(base),
            }
        )

    return app
