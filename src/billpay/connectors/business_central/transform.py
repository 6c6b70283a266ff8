"""billpay records <-> Business Central API v2.0 JSON.

Bills are purchase invoices created in one request (deep insert): the header (``vendorId``,
``vendorInvoiceNumber``, ``invoiceDate`` = ``postingDate``, ``dueDate``, ``currencyCode`` when not the
company's local currency, header ``dimensionSetLines``) and its lines:

- a comment line ``billpay:<bill id>`` (how billpay recognises its own invoice) and the memo as
  comment lines of at most 100 characters (the v2.0 header has no memo field);
- one ``Account`` line per bill line: ``accountId``, ``quantity`` 1 (−1 for a negative line, since
  BC wants a positive direct unit cost), ``unitCost``, ``description`` (cut to BC's 100 characters),
  and ``dimensionSetLines`` for the line's dimensions.

Dimensions: billpay's dimension codes are the company's BC dimension codes in lower case
(``department`` = ``DEPARTMENT``); values are dimension value ids. Reading maps them back the same
way, so one mapping serves push and pull.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Mapping

from billpay.connectors.base.errors import PAYLOAD_INVALID
from billpay.connectors.business_central import wire
from billpay.connectors.business_central.errors import PLATFORM
from billpay.sync.ports import BillLinePayload, BillPayload, ReferenceItem, RemoteBill

OPEN, PAID, DRAFT, CANCELED = "Open", "Paid", "Draft", "Canceled"
CLOSED_STATUSES = (PAID, CANCELED, "Corrective")


@dataclass(frozen=True)
class CompanyFacts:
    """What the connector read once from the company: local currency and dimension ids by code."""

    local_currency: str
    dimension_ids: Mapping[str, str]  # BC dimension code (upper case) -> dimension id


def _invalid(detail: str) -> Exception:
    return PAYLOAD_INVALID.error(platform=PLATFORM, detail=detail)


def dimension_lines(dimensions: Mapping[str, str], facts: CompanyFacts) -> list[dict]:
    out = []
    for code, value_id in sorted(dimensions.items()):
        if not value_id:
            continue
        dimension_id = facts.dimension_ids.get(code.upper())
        if dimension_id is None:
            raise _invalid(f"Business Central has no dimension {code.upper()} in this company")
        out.append({"id": dimension_id, "valueId": value_id})
    return out


def memo_lines(memo: str | None) -> list[str]:
    text = (memo or "").strip()
    size = wire.DESCRIPTION_LENGTH
    return [text[i:i + size] for i in range(0, min(len(text), size * wire.MEMO_LINES), size)]


def account_line(line: BillLinePayload, facts: CompanyFacts) -> dict:
    if not line.account_id:
        raise _invalid("every line needs a G/L account")
    negative = line.amount < 0
    body = {"lineType": "Account", "accountId": line.account_id, "quantity": -1 if negative else 1,
            "unitCost": -line.amount if negative else line.amount,
            "description": (line.description or "")[: wire.DESCRIPTION_LENGTH]}
    dims = dimension_lines(line.dimensions, facts)
    if dims:
        body["dimensionSetLines"] = dims
    return body


def bill_lines(payload: BillPayload, facts: CompanyFacts) -> list[dict]:
    if not payload.lines:
        raise _invalid("the bill has no lines")
    total = sum((line.amount for line in payload.lines), Decimal(0))
    if total != payload.amount:
        raise _invalid(f"the lines add up to {total}, not to the bill's amount {payload.amount}")
    if payload.amount < 0:
        raise _invalid("a bill with a negative total is a vendor credit, which billpay does not send to "
                       "Business Central as a purchase invoice")
    lines = [{"lineType": "Comment", "description": wire.marker(payload.bill_id)}]
    lines += [{"lineType": "Comment", "description": text} for text in memo_lines(payload.memo)]
    return lines + [account_line(line, facts) for line in payload.lines]


def bill_to_wire(payload: BillPayload, facts: CompanyFacts) -> dict:
    """The deep-insert body of ``POST purchaseInvoices``."""
    if not payload.invoice_number:
        raise _invalid("Business Central needs the vendor's invoice number to post a purchase invoice")
    if len(payload.invoice_number) > 35:
        raise _invalid("the invoice number is longer than the 35 characters Business Central keeps")
    body: dict = {"vendorId": payload.vendor_external_id, "vendorInvoiceNumber": payload.invoice_number,
                  "invoiceDate": payload.invoice_date.isoformat(), "postingDate": payload.invoice_date.isoformat(),
                  "dueDate": payload.due_date.isoformat()}
    if payload.currency and payload.currency.upper() != facts.local_currency.upper():
        body["currencyCode"] = payload.currency.upper()
    header_dims = dimension_lines(payload.dimensions, facts)
    if header_dims:
        body["dimensionSetLines"] = header_dims
    body["purchaseInvoiceLines"] = bill_lines(payload, facts)
    return body


def header_changes(payload: BillPayload, current: dict, facts: CompanyFacts) -> dict:
    """The header properties of a draft that differ from ``payload`` (what a PATCH must send)."""
    wanted = bill_to_wire(payload, facts)
    wanted.pop("purchaseInvoiceLines")
    wanted.pop("dimensionSetLines", None)
    wanted.setdefault("currencyCode", facts.local_currency)
    out = {}
    for name, value in wanted.items():
        have = current.get(name)
        if name == "vendorInvoiceNumber":
            same = str(have or "").upper() == str(value).upper()
        elif name == "vendorId":
            same = str(have or "").lower() == str(value).lower()
        else:
            same = have == value
        if not same:
            out[name] = value
    return out


# -- reading ------------------------------------------------------------------------------------------


def dimensions_from(lines: object) -> dict[str, str]:
    return {str(d.get("code", "")).lower(): str(d.get("valueId")) for d in (lines or []) if isinstance(d, dict)
            and d.get("code") and d.get("valueId")}


def is_ours(invoice: dict, bill_id: str) -> bool:
    return any(line.get("lineType") == "Comment" and line.get("description") == wire.marker(bill_id)
               for line in invoice.get("purchaseInvoiceLines") or [])


def billpay_marker(invoice: dict) -> str | None:
    for line in invoice.get("purchaseInvoiceLines") or []:
        text = str(line.get("description") or "")
        if line.get("lineType") == "Comment" and text.startswith(wire.MARKER_PREFIX):
            return text[len(wire.MARKER_PREFIX):]
    return None


def bill_from_wire(invoice: dict) -> RemoteBill:
    status = str(invoice.get("status") or "")
    total = wire.amount(invoice.get("totalAmountIncludingTax", 0))
    lines, memo = [], []
    for line in invoice.get("purchaseInvoiceLines") or []:
        if line.get("lineType") == "Comment":
            text = str(line.get("description") or "")
            if not text.startswith(wire.MARKER_PREFIX):
                memo.append(text)
            continue
        lines.append(BillLinePayload(
            amount=wire.amount(line.get("amountIncludingTax", 0)), description=line.get("description") or None,
            account_id=line.get("accountId") or None, dimensions=dimensions_from(line.get("dimensionSetLines"))))
    return RemoteBill(
        external_id=str(invoice["id"]), version=invoice.get("@odata.etag"),
        vendor_external_id=str(invoice.get("vendorId") or ""), invoice_number=invoice.get("vendorInvoiceNumber") or None,
        invoice_date=wire.parse_date(invoice.get("invoiceDate")), due_date=wire.parse_date(invoice.get("dueDate")),
        currency=str(invoice.get("currencyCode") or ""), amount=total,
        balance=Decimal("0") if status in CLOSED_STATUSES else total, lines=lines, memo="".join(memo) or None,
        dimensions=dimensions_from(invoice.get("dimensionSetLines")), deleted=status in (CANCELED, "Corrective"),
        updated_at=wire.parse_datetime(invoice.get("lastModifiedDateTime")), status=status)


def vendor_item(row: dict) -> ReferenceItem:
    return ReferenceItem(id=str(row["id"]), name=str(row.get("displayName") or row.get("number")),
                         active=(row.get("blocked") or " ").strip() == "", kind="vendors",
                         extra={"number": row.get("number"), "currency": row.get("currencyCode") or None,
                                "email": row.get("email") or None, "blocked": (row.get("blocked") or "").strip()})


def account_item(row: dict) -> ReferenceItem:
    usable = row.get("accountType") == "Posting" and bool(row.get("directPosting")) and not row.get("blocked")
    return ReferenceItem(id=str(row["id"]), name=f"{row.get('number')} {row.get('displayName')}".strip(),
                         active=usable, kind="accounts",
                         extra={"number": row.get("number"), "category": row.get("category"),
                                "sub_category": row.get("subCategory"), "account_type": row.get("accountType"),
                                "direct_posting": bool(row.get("directPosting")), "blocked": bool(row.get("blocked"))})


def terms_item(row: dict) -> ReferenceItem:
    return ReferenceItem(id=str(row["id"]), name=str(row.get("displayName") or row.get("code")), kind="terms",
                         extra={"code": row.get("code"), "due_date_calculation": row.get("dueDateCalculation")})


def dimension_value_item(row: dict, kind: str, dimension_code: str) -> ReferenceItem:
    return ReferenceItem(id=str(row["id"]), name=str(row.get("displayName") or row.get("code")), kind=kind,
                         extra={"code": row.get("code"), "dimension": dimension_code})
