"""The public CLI contract and the demo."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from billpay.db import tables as t
from billpay.demo import DEMO_EMAIL, seed_demo
from billpay.web.app import create_app

BIN = Path(sys.executable).parent / "billpay"


def _env(tmp_path: Path, **extra) -> dict:
    env = {**os.environ, "BILLPAY_DATA_DIR": str(tmp_path / "data"), **extra}
    env.pop("BILLPAY_DATABASE_URL", None)
    return env


def test_db_upgrade_and_org_create_print_the_contract(tmp_path):
    env = _env(tmp_path)
    subprocess.run([str(BIN), "db", "upgrade"], env=env, check=True, capture_output=True, timeout=120)
    out = subprocess.run([str(BIN), "org", "create", "--name", "Acme", "--admin-email", "ap@acme.test",
                          "--admin-password", "a long password"], env=env, check=True, capture_output=True,
                         text=True, timeout=120)
    body = json.loads(out.stdout)
    assert set(body) == {"organization_id", "user_id", "api_key"}
    bad = subprocess.run([str(BIN), "org", "create", "--name", "X", "--admin-email", "not-an-email"], env=env,
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "email_invalid" in bad.stderr


def test_sandbox_command_prints_connection_json_that_the_api_accepts(tmp_path, container):
    proc = subprocess.Popen([str(BIN), "sandbox", "quickbooks", "--port", "0"], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, env=_env(tmp_path))
    try:
        info = json.loads(proc.stdout.readline())
        for key in ("base_url", "token_url", "client_id", "client_secret", "realm_id", "refresh_token"):
            assert info[key], key
        client = TestClient(create_app(container, mount_sandboxes=False))
        from billpay.services.orgs import create_organization

        with container.sessionmaker() as s, s.begin():
            org = create_organization(s, container.vault, name="Ext", admin_email="a@ext.test")
        h = {"Authorization": f"Bearer {org.api_key}"}
        r = client.put("/api/v1/accounting/connection", json={**info, "platform": "quickbooks"}, headers=h)
        assert r.status_code == 200, r.text
        assert r.json()["sandbox"] is False and r.json()["base_url"] == info["base_url"]
        from billpay.sync.worker import run_until_idle

        run_until_idle(container)  # reference data over real HTTP from the separate sandbox process
        vendors = client.get("/api/v1/accounting/reference-data/vendors", headers=h).json()["data"]
        assert len(vendors) >= 3
        assert client.get("/api/v1/accounting/connection", headers=h).json()["health"]["status"] == "ok"
    finally:
        proc.terminate()
        proc.wait(10)


def test_unknown_sandbox_platform_is_refused_clearly(tmp_path):
    r = subprocess.run([str(BIN), "sandbox", "xero"], env=_env(tmp_path), capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 2 and "sandbox_not_available" in r.stderr and "quickbooks" in r.stderr


def test_demo_seeds_a_connected_organization_once(container):
    info = seed_demo(container)
    assert info["email"] == DEMO_EMAIL and info["api_key"].startswith("bp_")
    client = TestClient(create_app(container))
    h = {"Authorization": f"Bearer {info['api_key']}"}
    bills = client.get("/api/v1/bills", headers=h).json()["data"]
    assert {b["status"] for b in bills} >= {"in_review", "confirmed", "open"}
    assert client.get("/api/v1/accounting/connection", headers=h).json()["platform"] == "quickbooks"
    open_bills = [b for b in bills if b["status"] == "open"]
    assert open_bills and all(b["sync"]["status"] == "synced" for b in open_bills)
    again = seed_demo(container)  # a second `make run` reuses the organization
    assert again["organization_id"] == info["organization_id"] and again["api_key"] != info["api_key"]
    with container.sessionmaker() as s:
        assert len(s.scalars(select(t.Organization)).all()) == 1
