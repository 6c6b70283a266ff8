"""The sandbox's VendorCredit: created like a bill, applied in a BillPayment, balances kept."""

from __future__ import annotations

from decimal import Decimal

import pytest

from billpay.sandboxes.quickbooks import QBOFault

from .conftest import Company
from .test_qbo_state import make_bill


def make_credit(qbo: Company, amount: str = "30.00", vendor: dict | None = None) -> dict:
    vendor = vendor or qbo.first("Vendor")
    return qbo.state.create(qbo.realm, "VendorCredit", {
        "VendorRef": {"value": vendor["Id"]}, "DocNumber": "AV-1",
        "Line": [{"Amount": Decimal(amount), "DetailType": "AccountBasedExpenseLineDetail",
                  "AccountBasedExpenseLineDetail": {"AccountRef": {"value": qbo.account("Expense")["Id"]}}}]})


def pay_with_credit(qbo: Company, bill: dict, credit: dict, bill_amount: str, credit_amount: str) -> dict:
    return qbo.state.create(qbo.realm, "BillPayment", {
        "VendorRef": bill["VendorRef"], "PayType": "Check",
        "CheckPayment": {"BankAccountRef": {"value": qbo.account("Bank")["Id"]}},
        "TotalAmt": Decimal(bill_amount) - Decimal(credit_amount),
        "Line": [{"Amount": Decimal(bill_amount), "LinkedTxn": [{"TxnId": bill["Id"], "TxnType": "Bill"}]},
                 {"Amount": Decimal(credit_amount), "LinkedTxn": [{"TxnId": credit["Id"], "TxnType": "VendorCredit"}]}]})


def test_vendor_credit_applied_in_a_bill_payment_moves_both_balances(qbo):
    credit = make_credit(qbo, "30.00")
    assert credit["TotalAmt"] == Decimal("30.00") and credit["Balance"] == Decimal("30.00")
    bill = make_bill(qbo, "100.00")
    payment = pay_with_credit(qbo, bill, credit, "100.00", "30.00")
    assert payment["TotalAmt"] == Decimal("70.00")
    assert qbo.first("Bill", Id=bill["Id"])["Balance"] == Decimal("0")
    after = qbo.first("VendorCredit", Id=credit["Id"])
    assert after["Balance"] == Decimal("0") and after["LinkedTxn"][0]["TxnId"] == payment["Id"]
    voided = qbo.state.void(qbo.realm, "BillPayment", payment["Id"], payment["SyncToken"])
    assert voided["TotalAmt"] == Decimal("0")
    assert qbo.first("VendorCredit", Id=credit["Id"])["Balance"] == Decimal("30.00")


def test_a_credit_cannot_be_overdrawn_or_used_for_another_vendor(qbo):
    credit = make_credit(qbo, "30.00")
    bill = make_bill(qbo, "100.00")
    with pytest.raises(QBOFault):
        pay_with_credit(qbo, bill, credit, "100.00", "40.00")
    vendors = qbo.state.query(qbo.realm, "select * from Vendor")["Vendor"]
    other = make_credit(qbo, "10.00", vendor=vendors[1])
    with pytest.raises(QBOFault):
        pay_with_credit(qbo, bill, other, "100.00", "10.00")
    with pytest.raises(QBOFault):
        make_credit(qbo, "0.00")


def test_a_vendor_credit_is_in_its_vendors_currency_at_the_days_rate(qbo):
    """As a bill: a credit in another currency than its vendor's is refused; a foreign one carries the rate of its
    date and its home-currency amounts."""
    qbo.state.set_company_settings(qbo.realm, multicurrency=True)
    qbo.state.set_exchange_rate(qbo.realm, "EUR", "1.1000", as_of="2030-06-01")
    with pytest.raises(QBOFault, match="vendor's currency"):
        qbo.state.create(qbo.realm, "VendorCredit", {**_credit_body(qbo, qbo.first("Vendor")), "CurrencyRef": {"value": "EUR"}})
    eur = qbo.state.create(qbo.realm, "Vendor", {"DisplayName": "Rhône Fournitures", "CurrencyRef": {"value": "EUR"}})
    credit = qbo.state.create(qbo.realm, "VendorCredit", {**_credit_body(qbo, eur), "CurrencyRef": {"value": "EUR"},
                                                          "TxnDate": "2030-06-03"})
    assert credit["ExchangeRate"] == Decimal("1.1000") and credit["HomeTotalAmt"] == Decimal("33.00")


def _credit_body(qbo: Company, vendor: dict) -> dict:
    return {"VendorRef": {"value": vendor["Id"]}, "DocNumber": "AV-2",
            "Line": [{"Amount": Decimal("30.00"), "DetailType": "AccountBasedExpenseLineDetail",
                      "AccountBasedExpenseLineDetail": {"AccountRef": {"value": qbo.account("Expense")["Id"]}}}]}
