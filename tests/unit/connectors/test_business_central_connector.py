"""The Business Central connector on the in-process Business Central sandbox: what the shared
conformance suite does not ask (tokens, dimensions, drafts and ETags, cancelling, journals, paging,
limits, error words)."""
from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import httpx
import pytest

from billpay.connectors import ConnectionSettings, build_connector
from billpay.connectors.base import InMemoryTokenStore
from billpay.connectors.business_central import errors as bc_errors
from billpay.connectors.business_central.connector import BusinessCentralConnector
from billpay.sandboxes.business_central import BusinessCentralState, create_app, in_process_transport, ledger
from billpay.sync.ports import BillLinePayload, BillPayload, BillPaymentPayload, ConnectorError, RemoteRef

BASE = "http://bc.connector.test"


class Env:
    def __init__(self, **options) -> None:
        self.state = BusinessCentralState()
        self.info = self.state.seed(BASE)
        self.company = self.state.company(self.info["company_id"])
        self.http = httpx.Client(transport=in_process_transport(create_app(self.state)), base_url=BASE)
        self.tokens = InMemoryTokenStore()
        self.sleeps: list[float] = []
        self.options = options or {"payment_journal": "CHECKING"}

    def connector(self, **overrides) -> BusinessCentralConnector:
        info = self.info
        settings = ConnectionSettings(
            platform="business_central", company_id=info["company_id"],
            config={k: info[k] for k in ("base_url", "tenant_id", "environment", "client_id", "token_url")},
            secrets={"client_secret": info["client_secret"]}, options=self.options)
        kwargs = {"sleep": self.sleeps.append, "now": self.state.now, "discovered": {}, **overrides}
        return build_connector(settings, http=self.http, tokens=self.tokens, **kwargs)

    def account(self, number: str = "60100") -> str:
        return self.company.find("accounts", number=number)["id"]

    def vendor(self, n: int = 0) -> str:
        return list(self.company.rows("vendors"))[n]["id"]

    def value(self, dimension: str, code: str) -> str:
        dim = self.company.find("dimensions", code=dimension)
        return self.company.find("dimensionValues", dimensionId=dim["id"], code=code)["id"]

    def bill(self, n: int = 1, amount: str = "120.00", **overrides) -> BillPayload:
        today = self.state.today()
        total = Decimal(amount)
        values = dict(bill_id=f"bill_{n}", vendor_external_id=self.vendor(), invoice_number=f"UT-{n}",
                      invoice_date=today, due_date=today + dt.timedelta(days=30), currency="USD", amount=total,
                      lines=(BillLinePayload(total, "Consulting", account_id=self.account()),), memo="May work")
        values.update(overrides)
        return BillPayload(**values)

    def calls(self) -> int:
        return int(self.state.request_stats()["total_api_calls"])


@pytest.fixture
def env() -> Env:
    e = Env()
    yield e
    e.http.close()


def _push(connector, bill):
    (result,) = connector.push_bills([(f"{bill.bill_id}:create#0", bill)])
    assert result.error is None, result.error
    return result.ref


def test_token_is_fetched_once_kept_in_the_store_and_renewed_before_it_expires(env):
    connector = env.connector()
    connector.fetch_reference_data("terms")
    first = env.tokens.load()
    assert first is not None and first.refresh_token == "" and env.tokens.saves == 1
    env.connector().fetch_reference_data("vendors")  # another worker reuses the stored token
    assert env.tokens.saves == 1
    env.state.advance_clock(56 * 60)  # inside the five minutes before expiry
    connector.fetch_reference_data("terms")
    assert env.tokens.saves == 2 and env.tokens.load().access_token != first.access_token


def test_wrong_client_secret_is_a_configuration_problem_in_words_and_leaks_nothing(env):
    env.info["client_secret"] = "not-the-secret-value"
    with pytest.raises(ConnectorError) as caught:
        env.connector().fetch_reference_data("vendors")
    error = caught.value
    assert error.code == "platform_client_invalid" and error.kind == "config"
    assert "client secret" in error.message and "not-the-secret-value" not in f"{error} {error.raw!r}"


def test_reference_data_marks_blocked_and_unusable_records_inactive(env):
    connector = env.connector()
    env.state.block_vendor(env.info["company_id"], env.vendor(1))
    vendors = {v.id: v for v in connector.fetch_reference_data("vendors")}
    assert vendors[env.vendor(1)].active is False and vendors[env.vendor(0)].active is True
    accounts = {a.extra["number"]: a for a in connector.fetch_reference_data("accounts")}
    assert accounts["60100"].active and not accounts["60900"].active and not accounts["60000"].active
    assert not accounts["20100"].active  # no direct posting
    areas = connector.fetch_reference_data("areas")
    assert {a.extra["code"] for a in areas} == {"EAST", "WEST", "CENTRAL"} and all(a.kind == "areas" for a in areas)


def test_dimensions_travel_as_dimension_set_lines_both_ways(env):
    connector = env.connector()
    sales, beta, west = env.value("DEPARTMENT", "SALES"), env.value("PROJECT", "BETA"), env.value("AREA", "WEST")
    line_dims = {"department": sales, "project": beta, "area": west}
    bill = env.bill(lines=(BillLinePayload(Decimal("120.00"), "Consulting", account_id=env.account(),
                                           dimensions=line_dims),), dimensions={"department": sales})
    ref = _push(connector, bill)
    remote = connector.read_bill(ref)
    assert remote.lines[0].dimensions == line_dims and remote.dimensions == {"department": sales}
    stored = env.company.children("dimensionSetLines", env.company.children("purchaseInvoiceLines", ref.external_id)[-1]["id"])
    assert {d["code"] for d in stored} == {"DEPARTMENT", "PROJECT", "AREA"}
    (refused,) = connector.push_bills([("k", env.bill(2, dimensions={"class": sales}))])
    assert refused.error.code == "payload_invalid" and "CLASS" in refused.error.message


def test_memo_negative_lines_and_foreign_currency(env):
    connector = env.connector()
    memo = "Quarterly retainer " * 8  # longer than one BC description
    bill = env.bill(amount="90.00", currency="EUR", memo=memo.strip(), lines=(
        BillLinePayload(Decimal("100.00"), "Retainer", account_id=env.account()),
        BillLinePayload(Decimal("-10.00"), "Discount", account_id=env.account("60200"))))
    remote = connector.read_bill(_push(connector, bill))
    assert remote.currency == "EUR" and remote.amount == Decimal("90.00")
    assert [line.amount for line in remote.lines] == [Decimal("100.00"), Decimal("-10.00")]
    assert remote.memo == memo.strip()[:300]


def test_a_draft_left_behind_is_brought_up_to_date_with_if_match_and_posted(env):
    connector = env.connector()
    env.state.set_posting_range(env.info["company_id"], env.state.today() + dt.timedelta(days=1), None)
    (refused,) = connector.push_bills([("bill_1:create#0", env.bill())])
    assert refused.error.code == "platform_period_closed" and "allowed posting dates" in refused.error.message
    draft = next(i for i in env.state.invoices(env.info["company_id"]) if i["status"] == "Draft")
    env.state.set_posting_range(env.info["company_id"], None, None)
    env.state.set_faults(stale_next=1)  # someone saves the draft just before billpay's PATCH: 409, re-read, merge
    fixed = env.bill(due_date=env.state.today() + dt.timedelta(days=45), lines=(
        BillLinePayload(Decimal("120.00"), "Consulting (recoded)", account_id=env.account("60400")),))
    (result,) = connector.push_bills([("bill_1:create#1", fixed)])
    assert result.error is None and result.ref.external_id == draft["id"]
    remote = connector.read_bill(result.ref)
    assert remote.status == "Open" and remote.due_date == fixed.due_date
    assert [(line.description, line.account_id) for line in remote.lines] == [("Consulting (recoded)", env.account("60400"))]
    assert len(env.state.invoices(env.info["company_id"])) == 1


def test_find_bill_completes_a_create_whose_post_never_happened(env):
    connector = env.connector()
    bill = env.bill()
    env.state.set_posting_range(env.info["company_id"], env.state.today() + dt.timedelta(days=1), None)
    connector.push_bills([("bill_1:create#0", bill)])
    env.state.set_posting_range(env.info["company_id"], None, None)
    found = connector.find_bill("bill_1:create#0", bill)
    assert found is not None and connector.read_bill(found).status == "Open"


def test_a_person_s_invoice_with_the_same_number_is_a_duplicate_and_nothing_is_created(env):
    connector = env.connector()
    env.state.create_invoice(env.info["company_id"], env.vendor(), [(env.account(), Decimal("5"), "x")],
                             vendor_invoice_number="UT-1")
    before = len(env.state.invoices(env.info["company_id"]))
    (result,) = connector.push_bills([("bill_1:create#0", env.bill())])
    assert result.error.code == "platform_duplicate_number" and result.error.kind == "rejected"
    assert len(env.state.invoices(env.info["company_id"])) == before


def test_void_deletes_a_draft_and_cancels_a_posted_invoice_with_a_credit_memo(env):
    connector = env.connector()
    ref = _push(connector, env.bill())
    connector.void_bill(ref, "bill_1:void#0")
    invoice = env.company.get("purchaseInvoices", ref.external_id)
    assert invoice["status"] == "Canceled"
    memo = env.company.find("purchaseCreditMemos", invoiceId=ref.external_id)
    assert memo["status"] == "Corrective" and memo["totalAmountIncludingTax"] == Decimal("120.00")
    env.state.create_invoice(env.info["company_id"], env.vendor(), [(env.account(), Decimal("5"), "x")],
                             vendor_invoice_number="DRAFT-1", post=False)
    draft = env.company.find("purchaseInvoices", vendorInvoiceNumber="DRAFT-1")
    connector.void_bill(RemoteRef(draft["id"]), "x:void#0")
    assert env.company.get("purchaseInvoices", draft["id"]) is None


def test_payments_need_a_chosen_journal_and_refuse_one_shared_with_people(env):
    ref = _push(env.connector(), env.bill())
    payment = BillPaymentPayload(payment_id="pay_1", bill_external_id=ref.external_id,
                                 vendor_external_id=env.vendor(), amount=Decimal("120.00"), currency="USD",
                                 pay_date=env.state.today(), method="ach")
    env.options = {}
    (missing,) = env.connector().push_bill_payments([("pay_1:create#0", payment)])
    assert missing.error.code == "platform_payment_journal_missing" and missing.error.kind == "config"
    assert "vendor payment journal" in missing.error.message
    env.options = {"payment_journal": "MANUAL"}
    other = _push(env.connector(), env.bill(2))
    journal = env.company.find("journals", code="MANUAL")
    ledger.create_payment(env.company, journal, {"appliesToInvoiceId": other.external_id,
                                                 "amount": Decimal("1.00")}, env.state.now(), env.state.today())
    (shared,) = env.connector().push_bill_payments([("pay_1:create#0", payment)])
    assert shared.error.code == "platform_payment_journal_in_use" and "MANUAL" in shared.error.message
    assert env.company.get("purchaseInvoices", ref.external_id)["status"] == "Open"
    env.options = {"payment_journals": {"USD": "CHECKING"}}
    (paid,) = env.connector().push_bill_payments([("pay_1:create#0", payment)])
    assert paid.error is None and paid.ref.external_id.startswith("BP")
    assert env.company.get("purchaseInvoices", ref.external_id)["status"] == "Paid"


def test_pull_follows_next_links_and_a_quiet_incremental_pull_is_one_request(env):
    env.state.seed_open_invoices(env.info["company_id"], 12, start=env.state.today() - dt.timedelta(days=3),
                                 spread_days=3)
    connector = env.connector(page_size=5)
    connector.fetch_reference_data("terms")
    env.state.advance_clock(600)  # the bookmark's overlap re-reads what changed just before a pull
    before = env.calls()
    full = connector.pull_bills(None, env.state.today() - dt.timedelta(days=30))
    assert full.full and len(full.bills) == 12 and env.calls() - before == 3
    assert all(len(b.lines) == 2 and b.is_open for b in full.bills)
    env.state.advance_clock(600)
    before = env.calls()
    quiet = connector.pull_bills(full.bookmark, env.state.today() - dt.timedelta(days=30))
    assert quiet.bills == [] and quiet.deleted_ids == [] and env.calls() - before == 1


def test_five_workers_sharing_the_limiter_never_draw_a_429(env):
    env.state.set_faults(latency_ms=60)
    connector = env.connector()
    connector.fetch_reference_data("terms")
    errors: list[Exception] = []

    def work() -> None:
        try:
            for _ in range(3):
                connector.fetch_reference_data("vendors")
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors and "429" not in env.state.request_stats()["by_status"]
    assert connector.limiter.peak_in_flight == 5


def test_429_waits_the_retry_after_the_platform_sends(env):
    connector = env.connector()
    connector.fetch_reference_data("terms")
    env.state.set_faults(throttle_next=2)
    connector.fetch_reference_data("vendors")
    assert env.sleeps == [2.0, 2.0]


@pytest.mark.parametrize("status,body,code,kind", [
    (409, {"error": {"code": "Request_EntityChanged", "message": "Another user has already changed the record."}},
     "platform_stale_version", "conflict"),
    (400, {"error": {"code": "Application_DialogException", "message": "You cannot create this type of document "
                                                                       "when Vendor V1 is blocked with type All."}},
     "platform_vendor_inactive", "rejected"),
    (400, {"error": {"code": "Application_FieldValidationException", "message": "Blocked must be equal to 'No'  in "
                                                                               "G/L Account: No.=6100."}},
     "platform_reference_inactive", "rejected"),
    (404, {"error": {"code": "Internal_RecordNotFound", "message": "The Vendor does not exist. Identification fields "
                                                                  "and values: No.='X'  CorrelationId:  abc."}},
     "platform_reference_invalid", "rejected"),
    (404, {"error": {"code": "Internal_RecordNotFound", "message": "The Purch. Inv. Entity Aggregate does not exist."}},
     "platform_not_found", "not_found"),
    (429, {"error": {"code": "Application_TooManyRequests", "message": "slow down"}}, "platform_rate_limited",
     "transient"),
    (401, {"error": {"code": "Authentication_InvalidCredentials", "message": "The server has rejected the client "
                                                                             "credentials."}},
     "platform_auth_revoked", "auth"),
    (403, {"error": {"code": "Authorization_InsufficientPermissions", "message": "no"}}, "platform_forbidden",
     "config"),
    (404, {"error": {"code": "Internal_CompanyNotFound", "message": "Cannot open company"}},
     "platform_company_not_found", "config"),
    (400, {"error": {"code": "Application_DialogException", "message": "Posting Date is not within your range of "
                                                                       "allowed posting dates."}},
     "platform_period_closed", "rejected"),
    (400, {"error": {"code": "Application_DialogException", "message": "Purchase Invoice X already exists for this "
                                                                       "vendor."}},
     "platform_duplicate_number", "rejected"),
    (500, None, "platform_unavailable", "transient"),
])
def test_every_bc_error_code_becomes_a_stable_code_and_a_sentence(status, body, code, kind):
    error = bc_errors.error_from(status, body, operation="write")
    assert error.code == code and error.kind == kind
    assert error.message.endswith(".") and "CorrelationId" not in error.message and error.raw["status"] == status
    assert error.outcome_unknown == (status == 500)


def test_company_info_reads_local_currency_currencies_and_bank_accounts(env):
    info = env.connector().company_info()
    assert info.home_currency == "USD" and list(info.currencies) == ["USD", "EUR"]
    assert {b.extra["number"]: b.extra["currency"] for b in info.bank_accounts} == {"CHECKING": "USD",
                                                                                    "EUR-BANK": "EUR"}


def test_bookmark_follows_business_central_s_clock_when_billpay_s_runs_ahead(env):
    start = env.state.today() - dt.timedelta(days=5)
    connector = env.connector(now=lambda: env.state.now() + dt.timedelta(hours=1))  # billpay's clock is fast
    first = connector.pull_bills(None, start)
    env.state.advance_clock(5)
    ref = _push(env.connector(), env.bill())  # entered in BC right after the pull, by BC's clock
    env.state.advance_clock(5)
    second = connector.pull_bills(first.bookmark, start)
    assert ref.external_id in {b.external_id for b in second.bills}
