"""Accounting platform connectors, built through the platform registry.

Each platform is a plugin (``billpay.connectors.registry``); this module keeps
the short names callers use::

    connector = build_connector(
        ConnectionSettings(
            platform="quickbooks",
            company_id=realm_id,
            config={"base_url": "https://quickbooks.api.intuit.com/v3",
                    "token_url": "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer",
                    "client_id": client_id},
            secrets={"client_secret": client_secret},
        ),
        http=httpx.Client(timeout=httpx.Timeout(30.0, connect=10.0)),
        tokens=db_token_store,
    )
"""
from __future__ import annotations

from typing import Any

import httpx

from billpay.connectors import registry
from billpay.connectors.registry import ConnectionSettings, PlatformPlugin, get, plugins, register


def platforms() -> list[str]:
    return registry.names()


def build_connector(settings: ConnectionSettings, *, http: httpx.Client, tokens: Any, **overrides: Any) -> Any:
    """The connector for a stored connection. ``overrides`` go to the platform's factory
    (e.g. ``sleep=`` or ``max_retries=`` in tests)."""
    try:
        plugin = registry.get(settings.platform)
    except LookupError:
        raise ValueError(f"no connector for platform {settings.platform!r}; known: "
                         f"{', '.join(registry.names())}") from None
    return plugin.build_connector(settings, http=http, tokens=tokens, **overrides)


__all__ = ["ConnectionSettings", "PlatformPlugin", "build_connector", "get", "platforms", "plugins", "register"]
