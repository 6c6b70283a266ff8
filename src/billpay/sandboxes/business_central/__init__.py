"""The Microsoft Dynamics 365 Business Central sandbox (API v2.0 over OData v4, Entra ID sign-in).

Public names:

- ``BusinessCentralState`` — the state, no HTTP (``models.py``).
- ``create_app(state)`` — the FastAPI app (``routes/app.py``).
- ``in_process_transport(app)`` — an ``httpx`` transport that calls the app without a socket.
- ``BCError`` — the error type state methods raise.
- ``server.run(host, port)`` — serve one seeded company (``python -m billpay.sandboxes.business_central.server``).
"""

from __future__ import annotations

import httpx
from starlette.types import ASGIApp

from ..core import InProcessTransport
from .errors import BCError
from .models import BusinessCentralState, connection_info
from .routes import create_app


def in_process_transport(app: ASGIApp, *, root_path: str = "") -> httpx.BaseTransport:
    """A synchronous transport for ``httpx.Client(transport=..., base_url=...)``; a committed write whose
    answer is withheld ("timeout after commit") raises ``httpx.ReadTimeout``."""
    return InProcessTransport(app, root_path=root_path)


__all__ = ["BCError", "BusinessCentralState", "connection_info", "create_app", "in_process_transport"]
