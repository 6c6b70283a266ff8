"""Posting: invoices and credit memos into the vendor ledger, vendor payment journals into payments.

What a simulator must model (reference B4, codeunit 5529 "Purch. Inv. Aggregator"):

- ``purchaseInvoices({id})/Microsoft.NAV.post`` (drafts only) keeps the invoice's ``id``, gives it
  its posted ``number``, writes a vendor ledger entry and G/L entries; the invoice is **Open**.
  BC refuses to post an invoice without a vendor invoice number ("Ext. Doc. No. Mandatory"), a
  second posted invoice with the same vendor invoice number for the vendor, a posting date outside
  the allowed range, a vendor blocked for all documents, and an invoice with nothing to post;
- the status of a posted invoice is recomputed from its vendor ledger entry: **Paid** once the
  entry is closed (fully applied), **Canceled** once a corrective credit memo for its whole amount
  was posted against it (``invoiceId``), otherwise **Open** (a partly paid invoice stays Open);
- a vendor payment journal line (``vendorPayments``) with ``appliesToInvoiceId`` is applied to
  that invoice's entry when its journal is posted (``journals({id})/Microsoft.NAV.post``: every
  line of the batch, all or nothing, "There is nothing to post." when empty); the journal's
  balancing account takes the other side; posted lines leave the journal and remain as G/L entries
  (``generalLedgerEntries``) under their ``documentNumber``.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from . import documents as docs
from . import errors
from .company import Company
from .documents import DRAFT, money, typed_body

PAYABLES_ACCOUNT = "20100"


def _check_posting_date(c: Company, posting_date: date) -> None:
    low, high = c.settings.get("allow_posting_from"), c.settings.get("allow_posting_to")
    if (low and posting_date < low) or (high and posting_date > high):
        raise errors.dialog("Posting Date is not within your range of allowed posting dates.")


def _gl_entry(c: Company, now: datetime, *, posting_date: date, document_number: str, document_type: str,
              account: dict, debit: Decimal, credit: Decimal, description: str, external: str = "") -> None:
    number = c.next_number("gl_entry", 1)
    c.insert("generalLedgerEntries", {
        "entryNumber": number, "postingDate": posting_date, "documentNumber": document_number,
        "documentType": document_type, "externalDocumentNumber": external, "accountId": account["id"],
        "accountNumber": account["number"], "description": description[:100], "debitAmount": money(debit),
        "creditAmount": money(credit)}, now)


def _payables(c: Company) -> dict:
    account = c.find("accounts", number=PAYABLES_ACCOUNT)
    if account is None:
        raise errors.dialog("Payables Account must have a value in Vendor Posting Group: Code=DOMESTIC.")
    return account


def _owe(c: Company, vendor_id: str, delta: Decimal) -> None:
    """Move the vendor's ``balance`` (what the company owes it) by ``delta``."""
    vendor = c.get("vendors", vendor_id)
    if vendor is not None:
        vendor["balance"] = money((vendor.get("balance") or Decimal(0)) + delta)


# -- invoices -------------------------------------------------------------------------------------


def post_invoice(c: Company, invoice: dict, now: datetime) -> None:
    if invoice.get("status") != DRAFT:
        raise errors.dialog("The action can be applied to a draft invoice only.")
    vendor = c.require("vendors", invoice["vendorId"])
    if not invoice.get("vendorInvoiceNumber"):
        raise errors.dialog(
            "You need to enter the document number of the document from the vendor in the Vendor Invoice No. "
            "field, so that this document stays linked to the original."
        )
    docs.check_not_blocked(vendor, "post")
    lines = c.children("purchaseInvoiceLines", invoice["id"])
    postable = [ln for ln in lines if ln["lineType"] != "Comment" and ln.get("quantity")]
    if not postable:
        raise errors.dialog("There is nothing to post.")
    for line in postable:
        docs.check_account(c.require("accounts", line["accountId"], caption="G/L Account"))
    _check_posting_date(c, invoice["postingDate"])
    number_key = (invoice["vendorId"], invoice["vendorInvoiceNumber"])
    if c.posted_numbers.get(number_key, invoice["id"]) != invoice["id"]:
        raise errors.dialog(f"Purchase Invoice {invoice['vendorInvoiceNumber']} already exists for this vendor.")
    docs.recompute_totals(c, "purchaseInvoices", invoice)
    total = invoice["totalAmountIncludingTax"]
    posted_number = str(c.next_number("purchaseInvoices:posted", 108001))
    invoice.update(number=posted_number, status="Open", _posted=True, _posted_at=now)
    c.posted_numbers[number_key] = invoice["id"]
    c.insert("vendorLedgerEntries", {
        "id": invoice["id"], "documentType": "Invoice", "documentNumber": posted_number,
        "externalDocumentNumber": invoice["vendorInvoiceNumber"], "vendorId": vendor["id"],
        "amount": total, "remaining": total, "open": total > 0, "dueDate": invoice["dueDate"]}, now)
    for line in postable:
        account = c.require("accounts", line["accountId"])
        _gl_entry(c, now, posting_date=invoice["postingDate"], document_number=posted_number, document_type="Invoice",
                  account=account, debit=line["amountExcludingTax"], credit=Decimal(0),
                  description=line.get("description") or "", external=invoice["vendorInvoiceNumber"])
    _gl_entry(c, now, posting_date=invoice["postingDate"], document_number=posted_number, document_type="Invoice",
              account=_payables(c), debit=Decimal(0), credit=total, description=f"Invoice {posted_number}",
              external=invoice["vendorInvoiceNumber"])
    if total <= 0:
        invoice["status"] = "Paid"
    for line in lines:
        c.touch("purchaseInvoiceLines", line["_key"], now)
    c.touch("purchaseInvoices", invoice["_key"], now)
    _owe(c, vendor["id"], total)


def _apply_to_invoice(c: Company, invoice: dict, amount: Decimal, now: datetime) -> Decimal:
    """Apply ``amount`` to the invoice's open entry; returns what was applied."""
    entry = c.get("vendorLedgerEntries", invoice["id"])
    if entry is None or not entry["open"]:
        return Decimal(0)
    applied = min(amount, entry["remaining"])
    entry["remaining"] = money(entry["remaining"] - applied)
    entry["open"] = entry["remaining"] > 0
    c.touch("vendorLedgerEntries", entry["_key"], now)
    if not entry["open"] and invoice.get("status") == "Open":
        invoice["status"] = "Paid"
    c.touch("purchaseInvoices", invoice["_key"], now)
    _owe(c, invoice["vendorId"], -applied)
    return applied


# -- credit memos -----------------------------------------------------------------------------------


def post_credit_memo(c: Company, memo: dict, now: datetime) -> None:
    if memo.get("status") != DRAFT:
        raise errors.dialog("The action can be applied to a draft credit memo only.")
    vendor = c.require("vendors", memo["vendorId"])
    docs.check_not_blocked(vendor, "post")
    lines = c.children("purchaseCreditMemoLines", memo["id"])
    postable = [ln for ln in lines if ln["lineType"] != "Comment" and ln.get("quantity")]
    if not postable:
        raise errors.dialog("There is nothing to post.")
    _check_posting_date(c, memo["postingDate"])
    docs.recompute_totals(c, "purchaseCreditMemos", memo)
    total = memo["totalAmountIncludingTax"]
    number = str(c.next_number("purchaseCreditMemos:posted", 109001))
    memo.update(number=number, status="Open", _posted=True)
    invoice = c.get("purchaseInvoices", memo.get("invoiceId")) if memo.get("invoiceId") else None
    for line in postable:
        _gl_entry(c, now, posting_date=memo["postingDate"], document_number=number, document_type="Credit Memo",
                  account=c.require("accounts", line["accountId"]), debit=Decimal(0),
                  credit=line["amountExcludingTax"], description=line.get("description") or "")
    _gl_entry(c, now, posting_date=memo["postingDate"], document_number=number, document_type="Credit Memo",
              account=_payables(c), debit=total, credit=Decimal(0), description=f"Credit memo {number}")
    remaining = total
    if invoice is not None:
        entry = c.get("vendorLedgerEntries", invoice["id"])
        untouched = entry is not None and entry["open"] and entry["remaining"] == entry["amount"]
        remaining -= _apply_to_invoice(c, invoice, total, now)
        if untouched and total == entry["amount"] and not entry["open"]:
            invoice["status"] = "Canceled"
            c.posted_numbers.pop((invoice["vendorId"], invoice.get("vendorInvoiceNumber")), None)
            memo["status"] = "Corrective"
            c.touch("purchaseInvoices", invoice["_key"], now)
    c.insert("vendorLedgerEntries", {
        "id": memo["id"], "documentType": "Credit Memo", "documentNumber": number, "externalDocumentNumber": "",
        "vendorId": vendor["id"], "amount": -total, "remaining": -remaining, "open": remaining > 0,
        "dueDate": memo["dueDate"]}, now)
    if remaining <= 0 and memo["status"] == "Open":
        memo["status"] = "Paid"
    c.touch("purchaseCreditMemos", memo["_key"], now)
    _owe(c, vendor["id"], -remaining)


def cancel_invoice(c: Company, invoice: dict, now: datetime, today: date) -> dict:
    """What BC's "Cancel" on a posted purchase invoice does: a corrective credit memo, posted."""
    if not invoice.get("_posted") or invoice.get("status") != "Open":
        raise errors.dialog("You can only cancel a posted invoice that is open and not paid.")
    entry = c.get("vendorLedgerEntries", invoice["id"])
    if entry is None or entry["remaining"] != entry["amount"]:
        raise errors.dialog("You cannot cancel this posted purchase invoice because it is fully or partially paid.")
    memo = docs.create_document(c, "purchaseCreditMemos", {
        "vendorId": invoice["vendorId"], "invoiceId": invoice["id"], "creditMemoDate": today.isoformat(),
        "postingDate": invoice["postingDate"].isoformat()}, now, today)
    docs.copy_lines_as(c, "purchaseInvoices", invoice, "purchaseCreditMemos", memo, now)
    post_credit_memo(c, memo, now)
    return memo


# -- vendor payment journals -----------------------------------------------------------------------


def create_payment(c: Company, journal: dict | None, body: Any, now: datetime, today: date) -> dict:
    values, nested = typed_body("vendorPayments", body, creating=True, nested=("dimensionSetLines",))
    if journal is None:
        if values.get("journalId") in (None, "00000000-0000-0000-0000-000000000000"):
            raise errors.dialog("You must specify a journal batch ID or a journal ID to get a journal line.")
        journal = c.require("journals", values["journalId"])
    lines = c.children("vendorPayments", journal["id"])
    record: dict[str, Any] = {"journalId": journal["id"], "journalDisplayName": journal["code"],
                              "postingDate": today, "amount": Decimal(0), "description": "", "comment": "",
                              "externalDocumentNumber": ""}
    record.update({k: v for k, v in values.items() if k != "journalId"})
    record["lineNumber"] = values.get("lineNumber") or max((ln["lineNumber"] for ln in lines), default=0) + 10000
    if not record.get("documentNumber"):
        record["documentNumber"] = f"G{c.next_number('payment_document', 1):05d}"
    _resolve_applies_to(c, record, values)
    vendor = docs.resolve_vendor(c, {k: record.get(k) for k in ("vendorId", "vendorNumber")})
    if vendor is not None:
        record["vendorId"], record["vendorNumber"] = vendor["id"], vendor["number"]
        if not record["description"]:
            record["description"] = vendor["displayName"]
    line = c.insert("vendorPayments", record, now)
    for dim in nested.get("dimensionSetLines", []):
        docs.upsert_dimension(c, "vendorPayments", line, dim, now)
    c.touch("journals", journal["_key"], now)
    return line


def patch_payment(c: Company, line: dict, body: Any, now: datetime) -> dict:
    values, _ = typed_body("vendorPayments", body, creating=False)
    if "journalId" in values and values["journalId"] != line["journalId"]:
        raise errors.dialog("You cannot move a journal line to another journal.")
    line.update(values)
    if "appliesToInvoiceId" in values or "appliesToInvoiceNumber" in values:
        _resolve_applies_to(c, line, values)
    if "vendorId" in values or "vendorNumber" in values:
        vendor = docs.resolve_vendor(c, values)
        if vendor is not None:
            line["vendorId"], line["vendorNumber"] = vendor["id"], vendor["number"]
    c.touch("vendorPayments", line["_key"], now)
    return line


def _resolve_applies_to(c: Company, record: dict, values: dict) -> None:
    invoice_id, number = values.get("appliesToInvoiceId"), values.get("appliesToInvoiceNumber")
    empty = "00000000-0000-0000-0000-000000000000"
    if invoice_id in (None, empty) and not number:
        return
    by_id = c.get("purchaseInvoices", invoice_id) if invoice_id not in (None, empty) else None
    by_number = c.find("purchaseInvoices", number=number, _posted=True) if number else None
    invoice = by_id or by_number
    if invoice is None or not invoice.get("_posted") or invoice.get("status") not in (
            "Open", "Paid", "Corrective", "Canceled"):
        raise errors.dialog('The "appliesToInvoiceId" should be the ID of an Open, Paid, Corrective, or Canceled Invoice.')
    if by_id is not None and by_number is not None and by_id is not by_number:
        raise errors.dialog("The Applies To Invoice values do not match to the same Invoice.")
    record["appliesToInvoiceId"], record["appliesToInvoiceNumber"] = invoice["id"], invoice["number"]
    if not record.get("vendorId") or record.get("vendorId") == empty:
        record["vendorId"] = invoice["vendorId"]
        record["vendorNumber"] = invoice["vendorNumber"]


def post_journal(c: Company, journal: dict, now: datetime) -> int:
    """Post every line of the batch (all or nothing); returns how many were posted."""
    lines = sorted(c.children("vendorPayments", journal["id"]), key=lambda ln: ln["lineNumber"])
    if not lines:
        raise errors.dialog("There is nothing to post.")
    balancing = c.get("accounts", journal.get("balancingAccountId"))
    for line in lines:
        where = f"Journal Template Name=PAYMENT, Journal Batch Name={journal['code']}, Line No.={line['lineNumber']}"
        if balancing is None:
            raise errors.field_validation(f"Bal. Account No. must have a value in Gen. Journal Line: {where}. "
                                          "It cannot be zero or empty.")
        vendor = c.get("vendors", line.get("vendorId"))
        if vendor is None:
            raise errors.field_validation(f"Account No. must have a value in Gen. Journal Line: {where}. "
                                          "It cannot be zero or empty.")
        docs.check_not_blocked(vendor, "post", payment=True)
        if not line.get("amount"):
            raise errors.field_validation(f"Amount must have a value in Gen. Journal Line: {where}. "
                                          "It cannot be zero or empty.")
        _check_posting_date(c, line["postingDate"])
        invoice = c.get("purchaseInvoices", line.get("appliesToInvoiceId"))
        if invoice is not None:
            entry = c.get("vendorLedgerEntries", invoice["id"])
            if entry is None or not entry["open"]:
                raise errors.dialog(f"The invoice {invoice['number']} of vendor {vendor['number']} that the payment "
                                    f"on line {line['lineNumber']} applies to is not open.")
    for line in lines:
        invoice = c.get("purchaseInvoices", line.get("appliesToInvoiceId"))
        amount = line["amount"]
        applied = _apply_to_invoice(c, invoice, amount, now) if invoice is not None else Decimal(0)
        vendor = c.require("vendors", line["vendorId"])
        common = dict(posting_date=line["postingDate"], document_number=line["documentNumber"],
                      document_type="Payment", external=line.get("externalDocumentNumber") or "",
                      description=line.get("description") or "")
        _gl_entry(c, now, account=_payables(c), debit=amount, credit=Decimal(0), **common)
        _gl_entry(c, now, account=balancing, debit=Decimal(0), credit=amount, **common)
        c.insert("vendorLedgerEntries", {
            "id": line["id"], "documentType": "Payment", "documentNumber": line["documentNumber"],
            "externalDocumentNumber": line.get("externalDocumentNumber") or "", "vendorId": vendor["id"],
            "amount": amount, "remaining": money(amount - applied), "open": amount - applied > 0,
            "dueDate": line["postingDate"]}, now)
        c.delete("vendorPayments", line["_key"])
        _owe(c, vendor["id"], -(amount - applied))
    c.touch("journals", journal["_key"], now)
    return len(lines)
