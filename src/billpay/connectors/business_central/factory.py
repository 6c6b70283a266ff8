"""Registry factory: a stored connection -> ``BusinessCentralConnector``."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx

from billpay.connectors.base.auth import TokenStore
from billpay.connectors.business_central.connector import BusinessCentralConnector
from billpay.connectors.business_central.plugin import PLUGIN

if TYPE_CHECKING:  # pragma: no cover - types only
    from billpay.connectors import ConnectionSettings


def build(settings: ConnectionSettings, *, http: httpx.Client, tokens: TokenStore, discovered: dict | None = None,
          **overrides: Any) -> BusinessCentralConnector:
    token_url = settings.token_url or (
        f"{(settings.get('authority_host') or 'https://login.microsoftonline.com').rstrip('/')}/"
        f"{settings.get('tenant_id')}/oauth2/v2.0/token")
    dimensions = PLUGIN.capabilities.dimensions
    kwargs: dict[str, Any] = {"dimension_codes": tuple(d.code for d in dimensions),
                              "dimension_kinds": {d.code: d.kind for d in dimensions}}
    kwargs.update(overrides)
    return BusinessCentralConnector(
        http, base_url=settings.base_url or "https://api.businesscentral.dynamics.com",
        tenant_id=str(settings.get("tenant_id") or ""), environment=str(settings.get("environment") or "production"),
        company_id=settings.company_id, client_id=settings.client_id, client_secret=settings.client_secret,
        token_url=token_url, tokens=tokens, options=settings.options, discovered=discovered, **kwargs)
