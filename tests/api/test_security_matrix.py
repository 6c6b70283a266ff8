"""Roles x operations and organization x organization, walked from /openapi.json: an operation added later
is held to the same rules (it must say which permission it needs in PERMISSION below)."""
from __future__ import annotations

import re

import pytest

from billpay.domain.users import Role, allowed

from .conftest import bill_body

# operation -> the permission it needs (domain/users.py); "read" is every role
PERMISSION = {
    "POST /bills": "bills.write", "GET /bills": "read", "POST /bills/apply-rules": "bills.code",
    "GET /bills/{bill_id}": "read", "PATCH /bills/{bill_id}": "bills.write", "PUT /bills/{bill_id}/lines": "bills.code",
    "POST /bills/{bill_id}/split-by-line-items": "bills.code", "POST /bills/{bill_id}/confirm": "bills.write",
    "POST /bills/{bill_id}/send-to-payments": "payments.write", "POST /bills/{bill_id}/resync": "bills.write",
    "POST /bills/{bill_id}/void": "bills.write", "GET /bills/{bill_id}/sync-history": "read",
    "GET /bills/{bill_id}/document": "read", "POST /bills/{bill_id}/not-a-duplicate": "bills.write",
    "GET /vendors": "read", "POST /vendors": "vendors.write", "GET /vendors/{vendor_id}": "read",
    "PATCH /vendors/{vendor_id}": "vendors.write", "GET /vendors/{vendor_id}/mapping-suggestions": "read",
    "POST /vendors/{vendor_id}/verify-bank-details": "vendors.verify_bank",
    "POST /vendors/{vendor_id}/create-in-platform": "vendors.write",
    "GET /mapping-rules": "read", "POST /mapping-rules": "rules.write", "POST /mapping-rules/preview": "read",
    "PATCH /mapping-rules/{rule_id}": "rules.write", "DELETE /mapping-rules/{rule_id}": "rules.write",
    "GET /payments": "read", "GET /payments/{payment_id}": "read", "PATCH /payments/{payment_id}": "payments.write",
    "POST /payments/{payment_id}/schedule": "payments.write", "POST /payments/{payment_id}/approve": "payments.approve",
    "POST /payments/{payment_id}/reject": "payments.approve", "POST /payments/{payment_id}/cancel": "payments.write",
    "POST /payments/schedule-suggested": "payments.write", "GET /payments/{payment_id}/sync-history": "read", "POST /sandbox-bank/settle": "payments.write",
    "GET /bank-files": "read", "GET /bank-files/{file_id}/download": "payments.write",
    "GET /approval-policy": "read", "PUT /approval-policy": "policy.write",
    "GET /settings": "read", "PATCH /settings": "settings.write", "POST /settings/inbox/regenerate": "settings.write",
    "GET /users": "read", "POST /users": "users.write", "PATCH /users/{user_id}": "users.write",
    "POST /users/{user_id}/api-keys": "users.write", "GET /users/{user_id}/api-keys": "users.write",
    "DELETE /users/{user_id}/api-keys/{key_id}": "users.write", "GET /audit-events": "read",
    "GET /accounting/connection": "read", "PUT /accounting/connection": "connection.write",
    "DELETE /accounting/connection": "connection.write", "POST /accounting/connection/refresh": "sync.run",
    "GET /accounting/reference-data/{kind}": "read", "GET /accounting/dashboard": "read",
    "POST /accounting/sync": "sync.run", "POST /accounting/sync-bills": "sync.run", "GET /jobs/{job_id}": "read",
    "GET /accounting/sync-bills/not-brought-in": "read",
    "POST /accounting/connection/oauth/start": "connection.write",
    "POST /accounting/connection/oauth/complete": "connection.write",
    "PATCH /accounting/connection/options": "connection.write", "GET /accounting/platforms": "read",
    "POST /accounting/retry": "sync.run",
    "POST /inbound/{token}": None, "GET /inbox": "read",
}
BODIES = {
    "POST /bills": bill_body("{vendor_id}"), "POST /vendors": {"name": "Sneaky"},
    "PATCH /bills/{bill_id}": {"memo": "m"}, "PATCH /vendors/{vendor_id}": {"email": "v@x.test"},
    "POST /mapping-rules": {"name": "r", "conditions": {"currency": "USD"}, "attributes": {"gl_account": "1"}},
    "POST /mapping-rules/preview": {"conditions": {"currency": "USD"}, "attributes": {"gl_account": "1"}},
    "PATCH /mapping-rules/{rule_id}": {"name": "r2"}, "POST /users": {"email": "x@acme.test", "roles": ["viewer"]},
    "PATCH /users/{user_id}": {"name": "N"}, "PUT /approval-policy": {"steps": []},
    "PATCH /settings": {"auto_sync_payments": False}, "PATCH /payments/{payment_id}": {"method": "ach"},
    "POST /payments/{payment_id}/schedule": {"pay_date": "2030-01-02", "method": "ach"},
    "POST /sandbox-bank/settle": {"payment_id": "{payment_id}", "outcome": "settled"},
    "PUT /accounting/connection": {"platform": "quickbooks", "sandbox": True},
    "PUT /bills/{bill_id}/lines": {"lines": [{"amount": "1250.00"}]},
    "POST /bills/apply-rules": {"bill_ids": ["{bill_id}"], "dry_run": True},
    "POST /accounting/connection/oauth/start": {"platform": "quickbooks", "sandbox": True},
    "POST /accounting/connection/oauth/complete": {"code": "c", "state": "s", "realmId": "1"},
    "PATCH /accounting/connection/options": {"bank_accounts": {}},
    "POST /payments/{payment_id}/reject": {"reason": "no"},
    "POST /bills/{bill_id}/not-a-duplicate": {"reason": "The vendor reuses invoice numbers."},
    "POST /payments/schedule-suggested": {"payment_ids": ["{payment_id}"]},
}
V1 = "/api/v1"


def _fill(value, ids):  # noqa: ANN001, ANN202
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


def _records(org, vendor) -> dict:
    bill = org.post("/bills", bill_body(vendor["id"])).json()
    org.post(f"/bills/{bill['id']}/confirm")
    payment = org.post(f"/bills/{bill['id']}/send-to-payments").json()["payment"]
    rule = org.post("/mapping-rules", {"name": "r", "conditions": {"currency": "USD"},
                                       "attributes": {"gl_account": "1"}}).json()
    return {"bill_id": bill["id"], "payment_id": payment["id"], "vendor_id": vendor["id"], "rule_id": rule["id"],
            "user_id": org.user_id, "file_id": "bkf_none", "job_id": "job_none", "token": "none",
            "key_id": org.post(f"/users/{org.user_id}/api-keys").json()["api_key"][3:].split(".")[0],
            "kind": "vendors"}


def _operations(org):  # noqa: ANN001, ANN202
    spec = org.client.get("/openapi.json").json()
    for path, ops in spec["paths"].items():
        for method in ops:
            yield method.upper(), path, f"{method.upper()} {path[len(V1):]}"


def test_every_operation_says_which_permission_it_needs(org):
    missing = [k for _, _, k in _operations(org) if k not in PERMISSION]
    assert not missing, f"add these to PERMISSION: {missing}"


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_roles_by_operation(org, vendor, role):
    ids = _records(org, vendor)
    who = org if role == "admin" else org.add_user(f"{role}@acme.test", [role])
    for method, path, key in _operations(org):
        need = PERMISSION[key]
        if need is None:
            continue
        url = re.sub(r"\{(\w+)\}", lambda m: ids[m.group(1)], path)
        body = _fill(BODIES.get(key), ids)
        r = who.client.request(method, url, json=body, headers=who.h())
        refused = r.status_code == 403 and r.json().get("code") == "forbidden"
        assert refused == (not allowed([role], need)), (role, key, need, r.status_code, r.text[:300])


def test_no_id_of_another_organization_is_reachable(org, other_org, vendor):
    """Every operation that takes an id, called by the other organization's admin with this one's ids: 404."""
    ids = _records(org, vendor)
    checked = 0
    for method, path, key in _operations(org):
        names = re.findall(r"\{(\w+)\}", path)
        if not any(n.endswith("_id") and n not in ("file_id", "job_id") for n in names):
            continue
        url = re.sub(r"\{(\w+)\}", lambda m: ids[m.group(1)], path)
        r = other_org.client.request(method, url, json=_fill(BODIES.get(key), ids), headers=other_org.h())
        assert r.status_code == 404, (key, r.status_code, r.text[:300])
        assert r.json()["code"].endswith("not_found") and ids[names[0]] in r.json()["detail"]
        checked += 1
    # ids carried in bodies
    for key, body in (("POST /sandbox-bank/settle", {"payment_id": ids["payment_id"], "outcome": "settled"}),
                      ("POST /bills/apply-rules", {"bill_ids": [ids["bill_id"]], "dry_run": True}),
                      ("POST /bills", bill_body(ids["vendor_id"]))):
        method, path = key.split(" ")
        r = other_org.client.request(method, V1 + path, json=body, headers=other_org.h())
        assert r.status_code in (404, 422) and r.json()["code"].endswith("not_found"), (key, r.text[:300])
        checked += 1
    assert checked >= 25
    assert org.get(f"/bills/{ids['bill_id']}").json()["memo"] == "Paper"  # untouched
