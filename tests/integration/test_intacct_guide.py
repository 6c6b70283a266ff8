"""The Sage Intacct integration guide's connect steps, performed as written against ``billpay sandbox intacct``
running as its own server: the documented body (with the sandbox's values) connects, reference data loads."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from billpay.connectors import registry
from billpay.services.orgs import create_organization
from billpay.sync.worker import run_until_idle
from billpay.web.app import create_app

GUIDE = Path(__file__).resolve().parents[2] / "docs/integrations/intacct.md"


def documented_body() -> dict:
    text = GUIDE.read_text(encoding="utf-8")
    match = re.search(r"<!-- connect-body -->\s*```json\n(.*?)```", text, re.S)
    assert match, "the guide has no connection body"
    return json.loads(match.group(1))


@pytest.fixture(scope="module")
def sandbox():
    command = [sys.executable, "-m", "billpay.cli", "sandbox", "intacct"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True) as process:
        try:
            yield json.loads(process.stdout.readline())
        finally:
            process.terminate()
            process.wait(timeout=10)


def test_the_guide_names_every_credential_field_and_links_from_the_plugin():
    plugin = registry.get("intacct")
    text = GUIDE.read_text(encoding="utf-8")
    for field in plugin.credentials:
        if field.name != "base_url":
            assert f"`{field.name}`" in text, field.name
    assert plugin.docs == "docs/integrations/intacct.md"
    body = documented_body()
    required = {f.name for f in plugin.credentials if f.required}
    assert required <= set(body) and body["platform"] == "intacct"


def test_connecting_as_the_guide_says_loads_the_company(container, sandbox):
    body = documented_body()
    # the guide's example values, replaced by the ones ``billpay sandbox intacct`` printed
    body.update({k: sandbox[k] for k in body if k in sandbox})
    body["endpoint_url"] = sandbox["endpoint_url"]  # a local server instead of api.intacct.com
    client = TestClient(create_app(container, mount_sandboxes=False))
    with container.sessionmaker() as s, s.begin():
        org = create_organization(s, container.vault, name="Acme", admin_email="admin@acme.test")
    headers = {"Authorization": f"Bearer {org.api_key}"}
    answer = client.put("/api/v1/accounting/connection", json=body, headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["platform"] == "intacct" and answer.json()["company_id"] == sandbox["company_id"]
    run_until_idle(container)
    connection = client.get("/api/v1/accounting/connection", headers=headers).json()
    assert connection["health"]["status"] == "ok", connection
    for kind in ("vendors", "accounts", "terms", "departments", "locations", "classes", "projects"):
        items = client.get(f"/api/v1/accounting/reference-data/{kind}", headers=headers).json()["data"]
        assert items, kind
    terms = {t["name"] for t in client.get("/api/v1/accounting/reference-data/terms", headers=headers).json()["data"]}
    assert "Net 30" in terms
    stored = json.dumps(connection)
    assert sandbox["user_password"] not in stored and sandbox["sender_password"] not in stored
