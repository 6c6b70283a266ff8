"""Registry factory: a stored connection -> ``IntacctConnector``."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx

from billpay.connectors.intacct import wire
from billpay.connectors.intacct.connector import IntacctConnector

if TYPE_CHECKING:
    from billpay.connectors import ConnectionSettings


def endpoint_of(settings: ConnectionSettings) -> str:
    """The gateway URL: ``endpoint_url``, else ``base_url`` + the gateway path, else Intacct's own."""
    endpoint = settings.config.get("endpoint_url")
    if endpoint:
        return str(endpoint)
    base = settings.config.get("base_url")
    return str(base).rstrip("/") + wire.GATEWAY_PATH if base else wire.OFFICIAL_ENDPOINT


def build(settings: ConnectionSettings, *, http: httpx.Client, tokens: Any = None,
          **overrides: Any) -> IntacctConnector:
    """``tokens`` is unused: Intacct signs in with the stored sender and user credentials."""
    return IntacctConnector(
        http, endpoint_url=endpoint_of(settings), sender_id=str(settings.get("sender_id") or ""),
        sender_password=str(settings.get("sender_password") or ""), company_id=settings.company_id,
        user_id=str(settings.get("user_id") or ""), user_password=str(settings.get("user_password") or ""),
        entity_id=settings.get("entity_id") or None, options=settings.options, **overrides)
