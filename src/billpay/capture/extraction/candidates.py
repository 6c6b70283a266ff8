"""Candidate values per field: a label, then a value in the same phrase, to its right, or below it.

Each candidate carries a score in 0..1 (label weight x relation x value
quality) and where it was read, so the chosen value can be shown on the page.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable

from .amounts import AmountHit, find_amounts
from .dates import DateHit, find_dates
from .ids import (
    find_account_numbers,
    find_bics,
    find_ibans,
    find_routing,
    find_vat_ids,
    id_token,
    valid_bic,
)
from .layout import Document, Page, Segment
from .lexicon import LabelHit, scan_labels
from .terms import parse_terms

RELATION_WEIGHT = {"inline": 1.0, "right": 0.95, "below": 0.85, "below2": 0.72, "below3": 0.6}


@dataclass
class Candidate:
    field: str
    value: Any
    score: float
    page: Page
    seg: Segment
    start: int
    end: int
    relation: str
    label: str | None = None
    extra: dict = field(default_factory=dict)

    @property
    def raw(self) -> str:
        return self.seg.text[self.start:self.end]

    @property
    def box(self) -> tuple[float, float, float, float]:
        return self.seg.span_box(self.start, self.end)

    @property
    def conf(self) -> float:
        return self.seg.span_conf(self.start, self.end)


@dataclass
class Context:
    decimal_hint: str | None = None
    ocr: bool = False
    labels: dict[int, list[LabelHit]] = field(default_factory=dict)

    def labels_of(self, seg: Segment) -> list[LabelHit]:
        key = id(seg)
        if key not in self.labels:
            self.labels[key] = scan_labels(seg.norm)
        return self.labels[key]


# ---------------------------------------------------------------- value finders
# A finder gets the text after a label and returns (value, start, end, quality)
# for the values it recognises, in reading order.
Found = tuple[Any, int, int, float]


def _date_spans(text: str, ocr: bool) -> list[DateHit]:
    return find_dates(text, fused=ocr)


# OCR misreadings of money: "RM" read as PM/RN/BH..., "7..00", "6. 60", "42 .50"
_OCR_RM = re.compile(r"(?<![A-Za-z])[RPBK][MNHB](?=\s?\d)")
_OCR_JUNK = re.compile(r"(?<=\d)(?:\.[.,]|[.,] | [.,])(?=\d{2}(?!\d))")


def repair_money_text(text: str) -> tuple[str, list[int]]:
    """Undo OCR damage in amounts; returns the repaired text and, per character, its offset in ``text``."""
    text = _OCR_RM.sub("RM", text)
    out: list[str] = []
    index: list[int] = []
    pos = 0
    for m in _OCR_JUNK.finditer(text):
        out.append(text[pos:m.start()])
        index.extend(range(pos, m.start()))
        out.append(".")
        index.append(m.start())
        pos = m.end()
    out.append(text[pos:])
    index.extend(range(pos, len(text) + 1))
    return "".join(out), index


def find_money(text: str, ctx: Context) -> list[Found]:
    index = None
    if ctx.ocr:
        text, index = repair_money_text(text)
    dates = _date_spans(text, False)
    out = []
    for a in find_amounts(text, ctx.decimal_hint):
        if any(a.start < d.end and d.start < a.end for d in dates):
            continue
        q = 1.0 if a.decimals == 2 else (0.8 if a.decimals == 0 and a.currency else 0.6)
        if a.decimals == 0 and not a.currency and abs(a.value) >= 100000:
            q = 0.2  # long bare integers are references, not prices
        s, e = (index[a.start], index[a.end]) if index else (a.start, a.end)
        out.append((a, s, e, q))
        if ctx.ocr and a.decimals == 0 and 100 <= abs(a.value) < 100000 and ctx.decimal_hint:
            # "4250" where the page prints cents everywhere: the decimal point was lost
            out.append((_cents(a), s, e, 0.3))
    return out


def _cents(a: AmountHit) -> AmountHit:
    return AmountHit(a.value / 100, a.start, a.end, a.currency, 2, a.decimal_sep, False, a.text)


def find_date_values(text: str, ctx: Context) -> list[Found]:
    return [(d, d.start, d.end, 0.9 if d.kind in ("fused", "repaired") else 1.0) for d in _date_spans(text, ctx.ocr)]


_ID_PREFIX = re.compile(r"^[\s:.\-=]*(?:(?:n\s?o|no|nr|num(?:ber|ero)?|#|n\s?[°º®]|№)\.?\s*[:.]?\s*)?[#:]?\s*", re.I)


# "Invoice number: 42": a number of one or two digits is an id only right after the label's colon, alone
_SHORT_ID = re.compile(r"\s*[:#]\s*([1-9]\d?)\s*$")


_OCR_SPLIT = re.compile(r"([A-Za-z0-9]+[-/][A-Za-z0-9\-/]*\d) (\d[\d\-/]*\d)(?![\w])")


#: OCR reads the raised o of "Nº" as a 2: "FACTURA N2 000001"
_OCR_NUMBER_SIGN = re.compile(r"^\s*N2\s+(?=\d)")


def find_id(text: str, ctx: Context) -> list[Found]:
    m = (_OCR_NUMBER_SIGN.match(text) if ctx.ocr else None) or _ID_PREFIX.match(text)
    off = m.end() if m else 0
    if ctx.ocr:
        # OCR splits long numbers at a narrow gap: "FA-20 17-0010" is one token
        j = _OCR_SPLIT.match(text[off:])
        if j and ("-" in j.group(2) or "/" in j.group(2) or len(j.group(2)) >= 3):
            value = j.group(1) + j.group(2)
            if not find_dates(value):
                return [(value, off, off + j.end(), 0.9)]
    tok = id_token(text[off:])
    if not tok:
        short = _SHORT_ID.match(text)
        return [(short[1], short.start(1), short.end(1), 0.7)] if short else []
    value, s, e = tok
    if find_dates(value):
        return []
    return [(value, off + s, off + e, 1.0)]


def find_iban_values(text: str, ctx: Context) -> list[Found]:
    return [(h.value, h.start, h.end, 0.9 if h.repaired else 1.0) for h in find_ibans(text, repair=ctx.ocr)]


_BIC_CUT = re.compile(r"([A-Z0-9]{2,7}) ([A-Z0-9]{1,9})(?![A-Za-z0-9])")
_BIC_LONG_BRANCH = re.compile(r"([A-Z0-9]{8})XXXX(?![A-Za-z0-9])", re.I)


def find_bic_values(text: str, ctx: Context) -> list[Found]:
    m = re.match(r"^[\s:.\-]*", text)
    off = m.end() if m else 0
    if ctx.ocr:
        text = text[:off] + _ocr_bic(text[off:])
    hits = find_bics(text[off:], loose=True)
    return [(h.value, off + h.start, off + h.end, 0.7 if h.repaired else 1.0) for h in hits[:1] if h.start < 3]


def _ocr_bic(text: str) -> str:
    """The code as printed, where OCR left specks inside it ("FXBBNL.22"), cut it at a wide letter gap
    ("HY VEDEMM483": kept only when the two parts make a valid BIC and the first is none) or read the branch "XXX"
    with one X too many ("ELVVGB21XXxX")."""
    text = re.sub(r"(?<=[A-Z0-9])[.,·'](?=[A-Z0-9])", "", text)
    cut = _BIC_CUT.match(text)
    if cut and len(cut[1] + cut[2]) in (8, 11) and valid_bic(cut[1] + cut[2]):
        return cut[1] + cut[2] + text[cut.end():]
    return _BIC_LONG_BRANCH.sub(lambda m: m[1] + "XXX", text, count=1)


def find_routing_values(text: str, ctx: Context) -> list[Found]:
    return [(h.value, h.start, h.end, 1.0) for h in find_routing(text)]


def find_account_values(text: str, ctx: Context) -> list[Found]:
    m = re.match(r"^[\s:.\-#]*", text)
    off = m.end() if m else 0
    hits = find_account_numbers(text[off:])
    return [(h.value, off + h.start, off + h.end, 1.0) for h in hits[:1] if h.start < 3]


def find_tax_ids(text: str, ctx: Context) -> list[Found]:
    return [(h.value, h.start, h.end, 1.0) for h in find_vat_ids(text)]


def find_terms_text(text: str, ctx: Context) -> list[Found]:
    m = re.match(r"^[\s:.\-]*", text)
    off = m.end() if m else 0
    body = text[off:].strip()
    if not body:
        return []
    t = parse_terms(body, labelled=True)
    q = 1.0 if t else 0.5
    return [(body, off, off + len(body), q)]


FINDERS: dict[str, Callable[[str, Context], list[Found]]] = {
    "invoice_number": find_id, "invoice_date": find_date_values, "due_date": find_date_values,
    "total": find_money, "subtotal": find_money, "tax": find_money, "payment_terms": find_terms_text,
    "iban": find_iban_values, "bic": find_bic_values, "routing_number": find_routing_values,
    "account_number": find_account_values, "vendor_tax_id": find_tax_ids,
}
MONEY = {"total", "subtotal", "tax"}
# How far after the label (characters of text in between) a value may start.
_MAX_LEAD = {"invoice_date": 24, "due_date": 24, "iban": 6, "routing_number": 6, "vendor_tax_id": 6}


# What stands between a money label and a number that is not an amount: a registration number ("GST Reg No.
# 001234567"), a count ("Subtotal (Qty 4)", "Item Count 4").
_NOT_MONEY_LEAD = re.compile(r"(?i)\breg(?:n|d|istration|istered)?\b|\b(?:qty|quantity|count)\W*$")


def _leading_ok(field_name: str, between: str) -> bool:
    if field_name in MONEY and _NOT_MONEY_LEAD.search(between):
        return False
    limit = _MAX_LEAD.get(field_name)
    if limit is None:
        return True
    return len(between.strip(" :.-#")) <= limit


def label_candidates(doc: Document, ctx: Context) -> list[Candidate]:
    out: list[Candidate] = []
    for page in doc.pages:
        for r, row in enumerate(page.rows):
            for seg in row:
                for i, lab in enumerate(ctx.labels_of(seg)):
                    if lab.field == "other":
                        continue
                    labels = ctx.labels_of(seg)
                    # the value ends where the next label begins (one label may name two fields)
                    after = [l for l in labels if l.start >= lab.end]
                    if lab.field in ("total", "subtotal"):
                        # "Total Incl. GST 60.00", "Total After Adj Inct GST 42.50": the tax word belongs to this label
                        while after and after[0].field in ("tax", "vendor_tax_id") and after[0].start - lab.end <= 10 \
                                and not find_amounts(seg.text[lab.end:after[0].start]):
                            after = after[1:]
                    stop = after[0].start if after else len(seg.text)
                    if lab.field == "payment_terms":
                        stop = len(seg.text)  # "14 Tage netto": words of other labels belong to the terms
                    out.extend(_around(page, r, seg, lab, stop, ctx))
    return out


def _around(page: Page, r: int, seg: Segment, lab: LabelHit, stop: int, ctx: Context) -> list[Candidate]:
    finder = FINDERS.get(lab.field)
    if finder is None:
        return []
    out: list[Candidate] = []
    rest = seg.text[lab.end:stop]
    found = [f for f in finder(rest, ctx) if _leading_ok(lab.field, rest[:f[1]])]
    if lab.field in MONEY:
        # amounts on the label's row, rightmost first: totals sit in the last column
        row_hits = [(f, seg, lab.end) for f in found]
        if stop == len(seg.text):
            lead = rest
            for other in page.rows[r][seg.col + 1:]:
                if _starts_with_label(other, ctx):
                    break
                row_hits += [(f, other, 0) for f in finder(other.text, ctx)
                             if _leading_ok(lab.field, lead + " " + other.text[:f[1]])]
                lead += " " + other.text
        for rank, (f, s, base) in enumerate(reversed(row_hits)):
            rel = "inline" if s is seg else "right"
            score = lab.weight * RELATION_WEIGHT[rel] * f[3] * (1.0 if rank == 0 else 0.55)
            out.append(Candidate(lab.field, f[0].value, score, page, s, base + f[1], base + f[2], rel, lab.text,
                                 {"currency": f[0].currency, "rank": rank}))
        if row_hits:
            return out
    elif found:
        f = found[0]
        out.append(Candidate(lab.field, f[0], lab.weight * f[3], page, seg, lab.end + f[1], lab.end + f[2], "inline", lab.text))
        if lab.field != "payment_terms":
            return out
    tail = rest.strip(" :.-#\u2013")
    if tail and lab.field != "payment_terms":
        return out  # the label is followed by something else: not a header
    if lab.field == "payment_terms":
        return out + _terms_continuation(page, r, seg, lab, ctx, out)
    # the value in the next column on the same row
    if lab.field not in MONEY:
        for other in page.rows[r][seg.col + 1:seg.col + 3]:
            if _starts_with_label(other, ctx):
                break
            got = finder(other.text, ctx)
            if got and _leading_ok(lab.field, other.text[:got[0][1]]):
                f = got[0]
                out.append(Candidate(lab.field, f[0], lab.weight * RELATION_WEIGHT["right"] * f[3], page, other,
                                     f[1], f[2], "right", lab.text))
                return out
    # a column header: the value is in the rows below
    lx0, _, lx1, _ = seg.span_box(lab.start, lab.end)
    for k, rel in ((1, "below"), (2, "below2"), (3, "below3")):
        if r + k >= len(page.rows):
            break
        below = page.rows[r + k]
        if below and below[0].y0 - seg.y1 > (k + 1.5) * seg.h:
            break
        for other in below:
            if other.x1 < lx0 - seg.h or other.x0 > lx1 + seg.h:
                continue
            if _starts_with_label(other, ctx):
                return out
            got = finder(other.text, ctx)
            if got:
                f = got[0]
                value = f[0].value if lab.field in MONEY else f[0]
                out.append(Candidate(lab.field, value, lab.weight * RELATION_WEIGHT[rel] * f[3], page, other,
                                     f[1], f[2], rel, lab.text,
                                     {"currency": getattr(f[0], "currency", None), "label_row": r}))
                return out
    return out


def _starts_with_label(seg: Segment, ctx: Context) -> bool:
    labels = ctx.labels_of(seg)
    return bool(labels) and labels[0].start <= 1


def _terms_continuation(page: Page, r: int, seg: Segment, lab: LabelHit, ctx: Context,
                        got: list[Candidate]) -> list[Candidate]:
    """Terms run on over the next line(s) in the same column; or sit right of / below a header."""
    out: list[Candidate] = []
    if got:
        base = got[0]
        text_seg = base.seg
    else:
        nxt = [s for s in page.rows[r][seg.col + 1:seg.col + 2] if not _starts_with_label(s, ctx)]
        if not nxt:
            return _terms_below(page, r, seg, lab, ctx)
        text_seg = nxt[0]
        base = Candidate("payment_terms", text_seg.text, lab.weight * 0.95, page, text_seg, 0, len(text_seg.text), "right", lab.text)
    text = base.value
    if r + 1 < len(page.rows) and parse_terms(text, labelled=True) is None or text.rstrip().endswith((",", "-")):
        for other in page.rows[r + 1] if r + 1 < len(page.rows) else []:
            if abs(other.x0 - text_seg.x0) < text_seg.h and not _starts_with_label(other, ctx):
                text = text.rstrip() + " " + other.text
                break
    if not got or text != base.value:
        terms = parse_terms(text, labelled=True)
        out.append(Candidate("payment_terms", text, lab.weight * (1.0 if terms else 0.5) * 0.95, page, base.seg,
                             base.start, base.end, base.relation, lab.text))
    return out


def _terms_below(page: Page, r: int, seg: Segment, lab: LabelHit, ctx: Context) -> list[Candidate]:
    """Terms under a "Payment Terms" column header, the cells of the next row that sit under the label joined:
    OCR splits "Net 30" at a wide gap into two cells. Only terms that read as terms are taken."""
    if r + 1 >= len(page.rows) or seg.text[lab.end:].strip(" :.-#\u2013"):
        return []
    lx0, _, lx1, _ = seg.span_box(lab.start, lab.end)
    under = [s for s in page.rows[r + 1] if s.x1 >= lx0 - seg.h and s.x0 <= lx1 + seg.h]
    if not under or under[0].y0 - seg.y1 > 2.5 * seg.h or any(_starts_with_label(s, ctx) for s in under):
        return []
    text = " ".join(s.text for s in under)
    if parse_terms(text, labelled=True) is None:
        return []
    return [Candidate("payment_terms", text, lab.weight * RELATION_WEIGHT["below"], page, under[0], 0,
                      len(under[0].text), "below", lab.text)]
