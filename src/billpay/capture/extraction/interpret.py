"""Fields from a read document: candidates, vendor, validation, e-invoice XML cross-check, profile."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from rapidfuzz import fuzz

from . import select as sel
from .amounts import decimal_separator, find_amounts
from .candidates import Candidate, Context, label_candidates
from .dates import find_dates
from .einvoice import EInvoice
from .ids import id_shape, repair_bic, valid_iban
from .layout import Document, fold
from .lines import continued_lines, lines_context, listed_lines, read_lines, settle_lines, wider_lines
from .model import ExtractedField, ExtractedLine, Source
from .profile import VendorProfile, profile_applies, profile_candidates
from .select import Choice
from .terms import parse_terms
from .vendor import buyer_segments, name_key, pick_vendor, vendor_votes

XML_CONFIDENCE = 0.99


@dataclass
class Interpretation:
    fields: dict[str, ExtractedField] = field(default_factory=dict)
    lines: list[ExtractedLine] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    used_xml: bool = False
    #: read with the profile of the vendor the document is from (learned from a person's confirmations)
    profiled: bool = False


def _field(choice: Choice | None, doc: Document | None) -> ExtractedField | None:
    if choice is None or choice.value in (None, ""):
        return None
    src: Source | None = None
    if choice.cand is not None:
        src = choice.cand.page.source(choice.cand.box)
    f = ExtractedField(choice.value, round(choice.confidence, 3), src, choice.raw)
    f.ceiling = choice.ceiling
    return f


def interpret(doc: Document | None, einv: EInvoice | None, profile: VendorProfile | None) -> Interpretation:
    out = Interpretation()
    choices: dict[str, Choice] = {}
    if doc is not None and doc.pages:
        lines_ctx = lines_context(doc)
        table = read_lines(doc, lines_ctx)  # read once: its sum helps choose the total, then it is checked against it
        choices = _from_page(doc, profile, out.warnings, table)
        out.profiled = profile is not None and profile_applies(profile, doc.text())
        if table:
            out.lines = (continued_lines(doc, lines_ctx, table, choices.get("subtotal"), choices.get("total"))
                         or settle_lines(table, choices.get("subtotal"), choices.get("total")))
        else:  # found by their sum, so the sum does not vouch for them: they keep their medium confidence
            out.lines = listed_lines(doc, lines_ctx, choices.get("subtotal"), choices.get("total"))
        # the table read again with the wider headings and column rules, taken only where its lines add up (and
        # before lines found by their sum alone: a table gives them their descriptions, quantities and prices)
        out.lines = wider_lines(doc, lines_ctx, out.lines if table else [], choices.get("subtotal"),
                                choices.get("total")) or out.lines
    if einv is not None:
        choices = _merge_xml(einv, choices, doc, out.warnings)
        out.used_xml = True
        if einv.lines and not out.lines:
            out.lines = _xml_lines(einv)
    for name, choice in choices.items():
        f = _field(choice, doc)
        if f is not None:
            out.fields[name] = f
    return out


def merge_readings(a: Interpretation, b: Interpretation) -> Interpretation:
    """Two OCR readings of the same page: agreement raises confidence, else the surer one wins."""
    out = Interpretation(warnings=list(a.warnings), used_xml=a.used_xml or b.used_xml,
                         profiled=a.profiled or b.profiled)
    for name in set(a.fields) | set(b.fields):
        fa, fb = a.fields.get(name), b.fields.get(name)
        if fa is None or fb is None:
            f = fa or fb
            out.fields[name] = ExtractedField(f.value, round(f.confidence * 0.95, 3), f.source, f.raw_text)
        elif _same(name, fa.value, fb.value):
            best = max(fa, fb, key=lambda f: f.confidence)
            conf = best.confidence + 0.3 * (1.0 - best.confidence)
            out.fields[name] = ExtractedField(best.value, round(min(conf, 0.99), 3), best.source, best.raw_text)
        else:
            best = max(fa, fb, key=lambda f: f.confidence)
            sa, sb = re.sub(r"\W", "", str(fa.value)), re.sub(r"\W", "", str(fb.value))
            if name == "invoice_number" and sa and sb and (sa.startswith(sb) or sb.startswith(sa)):
                best = fa if len(sa) > len(sb) else fb  # one reading lost the end of the number
            out.fields[name] = ExtractedField(best.value, round(best.confidence * 0.85, 3), best.source, best.raw_text)
    out.lines = a.lines if len(a.lines) >= len(b.lines) else b.lines
    return out


# ------------------------------------------------------------------ page
def _from_page(doc: Document, profile: VendorProfile | None, warnings: list[str],
               table: list[ExtractedLine]) -> dict[str, Choice]:
    texts = [s.text for s in doc.segments()]
    ctx = Context(decimal_hint=(profile.decimal_separator if profile and profile.decimal_separator else decimal_separator(texts)),
                  # OCR'd words (a scan, or pictures on a text page) allow OCR-error repairs
                  ocr=doc.layer == "ocr" or any(w.conf < 1.0 for p in doc.pages for w in p.words))
    cands: dict[str, list[Candidate]] = {}
    for c in label_candidates(doc, ctx):
        cands.setdefault(c.field, []).append(c)
    buyer = buyer_segments(doc)
    for c in (sel.free_dates(doc, ctx) + sel.bank_candidates(doc, ctx, buyer) + sel.free_terms(doc)
              + sel.free_tax_ids(doc, buyer, ctx) + sel.email_candidates(doc, buyer)):
        cands.setdefault(c.field, []).append(c)
    use_profile = profile is not None
    if profile is not None:
        for c in profile_candidates(doc, ctx, profile):
            cands.setdefault(c.field, []).append(c)
    choices: dict[str, Choice] = {}

    sel.demote_summaries(doc, cands)
    sel.demote_column_heads(doc, cands)
    cands.setdefault("total", []).extend(sel.printed_sum_total(doc, ctx, cands))
    amounts = [ln.amount.value for ln in table if ln.amount is not None]
    money = sel.pick_money(cands, sel.tendered_total(doc, ctx), sel.rounding_adjustment(doc, ctx),
                           sum(amounts, Decimal(0)) if len(amounts) >= 2 else None)
    if "total" not in money:
        prominent = sel.prominent_amount(doc, ctx)
        if prominent is not None:
            money["total"] = prominent
    choices.update(money)
    iban = _pick_iban(cands.get("iban", []), profile, warnings)
    if iban:
        choices["iban"] = iban
    bic_cands = [c for c in cands.get("bic", [])] + sel.bic_near(doc, iban.cand if iban else None)
    bic = sel.pick_simple(bic_cands)
    if profile and profile.bic:
        if bic is None:
            bic = Choice(profile.bic, 0.85, None, None)
        elif bic.value.upper() != profile.bic.upper():
            bic.confidence = min(bic.confidence, 0.6)
            bic.ceiling = 0.6
            warnings.append("BIC differs from the one on file for this vendor")
    if bic and ctx.ocr and iban:
        bic.value = repair_bic(str(bic.value), str(iban.value))
    if bic:
        choices["bic"] = bic
    currency = sel.pick_currency(doc, money.get("total"), iban.value if iban else None,
                                 profile.currency if profile else None)
    if currency:
        choices["currency"] = currency
    terms_c = [c for c in cands.get("payment_terms", []) if parse_terms(c.value, labelled=c.relation != "free")]
    terms = sel.pick_simple(terms_c) if terms_c else sel.pick_simple(cands.get("payment_terms", []))
    if terms and terms.confidence < 0.5 and not parse_terms(terms.value, labelled=True):
        terms = None
    if terms:
        choices["payment_terms"] = terms
    prior = profile.date_order if profile and profile.date_order else ("MDY" if currency and currency.value == "USD" else "DMY")
    cands.setdefault("due_date", []).extend(sel.scheduled_due(doc, ctx, money.get("total")))
    inv, due, _order = sel.resolve_dates(doc, cands, prior, sel.terms_days(terms))
    if due is None and terms is not None:
        due = sel.due_from_terms(inv, terms)
    sel.check_dates(inv, due, warnings)
    sel.check_terms(inv, due, terms, warnings)
    if inv:
        choices["invoice_date"] = inv
    if due:
        choices["due_date"] = due
    number = _pick_number(cands.get("invoice_number", []), choices, profile)
    if number:
        choices["invoice_number"] = number
    for name in ("routing_number", "vendor_tax_id", "vendor_email"):
        c = sel.pick_simple(cands.get(name, []))
        if c:
            choices[name] = c
    acct = sel.pick_simple([c for c in cands.get("account_number", []) if c.relation != "free"])
    if acct and (choices.get("routing_number") or acct.confidence >= 0.7) and not iban:
        choices["account_number"] = acct
    vendor = _pick_vendor_name(doc, ctx, profile if use_profile else None)
    if vendor:
        choices["vendor_name"] = vendor
        addr = _remit_address(doc, vendor)
        if addr:
            choices["remit_to_address"] = addr
    return choices


def _pick_iban(cands: list[Candidate], profile: VendorProfile | None, warnings: list[str]) -> Choice | None:
    choice = sel.pick_simple(cands)
    if profile and profile.iban:
        if choice is None:
            return Choice(profile.iban, 0.85, None, None)
        if choice.value != profile.iban:
            choice.confidence = min(choice.confidence, 0.5)
            choice.ceiling = 0.45  # a changed IBAN must be confirmed explicitly (low confidence)
            warnings.append("IBAN differs from the one on file for this vendor: check the bank details before paying")
    return choice


def _pick_number(cands: list[Candidate], choices: dict[str, Choice], profile: VendorProfile | None) -> Choice | None:
    taken = {re.sub(r"\W", "", str(c.value)).upper() for k, c in choices.items() if k in ("iban", "vendor_tax_id")}
    usable = [c for c in cands if re.sub(r"\W", "", str(c.value)).upper() not in taken]
    if profile and profile.invoice_number_shape:
        for c in usable:
            if id_shape(str(c.value)) == profile.invoice_number_shape:
                c.score = min(c.score + 0.2, 0.99)
    return sel.pick_simple(usable, key=lambda c: re.sub(r"[\s\-/#.]", "", str(c.value)).lower())


def _pick_vendor_name(doc: Document, ctx: Context, profile: VendorProfile | None) -> Choice | None:
    if profile is not None and profile.vendor_name:
        applies = profile_applies(profile, doc.text())
        return Choice(profile.vendor_name, 0.97 if applies else 0.8, None, profile.vendor_name)
    label_starts = {id(s): bool(ctx.labels_of(s)) and ctx.labels_of(s)[0].start <= 1 for s in doc.segments()}
    picked = pick_vendor(vendor_votes(doc, label_starts))
    if picked is None:
        return None
    vote, conf = picked
    page = next((p for p in doc.pages if p.index == vote.seg.page), doc.pages[0])
    start = max(vote.seg.text.find(vote.display), 0)
    cand = Candidate("vendor_name", vote.display, vote.score, page, vote.seg, start, start + len(vote.display), "vendor")
    return Choice(vote.display, conf * (0.6 + 0.4 * cand.conf), cand, vote.display)


def _remit_address(doc: Document, vendor: Choice) -> Choice | None:
    cand = vendor.cand
    if cand is None:
        return None
    page, seg = cand.page, cand.seg
    lines = []
    for row in page.rows[seg.row + 1:seg.row + 5]:
        below = [s for s in row if abs(s.x0 - seg.x0) < 2 * seg.h]
        if not below:
            break
        text = below[0].text
        if re.search(r"@|www\.|https?:|tel|fax|phone|iban|bic|vat|tva|btw|ust", text, re.I):
            break
        lines.append(text)
        if re.search(r"\b\d{4,5}\b|\b[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}\b", text):
            break
    if not lines or not any(re.search(r"\d", l) for l in lines):
        return None
    return Choice(", ".join(lines), 0.45, None, "\n".join(lines))


# ------------------------------------------------------------------ e-invoice XML
def _on_page(name: str, value: Any, doc: Document | None) -> tuple[bool, Any, Candidate | None]:
    """Is the XML value printed on the page? Returns (found, value as printed, where)."""
    if doc is None or not doc.pages:
        return False, value, None
    for page in doc.pages:
        for seg in page.segments:
            text = seg.text
            if name in ("invoice_date", "due_date"):
                for h in find_dates(text):
                    if value in (h.dmy, h.mdy):
                        return True, value, Candidate(name, value, 1.0, page, seg, h.start, h.end, "xml")
            elif name in ("total", "subtotal", "tax"):
                for a in find_amounts(text):
                    if a.value == value or a.value == -value:
                        return True, a.value, Candidate(name, a.value, 1.0, page, seg, a.start, a.end, "xml")
            elif name in ("invoice_number", "iban", "vendor_tax_id"):
                # ids may be printed with other punctuation; IBANs and tax ids also with spaces
                strip = r"[\s\-/.]" if name != "invoice_number" else r"[\-/.]"
                compact = re.sub(strip, "", str(value)).upper()
                squashed = re.sub(strip, "", text).upper()
                if compact and (compact in squashed if name != "invoice_number" else
                                re.search(r"(?<![A-Z0-9])" + re.escape(compact) + r"(?![A-Z0-9])", squashed)):
                    pos = max(text.upper().find(str(value)[:4].upper()), 0)
                    return True, value, Candidate(name, value, 1.0, page, seg, pos, min(pos + len(str(value)), len(text)), "xml")
            elif name == "bic":
                if re.search(r"(?<![A-Z0-9])" + re.escape(str(value).upper()) + r"(?![A-Z0-9])", text.upper()):
                    pos = text.upper().find(str(value).upper())
                    return True, value, Candidate(name, value, 1.0, page, seg, pos, pos + len(str(value)), "xml")
            elif name == "vendor_name":
                key = name_key(str(value))
                if key and len(key) >= 3 and key in name_key(text):
                    return True, value, Candidate(name, value, 1.0, page, seg, 0, len(text), "xml")
            elif name == "payment_terms":
                if fuzz.partial_ratio(fold(str(value)), seg.norm) >= 90 and len(seg.text) >= 0.6 * len(str(value)):
                    return True, value, Candidate(name, value, 1.0, page, seg, 0, len(text), "xml")
    return False, value, None


def _same(name: str, a: Any, b: Any) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return re.sub(r"[\s\-/.#]", "", a).upper() == re.sub(r"[\s\-/.#]", "", b).upper()
    return a == b


def _merge_xml(einv: EInvoice, page_choices: dict[str, Choice], doc: Document | None, warnings: list[str]) -> dict[str, Choice]:
    """The XML is authoritative, except where the printed page clearly says something else."""
    out = dict(page_choices)
    has_page = doc is not None and bool(doc.pages)
    for name, value in einv.fields.items():
        if value in (None, "") or name == "amount_due":
            continue
        if name == "iban" and not valid_iban(str(value)):
            continue
        if not has_page:
            out[name] = Choice(value, XML_CONFIDENCE, None, str(value))
            continue
        found, printed, where = _on_page(name, value, doc)
        if found:
            out[name] = Choice(printed, XML_CONFIDENCE, where, where.raw if where else str(value))
            continue
        page = page_choices.get(name)
        if page is not None and _same(name, page.value, value):
            out[name] = Choice(value, XML_CONFIDENCE, page.cand, page.raw)
        elif page is not None and page.confidence >= 0.5 and name not in ("currency",):
            warnings.append(f"{name}: the e-invoice XML says {value!s}, the printed page says {page.value!s}; using the page")
            page.confidence = min(page.confidence, 0.75)
            out[name] = page
        elif name in ("vendor_name", "payment_terms", "remit_to_address", "vendor_email", "currency",
                      "account_number", "bic", "due_date", "subtotal", "tax", "vendor_tax_id"):
            # not printed (or printed differently) and nothing better on the page: the XML still knows
            out[name] = Choice(value, 0.9 if name not in ("payment_terms", "vendor_name") else 0.8, None, str(value))
        else:
            out[name] = Choice(value, 0.85, None, str(value))
    return out


def _xml_lines(einv: EInvoice) -> list[ExtractedLine]:
    lines = []
    for ln in einv.lines:
        def f(v):
            return ExtractedField(v, XML_CONFIDENCE, None, None) if v is not None else None
        lines.append(ExtractedLine(f(ln.get("description")), f(ln.get("quantity")), f(ln.get("unit_price")), f(ln.get("amount"))))
    return lines
