from __future__ import annotations

from .conftest import bill_body, problem


def test_create_get_list_bill(org, vendor):
    r = org.post("/bills", bill_body(vendor["id"]))
    assert r.status_code == 201, r.text
    bill = r.json()
    assert bill["status"] == "in_review" and bill["source"] == "api"
    assert bill["amount"] == "1250.00" and bill["currency"] == "USD"
    assert bill["due_date"] == "2026-12-02"  # Net 30 from the invoice date
    assert [ln["amount"] for ln in bill["lines"]] == ["1250.00"]
    assert bill["sync"] == {"status": "not_synced", "external_id": None, "last_synced_at": None,
                            "error": None, "attempts": 0}
    got = org.get(f"/bills/{bill['id']}").json()
    assert got["invoice_number"] == "INV-001"
    listed = org.get("/bills", params={"status": "in_review"}).json()
    assert [b["id"] for b in listed["data"]] == [bill["id"]]
    assert org.get("/bills", params={"status": "paid"}).json()["data"] == []


def test_pagination_walks_every_bill_once(org, vendor):
    ids = {org.post("/bills", bill_body(vendor["id"], invoice_number=f"P-{i}")).json()["id"] for i in range(7)}
    seen, cursor = [], None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = org.get("/bills", params=params).json()
        seen += [b["id"] for b in page["data"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted(ids) and len(seen) == 7


def test_bad_inputs_are_specific_problems(org, vendor):
    v = vendor["id"]
    problem(org.post("/bills", {**bill_body(v), "colour": "red"}), 422, "field_unknown")
    problem(org.post("/bills", {**bill_body(v), "amount": 12.5}), 422, "type_invalid")
    problem(org.post("/bills", bill_body(v, amount="-5.00")), 422, "amount_negative")
    problem(org.post("/bills", bill_body(v, amount="10.005")), 422, "amount_too_precise")
    problem(org.post("/bills", bill_body(v, currency="JPY", amount="100.5")), 422, "amount_too_precise")
    problem(org.post("/bills", bill_body(v, currency="XYZ")), 422, "currency_unknown")
    problem(org.post("/bills", bill_body(v, invoice_date="2026-02-30")), 422, "date_invalid")
    problem(org.post("/bills", bill_body(v, due_date="2026-10-01")), 422, "due_before_invoice_date")
    problem(org.post("/bills", bill_body(v, payment_terms="whenever")), 422, "terms_invalid")
    problem(org.post("/bills", {**bill_body(v), "lines": [{"amount": "1000.00"}, {"amount": "200.00"}]}),
            422, "lines_sum_mismatch")
    problem(org.post("/bills", bill_body("ven_doesnotexist")), 404, "vendor_not_found")
    problem(org.get("/bills", params={"status": "lost"}), 422, "status_unknown")
    # nothing was half-written by any of the refusals
    assert org.get("/bills").json()["data"] == []
    assert org.get("/audit-events", params={"record_type": "bill"}).json()["data"] == []


def test_split_by_amount_and_percentage_sum_exactly(org, vendor):
    bill = org.post("/bills", bill_body(vendor["id"], amount="100.00")).json()
    r = org.put(f"/bills/{bill['id']}/lines", {"lines": [{"percentage": "33.33", "description": "a"},
                                                         {"percentage": "33.33"}, {"percentage": "33.34"}]})
    assert r.status_code == 200, r.text
    amounts = [ln["amount"] for ln in r.json()["lines"]]
    assert amounts == ["33.33", "33.33", "33.34"]
    r = org.put(f"/bills/{bill['id']}/lines", {"lines": [{"amount": "60.00"}, {"amount": "40.00",
                                                         "attributes": {"class": "Ops"}}]})
    assert [ln["attributes"] for ln in r.json()["lines"]] == [{}, {"class": "Ops"}]
    problem(org.put(f"/bills/{bill['id']}/lines", {"lines": [{"percentage": "50"}, {"percentage": "40"}]}),
            422, "percentages_sum_mismatch")
    problem(org.put(f"/bills/{bill['id']}/lines", {"lines": [{"percentage": "50"}, {"amount": "50.00"}]}),
            422, "split_mode_mixed")


def test_confirm_requires_key_fields(org, vendor):
    bill = org.post("/bills", {"amount": "10.00"}).json()
    body = problem(org.post(f"/bills/{bill['id']}/confirm"), 422, "bill_incomplete")
    assert set(body["missing"]) >= {"vendor_id", "invoice_number", "invoice_date", "due_date"}
    r = org.patch(f"/bills/{bill['id']}", {"vendor_id": vendor["id"], "invoice_number": "X1",
                                           "invoice_date": "2026-11-01", "payment_terms": "Due on receipt"})
    assert r.status_code == 200, r.text
    r = org.post(f"/bills/{bill['id']}/confirm")
    assert r.status_code == 200 and r.json()["status"] == "confirmed"
    problem(org.post(f"/bills/{bill['id']}/confirm"), 409, "invalid_transition")


def test_key_field_change_sends_confirmed_bill_back_to_review(org, vendor):
    bill = org.post("/bills", bill_body(vendor["id"])).json()
    org.post(f"/bills/{bill['id']}/confirm")
    r = org.patch(f"/bills/{bill['id']}", {"amount": "1300.00"})
    assert r.json()["status"] == "in_review" and r.json()["lines"][0]["amount"] == "1300.00"
    r = org.patch(f"/bills/{bill['id']}", {"memo": "only the memo"})
    assert r.json()["status"] == "in_review"


def test_send_to_payments_creates_draft_and_void_cancels_it(org, vendor):
    bill = org.post("/bills", bill_body(vendor["id"])).json()
    problem(org.post(f"/bills/{bill['id']}/send-to-payments"), 409, "invalid_transition")
    org.post(f"/bills/{bill['id']}/confirm")
    r = org.post(f"/bills/{bill['id']}/send-to-payments", {"method": "ach"})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "open"
    payment = r.json()["payment"]
    assert payment["status"] == "draft" and payment["amount"] == "1250.00"
    r = org.post(f"/bills/{bill['id']}/void", {"reason": "sent twice by vendor"})
    assert r.json()["status"] == "void"
    assert org.get(f"/payments/{payment['id']}").json()["status"] == "cancelled"
    problem(org.patch(f"/bills/{bill['id']}", {"memo": "x"}), 409, "invalid_transition")


def test_duplicates_are_flagged_not_dropped(org, vendor):
    a = org.post("/bills", bill_body(vendor["id"], invoice_number="INV-0042")).json()
    b = org.post("/bills", bill_body(vendor["id"], invoice_number="inv 42")).json()
    assert b["duplicate_of"] == [{"bill_id": a["id"], "reason": "same_vendor_and_invoice_number"}]
    assert len(org.get("/bills").json()["data"]) == 2


def test_other_organizations_records_are_404(org, other_org, vendor):
    bill = org.post("/bills", bill_body(vendor["id"])).json()
    for path in (f"/bills/{bill['id']}", f"/vendors/{vendor['id']}"):
        problem(other_org.get(path), 404, path.split("/")[1].rstrip("s") + "_not_found")
    problem(other_org.patch(f"/bills/{bill['id']}", {"memo": "mine now"}), 404, "bill_not_found")
    problem(other_org.post(f"/bills/{bill['id']}/void"), 404, "bill_not_found")
    problem(other_org.post("/bills", bill_body(vendor["id"])), 404, "vendor_not_found")
    assert other_org.get("/bills").json()["data"] == []
    assert org.get(f"/bills/{bill['id']}").json()["memo"] == "Paper"


def test_idempotency_key_replays_and_refuses_other_body(org, vendor):
    h = {"Idempotency-Key": "create-inv-7"}
    first = org.post("/bills", bill_body(vendor["id"], invoice_number="7"), headers=h)
    again = org.post("/bills", bill_body(vendor["id"], invoice_number="7"), headers=h)
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert again.headers.get("idempotent-replayed") == "true"
    assert len(org.get("/bills").json()["data"]) == 1
    problem(org.post("/bills", bill_body(vendor["id"], invoice_number="8"), headers=h), 422,
            "idempotency_key_reused")


def test_authentication_and_roles(org, client, vendor):
    r = client.get("/api/v1/bills")
    problem(r, 401, "unauthorized")
    problem(client.get("/api/v1/bills", headers={"Authorization": "Bearer bp_nope.nope"}), 401, "unauthorized")
    viewer = org.add_user("viewer@acme.test", ["viewer"])
    assert viewer.get("/bills").status_code == 200
    problem(viewer.post("/bills", bill_body(vendor["id"])), 403, "forbidden")
    problem(viewer.patch("/settings", {"auto_sync_payments": True}), 403, "forbidden")


def test_audit_event_written_with_each_change(org, vendor):
    bill = org.post("/bills", bill_body(vendor["id"])).json()
    org.patch(f"/bills/{bill['id']}", {"memo": "changed"})
    events = org.get("/audit-events", params={"record_id": bill["id"]}).json()["data"]
    actions = [e["action"] for e in events]
    assert actions == ["bill.updated", "bill.created"]
    assert events[0]["before"]["memo"] == "Paper" and events[0]["after"]["memo"] == "changed"
    assert events[0]["actor_id"] == org.user_id


def test_openapi_lists_the_public_contract(client):
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    for p in ("/api/v1/bills", "/api/v1/bills/{bill_id}/confirm", "/api/v1/bills/{bill_id}/send-to-payments",
              "/api/v1/bills/{bill_id}/lines", "/api/v1/vendors", "/api/v1/payments/{payment_id}/schedule",
              "/api/v1/mapping-rules", "/api/v1/settings", "/api/v1/approval-policy", "/api/v1/audit-events",
              "/api/v1/sandbox-bank/settle", "/api/v1/users/{user_id}/api-keys"):
        assert p in paths, p
