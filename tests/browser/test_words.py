"""Words and states that never mislead, and pages that work with no network beyond this server."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import doc_shot, sign_in

pytestmark = pytest.mark.browser


def test_api_docs_load_with_no_cdn_and_every_page_has_a_favicon(live, new_page):
    """Before: /api/docs loaded Swagger UI from a CDN (blank without internet); no favicon (404)."""
    page = new_page()
    outside: list[str] = []

    def only_this_server(route) -> None:  # noqa: ANN001
        if route.request.url.startswith(live.url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_this_server)
    page.goto("/api/docs")
    expect(page.locator(".opblock-summary-path").filter(has_text="/api/v1/bills/{bill_id}/not-a-duplicate")).to_be_visible()
    assert outside == []
    doc_shot(page, "api-docs-offline")
    assert page.request.get("/favicon.ico").status == 200
    sign_in(page, live)
    icon = page.locator('link[rel="icon"]').get_attribute("href")
    assert page.request.get(icon).status == 200


def test_a_bill_from_the_inbox_shows_who_sent_it_and_the_subject(live, new_page, invoices):
    """Before: an e-mailed bill said only "From the inbox"."""
    from email.message import EmailMessage

    from billpay.capture.inbox import ingest_message

    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = "billing@azure.example", "ap@acme.test", "Invoice INV/2023/03/0008"
    mail.set_content("Please find our invoice attached.")
    mail.add_attachment((invoices / "AzureInterior.pdf").read_bytes(), maintype="application", subtype="pdf",
                        filename="AzureInterior.pdf")
    intake = ingest_message(live.container, live.org_id, mail.as_bytes(), channel="smtp")
    assert intake.status == "processed", intake
    live.drain()
    page = new_page()
    sign_in(page, live, "clerk")
    expect(page.get_by_role("row").filter(has_text="INV/2023/03/0008")).to_be_visible()
    page.get_by_role("row").filter(has_text="INV/2023/03/0008").get_by_role("link").first.click()
    origin = page.locator("#email-origin")
    expect(origin).to_contain_text("billing@azure.example")
    expect(origin).to_contain_text("“Invoice INV/2023/03/0008”")


def test_dashboard_errors_name_the_bill_and_go_away_when_it_is_voided(live, new_page):
    """Before: errors showed "Bill bill_01…", and a voided bill's error stayed on the dashboard."""
    from billpay.db import tables as t
    from billpay.services import accounting, bills, sync_records, vendors

    with live.tx() as ctx:
        accounting.connect(ctx, live.container, {"platform": "quickbooks", "sandbox": True})
    live.drain()
    with live.tx() as ctx:
        ext = accounting.reference_items(ctx, "vendors")[0].external_id
        account = next(r.external_id for r in accounting.reference_items(ctx, "accounts")
                       if (r.extra or {}).get("account_type") == "Expense")
        v = vendors.create_vendor(ctx, {"name": "Granite State Insurance", "accounting_vendor_id": ext})
        ctx.session.flush()
        b = bills.create_bill(ctx, {"vendor_id": v.id, "invoice_number": "GSI-77", "amount": "640.00",
                                    "invoice_date": "2026-11-02", "payment_terms": "Net 30",
                                    "attributes": {"gl_account": account}})
        bills.confirm_bill(ctx, b.id)
        bills.send_to_payments(ctx, b.id)
        bill_id = b.id
    with live.tx() as ctx:  # the platform refused it, as it would a closed period
        ctx.session.query(t.Outbox).filter(t.Outbox.record_id == bill_id).delete()
        rec = sync_records.get_or_create(ctx, "bill", bill_id)
        rec.state, rec.error_code = "error", "platform_period_closed"
        rec.error_message = "The accounting period is closed."
    page = new_page()
    sign_in(page, live, "admin")
    page.goto("/accounting")
    errors = page.get_by_role("region", name="Sync errors grouped by cause")
    expect(errors).to_contain_text("Bill Granite State Insurance · GSI-77")
    expect(errors).not_to_contain_text(bill_id)
    page.goto(f"/bills/{bill_id}")
    page.get_by_text("Void…").click()
    page.get_by_label("Why is this bill void?").fill("entered in the wrong period")
    page.get_by_role("button", name="Void bill").click()
    expect(page.get_by_role("status")).to_contain_text("Bill voided")
    expect(page.locator("#sync")).not_to_contain_text("None")
    page.goto("/accounting")
    expect(page.get_by_role("heading", name="Sync errors")).to_have_count(0)


def test_a_voided_synced_bill_says_it_was_removed_not_bill_none(live, new_page):
    """Before: after the void synced, the bill's page read "In QuickBooks Online as bill None"."""
    from billpay.services import accounting, bills, vendors

    with live.tx() as ctx:
        accounting.connect(ctx, live.container, {"platform": "quickbooks", "sandbox": True})
    live.drain()
    with live.tx() as ctx:
        ext = accounting.reference_items(ctx, "vendors")[0].external_id
        account = next(r.external_id for r in accounting.reference_items(ctx, "accounts")
                       if (r.extra or {}).get("account_type") == "Expense")
        v = vendors.create_vendor(ctx, {"name": "Lucerne Legal LLP", "accounting_vendor_id": ext})
        ctx.session.flush()
        b = bills.create_bill(ctx, {"vendor_id": v.id, "invoice_number": "LL-5", "amount": "900.00",
                                    "invoice_date": "2026-11-02", "payment_terms": "Net 30",
                                    "attributes": {"gl_account": account}})
        bills.confirm_bill(ctx, b.id)
        bills.send_to_payments(ctx, b.id)
        bill_id = b.id
    live.drain()
    with live.tx() as ctx:
        bills.void_bill(ctx, bill_id, reason="sent twice")
    live.drain()
    page = new_page()
    sign_in(page, live, "admin")
    page.goto(f"/bills/{bill_id}")
    sync = page.locator("#sync")
    expect(sync).to_contain_text("Voided here and removed from QuickBooks Online")
    expect(sync).not_to_contain_text("None")


def test_confidence_badges_only_on_fields_that_hold_a_value(live, new_page):
    """Before: "High · 92%" sat on an empty Amount field whose extracted value had been refused."""
    from billpay.services import bills

    with live.tx() as ctx:
        b = bills.create_bill(ctx, {"invoice_number": "X-1"}, source="upload")
        b.extraction = {"fields": {"invoice_number": {"value": "X-1", "confidence": 0.95},
                                   "total": {"value": "-12.00", "confidence": 0.92}}, "lines": []}
        bill_id = b.id
    page = new_page()
    sign_in(page, live, "clerk")
    page.goto(f"/bills/{bill_id}")
    expect(page.locator('.field[data-field="invoice_number"] .conf')).to_contain_text("High")
    expect(page.locator('.field[data-field="total"] .conf')).to_have_count(0)
