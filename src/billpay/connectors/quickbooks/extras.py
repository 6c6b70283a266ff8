"""The optional abilities of the QuickBooks connector (``ports.ConnectorExtras``).

``company_info``
    Home currency, multicurrency and the books' close date (``GET /preferences``),
    the company name (``GET /companyinfo/{realmId}``) and the active Bank accounts
    bill payments may be drawn from. Read by billpay before money moves, so what
    QuickBooks would refuse is said at Send to Payments.

``create_vendor``
    A Vendor with the DisplayName, e-mail and address billpay has, written with a ``requestid``
    from the idempotency key (a repeat is replayed, not created twice). A name QuickBooks already has
    (6240) is answered with that vendor only when it is exactly the same name; billpay then maps it.

``push_vendor_credits``
    Credit notes become VendorCredit records through ``/batch`` with a ``requestid``
    per batch, like bills (a re-send after a timeout is replayed, not executed twice).
    They are applied in the vendor's next BillPayment (``payment_to_wire``). After an unknown
    outcome, ``find_vendor_credit`` looks for the credit carrying ``billpay:<id>`` in its note (by vendor
    and number, then vendor and date) before anything is written again.
"""
from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Sequence

from ...sync.ports import (
    CompanyInfo,
    ConnectorError,
    ReferenceItem,
    RemoteRef,
    VendorCreditPayload,
    VendorPayload,
    WriteResult,
)
from ..base.idempotency import record_of, request_id
from . import faults, wire
from .transform import billpay_id_of, company_currency_from_preferences, reference_from_wire, vendor_credit_to_wire

if TYPE_CHECKING:  # pragma: no cover - typing only
    from .connector import QuickBooksConnector


def company_info(connector: "QuickBooksConnector") -> CompanyInfo:
    prefs = connector.client.get("preferences")
    company = company_currency_from_preferences(prefs) or connector.company_currency()
    accounting = ((prefs or {}).get("Preferences") or {}).get("AccountingInfoPrefs") or {}
    closed = accounting.get("BookCloseDate")
    info = connector.client.get(f"companyinfo/{connector.realm_id}")
    name = ((info or {}).get("CompanyInfo") or {}).get("CompanyName")
    banks = [a for a in connector.fetch_reference_data("accounts")
             if a.active and a.extra.get("account_type") == "Bank"]
    return CompanyInfo(home_currency=company.home,
                       # with multicurrency on, QuickBooks takes any currency it lists; billpay leaves that to the push
                       currencies=() if company.multicurrency else (company.home,),
                       closed_through=dt.date.fromisoformat(str(closed)[:10]) if closed else None,
                       bank_accounts=tuple(banks), name=name)


def push_vendor_credits(connector: "QuickBooksConnector",
                        items: Sequence[tuple[str, VendorCreditPayload]]) -> list[WriteResult]:
    try:
        company = connector.company_currency()
    except ConnectorError as error:
        return [WriteResult(key=key, error=error) for key, _ in items]

    def build(payload: object) -> dict:
        assert isinstance(payload, VendorCreditPayload)
        return vendor_credit_to_wire(payload, company, connector.rate_for(payload.currency, payload.exchange_rate,
                                                                          payload.credit_date))

    return connector.write_in_batches("VendorCredit", items, build)


def find_vendor_credit(connector: "QuickBooksConnector", idempotency_key: str,
                       payload: VendorCreditPayload) -> RemoteRef | None:
    credit_id = record_of(idempotency_key)
    vendor = wire.quote(payload.vendor_external_id)
    searches = [f"VendorRef = {vendor} AND TxnDate = {wire.quote(payload.credit_date.isoformat())}"]
    if payload.reference:
        searches.insert(0, f"VendorRef = {vendor} AND DocNumber = {wire.quote(payload.reference)}")
    for where in searches:
        for row in connector.client.query_pages("VendorCredit", where):
            if billpay_id_of(row) == credit_id:
                token = row.get("SyncToken")
                return RemoteRef(str(row["Id"]), None if token is None else str(token))
    return None


def create_vendor(connector: "QuickBooksConnector", payload: VendorPayload, idempotency_key: str) -> ReferenceItem:
    name = payload.name.strip()[:500]
    body: dict = {"DisplayName": name, "CompanyName": name}
    if payload.email:
        body["PrimaryEmailAddr"] = {"Address": payload.email}
    a = payload.address or {}
    if any(a.values()):
        body["BillAddr"] = {k: v for k, v in {"Line1": a.get("line1"), "Line2": a.get("line2"), "City": a.get("city"),
                                              "CountrySubDivisionCode": a.get("region") or a.get("state"),
                                              "PostalCode": a.get("postal_code"), "Country": a.get("country")}.items()
                            if v}
    if payload.tax_id:
        body["TaxIdentifier"] = payload.tax_id
    try:
        answer = connector.client.post("vendor", body, requestid=request_id(idempotency_key))
    except ConnectorError as error:
        if error.code != faults.DUPLICATE_NAME.code:
            raise
        for row in connector.client.query_all("Vendor", f"DisplayName = {wire.quote(name)}"):
            if str(row.get("DisplayName", "")).strip().lower() == name.lower():
                return reference_from_wire("vendors", row)
        raise
    return reference_from_wire("vendors", answer.get("Vendor") or {})
