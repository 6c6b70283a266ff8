"""Connecting QuickBooks through the OAuth consent flow of the built-in sandbox."""
from __future__ import annotations

import re
import urllib.parse

from fastapi.testclient import TestClient

from billpay.services.orgs import create_organization
from billpay.sync.worker import run_until_idle
from billpay.web.app import create_app


def test_consent_flow_connects_and_loads_reference_data(container):
    client = TestClient(create_app(container), base_url="http://127.0.0.1:8000", follow_redirects=False)
    with container.sessionmaker() as s, s.begin():
        org = create_organization(s, container.vault, name="Acme", admin_email="a@acme.test")
    h = {"Authorization": f"Bearer {org.api_key}"}
    r = client.post("/api/v1/accounting/connection/oauth/start", json={"platform": "quickbooks", "sandbox": True},
                    headers=h)
    assert r.status_code == 200, r.text
    url = urllib.parse.urlsplit(r.json()["authorize_url"])
    # demo equipment: the sandbox answers an admin of an organization that uses it, nobody else
    assert client.get(url.path + "?" + url.query).status_code == 401
    with container.sessionmaker() as s, s.begin():
        other = create_organization(s, container.vault, name="Other", admin_email="o@other.test")
    assert client.get(url.path + "?" + url.query, headers={"X-Billpay-Key": other.api_key}).status_code == 403
    gate = {"X-Billpay-Key": org.api_key}
    page = client.get(url.path + "?" + url.query, headers=gate)
    assert page.status_code == 200 and "<form" in page.text
    assert client.post("/sandbox/quickbooks/_sandbox/reset", headers=gate).status_code == 403
    form = dict(re.findall(r"name=['\"]([^'\"]+)['\"]\s+value=['\"]([^'\"]*)['\"]", page.text))
    form["realm_id"] = re.search(r"<option value=['\"]([^'\"]+)['\"]", page.text).group(1)
    action = re.search(r"<form[^>]*action=['\"]([^'\"]+)['\"]", page.text).group(1)
    assert len(re.findall(r"<option value=", page.text)) == 1  # only the organization's own company is offered
    consent = client.post(urllib.parse.urlsplit(action).path or url.path, data={**form, "decision": "allow"},
                          headers=gate)
    assert consent.status_code == 302, consent.text
    back = urllib.parse.parse_qs(urllib.parse.urlsplit(consent.headers["location"]).query)
    assert "code" in back, back
    r = client.post("/api/v1/accounting/connection/oauth/complete", headers=h,
                    json={"code": back["code"][0], "realmId": back["realmId"][0], "state": back["state"][0]})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "connected" and r.json()["company_id"] == back["realmId"][0]
    run_until_idle(container)
    assert client.get("/api/v1/accounting/reference-data/accounts", headers=h).json()["data"]
    # a forged or replayed state is refused
    bad = client.post("/api/v1/accounting/connection/oauth/complete", headers=h,
                      json={"code": back["code"][0], "realmId": back["realmId"][0], "state": "forged"})
    assert bad.status_code == 422 and bad.json()["code"] == "oauth_state_invalid"
