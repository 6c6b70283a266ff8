"""The NetSuite sandbox (SuiteTalk REST web services: record service v1, SuiteQL, TBA and OAuth 2.0).

Public names:

- ``NetSuiteState`` — the state, no HTTP (``models.py``).
- ``create_app(state)`` — the FastAPI app (``app.py``).
- ``in_process_transport(app)`` — an ``httpx`` transport that calls the app without a socket.
- ``NsError`` — the error type state methods raise (``errors.py``).
- ``server.run(host, port)`` — serve one seeded account (``python -m billpay.sandboxes.netsuite.server``).
"""

from __future__ import annotations

import httpx
from starlette.types import ASGIApp

from ..core import InProcessTransport
from .app import create_app
from .errors import NsError
from .models import NetSuiteState, UnknownAccount, connection_info


def in_process_transport(app: ASGIApp, *, root_path: str = "") -> httpx.BaseTransport:
    """A synchronous transport for ``httpx.Client(transport=..., base_url=...)`` (see ``core.transport``)."""
    return InProcessTransport(app, root_path=root_path)


__all__ = ["NetSuiteState", "NsError", "UnknownAccount", "connection_info", "create_app", "in_process_transport"]
