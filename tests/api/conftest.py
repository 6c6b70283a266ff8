from __future__ import annotations

from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from billpay.services.orgs import create_organization
from billpay.web.app import create_app


@dataclass
class Org:
    id: str
    user_id: str
    key: str
    client: TestClient

    def h(self, **extra) -> dict:
        return {"Authorization": f"Bearer {self.key}", **extra}

    def get(self, path, **kw):
        return self.client.get(f"/api/v1{path}", headers=self.h(**kw.pop("headers", {})), **kw)

    def post(self, path, json=None, **kw):
        return self.client.post(f"/api/v1{path}", json=json, headers=self.h(**kw.pop("headers", {})), **kw)

    def patch(self, path, json=None, **kw):
        return self.client.patch(f"/api/v1{path}", json=json, headers=self.h(**kw.pop("headers", {})), **kw)

    def put(self, path, json=None, **kw):
        return self.client.put(f"/api/v1{path}", json=json, headers=self.h(**kw.pop("headers", {})), **kw)

    def delete(self, path, **kw):
        return self.client.delete(f"/api/v1{path}", headers=self.h(**kw.pop("headers", {})), **kw)

    def add_user(self, email: str, roles: list[str]) -> "Org":
        r = self.post("/users", {"email": email, "roles": roles, "name": email.split("@")[0]})
        assert r.status_code == 201, r.text
        uid = r.json()["id"]
        key = self.post(f"/users/{uid}/api-keys").json()["api_key"]
        return Org(self.id, uid, key, self.client)


@pytest.fixture
def client(container):
    app = create_app(container, mount_sandboxes=False)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def _org(container, client, name: str) -> Org:
    with container.sessionmaker() as s, s.begin():
        out = create_organization(s, container.vault, name=name, admin_email=f"admin@{name.lower()}.test",
                                  admin_password="correct horse battery")
    return Org(out.organization_id, out.user_id, out.api_key, client)


@pytest.fixture
def org(container, client) -> Org:
    return _org(container, client, "Acme")


@pytest.fixture
def other_org(container, client) -> Org:
    return _org(container, client, "Globex")


def problem(r, status: int, code: str) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json"), r.headers["content-type"]
    body = r.json()
    assert body["code"] == code, body
    assert body["detail"]
    return body


def verified_by_colleague(org: Org, vendor: dict) -> dict:
    """Bank details always need a second person: a colleague admin verifies what ``org`` entered."""
    colleague = org.add_user(f"colleague.{vendor['id'][-6:]}@{org.id[-6:]}.test", ["admin"])
    r = colleague.post(f"/vendors/{vendor['id']}/verify-bank-details")
    assert r.status_code == 200, r.text
    return r.json()


@pytest.fixture
def vendor(org) -> dict:
    r = org.post("/vendors", {"name": "Paper Supply Co", "routing_number": "021000021",
                              "account_number": "123456789", "default_terms": "Net 30",
                              "address": {"line1": "1 Main St", "city": "Albany", "state": "NY",
                                          "postal_code": "12207", "country": "US"}})
    assert r.status_code == 201, r.text
    return verified_by_colleague(org, r.json())


def bill_body(vendor_id: str, **over) -> dict:
    body = {"vendor_id": vendor_id, "invoice_number": "INV-001", "invoice_date": "2026-11-02",
            "payment_terms": "Net 30", "currency": "USD", "amount": "1250.00", "memo": "Paper"}
    body.update(over)
    return body
