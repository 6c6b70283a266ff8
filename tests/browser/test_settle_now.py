"""Sandbox mode: a scheduled payment's page settles it now, or returns it with a chosen code."""
from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from billpay.db import tables as t
from billpay.payments import calendar
from billpay.services import payments

from .conftest import shot, sign_in
from .test_permissions import _open_bill

pytestmark = pytest.mark.browser


def _scheduled(live, number: str) -> tuple[str, str]:
    bill_id, payment_id = _open_bill(live, amount="400.00", number=number)
    with live.tx() as ctx:
        pay_date = calendar.next_business_day(payments.today(ctx) + dt.timedelta(days=5))
        payments.schedule(ctx, payment_id, pay_date=pay_date.isoformat(), method="ach")
    return bill_id, payment_id


def test_settle_now_and_return_with_code_from_the_payment_page(live, new_page):
    bill_id, payment_id = _scheduled(live, "INV-SN-1")
    page = new_page()
    sign_in(page, live)
    page.goto(f"/payments/{payment_id}")
    page.get_by_role("button", name="Settle now").click()
    expect(page.get_by_role("status")).to_contain_text("sandbox bank settled the payment")
    with live.tx() as ctx:
        p = ctx.get(t.Payment, payment_id)
        assert p.status == "settled" and p.released_at is not None
        assert ctx.get(t.Bill, bill_id).status == "paid"

    with live.tx() as ctx:  # a second bill from the same vendor
        from billpay.services import bills

        vendor_id = ctx.get(t.Bill, bill_id).vendor_id
        b = bills.create_bill(ctx, {"vendor_id": vendor_id, "invoice_number": "INV-SN-2", "amount": "75.00",
                                    "invoice_date": "2026-11-02"}, source="api")
        bills.confirm_bill(ctx, b.id)
        _, p2 = bills.send_to_payments(ctx, b.id, method="ach")
        pay_date = calendar.next_business_day(payments.today(ctx) + dt.timedelta(days=5))
        payments.schedule(ctx, p2.id, pay_date=pay_date.isoformat(), method="ach")
        second = p2.id
    page.goto(f"/payments/{second}")
    page.get_by_text("Return with code…").click()
    page.get_by_label("Return code").select_option("R03")
    shot(page, "payment-sandbox-return")
    page.get_by_role("button", name="Return payment").click()
    expect(page.get_by_role("status")).to_contain_text("sandbox bank returned the payment")
    with live.tx() as ctx:
        p = ctx.get(t.Payment, second)
        assert p.status == "failed" and p.return_code == "R03"


def test_revoke_an_api_key_from_the_settings_page(live, new_page):
    from billpay.services import orgs

    with live.tx() as ctx:
        key = orgs.create_api_key(ctx, live.users["admin"])
    key_id = key[3:].split(".")[0]
    page = new_page()
    sign_in(page, live)
    page.goto("/settings#api-keys")
    row = page.get_by_role("row", name=key_id)
    page.once("dialog", lambda d: d.accept())
    row.get_by_role("button", name="Revoke").click()
    expect(page.get_by_role("status")).to_contain_text("API key revoked")
    expect(page.get_by_role("row", name=key_id)).to_contain_text("Revoked")
    with live.tx() as ctx:
        assert ctx.session.get(t.ApiKey, key_id).revoked_at is not None
