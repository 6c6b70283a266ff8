"""Platform registry: a stored connection becomes a working connector."""
from __future__ import annotations

import httpx
import pytest

from billpay.connectors import ConnectionSettings, build_connector, platforms, register, registry
from billpay.connectors.base import InMemoryTokenStore
from billpay.connectors.quickbooks import QuickBooksConnector
from billpay.connectors.registry import Capabilities, ConnectFlow, PlatformPlugin
from billpay.sync.ports import AccountingConnector

from .qbo_script import NOW, Script, fresh_tokens, query_answer


def settings(**overrides) -> ConnectionSettings:
    values = dict(platform="quickbooks", company_id="9130",
                  config={"base_url": "https://qbo.test", "token_url": "https://oauth.test/token", "client_id": "cid"},
                  secrets={"client_secret": "csecret"}, options={"bank_account_id": "35", "minorversion": 75})
    values.update(overrides)
    return ConnectionSettings(**values)


def test_quickbooks_is_built_from_stored_settings():
    script = Script().on("GET", "/query", query_answer("Class", []))
    connector = build_connector(settings(), http=httpx.Client(transport=httpx.MockTransport(script)),
                                tokens=InMemoryTokenStore(fresh_tokens()), max_retries=0, now=lambda: NOW)
    assert isinstance(connector, QuickBooksConnector) and isinstance(connector, AccountingConnector)
    assert connector.platform == "quickbooks"
    connector.fetch_reference_data("classes")
    assert script.requests[0].url.path == "/v3/company/9130/query"  # "/v3" added to a bare host


def test_client_secret_is_not_in_the_settings_repr():
    assert "csecret" not in repr(settings())


def test_unknown_platform_is_a_clear_error_and_new_platforms_enrol_in_one_line():
    with pytest.raises(ValueError, match="no connector for platform 'xero'"):
        build_connector(settings(platform="xero"), http=httpx.Client(), tokens=InMemoryTokenStore())
    fake = PlatformPlugin(name="fake", display_name="Fake", connect=ConnectFlow("session"), credentials=(),
                          capabilities=Capabilities(),
                          connector=lambda s, *, http, tokens, **kw: ("built", s.company_id))
    register(fake)
    try:
        assert build_connector(settings(platform="fake"), http=httpx.Client(), tokens=InMemoryTokenStore()) == (
            "built", "9130")
        assert {"quickbooks", "fake"} <= set(platforms())
    finally:
        registry.unregister("fake")
    assert "fake" not in platforms()


def test_every_plugin_declares_its_secrets_and_reference_kinds():
    for plugin in registry.plugins():
        assert plugin.secret_fields, plugin.name
        assert {"vendors", "accounts", "terms"} <= set(plugin.capabilities.reference_kinds)
        assert len({d.code for d in plugin.capabilities.dimensions}) == len(plugin.capabilities.dimensions)
