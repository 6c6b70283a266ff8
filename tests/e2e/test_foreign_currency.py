"""Foreign-currency bills and bill payments carry the exchange rate the platform needs: EUR bills in a USD
QuickBooks company with multicurrency on. The rate is the one the bill states, else the platform's own rate for
the bill's date; a bill payment uses the platform's rate for its pay date."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from billpay.payments.calendar import next_business_day
from billpay.sync import worker

from .conftest import QuickBooksPlatform, expense_account, open_bill, verified_by_colleague

pytestmark = pytest.mark.parametrize("stack", [QuickBooksPlatform], indirect=True, ids=["quickbooks"])


def _eur_vendor(stack) -> dict:
    """Multicurrency turned on in the company, a vendor billing in euros, the euro at 1.0850 dollars."""
    state, realm = stack.platform.state, stack.platform.realm
    state.set_company_settings(realm, multicurrency=True)
    state.set_exchange_rate(realm, "EUR", "1.0850")
    ext = state.create(realm, "Vendor", {"DisplayName": "Lyon Outillage SARL", "CurrencyRef": {"value": "EUR"}})["Id"]
    euro_bank = state.create(realm, "Account", {"Name": "Compte courant EUR", "AccountType": "Bank",
                                                "AccountSubType": "Checking", "CurrencyRef": {"value": "EUR"}})["Id"]
    assert stack.org.post("/accounting/connection/refresh").status_code in (200, 202)
    stack.work()
    chosen = stack.org.get("/accounting/connection").json()["options"]["bank_accounts"]
    r = stack.org.patch("/accounting/connection/options", {"bank_accounts": {**chosen, "EUR": euro_bank}})
    assert r.status_code == 200, r.text
    r = stack.org.post("/vendors", {"name": "Lyon Outillage SARL", "iban": "FR1420041010050500013M02606",
                                    "bic": "PSSTFRPPLIL", "default_currency": "EUR", "accounting_vendor_id": ext,
                                    "address": {"line1": "12 rue de la Paix", "city": "Lyon", "postal_code": "69001",
                                                "country": "FR"}})
    assert r.status_code == 201, r.text
    return verified_by_colleague(stack.org, r.json())


def _pushed(stack, bill: dict) -> dict:
    stack.work()
    got = stack.org.get(f"/bills/{bill['id']}").json()
    assert got["sync"]["status"] == "synced", got["sync"]
    return stack.platform.state.get_entity(stack.platform.realm, "Bill", got["sync"]["external_id"])


def test_a_eur_bill_carries_the_platforms_rate_and_its_payment_the_rate_of_the_pay_date(stack, container):
    vendor = _eur_vendor(stack)
    bill = open_bill(stack, vendor, "EU-1", "1000.00", currency="EUR", method="wire")
    raw = _pushed(stack, bill)
    assert raw["CurrencyRef"]["value"] == "EUR"
    assert Decimal(str(raw["ExchangeRate"])) == Decimal("1.0850")
    assert Decimal(str(raw["HomeTotalAmt"])) == Decimal("1085.00")

    org, state, realm = stack.org, stack.platform.state, stack.platform.realm
    pay = org.get("/payments", params={"bill_id": bill["id"]}).json()["data"][0]
    day = next_business_day(state.now().date() + dt.timedelta(days=3))
    state.set_exchange_rate(realm, "EUR", "1.1000", as_of=day)  # the euro moved by the pay date
    r = org.post(f"/payments/{pay['id']}/schedule", {"pay_date": day.isoformat(), "method": "wire"})
    assert r.json()["status"] == "scheduled", r.text
    container.now = lambda: dt.datetime(day.year, day.month, day.day, 15, tzinfo=dt.timezone.utc)
    worker.tick(container)
    assert org.post("/sandbox-bank/settle", {"payment_id": pay["id"], "outcome": "settled"}).status_code == 200
    assert org.post("/accounting/sync", {"payment_ids": [pay["id"]]}).status_code == 202
    stack.work()
    synced = org.get(f"/payments/{pay['id']}").json()["sync"]
    assert synced["status"] == "synced", synced
    paid = state.get_entity(realm, "BillPayment", synced["external_id"])
    assert paid["CurrencyRef"]["value"] == "EUR" and Decimal(str(paid["ExchangeRate"])) == Decimal("1.1000")
    euro_bank = org.get("/accounting/connection").json()["options"]["bank_accounts"]["EUR"]
    assert paid["CheckPayment"]["BankAccountRef"]["value"] == euro_bank  # the account chosen for euros
    assert Decimal(str(paid["TotalAmt"])) == Decimal("1000.00")
    assert state.get_entity(realm, "Bill", raw["Id"])["Balance"] == 0


def test_a_bill_that_states_its_own_rate_is_recorded_at_that_rate(stack):
    vendor = _eur_vendor(stack)
    bill = open_bill(stack, vendor, "EU-2", "500.00", currency="EUR", method="wire",
                     attributes={"gl_account": expense_account(stack), "exchange_rate": "1.0700"})
    raw = _pushed(stack, bill)
    assert Decimal(str(raw["ExchangeRate"])) == Decimal("1.0700")
    assert Decimal(str(raw["HomeTotalAmt"])) == Decimal("535.00")
    got = stack.org.get(f"/bills/{bill['id']}").json()
    assert got["attributes"]["exchange_rate"] == "1.0700"


def test_a_home_currency_bill_carries_no_rate(stack):
    _eur_vendor(stack)
    vendor = verified_by_colleague(stack.org, stack.org.post("/vendors", {
        "name": stack.ref("vendors")[0]["name"], "routing_number": "021000021", "account_number": "123456789",
        "accounting_vendor_id": stack.ref("vendors")[0]["id"]}).json())
    raw = _pushed(stack, open_bill(stack, vendor, "US-1", "80.00"))
    assert raw["CurrencyRef"]["value"] == "USD" and "ExchangeRate" not in raw
