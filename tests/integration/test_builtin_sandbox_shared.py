"""The built-in sandboxes are shared by every process of an installation (serve and any number of workers, on
any number of machines): their state lives in the database, not in a file per process. And they are demo
equipment: one organization's admin cannot change faults, clock or limits that every organization's company
runs under, nor see or touch another organization's company, through ``/sandbox/<platform>``."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest
from fastapi.testclient import TestClient

from billpay.services.orgs import create_organization
from billpay.sync import builtin_sandbox
from billpay.sync.worker import run_until_idle
from billpay.web.app import create_app

from ..conftest import SECRET, make_container


def _org(container, name: str):
    with container.sessionmaker() as s, s.begin():
        return create_organization(s, container.vault, name=name, admin_email=f"admin@{name.lower()}.test")


@pytest.fixture
def two_processes(db_url, tmp_path):
    """Two containers on one database with data dirs of their own: serve on one machine, a worker on another."""
    serve, worker = make_container(db_url, tmp_path / "serve"), make_container(db_url, tmp_path / "worker")
    yield serve, worker
    serve.close()
    worker.close()


@pytest.mark.parametrize("platform", ["quickbooks", "netsuite"])
def test_serve_and_a_worker_on_one_database_see_the_same_sandbox_company(two_processes, platform):
    serve, worker = two_processes
    org = _org(serve, "Acme")
    client = TestClient(create_app(serve), raise_server_exceptions=False)
    h = {"Authorization": f"Bearer {org.api_key}"}
    r = client.put("/api/v1/accounting/connection", json={"platform": platform, "sandbox": True}, headers=h)
    assert r.status_code == 200, r.text
    company = r.json()["company_id"]
    # the worker (another process, another data dir) reaches the company serve provisioned ...
    assert run_until_idle(worker) >= 1
    vendors = client.get("/api/v1/accounting/reference-data/vendors", headers=h).json()["data"]
    assert vendors and client.get("/api/v1/accounting/connection", headers=h).json()["health"]["status"] == "ok"
    # ... and what one process writes to it, the other reads
    state_w, state_s = builtin_sandbox.get(worker, platform).state, builtin_sandbox.get(serve, platform).state
    if platform == "quickbooks":
        before = len(state_s.query(company, "select * from Vendor").get("Vendor", []))
        state_w.create(company, "Vendor", {"DisplayName": "Written by the worker"})
        names = [v["DisplayName"] for v in state_s.query(company, "select * from Vendor").get("Vendor", [])]
        assert len(names) == before + 1 and "Written by the worker" in names
    else:
        before = state_s.count(company, "vendor")
        sub = next(s["id"] for s in state_w.account(company).values("subsidiary"))
        state_w.create_as_user(company, "vendor", {"companyName": "Written by the worker", "subsidiary": {"id": sub}})
        assert state_s.count(company, "vendor") == before + 1


def test_a_process_started_later_sees_the_sandbox_companies_already_provisioned(db_url, tmp_path):
    serve = make_container(db_url, tmp_path / "serve")
    try:
        org = _org(serve, "Acme")
        creds = builtin_sandbox.get(serve, "quickbooks").provision(org.organization_id, "http://127.0.0.1:8000/x")
    finally:
        serve.close()
    script = textwrap.dedent("""
        import json, sys
        from pathlib import Path
        from billpay.bootstrap import build
        from billpay.config import Settings
        from billpay.sync import builtin_sandbox
        c = build(Settings(data_dir=Path(sys.argv[1]), database_url=sys.argv[2], secret_key=sys.argv[3],
                           smtp_enabled=False))
        print(json.dumps(builtin_sandbox.get(c, "quickbooks").state.realm_ids()))
        c.close()
    """)
    out = subprocess.run([sys.executable, "-c", script, str(tmp_path / "other"), db_url, SECRET], check=True,
                         capture_output=True, text=True, timeout=120, env={**os.environ})
    assert creds["realm_id"] in json.loads(out.stdout.strip().splitlines()[-1])


def test_one_organizations_admin_cannot_change_the_sandbox_others_run_on(container):
    client = TestClient(create_app(container), raise_server_exceptions=False)
    acme, other = _org(container, "Acme"), _org(container, "Other")
    for org in (acme, other):
        r = client.put("/api/v1/accounting/connection", json={"platform": "quickbooks", "sandbox": True},
                       headers={"Authorization": f"Bearer {org.api_key}"})
        assert r.status_code == 200, r.text
    gate = {"X-Billpay-Key": acme.api_key}
    state = builtin_sandbox.get(container, "quickbooks").state
    faults_before, clock_before = state.fault_settings(), state.clock_info()
    refused = [
        client.post("/sandbox/quickbooks/_sandbox/faults", json={"fail_next": {"count": 5, "status": 503}}, headers=gate),
        client.delete("/sandbox/quickbooks/_sandbox/faults", headers=gate),
        client.post("/sandbox/quickbooks/_sandbox/clock", json={"advance_seconds": 86400}, headers=gate),
        client.post("/sandbox/quickbooks/_sandbox/limits", json={"per_minute": 1}, headers=gate),
        client.get("/sandbox/quickbooks/_sandbox/requests", headers=gate),
        client.get("/sandbox/quickbooks/_sandbox/companies", headers=gate),  # every organization's company
    ]
    assert [r.status_code for r in refused] == [403] * len(refused), [r.text for r in refused]
    assert all(r.json()["code"] == "sandbox_not_available" for r in refused)
    assert state.fault_settings() == faults_before and state.clock_info()["offset_seconds"] == \
        clock_before["offset_seconds"]
    assert client.get("/sandbox/quickbooks/_sandbox/clock", headers=gate).status_code == 200  # reading is fine
