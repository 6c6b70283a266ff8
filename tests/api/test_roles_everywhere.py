"""Every mutating endpoint refuses a viewer, and nothing is written."""
from __future__ import annotations

import re

from .conftest import bill_body

BODIES = {
    "/api/v1/bills": bill_body("{vendor_id}"),
    "/api/v1/vendors": {"name": "Sneaky"},
    "/api/v1/bills/{bill_id}/not-a-duplicate": {"reason": "sneaky"},
    "/api/v1/payments/schedule-suggested": {"payment_ids": ["{payment_id}"]},
    "/api/v1/mapping-rules": {"name": "r", "conditions": {"currency": "USD"}, "attributes": {"gl_account": "1"}},
    "/api/v1/users": {"email": "x@acme.test", "roles": ["admin"]},
    "/api/v1/approval-policy": {"steps": []},
    "/api/v1/settings": {"auto_sync_payments": True},
    "/api/v1/payments/{payment_id}/schedule": {"pay_date": "2030-01-02", "method": "ach"},
    "/api/v1/sandbox-bank/settle": {"payment_id": "{payment_id}", "outcome": "settled"},
    "/api/v1/accounting/connection": {"platform": "quickbooks", "sandbox": True},
    "/api/v1/bills/{bill_id}/lines": {"lines": [{"amount": "1250.00"}]},
    "/api/v1/bills/apply-rules": {"bill_ids": ["{bill_id}"], "dry_run": False},
    "/api/v1/mapping-rules/preview": {"conditions": {"currency": "USD"}, "attributes": {"gl_account": "1"}},
    "/api/v1/accounting/connection/oauth/start": {"platform": "quickbooks", "sandbox": True},
    "/api/v1/accounting/connection/oauth/complete": {"code": "c", "state": "s", "realmId": "1"},
}
# Reads that happen to be POSTs, and the public signed webhook.
NOT_WRITES = {"/api/v1/mapping-rules/preview", "/api/v1/inbound/{token}"}


def test_viewer_is_refused_everywhere(org, vendor):
    bill = org.post("/bills", bill_body(vendor["id"])).json()
    org.post(f"/bills/{bill['id']}/confirm")
    payment = org.post(f"/bills/{bill['id']}/send-to-payments").json()["payment"]
    rule = org.post("/mapping-rules", {"name": "r", "conditions": {"currency": "USD"},
                                       "attributes": {"gl_account": "1"}}).json()
    viewer = org.add_user("viewer@acme.test", ["viewer"])
    ids = {"bill_id": bill["id"], "payment_id": payment["id"], "vendor_id": vendor["id"], "rule_id": rule["id"],
           "user_id": org.user_id, "file_id": "bkf_none", "job_id": "job_none", "token": "none", "kind": "vendors",
           "key_id": "key_none"}
    before = len(org.get("/audit-events", params={"limit": 200}).json()["data"])
    checked = 0
    spec = org.client.get("/openapi.json").json()
    for route_path, operations in spec["paths"].items():
        for method in set(operations) - {"get", "head"}:
            if route_path in NOT_WRITES:
                continue
            path = re.sub(r"\{(\w+)\}", lambda m: ids[m.group(1)], route_path)
            body = BODIES.get(route_path, {})
            if body is not None:
                body = {k: (v.format(**ids) if isinstance(v, str) else v) for k, v in body.items()}
                if "bill_ids" in body:
                    body["bill_ids"] = [bill["id"]]
            r = viewer.client.request(method.upper(), path, json=body, headers=viewer.h())
            assert r.status_code in (403, 404), (method, route_path, r.status_code, r.text)
            assert r.json()["code"] in ("forbidden", "job_not_found", "bank_file_not_found", "api_key_not_found"), (
                route_path, r.text)
            checked += 1
    assert checked >= 30
    after = len(org.get("/audit-events", params={"limit": 200}).json()["data"])
    assert after == before  # nothing was written
