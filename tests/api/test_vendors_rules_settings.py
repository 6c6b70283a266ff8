from __future__ import annotations

from .conftest import bill_body, problem, verified_by_colleague


def test_vendor_bank_details_masked_and_validated(org):
    problem(org.post("/vendors", {"name": "X", "routing_number": "123456789", "account_number": "1234"}),
            422, "routing_number_invalid")
    problem(org.post("/vendors", {"name": "X", "iban": "GB00WEST12345698765432"}), 422, "iban_invalid")
    problem(org.post("/vendors", {"name": ""}), 422, "name_required")
    v = org.post("/vendors", {"name": "Acme EU", "iban": "DE89370400440532013000", "bic": "COBADEFFXXX"}).json()
    assert v["payment_methods"] == [] and v["bank_details_status"] == "pending_verification"
    assert v["pending_payment_details"]["iban"].endswith("3000") and "0532" not in v["pending_payment_details"]["iban"]
    v = verified_by_colleague(org, v)
    assert v["payment_methods"] == ["wire"] and v["bank_details_status"] == "verified"


def test_bank_detail_change_needs_a_second_person(org, vendor):
    accountant = org.add_user("acct@acme.test", ["accountant"])
    r = org.patch(f"/vendors/{vendor['id']}", {"routing_number": "011000015", "account_number": "5555555555"})
    assert r.status_code == 200, r.text
    v = r.json()
    assert v["bank_details_status"] == "pending_verification"
    assert v["payment_details"]["account_number"].endswith("6789")  # still the verified details
    events = org.get("/audit-events", params={"record_id": vendor["id"]}).json()["data"]
    assert "vendor.bank_details_changed" in [e["action"] for e in events]
    notes = org.get("/audit-events", params={"action": "notification.vendor_bank_details_changed"}).json()["data"]
    assert notes and "admin@acme.test" in notes[0]["after"]["to"]
    problem(org.post(f"/vendors/{vendor['id']}/verify-bank-details"), 403, "bank_details_self_verification")
    r = accountant.post(f"/vendors/{vendor['id']}/verify-bank-details")
    assert r.json()["bank_details_status"] == "verified"
    assert r.json()["payment_details"]["account_number"].endswith("5555")


def test_new_details_hold_payments_until_verified(org):
    v = org.post("/vendors", {"name": "Fresh", "address": {"line1": "1 A St"}}).json()
    org.patch(f"/vendors/{v['id']}", {"routing_number": "011000015", "account_number": "5555555555"})
    bill = org.post("/bills", bill_body(v["id"], amount="10.00")).json()
    org.post(f"/bills/{bill['id']}/confirm")
    problem(org.post(f"/bills/{bill['id']}/send-to-payments", {"method": "ach"}), 422, "bank_details_unverified")


def test_mapping_rules_apply_on_create_and_keep_manual_values(org, vendor):
    r = org.post("/mapping-rules", {"name": "Paper", "priority": 10, "conditions": {"vendor_ids": [vendor["id"]]},
                                    "attributes": {"gl_account": "6100", "class": "Admin"}})
    assert r.status_code == 201, r.text
    rule = r.json()
    problem(org.post("/mapping-rules", {"name": "bad", "conditions": {}, "attributes": {"gl_account": "1"}}),
            422, "rule_condition_required")
    bill = org.post("/bills", bill_body(vendor["id"])).json()
    assert bill["attributes"] == {"gl_account": "6100", "class": "Admin"}
    assert bill["attribute_sources"]["gl_account"] == {"source": "rule", "rule_id": rule["id"]}
    bill = org.patch(f"/bills/{bill['id']}", {"attributes": {"gl_account": "7000", "class": "Admin"}}).json()
    assert bill["attribute_sources"]["gl_account"]["source"] == "user"
    org.patch(f"/mapping-rules/{rule['id']}", {"attributes": {"gl_account": "6200", "class": "Ops"}})
    preview = org.post("/bills/apply-rules", {"bill_ids": [bill["id"]], "dry_run": True}).json()
    assert preview["data"][0]["changes"] == {"class": {"from": "Admin", "to": "Ops"}}
    assert org.get(f"/bills/{bill['id']}").json()["attributes"]["class"] == "Admin"  # dry run changed nothing
    org.post("/bills/apply-rules", {"bill_ids": [bill["id"]], "dry_run": False, "overwrite_manual": True})
    assert org.get(f"/bills/{bill['id']}").json()["attributes"] == {"gl_account": "6200", "class": "Ops"}
    assert org.delete(f"/mapping-rules/{rule['id']}").status_code == 204
    assert org.get("/mapping-rules").json()["data"] == []


def test_settings_round_trip_and_validation(org):
    s = org.get("/settings").json()
    assert s["automated_bill_splitting"] is False and s["inbox_address"].endswith("@inbox.billpay.localhost")
    problem(org.patch("/settings", {"pull_bills_enabled": True}), 422, "pull_start_date_required")
    problem(org.patch("/settings", {"timezone": "Mars/Olympus"}), 422, "timezone_invalid")
    problem(org.patch("/settings", {"surprise": True}), 422, "field_unknown")
    s = org.patch("/settings", {"pull_bills_enabled": True, "pull_start_date": "2026-01-01",
                                "automated_bill_splitting": True}).json()
    assert s["pull_bills_enabled"] and s["automated_bill_splitting"]
    old = s["inbox_address"]
    new = org.post("/settings/inbox/regenerate").json()["inbox_address"]
    assert new != old


def test_users_and_api_keys(org, other_org):
    r = org.post("/users", {"email": "x@acme.test", "roles": ["wizard"]})
    problem(r, 422, "roles_invalid")
    u = org.post("/users", {"email": "x@acme.test", "roles": ["viewer"], "password": "long enough pw"}).json()
    problem(org.post("/users", {"email": "X@acme.test", "roles": ["viewer"]}), 409, "user_exists")
    assert org.patch(f"/users/{u['id']}", {"roles": ["approver"]}).json()["roles"] == ["approver"]
    problem(other_org.patch(f"/users/{u['id']}", {"roles": ["admin"]}), 404, "user_not_found")
    problem(other_org.post(f"/users/{u['id']}/api-keys"), 404, "user_not_found")
    key = org.post(f"/users/{u['id']}/api-keys").json()["api_key"]
    assert org.client.get("/api/v1/bills", headers={"Authorization": f"Bearer {key}"}).status_code == 200
    org.patch(f"/users/{u['id']}", {"active": False})
    assert org.client.get("/api/v1/bills", headers={"Authorization": f"Bearer {key}"}).status_code == 401
