"""Roles and frozen fields: the page hides what a person may not do, and the server refuses it anyway."""
from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from billpay.db import tables as t
from billpay.payments import calendar
from billpay.services import bills, payments, vendors

from .conftest import csrf_of, doc_shot, shot, sign_in

pytestmark = pytest.mark.browser


def _open_bill(live, amount: str = "1250.00", number: str = "INV-4410") -> tuple[str, str]:
    """A bill sent to Payments by the admin (who created and confirmed it); returns (bill id, payment id)."""
    with live.tx() as ctx:
        v = vendors.create_vendor(ctx, {"name": "Granite State Insurance", "routing_number": "021000021",
                                        "account_number": "123456789", "default_terms": "Net 30"})
        ctx.session.flush()
        vendor_id = v.id
    live.verify_bank(vendor_id)
    with live.tx() as ctx:
        b = bills.create_bill(ctx, {"vendor_id": vendor_id, "invoice_number": number, "amount": amount,
                                    "invoice_date": "2026-11-02"}, source="api")
        bills.confirm_bill(ctx, b.id)
        _, p = bills.send_to_payments(ctx, b.id, method="ach")
        return b.id, p.id


def test_ap_clerk_sees_no_approve_button_and_is_refused(live, new_page):
    bill_id, payment_id = _open_bill(live)
    with live.tx() as ctx:
        org = ctx.session.get(t.Organization, ctx.org_id)
        org.approval_policy = {"steps": [{"name": "Every payment", "min_amount": "0",
                                          "approvers": [{"role": "approver"}], "required": "any"}]}
    with live.tx() as ctx:
        pay_date = calendar.next_business_day(payments.today(ctx) + dt.timedelta(days=2))
        payments.schedule(ctx, payment_id, pay_date=pay_date.isoformat(), method="ach")

    clerk = new_page()
    sign_in(clerk, live, "clerk")
    clerk.goto("/payments?tab=approval")
    row = clerk.get_by_role("row", name="Granite State Insurance")
    expect(row).to_contain_text("Awaiting approval")
    expect(row.get_by_role("button", name="Approve")).to_have_count(0)
    expect(row).to_contain_text("Waiting for Ana Approver")
    # Posting the approval anyway (with a valid session and token) is refused by the server.
    answer = clerk.request.post(f"{live.url}/payments/{payment_id}/approve",
                                form={"csrf_token": csrf_of(clerk), "back": "/payments?tab=approval"})
    assert answer.url.endswith("/payments?tab=approval")  # back to the list, with the refusal in words
    assert "Your role does not allow this" in answer.text()
    with live.tx() as ctx:
        assert ctx.get(t.Payment, payment_id).status == "pending_approval"

    approver = new_page()
    sign_in(approver, live, "approver")
    approver.goto("/payments?tab=approval")
    shot(approver, "payments-awaiting-approval")
    approver.get_by_role("row", name="Granite State Insurance").get_by_role("button", name="Approve").click()
    expect(approver.get_by_role("status")).to_contain_text("Approved")
    with live.tx() as ctx:
        assert ctx.get(t.Payment, payment_id).status == "scheduled"


def test_immutable_field_edit_shows_the_explanation(live, new_page):
    bill_id, _ = _open_bill(live, amount="980.00", number="INS-2291")
    with live.tx() as ctx:  # as after its first sync to the accounting platform
        ctx.get(t.Bill, bill_id).synced_once = True
    page = new_page()
    sign_in(page, live)
    page.goto(f"/bills/{bill_id}")
    expect(page.get_by_role("note").filter(has_text="are locked here")).to_be_visible()
    # Frozen fields do not look editable: they are disabled and say why.
    for label in ("Amount", "Invoice number", "Due date", "Currency", "Vendor"):
        expect(page.get_by_label(label, exact=True)).to_be_disabled()
    expect(page.locator('.field[data-field="total"] .lock')).to_have_text("Locked")
    expect(page.get_by_label("Memo")).to_be_enabled()
    doc_shot(page, "bill-immutable-refused")
    # The server refuses a forged change all the same (the form cannot send one; a crafted POST can).
    r = page.request.post(f"/bills/{bill_id}", form={"csrf_token": csrf_of(page), "amount": "1980.00",
                                                     "action": "save"})
    assert r.status == 409 and "Amount cannot change after the bill was synced" in r.text()
    with live.tx() as ctx:
        assert str(ctx.get(t.Bill, bill_id).amount) == "980.00"
    # Coding may still change after sync.
    page.goto(f"/bills/{bill_id}")
    page.get_by_label("Memo").fill("Annual policy renewal")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("status")).to_contain_text("Changes saved")
