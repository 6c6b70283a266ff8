"""A served billpay (uvicorn on a free port, SQLite) with two organizations, a key per role in each, and a
few records of every kind, for the fuzz run. Nothing here runs background jobs: no request reaches out."""
from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass, field

import httpx
import pytest

from billpay.sandboxes.core import BackgroundServer
from billpay.services.orgs import create_organization
from billpay.sync.worker import run_until_idle
from billpay.web.app import create_app

from ..conftest import make_container

ROLES = ("admin", "accountant", "ap_clerk", "approver", "viewer")


@dataclass
class Tenant:
    org_id: str
    keys: dict[str, str]  # role -> api key
    ids: dict[str, list[str]] = field(default_factory=dict)  # path parameter name -> ids of this org's records


@dataclass
class Served:
    base_url: str
    db_path: str
    a: Tenant
    b: Tenant

    def fingerprint(self) -> str:
        """A digest of every row but the idempotency keys (a refused request may record its answer there)."""
        h = hashlib.sha256()
        with sqlite3.connect(self.db_path) as con:
            tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
            for name in tables:
                if name in ("idempotency_keys", "alembic_version"):
                    continue
                for row in con.execute(f'SELECT * FROM "{name}" ORDER BY 1'):
                    h.update(repr(row).encode())
        return h.hexdigest()


def _tenant(c, base_url: str, name: str) -> Tenant:
    with c.sessionmaker() as s, s.begin():
        out = create_organization(s, c.vault, name=name, admin_email=f"admin@{name.lower()}.test")
    keys = {"admin": out.api_key}
    ids: dict[str, list[str]] = {"user_id": [out.user_id]}
    # Its first request once outlasted httpx's 5-second default on a busy CI machine (the whole setup takes
    # about 2.5 s otherwise), and every fuzz test errored at setup. Setup is not what is under test here.
    with httpx.Client(base_url=base_url + "/api/v1", headers={"Authorization": f"Bearer {out.api_key}"},
                      timeout=60.0) as h:
        def ok(r: httpx.Response) -> dict:
            assert r.status_code < 300, r.text
            return r.json()

        for role in ROLES[1:]:
            user = ok(h.post("/users", json={"email": f"{role}@{name.lower()}.test", "name": role, "roles": [role]}))
            keys[role] = ok(h.post(f"/users/{user['id']}/api-keys"))["api_key"]
            ids["user_id"].append(user["id"])
        ok(h.put("/accounting/connection", json={"platform": "quickbooks", "sandbox": True}))
        run_until_idle(c)  # reference data from the built-in sandbox, in-process
        platform_vendor = ok(h.get("/accounting/reference-data/vendors"))["data"][0]
        accounts = ok(h.get("/accounting/reference-data/accounts"))["data"]
        account = next(a for a in accounts if "expense" in json.dumps(a["extra"]).lower())
        vendor = ok(h.post("/vendors", json={
            "name": f"{name} Paper Co", "accounting_vendor_id": platform_vendor["id"], "routing_number": "021000021", "account_number": "123456789",
            "default_terms": "Net 30", "address": {"line1": "1 Main St", "city": "Albany", "state": "NY",
                                                  "postal_code": "12207", "country": "US"}}))
        ids["vendor_id"] = [vendor["id"]]
        body = {"vendor_id": vendor["id"], "invoice_number": f"{name}-1", "invoice_date": "2026-11-02",
                "payment_terms": "Net 30", "currency": "USD", "amount": "1250.00", "memo": "Paper",
                "attributes": {"gl_account": account["id"]}}
        in_review = ok(h.post("/bills", json=body))
        confirmed = ok(h.post("/bills", json={**body, "invoice_number": f"{name}-2", "amount": "99.00"}))
        ok(h.post(f"/bills/{confirmed['id']}/confirm"))
        sent = ok(h.post("/bills", json={**body, "invoice_number": f"{name}-3", "amount": "300.00"}))
        ok(h.post(f"/bills/{sent['id']}/confirm"))
        payment = ok(h.post(f"/bills/{sent['id']}/send-to-payments"))["payment"]
        ids["bill_id"] = [in_review["id"], confirmed["id"], sent["id"]]
        ids["payment_id"] = [payment["id"]]
        rule = ok(h.post("/mapping-rules", json={"name": "Paper", "conditions": {"vendor_ids": [vendor["id"]]},
                                                  "attributes": {"gl_account": account["id"]}}))
        ids["rule_id"] = [rule["id"]]
        ids["job_id"] = [ok(h.post("/accounting/connection/refresh"))["job_id"]]
        ids["kind"] = ["vendors", "accounts", "classes", "terms"]
        ids["token"] = [ok(h.get("/inbox"))["webhook_url"].rsplit("/", 1)[-1]]
        ids["file_id"] = []
    return Tenant(out.organization_id, keys, ids)


@pytest.fixture(scope="session")
def served(tmp_path_factory, sqlite_template):
    import shutil

    d = tmp_path_factory.mktemp("fuzz")
    db = d / "billpay.sqlite3"
    shutil.copy(sqlite_template, db)
    c = make_container(f"sqlite:///{db}", d / "data")
    with BackgroundServer(create_app(c, mount_sandboxes=True)) as server:
        c.settings.public_url = server.base_url
        a = _tenant(c, server.base_url, "Acme")
        b = _tenant(c, server.base_url, "Globex")
        yield Served(server.base_url, str(db), a, b)
    c.engine.dispose()
