"""``create_app(state)``: the Business Central sandbox as one ASGI app.

Routes: the API v2.0 under ``/v2.0/…`` (``routes/api.py``), Entra ID's endpoints under
``/{tenant}/…`` and ``/common/discovery/instance`` (``routes/entra.py``), and the control plane
under ``/_sandbox/`` (``routes/control.py``). The app may be mounted under a prefix; every URL it
hands out is built from the address it was reached at.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from ..models import BusinessCentralState
from .api import build_api_router
from .common import client_base
from .control import build_control_router
from .entra import build_entra_router


def create_app(state: BusinessCentralState | None = None) -> FastAPI:
    """The sandbox app over ``state`` (a fresh, empty state when omitted)."""
    state = state if state is not None else BusinessCentralState()
    app = FastAPI(title="Business Central sandbox", openapi_url=None, docs_url=None, redoc_url=None)
    app.state.bc = state
    app.include_router(build_control_router(state))
    app.include_router(build_api_router(state))
    app.include_router(build_entra_router(state))

    @app.get("/")
    async def index(request: Request) -> JSONResponse:
        base = client_base(request)
        with state.lock:
            tenants = {t.id: sorted(t.environments) for t in state.tenants.values()}
        return JSONResponse({"platform": "business_central", "api": f"{base}/v2.0/{{tenant}}/{{environment}}/api/v2.0",
                             "token_endpoint": f"{base}/{{tenant}}/oauth2/v2.0/token", "tenants": tenants})

    return app
