"""The Sage Intacct sandbox: the XML Web Services gateway (``POST /ia/xml/xmlgw.phtml``, DTD 3.0).

Public names:

- ``IntacctState`` — the state, no HTTP (``models.py``): senders, companies, sessions, faults.
- ``create_app(state)`` — the FastAPI app (``routes.py``).
- ``in_process_transport(app)`` — an ``httpx`` transport that calls the app without a socket.
- ``server.run(host, port)`` — serve one seeded company (``python -m billpay.sandboxes.intacct.server``).
"""
from __future__ import annotations

import httpx
from starlette.types import ASGIApp

from ..core import InProcessTransport
from .models import GATEWAY_PATH, IntacctState, UnknownCompany, connection_info
from .routes import create_app


def in_process_transport(app: ASGIApp, *, root_path: str = "") -> httpx.BaseTransport:
    """A synchronous transport for ``httpx.Client(transport=...)``; a committed write whose response the
    "timeout after commit" fault withholds raises ``httpx.ReadTimeout``."""
    return InProcessTransport(app, root_path=root_path)


__all__ = ["GATEWAY_PATH", "IntacctState", "UnknownCompany", "connection_info", "create_app",
           "in_process_transport"]
