"""Conformance of the optional abilities (``ports.ConnectorExtras``) for every connector whose plugin's
``Capabilities`` declare them: company settings read before money moves, vendors created once, vendor
credits written once and applied in a bill payment."""
from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest

from billpay.connectors import registry
from billpay.sync.ports import BillLinePayload, VendorCreditPayload, VendorPayload


def _caps(harness):
    return registry.get(harness.platform).capabilities


def test_company_info_names_what_the_company_accepts(harness, connector):
    if not hasattr(connector, "company_info"):
        pytest.skip(f"{harness.platform} does not read company settings")
    info = connector.company_info()
    assert info.home_currency == "USD"
    assert not info.currencies or "USD" in info.currencies
    assert info.closed_through is None or info.closed_through < harness.today


def test_a_vendor_is_created_once_per_key_and_listed(harness, connector):
    if not _caps(harness).create_vendors:
        pytest.skip(f"{harness.platform} does not create vendors")
    payload = VendorPayload(vendor_id="ven_ct1", name="Conformance Supplies 1", email="ar@conformance.example",
                            address={"line1": "1 Main St", "city": "Albany", "region": "NY", "postal_code": "12207",
                                     "country": "US"})
    first = connector.create_vendor(payload, "ven_ct1:create-vendor#0")
    again = connector.create_vendor(payload, "ven_ct1:create-vendor#0")
    assert first.id == again.id and first.name == "Conformance Supplies 1"
    listed = [v for v in connector.fetch_reference_data("vendors") if v.name == "Conformance Supplies 1"]
    assert [v.id for v in listed] == [first.id]


def test_a_vendor_credit_is_written_once_and_taken_off_a_bill_payment(harness, connector):
    if not _caps(harness).vendor_credits:
        pytest.skip(f"{harness.platform} has no vendor credits")
    bill = harness.bill_payload(7001, amount="100.00")
    (pushed,) = connector.push_bills([(f"{bill.bill_id}:create#0", bill)])
    ref = pushed.ref
    credit = VendorCreditPayload(credit_id="bill_cn1", vendor_external_id=bill.vendor_external_id,
                                 reference="CN-1", credit_date=harness.today, currency="USD", amount=Decimal("30.00"),
                                 lines=(BillLinePayload(Decimal("30.00"), "Returned goods",
                                                        account_id=harness.expense_account_id()),))
    (first,) = connector.push_vendor_credits([("bill_cn1:credit#0", credit)])
    (again,) = connector.push_vendor_credits([("bill_cn1:credit#0", credit)])
    assert first.error is None and again.error is None, (first.error, again.error)
    assert first.ref.external_id == again.ref.external_id
    payment = dataclasses.replace(harness.payment_payload(7001, bill, ref), vendor_credit_ids=(first.ref.external_id,))
    (paid,) = connector.push_bill_payments([("pay_7001:create#0", payment)])
    assert paid.error is None, paid.error
    remote = connector.read_bill(ref)
    assert remote.balance == Decimal("0")
