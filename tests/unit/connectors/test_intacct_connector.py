"""The Intacct connector's own promises, against the in-process Intacct sandbox: one session reused and
renewed, control ids derived from billpay's keys, entity-aware and custom-dimension payloads, governance
through the limiter, paging, bank accounts chosen per currency, company facts."""
from __future__ import annotations

import datetime as dt
import threading
import time
from decimal import Decimal

import httpx
import pytest

from billpay.connectors import ConnectionSettings, build_connector
from billpay.connectors.base.limits import LocalLimiter
from billpay.connectors.base.retry import RetryPolicy
from billpay.sandboxes.intacct import IntacctState, create_app, in_process_transport
from billpay.sync.ports import BillLinePayload, BillPayload, BillPaymentPayload, ConnectorError

START = dt.datetime(2026, 11, 25, 17, 30, tzinfo=dt.timezone.utc)
TODAY = dt.date(2026, 11, 25)


class Env:
    def __init__(self, *, bills: int = 0) -> None:
        self.state = IntacctState()
        self.state.clock.freeze(START)
        self.http = httpx.Client(transport=in_process_transport(create_app(self.state)),
                                 base_url="http://intacct.sandbox.test")
        self.info = self.state.seed_for_control({"bills": bills}, "http://intacct.sandbox.test")
        self.discovered: dict = {}
        self.sleeps: list[float] = []

    def connector(self, *, entity: str | None = "E100", options: dict | None = None, **overrides):
        info = self.info
        settings = ConnectionSettings(
            platform="intacct", company_id=info["company_id"],
            config={"base_url": info["base_url"], "sender_id": info["sender_id"], "user_id": info["user_id"],
                    "entity_id": entity},
            secrets={"sender_password": info["sender_password"], "user_password": info["user_password"]},
            options=options if options is not None else {"bank_accounts": {"USD": "BOA-USD"}})
        overrides.setdefault("discovered", self.discovered)
        overrides.setdefault("sleep", self.sleeps.append)
        return build_connector(settings, http=self.http, tokens=None, now=self.state.now, **overrides)

    def sign_ins(self) -> int:
        return sum(n for kind, n in self.state.request_stats()["by_kind"].items() if "getAPISession" in kind)

    @property
    def company(self):
        return self.state.company(self.info["company_id"])


@pytest.fixture
def env():
    e = Env()
    yield e
    e.http.close()


def bill(n: int = 1, *, amount: str = "100.00", currency: str = "USD", vendor: str = "V0001", **line_dims) -> BillPayload:
    lines = (BillLinePayload(Decimal(amount), "Services", account_id="6000", dimensions=line_dims),)
    return BillPayload(bill_id=f"bill_{n}", vendor_external_id=vendor, invoice_number=f"U-{n}", invoice_date=TODAY,
                       due_date=TODAY + dt.timedelta(days=30), currency=currency, amount=Decimal(amount), lines=lines,
                       memo="Unit bill")


def test_one_session_serves_many_calls_and_connectors_and_is_renewed_when_it_expires(env):
    env.connector().fetch_reference_data("terms")
    env.connector().fetch_reference_data("vendors")
    env.connector().push_bills([("bill_1:create#0", bill())])
    assert env.sign_ins() == 1
    env.state.advance_clock(env.company.settings.session_seconds + 5)
    env.connector().fetch_reference_data("terms")
    assert env.sign_ins() == 2
    env.state.set_faults(invalid_session_next=1)  # Intacct drops the session early: sign in again, once
    env.connector().fetch_reference_data("terms")
    assert env.sign_ins() == 3


def test_writes_carry_control_ids_derived_from_billpay_keys_with_uniqueid(env):
    connector = env.connector()
    (created,) = connector.push_bills([("bill_1:create#0", bill())])
    sender = env.info["sender_id"]
    assert f"{sender}|bill_1:create#0" in env.company.controls
    connector.update_bill(created.ref, bill(), "bill_1:update-v1#0")
    assert any(c.startswith(f"{sender}|bill_1:update-v1#0~") for c in env.company.controls)
    stored = env.company.get("APBILL", created.ref.external_id)
    assert stored["DOCNUMBER"] == "billpay:bill_1"


def test_a_recoded_resync_under_the_same_key_is_applied_not_refused(env):
    connector = env.connector()
    (created,) = connector.push_bills([("bill_1:create#0", bill())])
    ref = connector.update_bill(created.ref, bill(department="D100"), "bill_1:update-same#0")
    connector.update_bill(ref, bill(department="D200"), "bill_1:update-same#0")
    remote = connector.read_bill(created.ref)
    assert remote.lines[0].dimensions["department"] == "D200"


def test_lines_without_a_location_land_in_the_connected_entity(env):
    connector = env.connector()
    (created,) = connector.push_bills([("bill_1:create#0", bill())])
    assert env.company.get("APBILL", created.ref.external_id)["MEGAENTITYID"] == "E100"
    assert connector.read_bill(created.ref).lines[0].dimensions["location"] == "E100"
    top = env.connector(entity=None, discovered={})
    (refused,) = top.push_bills([("bill_2:create#0", bill(2))])
    assert refused.error.code == "platform_location_required" and "location" in refused.error.message
    (placed,) = top.push_bills([("bill_3:create#0", bill(3, location="L120"))])
    assert env.company.get("APBILL", placed.ref.external_id)["MEGAENTITYID"] == "E100"


def test_custom_dimensions_go_to_their_gldim_field_and_come_back(env):
    connector = env.connector()
    (created,) = connector.push_bills([("bill_1:create#0", bill(fund="GRANT", **{"class": "C10"}))])
    line = env.company.get("APBILL", created.ref.external_id)["APBILLITEMS"][0]
    assert line["GLDIMFUND"] == "GRANT" and line["CLASSID"] == "C10"
    pulled = {b.external_id: b for b in connector.pull_bills(None, TODAY).bills}
    assert pulled[created.ref.external_id].lines[0].dimensions == {"fund": "GRANT", "class": "C10",
                                                                  "location": "E100"}
    assert {i.id for i in connector.fetch_reference_data("fund")} == {"GEN", "GRANT"}
    (unknown,) = connector.push_bills([("bill_2:create#0", bill(2, region="WEST"))])
    assert unknown.error.code == "platform_dimension_unknown" and unknown.error.kind == "config"


def test_bills_in_another_currency_use_the_intacct_daily_rate(env):
    connector = env.connector()
    (created,) = connector.push_bills([("bill_1:create#0", bill(currency="EUR", amount="50.00", vendor="V-EU01"))])
    stored = env.company.get("APBILL", created.ref.external_id)
    assert (stored["CURRENCY"], stored["BASECURR"], stored["TRX_TOTALENTERED"], stored["TOTALENTERED"]) == \
        ("EUR", "USD", Decimal("50.00"), Decimal("54.00"))
    assert connector.read_bill(created.ref).amount == Decimal("50.00")


def test_payments_need_a_chosen_bank_account_for_their_currency(env):
    connector = env.connector(options={})
    (created,) = connector.push_bills([("bill_1:create#0", bill())])
    payment = BillPaymentPayload(payment_id="pay_1", bill_external_id=created.ref.external_id,
                                 vendor_external_id="V0001", amount=Decimal("100.00"), currency="USD", pay_date=TODAY,
                                 method="ach")
    (missing,) = connector.push_bill_payments([("pay_1:create#0", payment)])
    assert missing.error.code == "platform_bank_account_missing" and missing.error.kind == "config"
    assert "checking account" in missing.error.message and "USD" in missing.error.message
    (paid,) = env.connector().push_bill_payments([("pay_1:create#0", payment)])
    stored = env.company.get("APPYMT", paid.ref.external_id)
    assert (stored["FINANCIALENTITY"], stored["PAYMENTMETHOD"], stored["DOCNUMBER"]) == \
        ("BOA-USD", "EFT", "billpay:pay_1")


def test_the_limiter_keeps_requests_within_intacct_governance(env):
    env.state.set_faults(latency_ms=150)
    limiter = LocalLimiter(2)
    failures: list[Exception] = []

    def work() -> None:
        try:
            env.connector(limiter=limiter).fetch_reference_data("terms")
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            failures.append(exc)

    env.connector(limiter=limiter).fetch_reference_data("classes")  # sign in first
    threads = [threading.Thread(target=work) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures and limiter.peak_in_flight == 2
    assert "429" not in env.state.request_stats()["by_status"]


def test_without_the_limiter_gw_0010_is_ridden_out_with_backoff(env):
    env.state.set_faults(latency_ms=150)
    loose = LocalLimiter(6)
    env.connector(limiter=loose).fetch_reference_data("classes")
    done: list[int] = []

    def wait(seconds: float) -> None:
        env.sleeps.append(seconds)
        time.sleep(seconds)

    def work() -> None:
        retry = RetryPolicy(max_attempts=12, base_delay=0.05, max_delay=0.4, sleep=wait)
        done.append(len(env.connector(limiter=loose, retry=retry).fetch_reference_data("terms")))

    threads = [threading.Thread(target=work) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert done == [4] * 5
    assert env.state.request_stats()["by_status"].get("429", 0) >= 1 and env.sleeps


def test_company_info_names_the_entity_its_currency_and_bank_accounts(env):
    info = env.connector().company_info()
    assert info.home_currency == "USD" and info.name == "US Operations"
    assert info.currencies == ["USD"] and [b.id for b in info.bank_accounts] == ["BOA-USD"]
    top = env.connector(entity=None, discovered={}).company_info()
    assert set(top.currencies) == {"USD", "EUR"} and {b.id for b in top.bank_accounts} == {"BOA-USD", "DB-EUR"}


def test_a_full_pull_pages_bills_and_their_lines_in_few_requests():
    env = Env(bills=2150)
    try:
        connector = env.connector()
        connector.fetch_reference_data("terms")
        env.state.advance_clock(600)  # the bills were entered ten minutes before the first pull
        before = env.state.request_stats()["total_api_calls"]
        result = connector.pull_bills(None, TODAY - dt.timedelta(days=40))
        assert len(result.bills) == 2150 and all(len(b.lines) == 2 for b in result.bills)
        assert sum(b.amount for b in result.bills) == sum(sum(ln.amount for ln in b.lines) for b in result.bills)
        assert env.state.request_stats()["total_api_calls"] - before <= 4
        env.state.advance_clock(600)
        before = env.state.request_stats()["total_api_calls"]
        quiet = connector.pull_bills(result.bookmark, TODAY - dt.timedelta(days=40))
        assert quiet.bills == [] and env.state.request_stats()["total_api_calls"] - before == 1
    finally:
        env.http.close()


def test_the_bookmark_is_the_companys_clock_minus_the_overlap(env):
    env.state.set_company_settings(env.info["company_id"], timezone="Pacific/Auckland")
    result = env.connector().pull_bills(None, TODAY)
    local = START.astimezone(env.company.tz).replace(tzinfo=None)
    assert result.bookmark == (local - dt.timedelta(minutes=2)).strftime("%Y-%m-%dT%H:%M:%S")


def test_errors_never_carry_the_passwords(env):
    connector = env.connector()
    env.state.revoke_sender(env.info["company_id"], env.info["sender_id"])
    with pytest.raises(ConnectorError) as caught:
        connector.fetch_reference_data("vendors")
    text = f"{caught.value} {caught.value.raw!r}"
    assert env.info["sender_password"] not in text and env.info["user_password"] not in text
    assert caught.value.code == "platform_auth_revoked" and "Web Services authorizations" in caught.value.message


def test_a_wrong_user_password_asks_an_admin_to_reconnect(env):
    connector = env.connector()
    connector.client.credentials = type(connector.client.credentials)(
        **{**connector.client.credentials.__dict__, "user_password": "wrong"})
    with pytest.raises(ConnectorError) as caught:
        connector.fetch_reference_data("terms")
    assert caught.value.code == "platform_auth_invalid" and caught.value.kind == "auth"
