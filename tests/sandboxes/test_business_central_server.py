"""``billpay sandbox business_central`` and the built-in sandbox of ``billpay serve``."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import httpx

from billpay.connectors import registry
from billpay.sandboxes.business_central.builtin import BusinessCentralBuiltin

BIN = Path(sys.executable).parent / "billpay"
KEYS = {"platform", "base_url", "tenant_id", "environment", "company_id", "client_id", "client_secret", "token_url",
        "authority_host"}
SCOPE = "https://api.businesscentral.dynamics.com/.default"


def test_sandbox_command_prints_the_connection_json_first_and_serves_it(tmp_path):
    env = {**os.environ, "BILLPAY_DATA_DIR": str(tmp_path / "data")}
    proc = subprocess.Popen([str(BIN), "sandbox", "business_central", "--port", "0"], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, env=env)
    try:
        info = json.loads(proc.stdout.readline())
        assert set(info) == KEYS and info["platform"] == "business_central"
        assert info["token_url"] == f"{info['authority_host']}/{info['tenant_id']}/oauth2/v2.0/token"
        with httpx.Client(base_url=info["base_url"], timeout=10) as http:
            token = http.post(info["token_url"], data={"grant_type": "client_credentials", "scope": SCOPE},
                              auth=(info["client_id"], info["client_secret"])).json()["access_token"]
            root = f"/v2.0/{info['tenant_id']}/{info['environment']}/api/v2.0/companies({info['company_id']})"
            vendors = http.get(f"{root}/vendors", headers={"Authorization": f"Bearer {token}"}).json()["value"]
            assert len(vendors) == 5
            journals = http.get(f"{root}/vendorPaymentJournals", headers={"Authorization": f"Bearer {token}"}).json()
            assert {j["code"] for j in journals["value"]} >= {"CHECKING", "EUR-BANK"}
    finally:
        proc.terminate()
        proc.wait(10)


def test_plugin_declares_the_sandbox_the_cli_runs():
    plugin = registry.get("business_central")
    assert plugin.sandbox_server == "billpay.sandboxes.business_central.server:run"
    assert plugin.connect.kind == "client_credentials"


def test_builtin_gives_each_organization_its_own_seeded_company_and_keeps_it(tmp_path):
    builtin = BusinessCentralBuiltin(tmp_path / "bc.json")
    base = "http://127.0.0.1:8000/sandbox/business_central"
    first = builtin.provision("org_a", base)
    second = builtin.provision("org_b", base)
    again = builtin.provision("org_a", base)
    assert set(first) == KEYS and first["base_url"] == base
    assert first["company_id"] != second["company_id"] and again["company_id"] == first["company_id"]
    assert first["tenant_id"] == second["tenant_id"]
    company = builtin.state.company(first["company_id"])
    assert {a["number"] for a in company.rows("accounts") if a["category"] == "Expense"} >= {"60100", "60200"}
    assert {d["code"] for d in company.rows("dimensions")} == {"DEPARTMENT", "PROJECT", "AREA"}
    assert {c["code"] for c in company.rows("currencies")} == {"EUR"} and company.info["currencyCode"] == "USD"
    assert {t["displayName"] for t in company.rows("paymentTerms")} >= {"Net 30"}
    checking = company.find("journals", code="CHECKING")
    assert checking["_template"] == "PAYMENT" and checking["balancingAccountNumber"] == "10100"
    assert len(list(company.rows("vendors"))) == 5
    restarted = BusinessCentralBuiltin(tmp_path / "bc.json")
    assert restarted.provision("org_a", base)["company_id"] == first["company_id"]
    # the provisioned app signs in and reads through the in-process transport, mounted under its prefix
    with httpx.Client(transport=restarted.transport, base_url=base) as http:
        token = http.post(again["token_url"], data={"grant_type": "client_credentials", "scope": SCOPE,
                                                    "client_id": again["client_id"],
                                                    "client_secret": again["client_secret"]}).json()["access_token"]
        root = f"{base}/v2.0/{again['tenant_id']}/{again['environment']}/api/v2.0/companies({again['company_id']})"
        page = http.get(f"{root}/vendors?$top=1", headers={"Authorization": f"Bearer {token}"}).json()
        assert page["@odata.context"].startswith(base + "/v2.0/")


def test_registry_builds_the_builtin_from_the_container(tmp_path):
    container = SimpleNamespace(settings=SimpleNamespace(data_dir=tmp_path))
    sandbox = registry.get("business_central").builtin_sandbox(container)
    assert sandbox.platform == "business_central" and (tmp_path / "sandbox-business-central.json").exists() is False
    sandbox.provision("org", "http://x")
    assert (tmp_path / "sandbox-business-central.json").exists()
