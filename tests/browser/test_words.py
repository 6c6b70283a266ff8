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
