"""The clerk's day in the browser: a bill entered by hand, the Users page."""
from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from billpay.services import vendors

from .conftest import PASSWORD, doc_shot, sign_in

pytestmark = pytest.mark.browser
NOW = dt.datetime(2026, 11, 16, 15, 0, tzinfo=dt.timezone.utc)


def test_a_bill_is_entered_by_hand_and_goes_to_review(live, new_page):
    """Before: bills could be entered only by upload or through the API."""
    live.set_clock(NOW)
    with live.tx() as ctx:
        vendors.create_vendor(ctx, {"name": "Fabrikam Facilities", "default_terms": "Net 15"})
    page = new_page()
    sign_in(page, live, "clerk")
    page.get_by_role("link", name="Enter a bill by hand").click()
    page.get_by_label("Vendor", exact=True).select_option(label="Fabrikam Facilities")
    page.get_by_label("Invoice number", exact=True).fill("FAB-901")
    page.get_by_label("Amount", exact=True).fill("1,480.00")
    page.get_by_label("Invoice date", exact=True).fill("2026-11-12")
    page.get_by_label("Due date", exact=True).fill("2026-11-01")  # before the invoice date: refused, nothing lost
    page.get_by_role("button", name="Enter bill").click()
    expect(page.get_by_role("alert")).to_contain_text("The due date is before the invoice date")
    expect(page.get_by_label("Invoice number", exact=True)).to_have_value("FAB-901")
    page.get_by_label("Due date", exact=True).fill("")
    doc_shot(page, "bill-entered-by-hand")
    page.get_by_role("button", name="Enter bill").click()
    expect(page.get_by_role("status")).to_contain_text("Bill entered")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Fabrikam Facilities · FAB-901")
    expect(page.locator(".meta").first).to_contain_text("Entered by hand")
    expect(page.get_by_label("Due date", exact=True)).to_have_value("2026-11-27")  # Net 15 from the vendor
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("status")).to_contain_text("Bill confirmed")


def test_users_page_invites_sets_roles_deactivates_and_makes_api_keys(live, new_page):
    """Before: people could be managed only through the API."""
    page = new_page()
    sign_in(page, live, "admin")
    page.get_by_role("link", name="Users").click()
    page.get_by_label("Name").fill("Vera Verifier")
    page.get_by_label("Work e-mail").fill("vera@acme.test")
    page.locator("#invite-h + form").get_by_label("Admin").check()
    page.get_by_label("First password").fill("vera-first-password")
    page.get_by_role("button", name="Invite").click()
    expect(page.get_by_role("status")).to_contain_text("vera-first-password")
    row = page.locator('tr[data-user="vera@acme.test"]')
    expect(row).to_contain_text("Active")
    # the clerk also approves from now on
    clerk_row = page.locator('tr[data-user="carl@acme.test"]')
    clerk_row.get_by_label("Approver").check()
    clerk_row.get_by_role("button", name="Save roles").click()
    expect(page.get_by_role("status")).to_contain_text("Roles saved")
    expect(page.locator('tr[data-user="carl@acme.test"]').get_by_label("Approver")).to_be_checked()
    # nobody locks themselves out
    page.locator('tr[data-user="ada@acme.test"]').get_by_role("button", name="Deactivate").click()
    expect(page.get_by_role("alert")).to_contain_text("You cannot deactivate yourself")
    # an API key is shown once and works; deactivating its owner stops it
    page.locator('tr[data-user="ana@acme.test"]').get_by_role("button", name="New API key").click()
    key = page.locator("#new-key code").inner_text()
    doc_shot(page, "users", full_page=True)
    assert page.request.get("/api/v1/bills", headers={"Authorization": f"Bearer {key}"}).status == 200
    page.locator('tr[data-user="ana@acme.test"]').get_by_role("button", name="Deactivate").click()
    expect(page.get_by_role("status")).to_contain_text("Deactivated")
    assert page.request.get("/api/v1/bills", headers={"Authorization": f"Bearer {key}"}).status == 401
    page.reload()
    expect(page.locator("#new-key")).to_have_count(0)  # never shown twice
    # the invited admin signs in with the first password
    vera = new_page()
    vera.goto("/login")
    vera.get_by_label("Work e-mail").fill("vera@acme.test")
    vera.get_by_label("Password").fill("vera-first-password")
    vera.get_by_role("button", name="Sign in").click()
    vera.wait_for_url("**/bills**")
    assert PASSWORD  # the other people keep theirs


def test_drafts_suggest_pay_dates_show_overdue_and_schedule_together_with_one_summary(live, new_page):
    """Before: every draft offered today's date, overdue bills looked like the rest, and drafts were
    scheduled one at a time."""
    from billpay.db import tables as t
    from billpay.services import bills

    live.set_clock(NOW)
    with live.tx() as ctx:
        v = vendors.create_vendor(ctx, {"name": "Northwind Office Supply", "routing_number": "021000021",
                                        "account_number": "4432109876"})
        ctx.session.flush()
        vendor_id = v.id
        ctx.session.get(t.Organization, ctx.org_id).approval_policy = {"steps": [
            {"name": "Over $5,000", "min_amount": "5000", "approvers": [{"role": "approver"}], "required": "any"}]}
    live.verify_bank(vendor_id)
    with live.tx("clerk") as ctx:
        for number, amount, invoiced, due in (("NW-1", "100.00", "2026-11-02", "2026-12-02"),
                                              ("NW-2", "200.00", "2026-10-10", "2026-11-10"),
                                              ("NW-3", "8000.00", "2026-11-02", "2026-12-02")):
            b = bills.create_bill(ctx, {"vendor_id": vendor_id, "invoice_number": number, "amount": amount,
                                        "invoice_date": invoiced, "due_date": due})
            bills.confirm_bill(ctx, b.id)
            bills.send_to_payments(ctx, b.id)
    page = new_page()
    sign_in(page, live, "clerk")
    page.goto("/payments?tab=drafts")
    rows = {n: page.get_by_role("row").filter(has_text=n) for n in ("NW-1", "NW-2", "NW-3")}
    expect(rows["NW-2"]).to_contain_text("Overdue")
    expect(rows["NW-1"]).not_to_contain_text("Overdue")
    expect(rows["NW-1"].get_by_label("Pay date")).to_have_value("2026-12-02")  # the due date
    expect(rows["NW-2"].get_by_label("Pay date")).to_have_value("2026-11-16")  # overdue: the first possible day
    expect(rows["NW-3"].get_by_label("Pay date")).to_have_value("2026-11-30")  # approvers get two business days
    page.get_by_label("Select all drafts").check()
    doc_shot(page, "drafts-bulk-schedule")
    page.get_by_role("button", name="Schedule selected").click()
    summary = page.get_by_role("status")
    expect(summary).to_contain_text("Scheduled 2")
    expect(summary).to_contain_text("Northwind Office Supply · NW-1 on 2026-12-02")
    expect(summary).to_contain_text("1 need approval and went to the approvers")
    expect(summary).to_contain_text("NW-3 (pay 2026-11-30, approve by 2026-11-27)")
    expect(page.get_by_text("No payments here.")).to_be_visible()


def test_a_rule_is_saved_and_applied_to_existing_bills_from_its_preview(live, new_page):
    """Before: the preview only showed what would change; applying needed the API."""
    from billpay.db import tables as t
    from billpay.services import bills

    live.set_clock(NOW)
    with live.tx() as ctx:
        v = vendors.create_vendor(ctx, {"name": "Contoso Cloud Hosting"})
        ctx.session.flush()
        ids = [bills.create_bill(ctx, {"vendor_id": v.id, "invoice_number": n, "amount": a,
                                       "invoice_date": "2026-11-02", "payment_terms": "Net 30"}).id
               for n, a in (("CC-1", "10.00"), ("CC-2", "20.00"))]
    page = new_page()
    sign_in(page, live, "accountant")
    page.goto("/rules")
    page.get_by_label("Name").fill("Hosting")
    page.get_by_label("Is from vendor").select_option(label="Contoso Cloud Hosting")
    page.get_by_label("GL account").fill("6100 Hosting")
    page.get_by_role("button", name="Preview changes").click()
    expect(page.locator("#preview")).to_contain_text("2 bills")
    page.get_by_label("Apply to Contoso Cloud Hosting · CC-2").uncheck()
    doc_shot(page, "rule-apply-from-preview", full_page=True)
    page.get_by_role("button", name="Save rule and apply to the ticked bills").click()
    expect(page.get_by_role("status")).to_contain_text("saved and applied to 1 existing bill")
    with live.tx() as ctx:
        coded = {b.invoice_number: (b.attributes or {}).get("gl_account") for b in ctx.session.query(t.Bill).filter(
            t.Bill.id.in_(ids))}
    assert coded == {"CC-1": "6100 Hosting", "CC-2": None}


def test_sync_bills_names_what_it_skipped_and_vendors_are_mapped_or_created_from_there(live, new_page):
    """Before: skipped bills were not reported on the page; a vendor missing in the platform had to be made
    there by hand; an exact-name match still had to be picked from the list."""
    from billpay.services import accounting, orgs
    from billpay.sync import builtin_sandbox

    # the organization's own sandbox company, seeded with vendors and their open bills
    builtin_sandbox.get(live.container, "quickbooks").state.provision(live.org_id, vendors=3, bills=3)
    with live.tx() as ctx:
        accounting.connect(ctx, live.container, {"platform": "quickbooks", "sandbox": True})
        orgs.update_settings(ctx, {"pull_bills_enabled": True, "pull_start_date": "2000-01-01"})
    live.drain()
    with live.tx() as ctx:
        platform_vendors = [(r.external_id, r.name) for r in accounting.reference_items(ctx, "vendors")]
        vendors.create_vendor(ctx, {"name": platform_vendors[1][1].upper()})  # same name, other case
        vendors.create_vendor(ctx, {"name": "Totally New Co", "email": "ar@totally.example"})
    page = new_page()
    sign_in(page, live, "accountant")
    page.goto("/accounting")
    page.get_by_role("button", name="Sync Bills").click()
    live.drain()
    page.goto("/accounting")
    skipped = page.locator("#pull-skipped")
    expect(skipped).to_contain_text("Not brought in")
    expect(skipped).to_contain_text(platform_vendors[0][1])
    doc_shot(page, "sync-bills-not-brought-in")
    # an exact name match: one click to the vendor, the platform vendor already chosen
    skipped.get_by_role("link", name=f"Map {platform_vendors[1][1]}").click()
    expect(page.locator("#exact-match")).to_be_visible()
    doc_shot(page, "vendor-exact-name-mapping")
    page.get_by_role("button", name="Save mapping").click()
    expect(page.get_by_role("status")).to_contain_text("Mapping saved")
    # no billpay vendor at all: added from the report, mapped
    page.goto("/accounting")
    page.get_by_role("button", name=f"Add {platform_vendors[0][1]} as a vendor, mapped").click()
    expect(page.get_by_role("status")).to_contain_text("added and mapped")
    page.goto("/accounting")
    page.get_by_role("button", name="Sync Bills").click()
    live.drain()
    page.goto("/bills?tab=open")
    for _, name in platform_vendors[:2]:
        expect(page.get_by_role("row").filter(has_text=name).first).to_be_visible()
    # a vendor the platform does not have: created there from billpay
    page.goto("/vendors")
    page.get_by_role("link", name="Totally New Co").click()
    page.get_by_role("button", name="Create Totally New Co in QuickBooks Online").click()
    expect(page.locator("#create-in-platform")).to_contain_text("Being created in QuickBooks Online")
    live.drain()
    page.reload()
    expect(page.locator(".meta")).to_contain_text("Mapped")
