"""docs/integrations/business-central.md, performed: the connect steps of the guide against the Business
Central sandbox over real HTTP, with the connection body taken from the guide itself, and the error codes
its troubleshooting table promises for the steps an admin may miss."""
from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from billpay.connectors import registry
from billpay.sandboxes.business_central import BusinessCentralState, create_app
from billpay.sandboxes.core import BackgroundServer
from billpay.services.orgs import create_organization
from billpay.sync.connections import connection_row, connector_for
from billpay.sync.ports import BillLinePayload, BillPayload, ConnectorError
from billpay.sync.worker import run_until_idle
from billpay.web.app import create_app as create_billpay

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "integrations" / "business-central.md"
SCOPE = "https://api.businesscentral.dynamics.com/.default"


def guide_connection_body() -> dict:
    block = re.search(r"```json\n(.*?)\n```", GUIDE.read_text(encoding="utf-8"), re.S)
    assert block, "the guide shows the connection body as a JSON block"
    return json.loads(block.group(1))


def test_the_guide_names_this_platform_and_is_the_plugin_s_docs():
    assert registry.get("business_central").docs == "docs/integrations/business-central.md"
    body = guide_connection_body()
    assert body["platform"] == "business_central"
    fields = {f.name for f in registry.get("business_central").credentials if f.required}
    assert fields <= set(body), fields - set(body)


@pytest.fixture
def bc_server():
    state = BusinessCentralState()
    with BackgroundServer(create_app(state)) as server:
        yield state, server.base_url


def test_connect_steps_of_the_guide_against_the_sandbox(bc_server, container):
    state, base = bc_server
    admin = httpx.Client(base_url=base, timeout=10)
    # the subscription: a tenant with an environment and a company
    tenant = admin.post("/_sandbox/tenants", json={"domain": "contoso.onmicrosoft.com"}).json()["tenant_id"]
    admin.post(f"/_sandbox/tenants/{tenant}/environments", json={"name": "production"})
    admin.post(f"/_sandbox/tenants/{tenant}/environments/production/companies", json={"name": "CRONUS USA"})
    # 1-3: the app registration and its client secret
    app = admin.post(f"/_sandbox/tenants/{tenant}/apps", json={"display_name": "billpay"}).json()
    token_url = f"{base}/{tenant}/oauth2/v2.0/token"

    with container.sessionmaker() as s, s.begin():
        org = create_organization(s, container.vault, name="Contoso", admin_email="admin@contoso.test")
    client = TestClient(create_billpay(container, mount_sandboxes=False))
    headers = {"Authorization": f"Bearer {org.api_key}"}

    def connect(company_id: str) -> None:
        body = guide_connection_body()
        values = {"tenant_id": tenant, "environment": "production", "company_id": company_id,
                  "client_id": app["client_id"], "client_secret": app["client_secret"]}
        body.update({k: values[k] for k in values})
        body.update(base_url=base, token_url=token_url)
        r = client.put("/api/v1/accounting/connection", json=body, headers=headers)
        assert r.status_code == 200, r.text

    def refusal() -> ConnectorError:
        with container.sessionmaker() as s:
            conn = connection_row(s, org.organization_id)
        with pytest.raises(ConnectorError) as caught:
            connector_for(container, conn).fetch_reference_data("vendors")
        return caught.value

    company_id = next(iter(state.tenants[tenant].environments["production"].companies))
    connect(company_id)
    # missing step 5 (admin consent): Business Central refuses the token
    error = refusal()
    assert error.code == "platform_auth_revoked" and "admin consent" in error.raw["message"]
    assert admin.post(f"/_sandbox/apps/{app['client_id']}/consent", json={"roles": ["API.ReadWrite.All"]}).is_success
    # missing steps 6-8 (the Microsoft Entra Applications card): refused as well, in the same words
    error = refusal()
    assert error.code == "platform_auth_revoked" and "Microsoft Entra Applications" in error.raw["message"]
    card = f"/_sandbox/tenants/{tenant}/environments/production/entra-applications/{app['client_id']}"
    assert admin.put(card, json={"state": "Enabled", "permission_sets": ["D365 READ"]}).is_success
    # step 10: the company id, as a client finds it
    token = admin.post(token_url, data={"grant_type": "client_credentials", "scope": SCOPE,
                                        "client_id": app["client_id"], "client_secret": app["client_secret"]})
    companies = admin.get(f"/v2.0/{tenant}/production/api/v2.0/companies",
                          headers={"Authorization": f"Bearer {token.json()['access_token']}"}).json()["value"]
    assert [c["id"] for c in companies] == [company_id]
    # with only D365 READ billpay reads, and a write is refused with the promised code
    with container.sessionmaker() as s:
        conn = connection_row(s, org.organization_id)
    connector = connector_for(container, conn)
    vendors = connector.fetch_reference_data("vendors")
    account = next(a for a in connector.fetch_reference_data("accounts") if a.extra["number"] == "60100")
    bill = BillPayload(bill_id="bill_guide", vendor_external_id=vendors[0].id, invoice_number="G-1",
                       invoice_date=state.today(), due_date=state.today(), currency="USD",
                       amount=Decimal("10.00"),
                       lines=(BillLinePayload(Decimal("10.00"), "x", account_id=account.id),))
    (result,) = connector.push_bills([("bill_guide:create#0", bill)])
    assert result.error.code == "platform_forbidden" and "D365 AUTOMATION" in result.error.message
    # step 8 done right, then billpay loads the company's reference data
    assert admin.put(card, json={"state": "Enabled", "permission_sets": ["D365 AUTOMATION"]}).is_success
    run_until_idle(container)
    health = client.get("/api/v1/accounting/connection", headers=headers).json()
    assert health["platform"] == "business_central" and health["health"]["status"] == "ok", health
    for kind in ("vendors", "accounts", "terms", "departments", "projects", "areas"):
        data = client.get(f"/api/v1/accounting/reference-data/{kind}", headers=headers).json()["data"]
        assert data, kind
    with container.sessionmaker() as s:
        conn = connection_row(s, org.organization_id)
    assert (conn.config.get("options") or {}).get("payment_journals") == {"USD": "CHECKING", "EUR": "EUR-BANK"}
    assert app["client_secret"] not in json.dumps(conn.config)
    (pushed,) = connector_for(container, conn).push_bills([("bill_guide:create#1", bill)])
    assert pushed.error is None and state.company(company_id).get("purchaseInvoices", pushed.ref.external_id)
