"""Money controls that no API call can get around (issue: duplicates, bank details, splits).

Every test here failed on the code before the controls existed; the module docstring of each
test says what went through then.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from billpay.db import tables as t

from .conftest import bill_body, problem

NOW = dt.datetime(2026, 11, 16, 15, 0, tzinfo=dt.timezone.utc)  # a Monday, mid-day in New York
PAY_DATE = "2026-11-24"


@pytest.fixture(autouse=True)
def fixed_clock(container):
    container.now = lambda: NOW


def _confirmed(org, vendor_id: str, **over) -> dict:
    bill = org.post("/bills", bill_body(vendor_id, **over))
    assert bill.status_code == 201, bill.text
    r = org.post(f"/bills/{bill.json()['id']}/confirm")
    assert r.status_code == 200, r.text
    return r.json()


def _sent(org, vendor_id: str, **over) -> tuple[dict, dict]:
    bill = _confirmed(org, vendor_id, **over)
    r = org.post(f"/bills/{bill['id']}/send-to-payments")
    assert r.status_code == 200, r.text
    return r.json(), r.json()["payment"]


# --- duplicates ---------------------------------------------------------------------------------------

def test_flagged_duplicate_cannot_be_sent_until_a_person_clears_it_with_a_reason(org, vendor):
    """Before: a bill flagged as a duplicate was sent to payments like any other."""
    _confirmed(org, vendor["id"], invoice_number="INV-0042")
    dup = _confirmed(org, vendor["id"], invoice_number="inv 42")
    assert dup["duplicate_of"][0]["reason"] == "same_vendor_and_invoice_number"
    assert dup["duplicate_status"] == "unresolved"
    body = problem(org.post(f"/bills/{dup['id']}/send-to-payments"), 409, "duplicate_unresolved")
    assert body["duplicate_of"] == [d["bill_id"] for d in dup["duplicate_of"]]
    assert org.get("/payments").json()["data"] == []  # no payment draft exists
    problem(org.post(f"/bills/{dup['id']}/not-a-duplicate", {"reason": "  "}), 422, "reason_required")
    r = org.post(f"/bills/{dup['id']}/not-a-duplicate", {"reason": "Vendor reuses numbers each year"})
    assert r.status_code == 200, r.text
    assert r.json()["duplicate_status"] == "cleared"
    assert r.json()["duplicate_resolution"]["reason"] == "Vendor reuses numbers each year"
    assert r.json()["duplicate_resolution"]["by"] == org.user_id
    events = org.get("/audit-events", params={"record_id": dup["id"], "action": "bill.duplicate_cleared"}).json()
    assert events["data"][0]["after"]["reason"] == "Vendor reuses numbers each year"
    assert org.post(f"/bills/{dup['id']}/send-to-payments").status_code == 200


def test_same_vendor_amount_and_close_date_is_a_likely_duplicate(org, vendor):
    """Before: only the invoice number and the file were compared."""
    first = _confirmed(org, vendor["id"], invoice_number="A-1", amount="1250.00", invoice_date="2026-11-02")
    near = org.post("/bills", bill_body(vendor["id"], invoice_number="B-77", amount="1250.00",
                                        invoice_date="2026-11-06")).json()
    assert near["duplicate_of"] == [{"bill_id": first["id"], "reason": "same_vendor_amount_and_date"}]
    far = org.post("/bills", bill_body(vendor["id"], invoice_number="C-9", amount="1250.00",
                                       invoice_date="2026-12-20")).json()
    other_amount = org.post("/bills", bill_body(vendor["id"], invoice_number="D-3", amount="1250.01",
                                                invoice_date="2026-11-02")).json()
    assert far["duplicate_of"] == [] and other_amount["duplicate_of"] == []


def test_voiding_the_other_bill_lifts_the_flag_and_voiding_this_one_is_the_other_way_out(org, vendor):
    original = _confirmed(org, vendor["id"], invoice_number="INV-9")
    dup = _confirmed(org, vendor["id"], invoice_number="INV-9")
    problem(org.post(f"/bills/{dup['id']}/send-to-payments"), 409, "duplicate_unresolved")
    assert org.post(f"/bills/{original['id']}/void", {"reason": "entered twice"}).status_code == 200
    assert org.get(f"/bills/{dup['id']}").json()["duplicate_status"] == "none"
    assert org.post(f"/bills/{dup['id']}/send-to-payments").status_code == 200


def test_same_file_uploaded_twice_is_held(org, vendor):
    files = {"file": ("scan.png", b"\x89PNG\r\n\x1a\n same bytes twice", "image/png")}
    org.client.post("/api/v1/bills", headers=org.h(), files=files)
    second = org.client.post("/api/v1/bills", headers=org.h(), files=files).json()
    assert second["duplicate_of"][0]["reason"] == "same_file"
    org.patch(f"/bills/{second['id']}", {k: v for k, v in bill_body(vendor["id"]).items()})
    assert org.post(f"/bills/{second['id']}/confirm").status_code == 200
    problem(org.post(f"/bills/{second['id']}/send-to-payments"), 409, "duplicate_unresolved")


def test_a_flag_raised_after_the_draft_blocks_scheduling_and_approval(org, vendor):
    """Before: schedule and approve never looked at the duplicate flag."""
    approver = org.add_user("appr@acme.test", ["approver"])
    _sent(org, vendor["id"], invoice_number="INV-1", amount="100.00")
    _, to_schedule = _sent(org, vendor["id"], invoice_number="INV-2", amount="200.00")
    bill3, to_approve = _sent(org, vendor["id"], invoice_number="INV-3", amount="9000.00")
    org.put("/approval-policy", {"steps": [{"name": "Large", "min_amount": "5000",
                                            "approvers": [{"role": "approver"}], "required": "any"}]})
    r = org.post(f"/payments/{to_approve['id']}/schedule", {"pay_date": PAY_DATE, "method": "ach"})
    assert r.json()["status"] == "pending_approval", r.text
    # both open bills are edited to the number of the first one: now each is a likely duplicate
    assert org.patch(f"/bills/{to_schedule['bill_id']}", {"invoice_number": "inv-1"}).json()["duplicate_of"]
    assert org.patch(f"/bills/{bill3['id']}", {"invoice_number": "INV 1"}).json()["duplicate_of"]
    problem(org.post(f"/payments/{to_schedule['id']}/schedule", {"pay_date": PAY_DATE, "method": "ach"}),
            409, "duplicate_unresolved")
    problem(approver.post(f"/payments/{to_approve['id']}/approve"), 409, "duplicate_unresolved")
    assert org.get(f"/payments/{to_approve['id']}").json()["status"] == "pending_approval"


# --- bank details -------------------------------------------------------------------------------------

def test_bank_details_of_a_new_vendor_need_a_second_person_before_any_payment(org):
    """Before: a new vendor's first bank details counted as verified at once."""
    colleague = org.add_user("vera@acme.test", ["admin"])
    clerk = org.add_user("carl@acme.test", ["ap_clerk"])
    v = clerk.post("/vendors", {"name": "Brand New LLC", "routing_number": "021000021",
                                "account_number": "123456789"}).json()
    assert v["bank_details_status"] == "pending_verification"
    assert v["payment_details"] is None or not v["payment_details"]["account_number"]
    assert v["payment_methods"] == []
    assert {p["id"] for p in v["bank_details_verifiers"]} == {org.user_id, colleague.user_id}
    _, payment = _sent(clerk, v["id"], amount="100.00")
    problem(clerk.post(f"/payments/{payment['id']}/schedule", {"pay_date": PAY_DATE, "method": "ach"}),
            422, "bank_details_unverified")
    problem(clerk.post(f"/vendors/{v['id']}/verify-bank-details"), 403, "forbidden")
    r = org.post(f"/vendors/{v['id']}/verify-bank-details")
    assert r.status_code == 200 and r.json()["bank_details_status"] == "verified", r.text
    r = clerk.post(f"/payments/{payment['id']}/schedule", {"pay_date": PAY_DATE, "method": "ach"})
    assert r.json()["status"] == "scheduled", r.text


def test_the_person_who_entered_new_details_cannot_verify_them(org):
    colleague = org.add_user("vera@acme.test", ["admin"])
    v = org.post("/vendors", {"name": "Self Check Inc", "iban": "DE89370400440532013000",
                              "bic": "COBADEFFXXX"}).json()
    assert [p["id"] for p in v["bank_details_verifiers"]] == [colleague.user_id]
    problem(org.post(f"/vendors/{v['id']}/verify-bank-details"), 403, "bank_details_self_verification")
    assert colleague.post(f"/vendors/{v['id']}/verify-bank-details").json()["payment_methods"] == ["wire"]


# --- splits -------------------------------------------------------------------------------------------

def _with_extracted_lines(container, bill_id: str, amounts: list[str], **fields) -> None:
    with container.sessionmaker() as s, s.begin():
        bill = s.get(t.Bill, bill_id)
        bill.extraction = {"fields": {k: {"value": v, "confidence": 0.9} for k, v in fields.items()},
                           "lines": [{"description": {"value": f"Item {i + 1}"}, "amount": {"value": a}}
                                     for i, a in enumerate(amounts)]}


def test_split_by_invoice_lines_keeps_their_amounts_and_names_the_tax(org, vendor, container):
    """Before: 50 + 30 on a 96.00 bill were scaled to 60 + 36."""
    bill = org.post("/bills", bill_body(vendor["id"], amount="96.00")).json()
    _with_extracted_lines(container, bill["id"], ["50.00", "30.00"], tax="16.00")
    r = org.post(f"/bills/{bill['id']}/split-by-line-items")
    assert r.status_code == 200, r.text
    lines = [(ln["amount"], ln["description"]) for ln in r.json()["lines"]]
    assert lines == [("50.00", "Item 1"), ("30.00", "Item 2"), ("16.00", "Tax")]
    assert not [w for w in r.json()["warnings"] if w["code"] == "split_difference"]


def test_split_difference_nobody_can_name_is_its_own_line_and_the_bill_says_so(org, vendor, container):
    bill = org.post("/bills", bill_body(vendor["id"], amount="100.00")).json()
    _with_extracted_lines(container, bill["id"], ["50.00", "30.00"])
    r = org.post(f"/bills/{bill['id']}/split-by-line-items").json()
    assert [ln["amount"] for ln in r["lines"]] == ["50.00", "30.00", "20.00"]
    assert r["lines"][2]["description"].startswith("Difference")
    warning = [w for w in r["warnings"] if w["code"] == "split_difference"]
    assert warning and "20.00" in warning[0]["message"]
    # coding or replacing the lines is the person's answer: the question goes away
    fixed = org.put(f"/bills/{bill['id']}/lines", {"lines": [{"amount": "50.00"}, {"amount": "50.00"}]}).json()
    assert not [w for w in fixed["warnings"] if w["code"] == "split_difference"]


def test_split_lines_larger_than_the_bill_are_refused_not_shrunk(org, vendor, container):
    bill = org.post("/bills", bill_body(vendor["id"], amount="70.00")).json()
    _with_extracted_lines(container, bill["id"], ["50.00", "30.00"])
    body = problem(org.post(f"/bills/{bill['id']}/split-by-line-items"), 422, "line_items_exceed_total")
    assert Decimal(body["lines_total"]) == Decimal("80.00")
    assert [ln["amount"] for ln in org.get(f"/bills/{bill['id']}").json()["lines"]] == ["70.00"]


# --- people -------------------------------------------------------------------------------------------

def test_nobody_locks_the_organization_out_of_its_last_admin(org):
    """Before: an admin could deactivate themselves or remove the last admin role through the API."""
    problem(org.patch(f"/users/{org.user_id}", {"active": False}), 409, "user_self_lockout")
    problem(org.patch(f"/users/{org.user_id}", {"roles": ["viewer"]}), 409, "user_self_lockout")
    colleague = org.add_user("vera@acme.test", ["admin"])
    assert org.patch(f"/users/{colleague.user_id}", {"active": False}).json()["active"] is False
    assert org.get("/users").json()["data"][0]["active"] in (True, False)


def test_schedule_suggested_goes_on_the_due_date_and_keeps_every_control(org, vendor):
    approver = org.add_user("appr@acme.test", ["approver"])
    assert approver
    org.put("/approval-policy", {"steps": [{"name": "Large", "min_amount": "5000",
                                            "approvers": [{"role": "approver"}], "required": "any"}]})
    _, small = _sent(org, vendor["id"], invoice_number="S-1", amount="100.00", due_date="2026-12-02")
    _, large = _sent(org, vendor["id"], invoice_number="S-2", amount="9000.00", due_date="2026-12-02")
    _confirmed(org, vendor["id"], invoice_number="S-1", amount="55.00")  # a likely duplicate of S-1
    dup = org.get("/bills", params={"status": "confirmed"}).json()["data"][0]
    org.post(f"/bills/{dup['id']}/not-a-duplicate", {"reason": "second delivery"})
    _, third = _sent(org, vendor["id"], invoice_number="S-3", amount="300.00", due_date="2026-12-02")
    org.patch(f"/bills/{third['bill_id']}", {"invoice_number": "S-2"})  # now held as a duplicate
    r = org.post("/payments/schedule-suggested", {"payment_ids": [small["id"], large["id"], third["id"]]})
    assert r.status_code == 200, r.text
    out = {o["payment_id"]: o for o in r.json()["data"]}
    assert out[small["id"]] == {"payment_id": small["id"], "status": "scheduled", "pay_date": "2026-12-02"}
    assert out[large["id"]]["status"] == "pending_approval" and out[large["id"]]["pay_date"] == "2026-11-30"
    assert out[third["id"]]["error"]["code"] == "duplicate_unresolved"


def test_a_warning_about_a_field_goes_once_the_field_is_fixed(org, vendor, container):
    """Before: "the due date on the invoice was refused" stayed on the bill after the due date was entered."""
    bill = org.post("/bills", bill_body(vendor["id"])).json()
    with container.sessionmaker() as s, s.begin():
        s.get(t.Bill, bill["id"]).warnings = [
            {"code": "extracted_value_refused", "field": "due_date", "message": "The due date is before the invoice date."},
            {"code": "extraction_warning", "message": "Page 2 was blank."}]
    after = org.patch(f"/bills/{bill['id']}", {"memo": "checked"}).json()
    assert len(after["warnings"]) == 2  # unrelated edits keep it
    after = org.patch(f"/bills/{bill['id']}", {"due_date": "2026-12-15"}).json()
    assert [w["code"] for w in after["warnings"]] == ["extraction_warning"]


def test_a_scheduled_payment_whose_bill_becomes_a_likely_duplicate_is_not_sent(org, vendor, container):
    """Before: release sent it to the bank all the same."""
    from billpay.sync.worker import tick

    _sent(org, vendor["id"], invoice_number="R-1", amount="100.00")
    bill, payment = _sent(org, vendor["id"], invoice_number="R-2", amount="200.00")
    r = org.post(f"/payments/{payment['id']}/schedule", {"pay_date": PAY_DATE, "method": "ach"})
    assert r.json()["status"] == "scheduled", r.text
    assert org.patch(f"/bills/{bill['id']}", {"invoice_number": "R-1"}).json()["duplicate_status"] == "unresolved"
    container.now = lambda: dt.datetime(2026, 11, 24, 14, 0, tzinfo=dt.timezone.utc)  # 9 AM in New York
    tick(container)
    held = org.get(f"/payments/{payment['id']}").json()
    assert held["status"] == "draft" and held["status_reason"].startswith("Not sent: This bill may be a duplicate")
