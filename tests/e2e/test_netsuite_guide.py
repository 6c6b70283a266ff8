"""The connect steps of docs/integrations/netsuite.md, done against a NetSuite sandbox served on a real port.

The sandbox plays the admin's NetSuite account after steps 1-5 (integration record, role, token or
certificate mapping); the test then sends the guide's own connection bodies (section 6), with the
placeholders filled in, and checks that billpay connects, loads reference data, and pushes and pays a bill.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from billpay.sandboxes.core import BackgroundServer
from billpay.sandboxes.netsuite import NetSuiteState, create_app
from billpay.services.orgs import create_organization
from billpay.sync.worker import run_until_idle
from billpay.web.app import create_app as create_billpay

from ..api.conftest import Org, verified_by_colleague

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "integrations" / "netsuite.md"


def guide_body(flow: str) -> dict:
    text = GUIDE.read_text()
    block = re.search(rf"<!-- connect:{flow} -->\s*```json\n(.*?)```", text, re.S)
    assert block, f"the guide has no connect:{flow} example"
    return json.loads(block.group(1))


def fill(value, values: dict):  # noqa: ANN001, ANN201
    if isinstance(value, dict):
        return {k: fill(v, values) for k, v in value.items()}
    if isinstance(value, str):
        for placeholder, real in values.items():
            value = value.replace(placeholder, real)
        assert "<" not in value, f"unfilled placeholder in {value!r}"
    return value


@pytest.fixture(scope="module")
def netsuite():
    state = NetSuiteState()
    account = state.seed_account()
    with BackgroundServer(create_app(state)) as server:
        yield state, account, server.base_url


@pytest.mark.parametrize("flow", ["oauth2", "tba"])
def test_the_guides_connect_steps_work(container, netsuite, flow):
    state, account, base = netsuite
    info = state.credentials(account, base)  # what steps 2-4 hand the admin
    acct = state.account(account)
    us = next(s["id"] for s in acct.values("subsidiary") if s.get("country") == "US")
    bank = next(a["id"] for a in acct.values("account") if a["acctType"] == "Bank" and a.get("subsidiary") == us)
    body = fill(guide_body(flow), {
        "<account id>": info["account_id"], "<rest base url>": base, "<client id>": info["client_id"],
        "<certificate id>": info["certificate_id"], "<private key>": info["private_key_pem"],
        "<consumer key>": info["consumer_key"], "<consumer secret>": info["consumer_secret"],
        "<token id>": info["token_id"], "<token secret>": info["token_secret"], "<bank account id>": bank})

    client = TestClient(create_billpay(container), raise_server_exceptions=False)
    with container.sessionmaker() as s, s.begin():
        out = create_organization(s, container.vault, name="Acme", admin_email="admin@acme.test")
    org = Org(out.organization_id, out.user_id, out.api_key, client)
    r = org.put("/accounting/connection", body)
    assert r.status_code == 200, r.text
    assert r.json()["platform"] == "netsuite" and r.json()["company_id"] == info["account_id"]
    run_until_idle(container)
    connection = org.get("/accounting/connection").json()
    assert connection["health"]["status"] == "ok", connection
    assert info["token_secret"] not in json.dumps(connection) and "PRIVATE KEY" not in json.dumps(connection)
    vendors = org.get("/accounting/reference-data/vendors").json()["data"]
    subsidiaries = org.get("/accounting/reference-data/subsidiaries").json()["data"]
    assert vendors and {s["name"] for s in subsidiaries} >= {"Honeycomb Holdings Inc."}

    expense = next(a["id"] for a in org.get("/accounting/reference-data/accounts").json()["data"]
                   if "Expense" in str(a["extra"]))
    ext = next(v for v in vendors if v["extra"].get("subsidiary") == us)
    vendor = verified_by_colleague(org, org.post("/vendors", {
        "name": ext["name"], "routing_number": "021000021", "account_number": "123456789",
        "accounting_vendor_id": ext["id"]}).json())
    number = f"GUIDE-{flow}"
    bill = org.post("/bills", {"vendor_id": vendor["id"], "invoice_number": number, "amount": "88.00",
                               "invoice_date": state.today().isoformat(), "payment_terms": "Net 30",
                               "attributes": {"gl_account": expense}}).json()
    assert org.post(f"/bills/{bill['id']}/confirm").status_code == 200
    assert org.post(f"/bills/{bill['id']}/send-to-payments", {"method": "ach"}).status_code == 200
    run_until_idle(container)
    synced = org.get(f"/bills/{bill['id']}").json()["sync"]
    assert synced["status"] == "synced", synced
    stored = acct.get("vendorBill", synced["external_id"])
    assert stored["tranId"] == number and stored["subsidiary"] == us
    assert stored["externalId"].startswith(f"billpay-{bill['id']}-")
    assert dt.date.fromisoformat(stored["dueDate"]) == state.today() + dt.timedelta(days=30)
