"""Structured e-invoices: UN/CEFACT CII (Factur-X, ZUGFeRD 1 and 2, XRechnung CII) and OASIS UBL.

The XML is untrusted input: no entity expansion, no network, no DTDs, size
capped by the caller. Elements are found by local name so that every profile
and version of the two syntaxes is read by the same code.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from lxml import etree

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                          remove_comments=True, remove_pis=True)


@dataclass
class EInvoice:
    syntax: str                                  # "CII" or "UBL"
    fields: dict[str, object] = field(default_factory=dict)
    lines: list[dict[str, object]] = field(default_factory=list)
    credit_note: bool = False


def _ln(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _find(node, *path: str):
    """First descendant following a path of local names ('//' semantics between steps)."""
    cur = [node]
    for step in path:
        nxt = []
        for n in cur:
            nxt.extend(e for e in n.iter() if isinstance(e.tag, str) and _ln(e.tag) == step and e is not n)
        if not nxt:
            return None
        cur = nxt
    return cur[0]


def _first(*nodes):
    # lxml elements without children are falsy: never chain them with "or"
    return next((n for n in nodes if n is not None), None)


def _children(node, name: str):
    return [e for e in node if isinstance(e.tag, str) and _ln(e.tag) == name]


def _text(node, *path: str) -> str | None:
    el = _find(node, *path) if path else node
    if el is None or el.text is None:
        return None
    t = el.text.strip()
    return t or None


def _dec(s: str | None) -> Decimal | None:
    if s is None:
        return None
    try:
        return Decimal(s.strip())
    except InvalidOperation:
        return None


def _date(s: str | None) -> dt.date | None:
    if not s:
        return None
    s = s.strip()
    for fmt in ("%Y%m%d", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(s[:10] if "-" in s else s[:8], fmt).date()
        except ValueError:
            continue
    return None


def parse_einvoice(data: bytes) -> EInvoice | None:
    try:
        root = etree.fromstring(data, _PARSER)
    except (etree.XMLSyntaxError, ValueError):
        return None
    name = _ln(root.tag)
    if name in ("CrossIndustryInvoice", "CrossIndustryDocument"):
        return _cii(root)
    if name in ("Invoice", "CreditNote"):
        return _ubl(root, credit=name == "CreditNote")
    return None


def _cii(root) -> EInvoice:
    inv = EInvoice("CII")
    f = inv.fields
    doc = _first(_find(root, "ExchangedDocument"), _find(root, "HeaderExchangedDocument"))
    if doc is not None:
        f["invoice_number"] = _text(doc, "ID")
        f["invoice_date"] = _date(_text(doc, "IssueDateTime", "DateTimeString"))
        inv.credit_note = _text(doc, "TypeCode") in ("381", "261", "262", "396", "532")
    seller = _find(root, "SellerTradeParty")
    if seller is not None:
        f["vendor_name"] = _text(_children(seller, "Name")[0]) if _children(seller, "Name") else None
        for reg in seller.iter():
            if isinstance(reg.tag, str) and _ln(reg.tag) == "ID" and reg.get("schemeID") == "VA" and reg.text:
                f["vendor_tax_id"] = reg.text.strip()
        f["vendor_email"] = _text(seller, "URIUniversalCommunication", "URIID") or _text(seller, "EmailURIUniversalCommunication", "URIID")
        addr = _find(seller, "PostalTradeAddress")
        if addr is not None:
            parts = [_text(addr, n) for n in ("LineOne", "LineTwo")]
            city = " ".join(p for p in (_text(addr, "PostcodeCode"), _text(addr, "CityName")) if p)
            f["remit_to_address"] = ", ".join(p for p in (*parts, city, _text(addr, "CountryID")) if p) or None
    settlement = _first(_find(root, "ApplicableHeaderTradeSettlement"), _find(root, "ApplicableSupplyChainTradeSettlement"))
    if settlement is not None:
        f["currency"] = _text(settlement, "InvoiceCurrencyCode")
        means = _find(settlement, "SpecifiedTradeSettlementPaymentMeans")
        if means is not None:
            iban = _text(means, "PayeePartyCreditorFinancialAccount", "IBANID")
            f["iban"] = re.sub(r"\s", "", iban) if iban else None
            f["account_number"] = _text(means, "PayeePartyCreditorFinancialAccount", "ProprietaryID")
            f["bic"] = _text(means, "PayeeSpecifiedCreditorFinancialInstitution", "BICID")
        terms = _find(settlement, "SpecifiedTradePaymentTerms")
        if terms is not None:
            f["payment_terms"] = _text(terms, "Description")
            f["due_date"] = _date(_text(terms, "DueDateDateTime", "DateTimeString"))
        summ = _first(_find(settlement, "SpecifiedTradeSettlementHeaderMonetarySummation"),
                      _find(settlement, "SpecifiedTradeSettlementMonetarySummation"))
        if summ is not None:
            f["total"] = _dec(_text(summ, "GrandTotalAmount"))
            f["subtotal"] = _dec(_text(summ, "TaxBasisTotalAmount")) or _dec(_text(summ, "LineTotalAmount"))
            f["tax"] = _dec(_text(summ, "TaxTotalAmount"))
            f["amount_due"] = _dec(_text(summ, "DuePayableAmount"))
    for item in root.iter():
        if not isinstance(item.tag, str) or _ln(item.tag) != "IncludedSupplyChainTradeLineItem":
            continue
        inv.lines.append({
            "description": _text(item, "SpecifiedTradeProduct", "Name"),
            "quantity": _dec(_text(item, "BilledQuantity")),
            "unit_price": _dec(_text(item, "NetPriceProductTradePrice", "ChargeAmount")),
            "amount": _dec(_text(item, "LineTotalAmount")),
        })
    return inv


def _ubl(root, credit: bool) -> EInvoice:
    inv = EInvoice("UBL", credit_note=credit)
    f = inv.fields
    f["invoice_number"] = _text(_children(root, "ID")[0]) if _children(root, "ID") else None
    f["invoice_date"] = _date(_text(_children(root, "IssueDate")[0])) if _children(root, "IssueDate") else None
    due = _children(root, "DueDate")
    f["due_date"] = _date(_text(due[0])) if due else _date(_text(root, "PaymentMeans", "PaymentDueDate"))
    cur = _children(root, "DocumentCurrencyCode")
    f["currency"] = _text(cur[0]) if cur else None
    supplier = _find(root, "AccountingSupplierParty")
    if supplier is not None:
        f["vendor_name"] = _text(supplier, "PartyName", "Name") or _text(supplier, "PartyLegalEntity", "RegistrationName")
        f["vendor_tax_id"] = _text(supplier, "PartyTaxScheme", "CompanyID")
        f["vendor_email"] = _text(supplier, "Contact", "ElectronicMail")
        addr = _find(supplier, "PostalAddress")
        if addr is not None:
            city = " ".join(p for p in (_text(addr, "PostalZone"), _text(addr, "CityName")) if p)
            parts = (_text(addr, "StreetName"), _text(addr, "AdditionalStreetName"), city, _text(addr, "Country", "IdentificationCode"))
            f["remit_to_address"] = ", ".join(p for p in parts if p) or None
    means = _find(root, "PaymentMeans")
    if means is not None:
        acct = _text(means, "PayeeFinancialAccount", "ID")
        if acct and re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9 ]{10,32}", acct):
            f["iban"] = re.sub(r"\s", "", acct)
        elif acct:
            f["account_number"] = acct
        f["bic"] = _text(means, "PayeeFinancialAccount", "FinancialInstitutionBranch", "ID")
    note = _find(root, "PaymentTerms")
    if note is not None:
        f["payment_terms"] = _text(note, "Note")
    total = _find(root, "LegalMonetaryTotal")
    if total is not None:
        f["total"] = _dec(_text(total, "TaxInclusiveAmount")) or _dec(_text(total, "PayableAmount"))
        f["subtotal"] = _dec(_text(total, "TaxExclusiveAmount"))
        f["amount_due"] = _dec(_text(total, "PayableAmount"))
    tax = [t for t in root if isinstance(t.tag, str) and _ln(t.tag) == "TaxTotal"]
    if tax:
        f["tax"] = _dec(_text(tax[0], "TaxAmount"))
    for name in ("InvoiceLine", "CreditNoteLine"):
        for line in _children(root, name):
            qty = _find(line, "InvoicedQuantity") if name == "InvoiceLine" else _find(line, "CreditedQuantity")
            inv.lines.append({
                "description": _text(line, "Item", "Name") or _text(line, "Item", "Description"),
                "quantity": _dec(qty.text if qty is not None else None),
                "unit_price": _dec(_text(line, "Price", "PriceAmount")),
                "amount": _dec(_text(_children(line, "LineExtensionAmount")[0])) if _children(line, "LineExtensionAmount") else None,
            })
    return inv
