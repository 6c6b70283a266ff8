"""Contract: the real third-party clients (python-quickbooks, intuit-oauth) against
the sandbox served by uvicorn on a free port."""

from __future__ import annotations

import json
import subprocess
import sys
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from intuitlib.client import AuthClient
from intuitlib.enums import Scopes
from intuitlib.exceptions import AuthClientError
from quickbooks import QuickBooks
from quickbooks.batch import batch_create
from quickbooks.cdc import change_data_capture
from quickbooks.exceptions import AuthorizationException, ObjectNotFoundException, QuickbooksException
from quickbooks.objects.account import Account
from quickbooks.objects.base import Ref
from quickbooks.objects.bill import Bill
from quickbooks.objects.billpayment import BillPayment, BillPaymentCreditCard, BillPaymentLine, CheckPayment
from quickbooks.objects.detailline import AccountBasedExpenseLine, AccountBasedExpenseLineDetail
from quickbooks.objects.term import Term
from quickbooks.objects.trackingclass import Class
from quickbooks.objects.vendor import Vendor

from billpay.sandboxes.core import BackgroundServer
from billpay.sandboxes.quickbooks import QuickBooksState

from .conftest import Company, seeded

REDIRECT = "https://app.example.com/quickbooks/callback"


@pytest.fixture
def company(live_state: QuickBooksState, monkeypatch) -> Company:
    # requests-oauthlib refuses plain-http URLs unless told this is a local test server.
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    live_state.clear_faults()
    live_state.set_limits(per_minute=500, concurrent=10, batch_per_minute=40)
    return seeded(live_state)


def auth_client(server: BackgroundServer, qbo: Company) -> AuthClient:
    return AuthClient(
        qbo.client_id,
        qbo.client_secret,
        REDIRECT,
        environment=f"{server.base_url}/.well-known/openid_configuration",
    )


@pytest.fixture
def qb(live_server: BackgroundServer, company: Company) -> QuickBooks:
    client = QuickBooks(
        auth_client=auth_client(live_server, company),
        refresh_token=company.refresh_token,
        company_id=company.realm,
        minorversion=75,
    )
    client.api_url_v3 = f"{live_server.base_url}/v3"
    return client


def expense_line(account: Account, amount: float, klass: Class | None = None) -> AccountBasedExpenseLine:
    line = AccountBasedExpenseLine()
    line.Amount = amount
    line.Description = "Services"
    line.AccountBasedExpenseLineDetail = AccountBasedExpenseLineDetail()
    line.AccountBasedExpenseLineDetail.AccountRef = account.to_ref()
    if klass is not None:
        line.AccountBasedExpenseLineDetail.ClassRef = klass.to_ref()
    return line


def new_bill(qb: QuickBooks, vendor: Vendor, amount: float, number: str) -> Bill:
    bill = Bill()
    bill.VendorRef = vendor.to_ref()
    bill.DocNumber = number
    bill.Line = [expense_line(Account.filter(AccountType="Expense", qb=qb)[0], amount, Class.all(qb=qb)[0])]
    return bill.save(qb=qb)


def pay(qb: QuickBooks, bill: Bill, amount: float, *, card: bool = False) -> BillPayment:
    payment = BillPayment()
    payment.VendorRef = bill.VendorRef
    payment.TotalAmt = amount
    line = BillPaymentLine()
    line.Amount = amount
    line.LinkedTxn = [bill.to_linked_txn()]
    payment.Line = [line]
    if card:
        payment.PayType = "CreditCard"
        payment.CreditCardPayment = BillPaymentCreditCard()
        payment.CreditCardPayment.CCAccountRef = Account.filter(AccountType="Credit Card", qb=qb)[0].to_ref()
    else:
        payment.PayType = "Check"
        payment.CheckPayment = CheckPayment()
        payment.CheckPayment.BankAccountRef = Account.filter(AccountType="Bank", qb=qb)[0].to_ref()
    return payment.save(qb=qb)


def test_vendors_create_query_update(qb: QuickBooks):
    vendors = Vendor.all(qb=qb)
    assert len(vendors) == 5 and vendors[0].DisplayName == "Acme Office Supply"
    vendor = Vendor()
    vendor.DisplayName = "Quality Craft Tools LLC"
    vendor.CompanyName = "Quality Craft Tools LLC"
    vendor = vendor.save(qb=qb)
    assert vendor.Id and vendor.SyncToken == "0"
    found = Vendor.filter(DisplayName="Quality Craft Tools LLC", qb=qb)
    assert [v.Id for v in found] == [vendor.Id]
    vendor.AcctNum = "QC-1"
    updated = vendor.save(qb=qb)
    assert (updated.SyncToken, updated.AcctNum) == ("1", "QC-1")
    assert Vendor.count(qb=qb) == 6
    assert [t.Name for t in Term.all(qb=qb)] == ["Due on receipt", "Net 15", "Net 30", "Net 60"]
    with pytest.raises(QuickbooksException) as excinfo:
        duplicate = Vendor()
        duplicate.DisplayName = "quality craft tools llc"
        duplicate.save(qb=qb)
    assert excinfo.value.error_code == 6240


def test_bills_create_query_update_delete(qb: QuickBooks, company: Company):
    vendor = Vendor.all(qb=qb)[0]
    bill = new_bill(qb, vendor, 120.5, "PQ-1")
    assert (bill.TotalAmt, bill.Balance, bill.SyncToken) == (120.5, 120.5, "0")
    assert bill.Line[0].AccountBasedExpenseLineDetail.ClassRef.value
    assert [b.Id for b in Bill.filter(DocNumber="PQ-1", qb=qb)] == [bill.Id]
    assert [b.Id for b in Bill.where(f"VendorRef = '{vendor.Id}' AND Balance > '0'", qb=qb)] == [bill.Id]
    bill.PrivateNote = "billpay:123"
    updated = bill.save(qb=qb)
    assert (updated.SyncToken, updated.PrivateNote) == ("1", "billpay:123")
    stale = Bill.get(bill.Id, qb=qb)
    stale.SyncToken = "0"
    with pytest.raises(QuickbooksException) as excinfo:
        stale.save(qb=qb)
    assert excinfo.value.error_code == 5010
    updated.delete(qb=qb)
    with pytest.raises(ObjectNotFoundException):
        Bill.get(bill.Id, qb=qb)


def test_bill_payments_check_and_credit_card_reduce_the_balance(qb: QuickBooks):
    vendor = Vendor.all(qb=qb)[1]
    bill = new_bill(qb, vendor, 300.0, "PQ-2")
    check = pay(qb, bill, 100.0)
    assert check.PayType == "Check" and check.CheckPayment.BankAccountRef.name == "Checking"
    assert Bill.get(bill.Id, qb=qb).Balance == 200.0
    card = pay(qb, bill, 200.0, card=True)
    assert card.CreditCardPayment.CCAccountRef.name == "Mastercard"
    paid = Bill.get(bill.Id, qb=qb)
    assert paid.Balance == 0
    assert {link.TxnType for link in paid.LinkedTxn} == {"BillPaymentCheck", "BillPaymentCreditCard"}
    check.void(qb=qb)
    assert Bill.get(bill.Id, qb=qb).Balance == 100.0
    voided = BillPayment.get(check.Id, qb=qb)
    assert voided.TotalAmt == 0 and voided.PrivateNote.startswith("Voided")
    with pytest.raises(QuickbooksException) as excinfo:
        pay(qb, Bill.get(bill.Id, qb=qb), 100.01)
    assert excinfo.value.error_code == 6000


def test_batch_create_and_cdc(qb: QuickBooks, company: Company):
    company.state.advance_clock(2)  # python-quickbooks sends changedSince to the second: move past the seed
    since = company.state.now().replace(microsecond=0)
    vendor = Vendor.all(qb=qb)[2]
    account = Account.filter(AccountType="Expense", qb=qb)[0]
    bills = []
    for index in range(3):
        bill = Bill()
        bill.VendorRef = vendor.to_ref()
        bill.DocNumber = f"BATCH-{index}"
        bill.Line = [expense_line(account, 10.0 + index)]
        bills.append(bill)
    broken = Bill()
    broken.VendorRef = Ref()
    broken.VendorRef.value = "99999"
    broken.Line = [expense_line(account, 1.0)]
    result = batch_create(bills + [broken], qb=qb)
    assert sorted(b.DocNumber for b in result.successes) == ["BATCH-0", "BATCH-1", "BATCH-2"]
    assert len(result.faults) == 1 and result.faults[0].Error[0].code == "2500"
    first = result.successes[0]
    first.delete(qb=qb)
    # python-quickbooks formats a datetime without offset; the sandbox reads it in the company's time zone
    local_since = since.astimezone(company.state.company(company.realm).tz).replace(tzinfo=None)
    changes = change_data_capture([Bill, Vendor], local_since, qb=qb)
    changed = list(changes.Bill)
    assert {b.Id for b in changed if getattr(b, "status", None) != "Deleted"} == {
        s.Id for s in result.successes[1:]
    }
    assert [b.Id for b in changed if getattr(b, "status", None) == "Deleted"] == [first.Id]
    assert not hasattr(changes, "Vendor")


def test_expired_access_token_is_an_authorization_exception(qb: QuickBooks, company: Company):
    company.state.set_faults(expire_tokens=True)
    with pytest.raises(AuthorizationException) as excinfo:
        Vendor.all(qb=qb)
    assert "AuthenticationFailed" in excinfo.value.detail
    qb.auth_client.refresh()
    qb._start_session()
    assert len(Vendor.all(qb=qb)) == 5


def test_throttling_surfaces_code_3001(qb: QuickBooks, company: Company):
    company.state.set_faults(throttle_next=1)
    with pytest.raises(QuickbooksException) as excinfo:
        Vendor.all(qb=qb)
    assert excinfo.value.error_code == 3001


def test_full_oauth_code_flow_and_refresh_rotation(live_server: BackgroundServer, company: Company):
    client = auth_client(live_server, company)
    url = client.get_authorization_url([Scopes.ACCOUNTING], state_token="csrf-123")
    assert url.startswith(f"{live_server.base_url}/connect/oauth2?")
    with httpx.Client(follow_redirects=False) as browser:
        page = browser.get(url)
        assert page.status_code == 200 and "Connect" in page.text and company.realm in page.text
        query = parse_qs(urlsplit(url).query)
        consent = browser.post(
            f"{live_server.base_url}/connect/oauth2",
            data={
                "client_id": query["client_id"][0],
                "redirect_uri": query["redirect_uri"][0],
                "scope": query["scope"][0],
                "state": query["state"][0],
                "realm_id": company.realm,
                "decision": "allow",
            },
        )
    assert consent.status_code == 302
    location = consent.headers["location"]
    assert location.startswith(REDIRECT)
    callback = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    assert callback["state"] == "csrf-123" and callback["realmId"] == company.realm

    client.get_bearer_token(callback["code"], realm_id=callback["realmId"])
    assert client.access_token and client.refresh_token and client.expires_in == 3600
    assert client.x_refresh_token_expires_in == 8726400
    with pytest.raises(AuthClientError):
        client.get_bearer_token(callback["code"], realm_id=callback["realmId"])  # codes are single use

    first_refresh = client.refresh_token
    client.refresh()
    assert client.refresh_token != first_refresh
    company.state.advance_clock(121)
    with pytest.raises(AuthClientError) as excinfo:
        client.refresh(refresh_token=first_refresh)
    assert excinfo.value.status_code == 400 and excinfo.value.intuit_tid
    client.refresh()
    assert client.revoke() is True
    with pytest.raises(AuthClientError):
        client.refresh()


def test_timeout_after_commit_over_real_http(live_server: BackgroundServer, company: Company):
    tokens = company.state.issue_tokens(company.client_id, company.realm)
    company.state.set_faults(timeout_after_commit=1, hang_seconds=1.5)
    body = {
        "VendorRef": {"value": "1"},
        "Line": [
            {
                "DetailType": "AccountBasedExpenseLineDetail",
                "Amount": 5,
                "AccountBasedExpenseLineDetail": {"AccountRef": {"value": company.account("Expense")["Id"]}},
            }
        ],
    }
    url = f"{live_server.base_url}/v3/company/{company.realm}/bill"
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    with httpx.Client(timeout=0.3) as client:
        with pytest.raises(httpx.ReadTimeout):
            client.post(url, params={"requestid": "slow-1"}, json=body, headers=headers)
    assert company.state.query(company.realm, "select count(*) from Bill") == {"totalCount": 1}
    with httpx.Client(timeout=5) as client:
        retry = client.post(url, params={"requestid": "slow-1"}, json=body, headers=headers)
    assert retry.status_code == 200
    assert company.state.query(company.realm, "select count(*) from Bill") == {"totalCount": 1}


def test_server_run_prints_connection_details_first():
    command = [sys.executable, "-m", "billpay.sandboxes.quickbooks.server", "--port", "0"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True) as process:
        try:
            info = json.loads(process.stdout.readline())
            expected = {
                "platform", "base_url", "token_url", "authorize_url", "discovery_url", "client_id",
                "client_secret", "realm_id", "refresh_token", "redirect_uri",
            }  # fmt: skip
            assert expected <= set(info) and info["platform"] == "quickbooks"
            assert not info["base_url"].endswith(":0")
            with httpx.Client(timeout=5) as client:
                discovery = client.get(info["discovery_url"]).json()
                assert discovery["token_endpoint"] == info["token_url"]
                grant = {"grant_type": "refresh_token", "refresh_token": info["refresh_token"]}
                auth = (info["client_id"], info["client_secret"])
                tokens = client.post(info["token_url"], auth=auth, data=grant).json()
                vendors = client.get(
                    f"{info['base_url']}/v3/company/{info['realm_id']}/query",
                    params={"query": "select count(*) from Vendor", "minorversion": "75"},
                    headers={"Authorization": f"Bearer {tokens['access_token']}"},
                )
                assert vendors.json()["QueryResponse"]["totalCount"] == 5
        finally:
            process.terminate()
            process.wait(timeout=10)
