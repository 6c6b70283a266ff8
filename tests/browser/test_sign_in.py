"""Sign in, a failed sign-in, the rate limit, sign out, and a forged POST refused."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .conftest import PASSWORD, shot, sign_in

pytestmark = pytest.mark.browser


def test_sign_in_failures_rate_limit_and_sign_out(live, new_page):
    page = new_page()
    page.goto("/bills")
    expect(page).to_have_url(re.compile(r"/login\?next=/bills"))
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    shot(page, "sign-in", full_page=False)

    page.get_by_label("Work e-mail").fill("ada@acme.test")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("do not match an account")

    sign_in(page, live)
    expect(page.get_by_role("heading", name="Bills")).to_be_visible()
    expect(page.get_by_text("Ada Admin")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login"))
    expect(page.get_by_role("status")).to_contain_text("signed out")
    page.goto("/payments")
    expect(page).to_have_url(re.compile(r"/login\?next=/payments"))

    # Five failures for one e-mail from one address pause sign-in, even with the right password.
    for _ in range(5):
        page.get_by_label("Work e-mail").fill("carl@acme.test")
        page.get_by_label("Password").fill("guess")
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("alert")).to_be_visible()
    page.get_by_label("Work e-mail").fill("carl@acme.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("Too many failed sign-ins")
    expect(page).to_have_url(re.compile(r"/login"))


def test_forged_post_is_refused(live, new_page):
    page = new_page()
    sign_in(page, live)
    # A form posted without this session's CSRF token (as from another site) changes nothing.
    answer = page.request.post(f"{live.url}/settings", form={"automated_bill_splitting": "yes"})
    assert answer.status == 403
    assert "not accepted" in answer.text()
    wrong = page.request.post(f"{live.url}/settings",
                              form={"automated_bill_splitting": "yes", "csrf_token": "forged"})
    assert wrong.status == 403
    # Cookie-authenticated API writes need the token too.
    api = page.request.post(f"{live.url}/api/v1/settings/inbox/regenerate")
    assert api.status == 401
    from billpay.services import orgs

    with live.tx() as ctx:
        assert orgs.get_settings(ctx)["automated_bill_splitting"] is False
    # The API is usable from the pages with the session (reads, and writes carrying the token).
    assert page.request.get(f"{live.url}/api/v1/settings").ok
