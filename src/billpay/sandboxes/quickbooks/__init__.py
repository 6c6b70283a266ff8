"""The QuickBooks Online sandbox (Accounting API v3, OAuth 2.0).

Public names:

- ``QuickBooksState`` — the state, no HTTP (``models.py``).
- ``create_app(state)`` — the FastAPI app (``routes/app.py``).
- ``in_process_transport(app)`` — an ``httpx`` transport that calls the app without a socket.
- ``QBOFault`` — the fault type state methods raise.
- ``server.run(host, port)`` — serve one seeded company (``python -m billpay.sandboxes.quickbooks.server``).
"""

from __future__ import annotations

import httpx
from starlette.types import ASGIApp

from ..core import InProcessTransport
from .errors import AuthFault, QBOFault
from .models import QuickBooksState, UnknownCompany, connection_info
from .routes import create_app


def in_process_transport(app: ASGIApp, *, root_path: str = "") -> httpx.BaseTransport:
    """A synchronous transport for ``httpx.Client(transport=..., base_url=...)``.

    A committed write whose response is withheld by the "timeout after commit"
    fault raises ``httpx.ReadTimeout``. Pass ``root_path`` when the base URL
    carries the prefix the app is mounted under.
    """
    return InProcessTransport(app, root_path=root_path)


__all__ = [
    "AuthFault",
    "QBOFault",
    "QuickBooksState",
    "UnknownCompany",
    "connection_info",
    "create_app",
    "in_process_transport",
]
