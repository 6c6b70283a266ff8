"""The whole product in a browser: upload → review → confirm → send → approve → schedule → settle → sync → Paid,
and the pull cycle: Sync Bills → payment draft → schedule."""
from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from billpay.db import tables as t
from billpay.payments import calendar
from billpay.services import accounting, orgs, payments, vendors
from billpay.services.context import Actor

from .conftest import shot, sign_in

pytestmark = pytest.mark.browser


def _connect(live, *, platform_bills: int = 0) -> dict:
    """Connect the organization to the built-in QuickBooks sandbox and load its reference data."""
    from billpay.sync import builtin_sandbox

    if platform_bills:  # the organization's own sandbox company, seeded with open bills
        builtin_sandbox.get(live.container, "quickbooks").state.provision(live.org_id, bills=platform_bills)
    with live.tx() as ctx:
        accounting.connect(ctx, live.container, {"platform": "quickbooks", "sandbox": True})
    live.drain()
    with live.tx() as ctx:
        return {"vendors": [(r.external_id, r.name) for r in accounting.reference_items(ctx, "vendors")],
                "accounts": [(r.external_id, r.name, (r.extra or {}).get("account_type")) for r in
                             accounting.reference_items(ctx, "accounts") if r.active]}


def _pay_date(live, business_days_ahead: int = 2) -> dt.date:
    with live.tx() as ctx:
        return calendar.add_business_days(calendar.roll_forward(payments.today(ctx)), business_days_ahead)


def _release(live, pay_date: dt.date) -> None:
    """The clock reaches 10 AM New York on the pay date; scheduled payments go to the bank."""
    live.set_clock(dt.datetime.combine(pay_date, dt.time(10), ZoneInfo("America/New_York")).astimezone(dt.timezone.utc))
    with live.container.tx(Actor.system(live.org_id)) as ctx:
        payments.release_due(ctx)


def test_upload_review_confirm_send_approve_schedule_settle_sync_paid(live, new_page, invoices):
    ref = _connect(live)
    expense = next(a for a in ref["accounts"] if a[2] in ("Expense", "Other Expense"))
    with live.tx() as ctx:
        azure = vendors.create_vendor(ctx, {"name": "Azure Interior", "email": "azure.Interior24@example.com",
                                            "routing_number": "021000021", "account_number": "4432109876",
                                            "accounting_vendor_id": ref["vendors"][0][0]})
        org = ctx.session.get(t.Organization, ctx.org_id)
        org.approval_policy = {"steps": [{"name": "Approver sign-off", "min_amount": "0",
                                          "approvers": [{"role": "approver"}], "required": "any"}]}
    live.verify_bank(azure.id)

    page = new_page()
    sign_in(page, live)
    # Upload two invoices at once; they are read in the background.
    page.get_by_label("Upload invoices").set_input_files([invoices / "AzureInterior.pdf",
                                                          invoices / "SammyMaystoneLinesTest.pdf"])
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("2 files uploaded")
    expect(page.get_by_text("Reading…")).to_have_count(2)
    live.drain()  # extraction, as the worker would
    row = page.get_by_role("row").filter(has_text="INV/2023/03/0008")
    expect(row).to_contain_text("Azure Interior", timeout=10_000)  # htmx polling refreshed the list
    expect(row).to_contain_text("$279.84")
    expect(page.get_by_text("Reading…")).to_have_count(0)
    shot(page, "bills-inbox")

    # Review: the document beside the fields, confidence bands, the source box highlighted.
    row.get_by_role("link", name="Azure Interior").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Azure Interior")
    expect(page.locator(".page img").first).to_be_visible()
    expect(page.locator('.field[data-field="total"] .conf')).to_contain_text("High")
    page.get_by_label("Amount", exact=True).focus()
    expect(page.locator('.box.active[data-field="total"]')).to_have_count(1)
    page.get_by_label("GL account", exact=True).select_option(value=expense[0])
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("status")).to_contain_text("Changes saved")

    # Edit splits: the running total must reach the bill amount before saving.
    splits = page.locator("form.splits")
    splits.get_by_role("button", name="+ Add line").click()
    page.get_by_label("Line 1 description").fill("Office chairs")
    page.get_by_label("Line 1 amount").fill("200.00")
    page.get_by_label("Line 2 description").fill("Desk lamps")
    page.get_by_label("Line 2 amount").fill("70.00")
    expect(splits.locator(".remaining")).to_contain_text("$9.84 left to allocate")
    expect(splits.get_by_role("button", name="Save splits")).to_be_disabled()
    page.get_by_label("Line 2 amount").fill("79.84")
    expect(splits.locator(".remaining")).to_contain_text("balanced")
    page.get_by_label("Line 2 GL account").select_option(value=expense[0])
    splits.get_by_role("button", name="Save splits").click()
    expect(page.get_by_role("status")).to_contain_text("Splits saved (2 lines)")
    page.get_by_label("Amount", exact=True).focus()
    shot(page, "bill-review")

    for tick in page.locator('input[name="confirmed_fields"]').all():
        tick.check()
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("status")).to_contain_text("Bill confirmed")
    expect(page.locator(".meta")).to_contain_text("Confirmed")

    page.get_by_label("Payment method").select_option("ach")
    page.get_by_role("button", name="Send to Payments").click()
    expect(page.get_by_role("status")).to_contain_text("Sent to Payments")
    expect(page).to_have_url(re.compile(r"/payments/pay_"))
    payment_url = page.url
    live.drain()  # the bill is created in QuickBooks as an open bill
    page.get_by_role("link", name="INV/2023/03/0008").click()
    expect(page.locator("#sync")).to_contain_text("In QuickBooks Online as bill")
    expect(page.locator("#sync")).to_contain_text("Done")

    # Schedule: a weekend is refused with the next business day offered.
    page.goto(payment_url)
    pay_date = _pay_date(live)
    saturday = pay_date + dt.timedelta(days=(5 - pay_date.weekday()) % 7 or 7)
    date_input = page.get_by_label("Pay date")
    date_input.fill(saturday.isoformat())
    expect(page.locator(".date-msg")).to_contain_text("is not a banking day (Saturday)")
    expect(page.get_by_role("button", name="Send for approval")).to_be_disabled()
    page.get_by_role("button", name=re.compile(r"^Use \d{4}-\d{2}-\d{2} instead$")).click()
    expect(date_input).to_have_value(calendar.next_business_day(saturday).isoformat())
    date_input.fill(pay_date.isoformat())
    page.get_by_role("button", name="Send for approval").click()
    expect(page.get_by_role("status")).to_contain_text("Sent for approval")

    approver = new_page()
    sign_in(approver, live, "approver")
    approver.goto("/payments?tab=approval")
    approver.get_by_role("row", name=re.compile("Azure Interior")).get_by_role("button", name="Approve").click()
    expect(approver.get_by_role("status")).to_contain_text("Approved. The payment is scheduled.")

    _release(live, pay_date)  # 4 AM New York on the pay date has passed: the payment is with the bank
    page.goto("/payments?tab=scheduled")
    bank_row = page.get_by_role("row", name=re.compile("Azure Interior"))
    expect(bank_row).to_contain_text("Processing")
    shot(page, "payments-scheduled")
    bank_row.get_by_role("button", name="Settle now").click()
    expect(page.get_by_role("status")).to_contain_text("sandbox bank settled the payment")

    page.get_by_role("link", name="Dashboard › Bill Pay").click()
    ready = page.get_by_role("row", name=re.compile("Azure Interior"))
    ready.get_by_role("checkbox").check()
    page.get_by_role("button", name="Sync selected").click()
    expect(page.get_by_role("status")).to_contain_text("1 bill payment queued for sync")
    live.drain()
    page.reload()
    synced = page.locator("section", has=page.get_by_role("heading", name="Synced"))
    expect(synced.get_by_role("row", name=re.compile("Azure Interior"))).to_contain_text("$279.84")
    shot(page, "accounting-dashboard")

    page.goto("/bills?tab=paid")
    expect(page.get_by_role("row").filter(has_text="INV/2023/03/0008")).to_contain_text("Paid")
    page.goto(payment_url)
    expect(page.locator("#sync")).to_contain_text("Recorded in QuickBooks Online as bill payment")


def test_sync_bills_pulls_drafts_that_can_be_scheduled(live, new_page):
    ref = _connect(live, platform_bills=4)
    with live.tx() as ctx:
        made = [vendors.create_vendor(ctx, {"name": name, "routing_number": "021000021", "account_number": "55501234",
                                            "accounting_vendor_id": ext_id}) for ext_id, name in ref["vendors"]]
        orgs.update_settings(ctx, {"pull_bills_enabled": True,
                                   "pull_start_date": (dt.date.today() - dt.timedelta(days=60)).isoformat()})
        ctx.session.flush()
        made = [v.id for v in made]
    for vendor_id in made:
        live.verify_bank(vendor_id)
    page = new_page()
    sign_in(page, live)
    page.goto("/accounting")
    page.get_by_role("button", name="Sync Bills").click()
    expect(page.get_by_role("status").first).to_contain_text("Sync Bills started")
    expect(page.locator("#job")).to_contain_text("Sync Bills is running")
    live.drain()
    expect(page.locator("#job")).to_contain_text("Sync Bills finished", timeout=10_000)
    expect(page.locator(".stat").last).not_to_contain_text("Never", timeout=10_000)
    with live.tx() as ctx:  # the pull itself, so that a short list below says which side lost bills
        pulled = accounting.last_pull(ctx)
        in_db = len(payments.list_payments(ctx, status="draft"))
    assert (pulled["result"] or {}).get("created") == 4 and in_db == 4, (pulled, in_db, ref["vendors"])

    page.get_by_role("link", name="Payments").click()
    drafts = page.locator("tbody tr")
    expect(drafts).to_have_count(4)
    first = drafts.first
    vendor_name = first.get_by_role("link").first.inner_text()  # (the first cell is the select box)
    first.get_by_label("Pay date").fill(_pay_date(live, 1).isoformat())
    first.get_by_role("button", name="Schedule").click()
    expect(page.get_by_role("status")).to_contain_text("Scheduled for")
    page.goto("/payments?tab=scheduled")
    expect(page.get_by_role("row", name=re.compile(re.escape(vendor_name)))).to_contain_text("Scheduled")
    page.get_by_role("link", name=re.compile(re.escape(vendor_name))).first.click()
    page.locator("a[href^='/bills/']").first.click()
    expect(page.get_by_role("note").filter(has_text="read-only here")).to_be_visible()
