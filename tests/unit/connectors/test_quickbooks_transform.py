"""Pure QuickBooks <-> billpay mapping, on payloads shaped like Intuit's documented samples."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billpay.connectors.base.codec import dumps, loads
from billpay.connectors.quickbooks.transform import (
    CompanyCurrency,
    bill_from_wire,
    bill_to_wire,
    bill_update_to_wire,
    billpay_id_of,
    company_currency_from_preferences,
    compose_note,
    paid_by_payment,
    parse_note,
    payment_to_wire,
    reference_from_wire,
    vendor_credit_to_wire,
)
from billpay.sync.ports import BillLinePayload, BillPayload, BillPaymentPayload, ConnectorError, VendorCreditPayload

USD = CompanyCurrency("USD")

# Intuit's "read a paid bill" sample (Bill page), parsed as the connector parses bodies.
PAID_BILL = loads("""{"Bill": {"SyncToken": "2", "domain": "QBO", "APAccountRef": {"name": "Accounts Payable (A/P)", "value": "33"},
  "VendorRef": {"name": "Norton Lumber and Building Materials", "value": "46"}, "TxnDate": "2014-11-06",
  "TotalAmt": 103.55, "CurrencyRef": {"name": "United States Dollar", "value": "USD"},
  "LinkedTxn": [{"TxnId": "118", "TxnType": "BillPaymentCheck"}], "SalesTermRef": {"value": "3"},
  "DueDate": "2014-12-06", "sparse": false,
  "Line": [{"Description": "Lumber", "DetailType": "AccountBasedExpenseLineDetail", "Amount": 103.55, "Id": "1",
            "AccountBasedExpenseLineDetail": {"TaxCodeRef": {"value": "TAX"},
              "AccountRef": {"name": "Job Expenses:Job Materials:Decks and Patios", "value": "64"},
              "BillableStatus": "Billable", "CustomerRef": {"name": "Travis Waldron", "value": "26"}}}],
  "Balance": 0, "Id": "25",
  "MetaData": {"CreateTime": "2014-11-06T15:37:25-08:00", "LastUpdatedTime": "2015-02-09T10:11:11-08:00"}},
 "time": "2015-02-09T10:17:20.251-08:00"}""")["Bill"]


def payload(**overrides) -> BillPayload:
    values = dict(
        bill_id="bill_123", vendor_external_id="56", invoice_number="INV-1",
        invoice_date=dt.date(2024, 4, 1), due_date=dt.date(2024, 5, 1), currency="USD",
        amount=Decimal("300.00"),
        lines=(BillLinePayload(Decimal("200.00"), "Ads", account_id="7", dimensions={"class": "c1"}),
               BillLinePayload(Decimal("100.00"), None, account_id="8")),
        memo="Office move", terms_external_id="3", dimensions={"department": "d1", "class": "c9"}, ap_account_id="33",
    )
    values.update(overrides)
    return BillPayload(**values)


def test_bill_create_body_matches_the_documented_shape():
    body = bill_to_wire(payload(), USD)
    assert body == {
        "VendorRef": {"value": "56"}, "DocNumber": "INV-1", "TxnDate": "2024-04-01", "DueDate": "2024-05-01",
        "PrivateNote": "Office move\nbillpay:bill_123",
        "Line": [
            {"DetailType": "AccountBasedExpenseLineDetail", "Amount": Decimal("200.00"), "Description": "Ads",
             "AccountBasedExpenseLineDetail": {"AccountRef": {"value": "7"}, "ClassRef": {"value": "c1"}}},
            {"DetailType": "AccountBasedExpenseLineDetail", "Amount": Decimal("100.00"),
             "AccountBasedExpenseLineDetail": {"AccountRef": {"value": "8"}, "ClassRef": {"value": "c9"}}},
        ],
        "DepartmentRef": {"value": "d1"}, "SalesTermRef": {"value": "3"}, "APAccountRef": {"value": "33"},
    }
    assert '"Amount":200.00' in dumps(body)  # exact decimal on the wire


def test_currency_ref_only_with_multicurrency_and_foreign_currency_refused_without_it():
    assert bill_to_wire(payload(currency="eur"), CompanyCurrency("USD", True))["CurrencyRef"] == {"value": "EUR"}
    with pytest.raises(ConnectorError) as caught:
        bill_to_wire(payload(currency="EUR"), USD)
    assert caught.value.code == "platform_currency_unsupported"
    assert "multicurrency" in caught.value.message


def test_location_maps_to_the_quickbooks_department():
    body = bill_to_wire(payload(dimensions={"location": "loc1"}), USD)
    assert body["DepartmentRef"] == {"value": "loc1"}


def test_per_line_departments_cannot_be_represented():
    lines = (BillLinePayload(Decimal("200.00"), account_id="7", dimensions={"department": "d1"}),
             BillLinePayload(Decimal("100.00"), account_id="8", dimensions={"department": "d2"}))
    with pytest.raises(ConnectorError) as caught:
        bill_to_wire(payload(lines=lines, dimensions={}), USD)
    assert caught.value.code == "platform_unsupported"


@pytest.mark.parametrize(("overrides", "code", "words"), [
    ({"amount": Decimal("301.00")}, "payload_invalid", "add up to 300.00"),
    ({"lines": ()}, "payload_invalid", "no lines"),
    ({"lines": (BillLinePayload(Decimal("300.00")),)}, "payload_invalid", "no GL account"),
    ({"invoice_number": "X" * 22}, "platform_unsupported", "21 characters"),
    ({"lines": (BillLinePayload(Decimal("300.00"), account_id="7", custom={"project": "p"}),)},
     "platform_unsupported", "custom dimensions"),
    ({"vendor_external_id": ""}, "payload_invalid", "not mapped"),
])
def test_bills_quickbooks_cannot_take_are_refused_before_sending(overrides, code, words):
    with pytest.raises(ConnectorError) as caught:
        bill_to_wire(payload(**overrides), USD)
    assert caught.value.code == code and words in caught.value.message


def test_sparse_update_carries_id_synctoken_and_no_currency():
    body = bill_update_to_wire(payload(), CompanyCurrency("USD", True), external_id="151", sync_token="3")
    assert body["Id"] == "151" and body["SyncToken"] == "3" and body["sparse"] is True
    assert "CurrencyRef" not in body and len(body["Line"]) == 2


def test_paid_bill_sample_reads_as_a_closed_remote_bill():
    bill = bill_from_wire(PAID_BILL, USD)
    assert bill.external_id == "25" and bill.version == "2"
    assert bill.vendor_external_id == "46" and bill.invoice_number is None
    assert bill.amount == Decimal("103.55") and bill.balance == 0 and not bill.is_open
    assert bill.invoice_date == dt.date(2014, 11, 6) and bill.due_date == dt.date(2014, 12, 6)
    assert bill.terms_external_id == "3" and bill.currency == "USD"
    assert bill.lines[0].account_id == "64" and bill.lines[0].description == "Lumber"
    assert bill.updated_at == dt.datetime(2015, 2, 9, 18, 11, 11, tzinfo=dt.timezone.utc)
    assert paid_by_payment(PAID_BILL) == ["118"]


def test_missing_currency_means_the_home_currency_and_missing_balance_means_open():
    row = {k: v for k, v in PAID_BILL.items() if k not in ("CurrencyRef", "Balance")}
    bill = bill_from_wire(row, CompanyCurrency("CAD"))
    assert bill.currency == "CAD" and bill.balance == bill.amount


def test_tax_makes_an_extra_line_so_lines_sum_to_the_total():
    row = dict(PAID_BILL, TotalAmt=Decimal("113.55"), TxnTaxDetail={"TotalTax": Decimal("10.00")})
    bill = bill_from_wire(row, USD)
    assert sum(line.amount for line in bill.lines) == bill.amount
    assert bill.lines[-1].custom == {"quickbooks_line": "tax"} and bill.lines[-1].amount == Decimal("10.00")


def test_item_lines_keep_their_item_and_memo_and_billpay_id_are_separated():
    row = dict(PAID_BILL, PrivateNote="Rent\nbillpay:bill_9", Line=[{
        "DetailType": "ItemBasedExpenseLineDetail", "Amount": Decimal("103.55"),
        "ItemBasedExpenseLineDetail": {"ItemRef": {"value": "11"}, "ClassRef": {"value": "c2"}}}])
    bill = bill_from_wire(row, USD)
    assert bill.memo == "Rent" and billpay_id_of(row) == "bill_9"
    assert bill.lines[0].custom == {"item_id": "11"} and bill.lines[0].dimensions.get("class") == "c2"


@given(memo=st.one_of(st.none(), st.text(max_size=5000)),
       record_id=st.from_regex(r"[a-z]{1,6}_[0-9a-f]{1,12}", fullmatch=True))
def test_note_round_trip(memo, record_id):
    note = compose_note(memo, record_id)
    assert len(note) <= 4000
    parsed_memo, parsed_id = parse_note(note)
    assert parsed_id == record_id
    if memo and memo.strip() and len(memo.strip()) < 3900:
        assert parsed_memo == memo.strip()


def test_a_note_written_by_someone_else_has_no_billpay_id():
    assert parse_note("Paid by phone; see billpay:x in the text") == ("Paid by phone; see billpay:x in the text", None)
    assert parse_note(None) == (None, None)


def test_payment_body_matches_the_documented_check_payment():
    pay = BillPaymentPayload(payment_id="pay_1", bill_external_id="234", vendor_external_id="56",
                             amount=Decimal("200.00"), currency="USD", pay_date=dt.date(2024, 5, 2),
                             method="ach")
    body = payment_to_wire(pay, USD, bank_account_id="35")
    assert body == {
        "VendorRef": {"value": "56"}, "PayType": "Check", "TotalAmt": Decimal("200.00"), "TxnDate": "2024-05-02",
        "CheckPayment": {"BankAccountRef": {"value": "35"}, "PrintStatus": "NotSet"},
        "PrivateNote": "billpay:pay_1",
        "Line": [{"Amount": Decimal("200.00"), "LinkedTxn": [{"TxnId": "234", "TxnType": "Bill"}]}],
    }
    with pytest.raises(ConnectorError):
        payment_to_wire(BillPaymentPayload(**{**pay.__dict__, "method": "card"}), USD, bank_account_id="35")


def test_a_foreign_payment_that_applies_a_credit_carries_its_rate_and_pays_the_rest_in_cash():
    pay = BillPaymentPayload(payment_id="pay_2", bill_external_id="234", vendor_external_id="56",
                             amount=Decimal("1000.00"), currency="EUR", pay_date=dt.date(2024, 5, 2),
                             method="wire", vendor_credit_ids=("77",))
    body = payment_to_wire(pay, CompanyCurrency("USD", True), bank_account_id="36", exchange_rate=Decimal("1.1"),
                           credit_balances={"77": Decimal("233.47")})
    assert body["ExchangeRate"] == Decimal("1.1") and body["CurrencyRef"] == {"value": "EUR"}
    assert body["TotalAmt"] == Decimal("766.53")
    assert body["Line"][1] == {"Amount": Decimal("233.47"), "LinkedTxn": [{"TxnId": "77", "TxnType": "VendorCredit"}]}


def test_a_vendor_credit_in_a_foreign_currency_carries_its_rate_and_a_home_one_none():
    credit = VendorCreditPayload(credit_id="bill_cn", vendor_external_id="56", reference="AV-1",
                                 credit_date=dt.date(2024, 5, 2), currency="EUR", amount=Decimal("30.00"),
                                 lines=[BillLinePayload(amount=Decimal("30.00"), account_id="7")])
    body = vendor_credit_to_wire(credit, CompanyCurrency("USD", True), Decimal("1.07"))
    assert body["CurrencyRef"] == {"value": "EUR"} and body["ExchangeRate"] == Decimal("1.07")
    home = vendor_credit_to_wire(VendorCreditPayload(**{**credit.__dict__, "currency": "USD"}),
                                 CompanyCurrency("USD", True), Decimal("1.07"))
    assert "ExchangeRate" not in home


def test_reference_items_from_documented_vendor_and_term_samples():
    vendor = loads("""{"PrimaryEmailAddr": {"Address": "Books@Intuit.com"}, "Vendor1099": false, "domain": "QBO",
      "GivenName": "Bessie", "DisplayName": "Books by Bessie", "SyncToken": "0", "PrintOnCheckName": "Books by Bessie",
      "FamilyName": "Williams", "AcctNum": "1345", "CompanyName": "Books by Bessie", "sparse": false,
      "Active": true, "Balance": 0, "Id": "30"}""")
    item = reference_from_wire("vendors", vendor)
    assert (item.id, item.name, item.active) == ("30", "Books by Bessie", True)
    assert item.extra["email"] == "Books@Intuit.com" and item.extra["account_number"] == "1345"
    term = reference_from_wire("terms", {"Name": "Net 60", "Type": "STANDARD", "Active": False, "DueDays": 60,
                                         "Id": "4"})
    assert (term.name, term.active, term.kind, term.extra["due_days"]) == ("Net 60", False, "STANDARD", 60)
    account = reference_from_wire("accounts", {"Id": "35", "Name": "Checking", "FullyQualifiedName": "Checking",
                                               "AccountType": "Bank", "AccountSubType": "Checking",
                                               "Classification": "Asset", "Active": True})
    assert account.kind == "Bank" and account.extra["account_sub_type"] == "Checking"


def test_company_currency_from_preferences():
    body = {"Preferences": {"CurrencyPrefs": {"HomeCurrency": {"value": "cad"}, "MultiCurrencyEnabled": True}}}
    assert company_currency_from_preferences(body) == CompanyCurrency("CAD", True)
    assert company_currency_from_preferences({"Preferences": {}}) is None
