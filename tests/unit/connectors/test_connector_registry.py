"""Platform registry: a stored connection becomes a working connector."""
from __future__ import annotations

import httpx
import pytest

import billpay.connectors
from billpay.connectors import ConnectionSettings, build_connector, platforms, register
from billpay.connectors.base import InMemoryTokenStore
from billpay.connectors.quickbooks import QuickBooksConnector
from billpay.sync.ports import AccountingConnector

from .qbo_script import NOW, Script, fresh_tokens, query_answer


def settings(**overrides) -> ConnectionSettings:
    values = dict(platform="quickbooks", base_url="https://qbo.test", token_url="https://oauth.test/token",
                  company_id="9130", client_id="cid", client_secret="csecret",
                  options={"bank_account_id": "35", "minorversion": 75})
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


def test_unknown_platform_is_a_clear_error_and_new_platforms_enrol_in_one_line(monkeypatch):
    monkeypatch.setattr(billpay.connectors, "_FACTORIES", dict(billpay.connectors._FACTORIES))
    with pytest.raises(ValueError, match="no connector for platform 'xero'"):
        build_connector(settings(platform="xero"), http=httpx.Client(), tokens=InMemoryTokenStore())
    register("fake", lambda s, *, http, tokens, **kw: ("built", s.company_id))
    assert build_connector(settings(platform="fake"), http=httpx.Client(), tokens=InMemoryTokenStore()) == (
        "built", "9130")
    assert {"quickbooks", "fake"} <= set(platforms())
