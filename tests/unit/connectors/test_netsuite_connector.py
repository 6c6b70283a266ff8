"""NetSuite connector specifics the conformance suite does not cover: TBA sign-in, concurrency inside the
account's limit, subsidiary- and currency-aware payloads, the bank-account choice, and error wording."""
from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import httpx
import pytest

from billpay.connectors import ConnectionSettings, build_connector
from billpay.connectors.base import InMemoryTokenStore
from billpay.connectors.netsuite import errors, wire
from billpay.sandboxes.netsuite import NetSuiteState, create_app, in_process_transport
from billpay.sync.ports import BillLinePayload, BillPayload, BillPaymentPayload, ConnectorError

BASE = "https://7654321-sb1.suitetalk.sandbox.test"


class Sandbox:
    def __init__(self, **faults):
        self.state = NetSuiteState()
        self.account = self.state.seed_account()
        self.info = self.state.credentials(self.account, BASE)
        self.http = httpx.Client(transport=in_process_transport(create_app(self.state)), base_url=BASE)
        self.acct = self.state.account(self.account)
        self.sleeps: list[float] = []

    def first(self, rtype, **where):
        return next(r for r in self.acct.values(rtype) if all(r.get(k) == v for k, v in where.items()))

    def connector(self, *, auth="tba", options=None, **overrides):
        keys = ("consumer_key", "token_id") if auth == "tba" else ("token_url", "client_id", "certificate_id")
        secrets = ("consumer_secret", "token_secret") if auth == "tba" else ("private_key_pem",)
        settings = ConnectionSettings(platform="netsuite", company_id=self.account,
                                      config={"base_url": BASE, **{k: self.info[k] for k in keys}},
                                      secrets={k: self.info[k] for k in secrets}, options=options or {})
        overrides.setdefault("sleep", self.sleeps.append)
        return build_connector(settings, http=self.http, tokens=InMemoryTokenStore(), now=self.state.now,
                               **overrides)

    def bill(self, n: int, vendor: str | None = None, currency: str = "USD", amount: str = "100.00") -> BillPayload:
        expense = self.first("account", acctType="Expense")["id"]
        return BillPayload(bill_id=f"bill_{n}", vendor_external_id=vendor or self.first("vendor")["id"],
                           invoice_number=f"U-{n}", invoice_date=dt.date(2024, 5, 1), due_date=dt.date(2024, 5, 31),
                           currency=currency, amount=Decimal(amount),
                           lines=[BillLinePayload(Decimal(amount), "Services", account_id=expense)])


def test_token_based_authentication_signs_every_request_the_sandbox_accepts():
    box = Sandbox()
    connector = box.connector(auth="tba")
    assert {v.name for v in connector.fetch_reference_data("vendors")}
    (result,) = connector.push_bills([("bill_1:create#0", box.bill(1))])
    assert result.error is None, result.error
    assert connector.read_bill(result.ref).amount == Decimal("100.00")


def test_many_bills_go_out_five_at_a_time_without_a_single_429():
    box = Sandbox()
    box.state.set_faults(latency_ms=40)
    connector = box.connector()
    results = connector.push_bills([(f"bill_{n}:create#0", box.bill(n)) for n in range(25)])
    assert all(r.ref for r in results)
    stats = box.state.request_stats()
    assert "429" not in stats["by_status"]
    assert connector.limiter.peak_in_flight == 5


def test_a_429_from_another_integration_is_waited_out():
    box = Sandbox()
    box.state.set_limits(concurrent=1)
    box.state.set_faults(latency_ms=150)
    holder = threading.Thread(target=lambda: box.connector().fetch_reference_data("terms"))
    holder.start()
    threading.Event().wait(0.05)
    def wait(seconds: float) -> None:  # record the backoff, and really wait a little for the holder to finish
        box.sleeps.append(seconds)
        threading.Event().wait(0.1)

    connector = box.connector(sleep=wait)
    connector.fetch_reference_data("subsidiaries")
    holder.join()
    assert box.sleeps, "the connector should have backed off after CONCURRENCY_LIMIT_EXCEEDED"


def test_the_vendors_subsidiary_and_currency_decide_the_bill():
    box = Sandbox()
    german = box.first("vendor", companyName="Rheinland Logistik GmbH")
    connector = box.connector()
    (result,) = connector.push_bills([("bill_9:create#0", box.bill(9, vendor=german["id"], currency="EUR"))])
    assert result.error is None, result.error
    stored = box.acct.get("vendorBill", result.ref.external_id)
    assert stored["subsidiary"] == german["subsidiary"] and stored["currency"] == box.first("currency", symbol="EUR")["id"]
    assert stored["externalId"] == "billpay-bill_9-0"
    remote = connector.read_bill(result.ref)
    assert remote.currency == "EUR" and remote.dimensions["subsidiary"] == german["subsidiary"]


def test_a_bill_payment_without_a_chosen_bank_account_is_refused_naming_the_choice():
    box = Sandbox()
    connector = box.connector()
    (bill,) = connector.push_bills([("bill_1:create#0", box.bill(1))])
    payment = BillPaymentPayload(payment_id="pay_1", bill_external_id=bill.ref.external_id,
                                 vendor_external_id=box.first("vendor")["id"], amount=Decimal("100.00"),
                                 currency="USD", pay_date=dt.date(2024, 6, 1), method="ach")
    (refused,) = connector.push_bill_payments([("pay_1:create#0", payment)])
    assert refused.error.code == "platform_bank_account_missing" and refused.error.kind == "config"
    assert "USD" in refused.error.message and "Operating Checking" in refused.error.message
    assert box.state.count(box.account, "vendorPayment") == 0
    bank = box.first("account", acctType="Bank", acctName="Operating Checking")["id"]
    chosen = box.connector(options={"bank_accounts": {"USD": bank}})
    (paid,) = chosen.push_bill_payments([("pay_1:create#0", payment)])
    assert paid.error is None and box.acct.get("vendorPayment", paid.ref.external_id)["account"] == bank


def test_a_connection_without_usable_credentials_says_what_is_missing():
    box = Sandbox()
    settings = ConnectionSettings(platform="netsuite", company_id=box.account, config={"base_url": BASE})
    with pytest.raises(ConnectorError) as caught:
        build_connector(settings, http=box.http, tokens=InMemoryTokenStore())
    assert caught.value.kind == "config" and "consumer key" in caught.value.message


def test_external_ids_come_from_the_idempotency_key():
    assert wire.external_id("bill_01H:create#0") == "billpay-bill_01H-0"
    assert wire.external_id("bill_01H:create#3") == "billpay-bill_01H-3"
    assert wire.external_id("pay_x y:create#1") == "billpay-pay_x_y-1"


@pytest.mark.parametrize("code", sorted(errors.CODES))
def test_every_errorcode_becomes_a_stable_code_and_a_sentence(code):
    body = {"type": "x", "title": "Bad Request", "status": 400,
            "o:errorDetails": [{"detail": "Error while accessing resource: something.", "o:errorCode": code}]}
    error = errors.ns_error(body, status=400, operation="write")
    assert error.code.startswith("platform_") and error.message.endswith(".") and "{" not in error.message
    assert error.raw["o:errorCode"] == code


def test_secrets_never_reach_the_error():
    box = Sandbox()
    box.state.revoke_tokens(box.account)
    with pytest.raises(ConnectorError) as caught:
        box.connector().fetch_reference_data("vendors")
    assert caught.value.code == "platform_auth_revoked"
    text = f"{caught.value} {caught.value.raw!r}"
    assert box.info["token_secret"] not in text and box.info["consumer_secret"] not in text
