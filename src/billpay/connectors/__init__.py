"""Accounting platform connectors and the registry that builds them.

The app stores one ``ConnectionSettings`` per organization connection and
builds the connector with ``build_connector(settings, http=..., tokens=...)``.
A new platform registers a factory under its name with ``register``;
factories are imported lazily so that loading the registry never imports
every platform's code.

Example::

    connector = build_connector(
        ConnectionSettings(
            platform="quickbooks",
            base_url="https://quickbooks.api.intuit.com/v3",
            token_url="https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer",
            company_id=realm_id,
            client_id=client_id,
            client_secret=client_secret,
        ),
        http=httpx.Client(timeout=httpx.Timeout(30.0, connect=10.0)),
        tokens=db_token_store,
    )
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import httpx

from billpay.connectors.base.auth import TokenStore
from billpay.sync.ports import AccountingConnector


@dataclass(frozen=True)
class ConnectionSettings:
    """What billpay stores about one connection (credentials decrypted only to build it).

    ``company_id`` is the platform's company: QuickBooks realm id, NetSuite
    account id, Intacct company id, Business Central company id.
    ``options`` holds platform-specific settings, e.g. QuickBooks
    ``{"bank_account_id": "35", "minorversion": 75}``.
    """

    platform: str
    base_url: str
    token_url: str
    company_id: str
    client_id: str
    client_secret: str = field(repr=False)
    options: Mapping[str, Any] = field(default_factory=dict)


ConnectorFactory = Callable[..., AccountingConnector]

_FACTORIES: dict[str, ConnectorFactory | str] = {
    "quickbooks": "billpay.connectors.quickbooks.factory:build",
}


def register(platform: str, factory: ConnectorFactory | str) -> None:
    """Enrol a platform: ``factory(settings, *, http, tokens, **overrides) -> connector``
    or a ``"module:function"`` path to one."""
    _FACTORIES[platform] = factory


def platforms() -> list[str]:
    return sorted(_FACTORIES)


def get_factory(platform: str) -> ConnectorFactory:
    try:
        factory = _FACTORIES[platform]
    except KeyError:
        raise ValueError(f"no connector for platform {platform!r}; known: {', '.join(platforms())}") from None
    if isinstance(factory, str):
        module_name, _, attr = factory.partition(":")
        factory = getattr(importlib.import_module(module_name), attr)
        _FACTORIES[platform] = factory
    return factory


def build_connector(
    settings: ConnectionSettings, *, http: httpx.Client, tokens: TokenStore, **overrides: Any
) -> AccountingConnector:
    """The connector for a stored connection. ``overrides`` go to the platform factory
    (e.g. ``sleep=`` or ``max_retries=`` in tests)."""
    return get_factory(settings.platform)(settings, http=http, tokens=tokens, **overrides)


__all__ = ["ConnectionSettings", "ConnectorFactory", "build_connector", "get_factory", "platforms", "register"]
