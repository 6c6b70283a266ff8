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
