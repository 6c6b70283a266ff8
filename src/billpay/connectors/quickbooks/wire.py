"""QuickBooks Online Accounting API v3 payload shapes, as documented by Intuit.

Field names are the JSON names of Intuit's XSDs (``Finance.xsd``); only the
fields billpay reads or writes are listed. Amounts are ``Decimal`` (bodies are
parsed with ``codec.loads``). The helpers at the bottom unwrap the response
envelopes: query, batch, CDC and the two fault shapes (``Fault`` and the
lower-case ``fault`` of authentication failures).
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Iterator, TypedDict

# -- limits and names ---------------------------------------------------------
PAGE_SIZE = 1000  # MAXRESULTS cap
BATCH_SIZE = 30  # recommended maximum payloads per /batch request
CDC_WINDOW = dt.timedelta(days=30)  # CDC look-back limit
CDC_MAX_OBJECTS = 1000  # objects per CDC response
DOC_NUMBER_MAX = 21
PRIVATE_NOTE_MAX = 4000
DESCRIPTION_MAX = 4000

ENTITY_FOR_KIND = {
    "vendors": "Vendor",
    "accounts": "Account",
    "classes": "Class",
    "departments": "Department",
    "terms": "Term",
}

ACCOUNT_BASED = "AccountBasedExpenseLineDetail"
ITEM_BASED = "ItemBasedExpenseLineDetail"


class Ref(TypedDict, total=False):
    value: str
    name: str


class MetaData(TypedDict, total=False):
    CreateTime: str
    LastUpdatedTime: str


class AccountBasedExpenseLineDetail(TypedDict, total=False):
    AccountRef: Ref
    ClassRef: Ref
    CustomerRef: Ref
    TaxCodeRef: Ref
    BillableStatus: str


class ItemBasedExpenseLineDetail(TypedDict, total=False):
    ItemRef: Ref
    ClassRef: Ref
    Qty: Decimal
    UnitPrice: Decimal


class BillLine(TypedDict, total=False):
    Id: str
    LineNum: int
    Description: str
    Amount: Decimal
    DetailType: str
    AccountBasedExpenseLineDetail: AccountBasedExpenseLineDetail
    ItemBasedExpenseLineDetail: ItemBasedExpenseLineDetail


class LinkedTxn(TypedDict, total=False):
    TxnId: str
    TxnType: str  # "Bill" on payment lines; "BillPaymentCheck" on a paid bill


class TxnTaxDetail(TypedDict, total=False):
    TotalTax: Decimal


class Bill(TypedDict, total=False):
    Id: str
    SyncToken: str
    sparse: bool
    status: str  # "Deleted" in delete responses and CDC
    domain: str
    VendorRef: Ref
    APAccountRef: Ref
    DocNumber: str
    TxnDate: str
    DueDate: str
    SalesTermRef: Ref
    DepartmentRef: Ref
    CurrencyRef: Ref
    ExchangeRate: Decimal
    PrivateNote: str
    Line: list[BillLine]
    LinkedTxn: list[LinkedTxn]
    TxnTaxDetail: TxnTaxDetail
    TotalAmt: Decimal
    Balance: Decimal
    MetaData: MetaData


class PaymentLine(TypedDict, total=False):
    Amount: Decimal
    LinkedTxn: list[LinkedTxn]


class CheckPayment(TypedDict, total=False):
    BankAccountRef: Ref
    PrintStatus: str  # NotSet | NeedToPrint | PrintComplete


class BillPayment(TypedDict, total=False):
    Id: str
    SyncToken: str
    VendorRef: Ref
    PayType: str  # Check | CreditCard
    CheckPayment: CheckPayment
    TotalAmt: Decimal
    TxnDate: str
    DocNumber: str
    PrivateNote: str
    CurrencyRef: Ref
    ExchangeRate: Decimal
    Line: list[PaymentLine]
    MetaData: MetaData


class FaultError(TypedDict, total=False):
    Message: str
    Detail: str
    code: str
    element: str


class Fault(TypedDict, total=False):
    Error: list[FaultError]
    type: str


class BatchItemRequest(TypedDict, total=False):
    bId: str
    operation: str  # create | update | delete
    Bill: Bill
    BillPayment: BillPayment
    Query: str


# -- envelope helpers -----------------------------------------------------------


def fault_of(body: Any) -> Fault | None:
    """The fault in a response or batch item, normalised to ``{"Error": [...], "type"}``.

    Authentication failures use a lower-case shape
    (``{"fault": {"error": [{"message", "detail", "code"}], "type"}}``); both
    are returned with Intuit's usual capitalised keys.
    """
    if not isinstance(body, dict):
        return None
    fault = body.get("Fault")
    if isinstance(fault, dict):
        errors = fault.get("Error") or []
        return {"Error": [e for e in errors if isinstance(e, dict)], "type": fault.get("type", "")}
    fault = body.get("fault")
    if isinstance(fault, dict):
        errors = []
        for item in fault.get("error") or []:
            if isinstance(item, dict):
                errors.append({
                    "Message": item.get("message", ""),
                    "Detail": item.get("detail", ""),
                    "code": str(item.get("code", "")),
                    "element": item.get("element") or "",
                })
        return {"Error": errors, "type": fault.get("type", "")}
    return None


def query_entities(body: Any, entity: str) -> list[dict]:
    """Rows of ``entity`` in a query response; ``{"QueryResponse": {}}`` means none."""
    response = body.get("QueryResponse") if isinstance(body, dict) else None
    if not isinstance(response, dict):
        return []
    rows = response.get(entity)
    return [row for row in rows if isinstance(row, dict)] if isinstance(rows, list) else []


def cdc_entities(body: Any, entity: str) -> list[dict]:
    """Objects of ``entity`` in a CDC response (active ones and ``status: Deleted`` tombstones)."""
    rows: list[dict] = []
    for block in body.get("CDCResponse") or [] if isinstance(body, dict) else []:
        if not isinstance(block, dict):
            continue
        for response in block.get("QueryResponse") or []:
            if isinstance(response, dict) and isinstance(response.get(entity), list):
                rows.extend(row for row in response[entity] if isinstance(row, dict))
    return rows


def batch_items(body: Any) -> Iterator[dict]:
    """Items of a batch response, each ``{"bId", <Entity> | "Fault" | "QueryResponse"}``."""
    items = body.get("BatchItemResponse") if isinstance(body, dict) else None
    for item in items or []:
        if isinstance(item, dict):
            yield item


def server_time(body: Any) -> dt.datetime | None:
    """The response's top-level ``time`` (ISO 8601 with offset, or epoch milliseconds)."""
    value = body.get("time") if isinstance(body, dict) else None
    return parse_datetime(value)


def parse_datetime(value: Any) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return dt.datetime.fromtimestamp(int(value) / 1000, dt.timezone.utc)
    if not isinstance(value, str) or not value:
        return None
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)


def format_datetime(value: dt.datetime) -> str:
    """ISO 8601 with an explicit offset, seconds precision, as QuickBooks accepts."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.isoformat(timespec="seconds")


def quote(value: str) -> str:
    """A string literal for the QuickBooks query language (backslash-escaped quotes)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
