"""Every main screen on the demo organization, at laptop and tablet widths, by keyboard where it matters;
and connecting QuickBooks through the sandbox's OAuth consent page."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .conftest import shot, sign_in

pytestmark = pytest.mark.browser


def test_connect_quickbooks_through_the_consent_page(live, new_page):
    page = new_page()
    sign_in(page, live)
    page.get_by_role("link", name="Connections").click()
    shot(page, "connections-not-connected", full_page=False)
    page.get_by_role("button", name="Connect QuickBooks Online (sandbox)").click()
    expect(page).to_have_url(re.compile(r"/sandbox/quickbooks/connect/oauth2"))
    expect(page.get_by_text("wants to connect to your QuickBooks company")).to_be_visible()
    page.get_by_role("button", name="Connect").click()
    expect(page).to_have_url(re.compile(r"/connections$"))
    expect(page.get_by_role("status")).to_contain_text("Connected to QuickBooks")
    live.drain()  # reference data
    page.reload()
    expect(page.get_by_role("heading", name=re.compile("QuickBooks Online"))).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("GL accounts"))).to_have_text(re.compile(r"GL accounts\s*[1-9]\d*"))
    shot(page, "connections")
    page.get_by_role("button", name="Refresh reference data").click()
    expect(page.get_by_role("status")).to_contain_text("Refreshing")
    page.once("dialog", lambda d: d.accept())
    page.get_by_role("button", name="Disconnect").click()
    expect(page.get_by_role("status")).to_contain_text("Disconnected")


def test_main_screens(live, new_page):
    from billpay.demo import DEMO_EMAIL, DEMO_PASSWORD, seed_demo

    seed_demo(live.container, live.url)
    page = new_page()
    # Sign in by keyboard alone.
    page.goto("/login")
    expect(page.get_by_label("Work e-mail")).to_be_focused()  # the form is focused on arrival
    page.keyboard.type(DEMO_EMAIL)
    page.keyboard.press("Tab")
    page.keyboard.type(DEMO_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/bills**")
    expect(page.get_by_role("heading", name="Bills")).to_be_visible()
    shot(page, "bills", full_page=False)

    page.get_by_role("link", name="All").click()
    expect(page.get_by_role("row")).not_to_have_count(1)
    page.get_by_role("row", name=re.compile("NW-10421")).get_by_role("link").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("NW-10421")
    shot(page, "bill-detail", full_page=False)

    page.get_by_role("link", name="Payments").click()
    expect(page.get_by_role("heading", name="Payments")).to_be_visible()
    shot(page, "payments", full_page=False)

    page.get_by_role("link", name="Vendors").click()
    expect(page.get_by_role("row", name=re.compile("Lucerne Legal"))).to_contain_text("Not mapped")
    shot(page, "vendors", full_page=False)
    page.get_by_role("link", name="Lucerne Legal LLP").click()
    expect(page.get_by_role("heading", name="Lucerne Legal LLP")).to_be_visible()
    shot(page, "vendor-detail", full_page=False)

    page.get_by_role("link", name="Mapping rules").click()
    page.get_by_label("Name").fill("Office supplies")
    page.get_by_label("Is from vendor").select_option(index=0)
    gl = page.get_by_label("GL account")
    gl.select_option(index=2)
    page.get_by_role("button", name="Preview changes").click()
    expect(page.locator("#preview")).to_contain_text("would change")
    shot(page, "mapping-rules", full_page=False)
    page.get_by_role("button", name="Add rule").click()
    expect(page.get_by_role("status")).to_contain_text("Rule “Office supplies” saved")

    page.get_by_role("link", name="Settings").click()
    expect(page.get_by_text("Automated Bill Splitting")).to_be_visible()
    shot(page, "settings", full_page=False)

    page.get_by_role("link", name="Dashboard › Bill Pay").click()
    expect(page.get_by_role("heading", name="Bill Pay sync")).to_be_visible()
    shot(page, "accounting", full_page=False)

    tablet = new_page(width=820, height=1180)
    sign_in_demo(tablet)
    shot(tablet, "bills-tablet", full_page=False)
    tablet.goto("/payments")
    shot(tablet, "payments-tablet", full_page=False)


def sign_in_demo(page) -> None:  # noqa: ANN001
    from billpay.demo import DEMO_EMAIL, DEMO_PASSWORD

    page.goto("/login")
    page.get_by_label("Work e-mail").fill(DEMO_EMAIL)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/bills**")


def test_drafts_list_refuses_a_weekend_pay_date(live, new_page):
    """On the list of drafts the closed days are sent once for the page; every row's date check uses them."""
    import datetime as dt

    from billpay.services import bills, vendors

    with live.tx() as ctx:
        vendor = vendors.create_vendor(ctx, {"name": "Northwind Office Supply", "routing_number": "021000021",
                                             "account_number": "4432109876"})
        ctx.session.flush()
        vendor_id = vendor.id
    live.verify_bank(vendor_id)
    with live.tx() as ctx:
        for number, amount in (("NW-1", "120.00"), ("NW-2", "130.00")):
            b = bills.create_bill(ctx, {"vendor_id": vendor_id, "invoice_number": number, "amount": amount,
                                        "invoice_date": dt.date.today().isoformat(), "payment_terms": "Net 30"})
            bills.confirm_bill(ctx, b.id)
            bills.send_to_payments(ctx, b.id, method="ach")
    page = new_page()
    sign_in(page, live)
    page.goto("/payments?tab=drafts")
    assert page.locator("form.schedule[data-closed]").count() == 0  # not repeated on every row
    day = dt.date.today() + dt.timedelta(days=7)
    saturday = day + dt.timedelta(days=(5 - day.weekday()) % 7)
    row = page.get_by_role("row", name=re.compile("NW-2"))
    row.get_by_label("Pay date").fill(saturday.isoformat())
    expect(row.locator(".date-msg")).to_contain_text("is not a banking day (Saturday)")
    expect(row.get_by_role("button", name="Schedule")).to_be_disabled()
