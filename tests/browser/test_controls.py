"""Money controls as a person meets them in the browser: duplicates held, bank details verified by a
second person, the platform's refusals said before a draft exists, splits that never invent amounts,
and credit notes taken off the next payment. Screenshots go to ``docs/screenshots/``."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from billpay.db import tables as t
from billpay.services import accounting, bills, vendors

from .conftest import doc_shot, sign_in

pytestmark = pytest.mark.browser

NOW = dt.datetime(2026, 11, 16, 15, 0, tzinfo=dt.timezone.utc)  # Monday 10 AM in New York
PAY_DATE = "2026-11-24"


def _vendor(live, name: str = "Granite State Insurance", **extra) -> str:
    with live.tx() as ctx:
        v = vendors.create_vendor(ctx, {"name": name, "routing_number": "021000021", "account_number": "123456789",
                                        **extra})
        ctx.session.flush()
        vendor_id = v.id
    live.verify_bank(vendor_id)
    return vendor_id


def _confirmed(live, vendor_id: str, number: str, amount: str = "1250.00", **extra) -> str:
    with live.tx() as ctx:
        b = bills.create_bill(ctx, {"vendor_id": vendor_id, "invoice_number": number, "amount": amount,
                                    "invoice_date": "2026-11-10", "payment_terms": "Net 30", **extra}, source="api")
        bills.confirm_bill(ctx, b.id)
        return b.id


def test_a_likely_duplicate_is_held_until_someone_says_why_it_is_not(live, new_page):
    live.set_clock(NOW)
    vendor_id = _vendor(live)
    _confirmed(live, vendor_id, "INV-0042")
    dup = _confirmed(live, vendor_id, "inv 42")
    page = new_page()
    sign_in(page, live, "clerk")
    page.goto(f"/bills/{dup}")
    notice = page.locator("#duplicate")
    expect(notice).to_contain_text("Likely duplicate: payment is held")
    expect(notice).to_contain_text("Granite State Insurance · INV-0042")  # the other bill by name, not by id
    expect(notice).to_contain_text("the same vendor and invoice number")
    page.get_by_role("button", name="Send to Payments").click()
    expect(page.get_by_role("alert")).to_contain_text("may be a duplicate")
    with live.tx() as ctx:
        assert ctx.session.query(t.Payment).count() == 0
    doc_shot(page, "duplicate-held", full_page=True)
    page.get_by_label("It is not a duplicate because…").fill("Vendor restarted its numbering this year")
    page.get_by_role("button", name="Not a duplicate").click()
    expect(page.get_by_role("status")).to_contain_text("Marked as not a duplicate")
    expect(page.get_by_role("note").filter(has_text="Marked not a duplicate")).to_contain_text("Carl Clerk")
    expect(page.get_by_text("“Vendor restarted its numbering this year”")).to_be_visible()
    page.get_by_role("button", name="Send to Payments").click()
    expect(page).to_have_url(re.compile(r"/payments/pay_"))


def test_new_bank_details_wait_for_a_second_person_who_the_page_names(live, new_page):
    live.set_clock(NOW)
    clerk = new_page()
    sign_in(clerk, live, "clerk")
    clerk.goto("/vendors")
    clerk.get_by_text("Add a vendor").click()
    clerk.get_by_label("Name", exact=True).fill("Brand New Supplies LLC")
    clerk.get_by_label("ACH routing number").fill("021000021")
    clerk.get_by_label("ACH account number").fill("99887766")
    clerk.get_by_role("button", name="Add vendor").click()
    expect(clerk.get_by_role("heading", level=1)).to_have_text("Brand New Supplies LLC")
    expect(clerk.get_by_text("Bank details wait for verification.")).to_be_visible()
    expect(clerk.get_by_test_id("verifiers")).to_contain_text("Who can verify: Ada Admin, Alex Accountant")
    expect(clerk.get_by_role("button", name="Verify bank details")).to_have_count(0)
    vendor_url = clerk.url
    # a payment to these details is refused until they are verified
    vendor_id = vendor_url.rsplit("/", 1)[-1]
    bill_id = _confirmed(live, vendor_id, "BN-1", amount="310.00")
    with live.tx("clerk") as ctx:
        _, payment = bills.send_to_payments(ctx, bill_id)
        payment_id = payment.id
    clerk.goto(f"/payments/{payment_id}")
    ach = clerk.get_by_label("Method").locator("option[value=ach]")
    expect(ach).to_have_text("ACH (bank details await verification)")
    expect(ach).to_be_disabled()
    admin = new_page()
    sign_in(admin, live, "admin")
    admin.goto(vendor_url)
    doc_shot(admin, "vendor-bank-verification", full_page=True)
    admin.get_by_role("button", name="Verify bank details").click()
    expect(admin.get_by_role("status")).to_contain_text("Bank details verified")
    expect(admin.locator(".meta .pill").first).to_have_text("Verified")
    clerk.goto(f"/payments/{payment_id}")
    clerk.get_by_label("Pay date").fill(PAY_DATE)
    clerk.get_by_label("Method").select_option("ach")
    clerk.get_by_role("button", name="Schedule").click()
    expect(clerk.get_by_role("status")).to_contain_text("Scheduled for 2026-11-24 by ACH")


def test_platform_refusals_are_said_at_send_with_a_link_to_the_fix(live, new_page):
    live.set_clock(NOW)
    with live.tx() as ctx:
        accounting.connect(ctx, live.container, {"platform": "quickbooks", "sandbox": True})
    live.drain()
    vendor_id = _vendor(live, "Not Yet In QuickBooks Co")
    bill_id = _confirmed(live, vendor_id, "NQ-7", amount="88.00")
    page = new_page()
    sign_in(page, live, "clerk")
    page.goto(f"/bills/{bill_id}")
    page.get_by_role("button", name="Send to Payments").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("is not mapped to a vendor of QuickBooks Online")
    expect(alert).to_contain_text("needs a G/L account on every line")
    doc_shot(page, "send-refused-platform-checks")
    alert.get_by_role("link", name="Open the vendor to map it").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Not Yet In QuickBooks Co")
    with live.tx() as ctx:
        assert ctx.session.query(t.Payment).count() == 0


def test_split_by_invoice_lines_keeps_the_printed_amounts_and_asks_about_the_rest(live, new_page):
    live.set_clock(NOW)
    vendor_id = _vendor(live, "Sammy Maystone")
    with live.tx() as ctx:
        b = bills.create_bill(ctx, {"vendor_id": vendor_id, "invoice_number": "SM-1", "amount": "100.00",
                                    "invoice_date": "2026-11-10", "payment_terms": "Net 30"}, source="api")
        b.extraction = {"fields": {}, "lines": [{"description": {"value": "Granite slab"}, "amount": {"value": "50.00"}},
                                                {"description": {"value": "Installation"}, "amount": {"value": "30.00"}}]}
        bill_id = b.id
    page = new_page()
    sign_in(page, live, "clerk")
    page.goto(f"/bills/{bill_id}")
    page.get_by_role("button", name="Split by invoice lines (2)").click()
    amounts = page.locator("input.line-amount")
    expect(amounts).to_have_count(3)
    assert [amounts.nth(i).input_value() for i in range(3)] == ["50.00", "30.00", "20.00"]
    expect(page.get_by_role("note").filter(has_text="The difference of 20.00 is its own line")).to_be_visible()
    doc_shot(page, "split-difference", full_page=True)


def test_a_credit_note_is_recorded_and_taken_off_the_next_payment(live, new_page, invoices):
    live.set_clock(NOW)
    vendor_id = _vendor(live, "Au bon moulin", default_currency="EUR", iban="FR1420041010050500013M02606",
                        bic="PSSTFRPPXXX", routing_number=None, account_number=None)
    page = new_page()
    sign_in(page, live, "clerk")
    page.get_by_label("Upload invoices").set_input_files([invoices / "Avoir_FR_type381_EN16931.pdf"])
    page.get_by_role("button", name="Upload", exact=True).click()
    live.drain()
    with live.tx() as ctx:
        credit = ctx.session.query(t.Bill).filter(t.Bill.kind == "credit").one()
        credit_id = credit.id
    page.goto(f"/bills/{credit_id}")
    expect(page.locator(".meta")).to_contain_text("Credit note")
    expect(page.locator(".amount-big")).to_have_text("−€233.47")
    page.get_by_label("Vendor", exact=True).select_option(label="Au bon moulin")
    for box in page.get_by_label("I checked this value against the document").all():
        box.check()
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("status")).to_contain_text("Bill confirmed")
    page.get_by_role("button", name="Record vendor credit").click()
    expect(page.get_by_role("status")).to_contain_text("Vendor credit recorded")
    expect(page.locator(".meta")).to_contain_text("Available credit")
    doc_shot(page, "credit-note")
    bill_id = _confirmed(live, vendor_id, "F-2026-77", amount="1000.00", currency="EUR")
    with live.tx("clerk") as ctx:
        _, payment = bills.send_to_payments(ctx, bill_id)
        payment_id = payment.id
    page.goto(f"/payments/{payment_id}")
    page.get_by_label("Pay date").fill(PAY_DATE)
    page.get_by_label("Method").select_option("wire")
    page.get_by_role("button", name="Schedule").click()
    expect(page.locator("#credits")).to_contain_text("AV-2017-0005")
    expect(page.locator("#credits")).to_contain_text("The bank sends €766.53")
    doc_shot(page, "payment-with-vendor-credit")
