"""billpay records <-> Intacct objects, both ways.

AP bill (``APBILL``):

| billpay | Intacct |
|---|---|
| vendor | ``VENDORID`` |
| invoice number | ``RECORDID`` (bill number, at most 45 characters) |
| billpay's id | ``DOCNUMBER`` (reference number) = ``billpay:<bill id>``: the record's own key for ``find_bill`` |
| invoice / due date | ``WHENCREATED`` / ``WHENDUE`` (``mm/dd/yyyy``) |
| terms | ``TERMNAME`` |
| memo | ``DESCRIPTION`` |
| currency | ``CURRENCY``; outside the entity's base currency ``EXCHANGE_RATE`` or the Intacct Daily Rate |
| line amount, description, G/L account | ``TRX_AMOUNT``, ``ENTRYDESCRIPTION``, ``ACCOUNTNO`` |
| line dimensions | ``DEPARTMENTID``, ``LOCATIONID``, ``CLASSID``, ``PROJECTID``, ``GLDIM<NAME>`` (custom) |

A line without a location gets the connection's entity, so a bill always lands in
the entity billpay signed in to. Pulled bills come back the same way; amounts
are the transaction-currency totals (``TRX_TOTALENTERED``, ``TRX_TOTALDUE``).

AP payment (``APPYMT``): ``FINANCIALENTITY`` (the checking account chosen per
currency), ``PAYMENTMETHOD``, ``VENDORID``, ``PAYMENTDATE``, ``CURRENCY``,
``DOCNUMBER`` = ``billpay:<payment id>``, one ``APPYMTDETAIL`` per bill
(``RECORDKEY`` = the bill's ``RECORDNO``, ``TRX_PAYMENTAMOUNT``).
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any, Mapping

from billpay.connectors.base import xmlcodec
from billpay.connectors.base.errors import PAYLOAD_INVALID
from billpay.connectors.intacct import wire
from billpay.connectors.intacct.errors import PLATFORM
from billpay.sync.ports import (
    BillLinePayload,
    BillPayload,
    BillPaymentPayload,
    ConnectorError,
    ReferenceItem,
    RemoteBill,
)

MARKER = "billpay:"
MAX_RECORD_ID = 45
DAILY_RATE = "Intacct Daily Rate"
#: Standard dimensions: billpay code -> line field.
LINE_DIMENSIONS = {"department": "DEPARTMENTID", "location": "LOCATIONID", "class": "CLASSID", "project": "PROJECTID"}
#: billpay method -> Intacct PAYMENTMETHOD for a payment billpay already made (a record, not a print run).
PAYMENT_METHODS = {"ach": "EFT", "wire": "EFT", "check": "Cash"}

BILL_FIELDS = ("RECORDNO", "RECORDID", "DOCNUMBER", "VENDORID", "WHENCREATED", "WHENDUE", "TERMNAME", "DESCRIPTION",
               "CURRENCY", "BASECURR", "TRX_TOTALENTERED", "TRX_TOTALPAID", "TRX_TOTALDUE", "STATE", "WHENMODIFIED",
               "MEGAENTITYID")
LINE_FIELDS = ("RECORDNO", "RECORDKEY", "LINE_NO", "ACCOUNTNO", "TRX_AMOUNT", "ENTRYDESCRIPTION", "DEPARTMENTID",
               "LOCATIONID", "CLASSID", "PROJECTID")


def marker(record_id: str) -> str:
    return f"{MARKER}{record_id}"


def is_marker(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(MARKER)


def _invalid(detail: str) -> ConnectorError:
    return PAYLOAD_INVALID.error(platform=PLATFORM, detail=detail)


def check_bill(payload: BillPayload) -> None:
    if not payload.lines:
        raise _invalid("the bill has no lines")
    if sum((line.amount for line in payload.lines), Decimal("0")) != payload.amount:
        raise _invalid("the lines do not add up to the bill's amount")
    if any(not line.account_id for line in payload.lines):
        raise _invalid("every line needs a GL account")
    if len(payload.invoice_number or "") > MAX_RECORD_ID:
        raise _invalid(f"Sage Intacct bill numbers hold at most {MAX_RECORD_ID} characters")
    if len(marker(payload.bill_id)) > MAX_RECORD_ID:
        raise _invalid("the bill's id is too long for Sage Intacct's reference number")


def bill_to_wire(payload: BillPayload, *, entity_id: str | None, home_currency: str | None,
                 custom_dimensions: Mapping[str, str]) -> dict:
    """The ``APBILL`` element's content for a create; ``custom_dimensions``: billpay code -> ``GLDIM`` field."""
    check_bill(payload)
    values: dict[str, Any] = {
        "WHENCREATED": payload.invoice_date, "VENDORID": payload.vendor_external_id,
        "RECORDID": payload.invoice_number or None, "DOCNUMBER": marker(payload.bill_id),
        "DESCRIPTION": payload.memo or None, "WHENDUE": payload.due_date,
    }
    if payload.terms_external_id:
        values["TERMNAME"] = payload.terms_external_id
    values["CURRENCY"] = payload.currency
    if home_currency and payload.currency != home_currency:
        if payload.exchange_rate:
            values["EXCHANGE_RATE"] = payload.exchange_rate
        else:
            values["EXCH_RATE_DATE"] = payload.invoice_date
            values["EXCH_RATE_TYPE_ID"] = DAILY_RATE
    values["APBILLITEMS"] = {"APBILLITEM": [
        _line(line, payload, entity_id, custom_dimensions) for line in payload.lines]}
    return {k: v for k, v in values.items() if v is not None}


def _line(line: BillLinePayload, bill: BillPayload, entity_id: str | None, custom: Mapping[str, str]) -> dict:
    dims = {**dict(bill.dimensions), **dict(line.dimensions)}
    out: dict[str, Any] = {"ACCOUNTNO": line.account_id, "TRX_AMOUNT": line.amount,
                           "ENTRYDESCRIPTION": line.description or None}
    if not dims.get("location") and entity_id:
        dims["location"] = entity_id
    for code, value in dims.items():
        if not value:
            continue
        name = LINE_DIMENSIONS.get(code) or custom.get(code)
        if name is None:
            raise ConnectorError(
                "platform_dimension_unknown",
                f"Sage Intacct has no dimension '{code}' in this company; remove it from the AP bill or define it "
                "in Sage Intacct (Platform Services > user-defined dimensions).", kind="config")
        out[name] = value
    return {k: v for k, v in out.items() if v is not None}


def bill_from_wire(record: Mapping[str, Any], lines: list[Mapping[str, Any]] | None = None,
                   custom_fields: Mapping[str, str] | None = None) -> RemoteBill:
    """A bill from a ``query``/``read`` record; ``lines`` are its ``APBILLITEM`` rows (or the read's own)."""
    if lines is None:
        held = record.get("APBILLITEMS")
        items = held.get("apbillitem") if isinstance(held, dict) else None
        lines = items if isinstance(items, list) else ([items] if isinstance(items, dict) else [])
    fields = {v: k for k, v in (custom_fields or {}).items()}
    ordered = sorted(lines, key=lambda r: (_int(r.get("LINE_NO")), _int(r.get("RECORDNO"))))
    amount = wire.parse_amount(record.get("TRX_TOTALENTERED")) or Decimal("0")
    due = wire.parse_amount(record.get("TRX_TOTALDUE"))
    modified = record.get("WHENMODIFIED") or None
    return RemoteBill(
        external_id=str(record.get("RECORDNO")), version=modified,
        vendor_external_id=str(record.get("VENDORID") or ""), invoice_number=record.get("RECORDID") or None,
        invoice_date=wire.parse_date(record.get("WHENCREATED")), due_date=wire.parse_date(record.get("WHENDUE")),
        currency=str(record.get("CURRENCY") or record.get("BASECURR") or ""), amount=amount,
        balance=due if due is not None else amount, lines=[_line_from(r, fields) for r in ordered],
        memo=record.get("DESCRIPTION") or None, terms_external_id=record.get("TERMNAME") or None,
        updated_at=wire.parse_timestamp(modified), status=record.get("STATE") or None)


def _line_from(row: Mapping[str, Any], custom: Mapping[str, str]) -> BillLinePayload:
    dims = {code: str(row[name]) for code, name in LINE_DIMENSIONS.items() if row.get(name)}
    dims.update({code: str(row[name]) for name, code in custom.items() if row.get(name)})
    return BillLinePayload(amount=wire.parse_amount(row.get("TRX_AMOUNT")) or Decimal("0"),
                           description=row.get("ENTRYDESCRIPTION") or None, account_id=row.get("ACCOUNTNO") or None,
                           dimensions=dims)


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def payment_to_wire(payload: BillPaymentPayload, *, bank_account_id: str, methods: Mapping[str, str]) -> dict:
    if payload.amount <= 0:
        raise _invalid("the payment amount must be positive")
    method = methods.get(payload.method) or PAYMENT_METHODS.get(payload.method)
    if method is None:
        raise _invalid(f"billpay does not know how to record a '{payload.method}' payment in Sage Intacct")
    values: dict[str, Any] = {
        "FINANCIALENTITY": bank_account_id, "PAYMENTMETHOD": method, "VENDORID": payload.vendor_external_id,
        "PAYMENTDATE": payload.pay_date, "CURRENCY": payload.currency, "DOCNUMBER": marker(payload.payment_id),
        "DESCRIPTION": payload.memo or None,
        "APPYMTDETAILS": {"APPYMTDETAIL": [{"RECORDKEY": payload.bill_external_id,
                                            "TRX_PAYMENTAMOUNT": payload.amount}]},
    }
    if payload.exchange_rate:
        values["EXCHANGE_RATE"] = payload.exchange_rate
    return {k: v for k, v in values.items() if v is not None}


# -- reference data -----------------------------------------------------------------------------------------


REFERENCE_QUERIES: dict[str, tuple[str, tuple[str, ...], str, str]] = {
    # kind: (object, fields, id field, name field)
    "vendors": ("VENDOR", ("RECORDNO", "VENDORID", "NAME", "STATUS", "TERMNAME", "CURRENCY",
                           "DISPLAYCONTACT.EMAIL1"), "VENDORID", "NAME"),
    "accounts": ("GLACCOUNT", ("RECORDNO", "ACCOUNTNO", "TITLE", "STATUS", "ACCOUNTTYPE", "NORMALBALANCE",
                               "CATEGORY"), "ACCOUNTNO", "TITLE"),
    "terms": ("APTERM", ("RECORDNO", "NAME", "DESCRIPTION", "STATUS", "DUEDATE"), "NAME", "NAME"),
    "departments": ("DEPARTMENT", ("RECORDNO", "DEPARTMENTID", "TITLE", "STATUS", "PARENTID"), "DEPARTMENTID",
                    "TITLE"),
    "locations": ("LOCATION", ("RECORDNO", "LOCATIONID", "NAME", "STATUS", "PARENTID", "CURRENCY"), "LOCATIONID",
                  "NAME"),
    "classes": ("CLASS", ("RECORDNO", "CLASSID", "NAME", "STATUS", "PARENTID"), "CLASSID", "NAME"),
    "projects": ("PROJECT", ("RECORDNO", "PROJECTID", "NAME", "STATUS", "LOCATIONID"), "PROJECTID", "NAME"),
    "bank_accounts": ("CHECKINGACCOUNT", ("RECORDNO", "BANKACCOUNTID", "BANKNAME", "STATUS", "CURRENCY",
                                          "LOCATIONID", "GLACCOUNTNO"), "BANKACCOUNTID", "BANKNAME"),
    "entities": ("LOCATIONENTITY", ("RECORDNO", "LOCATIONID", "NAME", "CURRENCY", "STATUS"), "LOCATIONID", "NAME"),
}
_EXTRA = {"TERMNAME": "terms", "CURRENCY": "currency", "DISPLAYCONTACT.EMAIL1": "email", "ACCOUNTTYPE": "account_type",
          "NORMALBALANCE": "normal_balance", "CATEGORY": "category", "DUEDATE": "due_days", "PARENTID": "parent",
          "LOCATIONID": "location", "GLACCOUNTNO": "gl_account", "ACCOUNTNO": "number", "DESCRIPTION": "description"}


def reference_from_wire(kind: str, row: Mapping[str, Any], id_field: str, name_field: str) -> ReferenceItem:
    extra = {}
    for name, value in row.items():
        if name in _EXTRA and value not in (None, "", {}):
            extra[_EXTRA[name]] = value
        elif name == "DISPLAYCONTACT" and isinstance(value, dict) and value.get("EMAIL1"):
            extra["email"] = value["EMAIL1"]
    email = row.get("DISPLAYCONTACT.EMAIL1")
    if email:
        extra["email"] = email
    return ReferenceItem(id=str(row.get(id_field) or ""), name=str(row.get(name_field) or row.get(id_field) or ""),
                         active=str(row.get("STATUS") or "active").lower() != "inactive", kind=kind, extra=extra)



def custom_dimensions(result: wire.Result) -> dict[str, str]:
    """``getDimensions`` -> the user-defined dimensions as billpay code (lower case) -> line field ``GLDIM<NAME>``."""
    found = {}
    for dimension in xmlcodec.children(result.data.find("dimensions") if result.data is not None else None):
        name = xmlcodec.text(dimension, "objectName") or ""
        if name and (xmlcodec.text(dimension, "userDefinedDimension") or "").lower() == "true":
            found[name.lower()] = f"GLDIM{name}"
    return found
