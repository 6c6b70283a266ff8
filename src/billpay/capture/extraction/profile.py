"""Per-vendor learning: what a user confirmed on one bill, reused on the vendor's next bill.

``learn_profile`` looks up where each confirmed value is printed on the
confirmed bill (which label announces it, right of or below it, where on the
page), and the document's conventions (date order, decimal separator,
currency, invoice-number shape, which amount is the total). ``profile_hints``
turns that back into high-scored candidates on a new document from the same
vendor. Bank details are remembered so that a *changed* IBAN is flagged,
never silently taken over (a classic invoice-fraud pattern).
"""
from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from .amounts import find_amounts
from .candidates import FINDERS, MONEY, Candidate, Context, find_id
from .dates import find_dates
from .ids import id_shape
from .layout import Document, Page, Segment, fold

PROFILE_VERSION = 1


@dataclass
class FieldRule:
    """Where a confirmed value was printed: the label before it and its relation, or just its position."""

    label: str | None
    relation: str
    page: int                      # page index; -1 means the last page
    bbox: tuple[float, float, float, float]


@dataclass
class VendorProfile:
    vendor_name: str | None = None
    aliases: list[str] = field(default_factory=list)
    tax_id: str | None = None
    iban: str | None = None
    bic: str | None = None
    email_domain: str | None = None
    currency: str | None = None
    date_order: str | None = None            # "DMY" or "MDY"
    decimal_separator: str | None = None     # "," or "."
    invoice_number_shape: str | None = None  # e.g. "AA-9999-9999"
    payment_terms: str | None = None
    #: Tesseract language packs for this vendor's scans (e.g. "nld+eng"); the default covers en/de/fr
    ocr_languages: str | None = None
    rules: dict[str, FieldRule] = field(default_factory=dict)
    confirmations: int = 0
    version: int = PROFILE_VERSION

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["rules"] = {k: {**dataclasses.asdict(r), "bbox": list(r.bbox)} for k, r in self.rules.items()}
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "VendorProfile":
        d = dict(d)
        rules = {k: FieldRule(r.get("label"), r.get("relation", "inline"), int(r.get("page", 0)), tuple(r.get("bbox", (0, 0, 0, 0))))
                 for k, r in (d.pop("rules", None) or {}).items()}
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known}, rules=rules)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "VendorProfile":
        return cls.from_dict(json.loads(text))


# ------------------------------------------------------------------ learning
def _matches(field_name: str, text: str, confirmed: str, ctx: Context) -> list[tuple[int, int, Any]]:
    """Spans of ``text`` that print the confirmed value."""
    out = []
    if field_name in ("invoice_date", "due_date"):
        for h in find_dates(text, fused=ctx.ocr):
            for o in ("DMY", "MDY"):
                v = h.value(o)
                if v and v.isoformat() == confirmed:
                    out.append((h.start, h.end, o if h.ambiguous else None))
                    break
    elif field_name in MONEY:
        try:
            want = Decimal(confirmed)
        except InvalidOperation:
            return out
        for a in find_amounts(text, ctx.decimal_hint):
            if a.value == want or a.value == -want:
                out.append((a.start, a.end, a.decimal_sep))
    else:
        key = re.sub(r"[\s\-/#.]", "", confirmed).lower()
        if len(key) < 2:
            return out
        squashed, index = [], []
        for i, c in enumerate(text):
            if c not in " -/#.":
                squashed.append(c.lower())
                index.append(i)
        s = "".join(squashed)
        pos = s.find(key)
        if pos >= 0:
            out.append((index[pos], index[pos + len(key) - 1] + 1, None))
    return out


def _label_for(page: Page, seg: Segment, start: int, ctx: Context) -> tuple[str | None, str, str | None]:
    """The label that announces a value at ``seg.text[start:]``: (text, relation, field it labels)."""
    own = [l for l in ctx.labels_of(seg) if l.end <= start]
    if own:
        return own[-1].text, "inline", own[-1].field
    row = page.rows[seg.row]
    if seg.col > 0:
        left = row[seg.col - 1]
        labs = ctx.labels_of(left)
        if labs:
            return labs[-1].text, "right", labs[-1].field
        if len(left.text) <= 40 and not re.search(r"\d", left.text):
            return fold(left.text).strip(" :"), "right", None
    for k in (1, 2):
        if seg.row - k < 0:
            break
        for above in page.rows[seg.row - k]:
            if above.x1 >= seg.x0 - seg.h and above.x0 <= seg.x1 + seg.h:
                labs = ctx.labels_of(above)
                if labs:
                    return labs[0].text, ("below" if k == 1 else "below2"), labs[0].field
    return None, "position", None


def learn_profile(result, confirmed: dict[str, str], previous: VendorProfile | None = None) -> VendorProfile:
    """Fold a user's confirmation of one bill into the vendor's profile."""
    prof = dataclasses.replace(previous, rules=dict(previous.rules), aliases=list(previous.aliases)) if previous else VendorProfile()
    prof.confirmations += 1
    conf = {k: (str(v).strip() if v is not None else None) for k, v in confirmed.items()}
    if conf.get("vendor_name"):
        prof.vendor_name = conf["vendor_name"]
    seen = result.fields.get("vendor_name")
    if seen is not None and seen.value and seen.value != prof.vendor_name and seen.value not in prof.aliases:
        prof.aliases.append(str(seen.value))
    for key, attr in (("iban", "iban"), ("bic", "bic"), ("vendor_tax_id", "tax_id"), ("currency", "currency"),
                      ("payment_terms", "payment_terms")):
        value = conf.get(key) or (result.value(key) if key != "payment_terms" else None)
        if value:
            setattr(prof, attr, re.sub(r"\s", "", str(value)).upper() if key in ("iban", "bic", "vendor_tax_id", "currency") else str(value))
    email = conf.get("vendor_email") or result.value("vendor_email")
    if email and "@" in str(email):
        prof.email_domain = str(email).rsplit("@", 1)[1].lower()
    if conf.get("invoice_number"):
        prof.invoice_number_shape = id_shape(conf["invoice_number"])
    doc: Document | None = result.document
    if doc is None or not doc.pages:
        return prof
    ctx = Context(decimal_hint=prof.decimal_separator, ocr=doc.layer == "ocr")
    for name in ("invoice_number", "invoice_date", "due_date", "total", "subtotal", "tax", "payment_terms"):
        value = conf.get(name)
        if not value:
            continue
        best = None
        for page in doc.pages:
            for seg in page.segments:
                for start, end, note in _matches(name, seg.text, value, ctx):
                    label, rel, labelled = _label_for(page, seg, start, ctx)
                    # the same value can be printed twice (due = issue date): prefer this field's own label
                    rank = 0 if labelled == name else (1 if label and labelled in (None, "other") else 2 if label else 3)
                    if best is None or rank < best[0]:
                        best = (rank, page, seg, start, end, label, rel, note)
        if best is None:
            continue
        _, page, seg, start, end, label, rel, note = best
        box = page.source(seg.span_box(start, end)).bbox
        page_no = -1 if page is doc.pages[-1] and len(doc.pages) > 1 else page.index
        prof.rules[name] = FieldRule(label, rel, page_no, box)
        if name == "invoice_date" and note in ("DMY", "MDY"):
            prof.date_order = note
        if name == "total" and note in (",", "."):
            prof.decimal_separator = note
    return prof


# ------------------------------------------------------------------ applying
def profile_candidates(doc: Document, ctx: Context, prof: VendorProfile) -> list[Candidate]:
    """Candidates read the way the vendor's confirmed bill was read."""
    out: list[Candidate] = []
    for name, rule in prof.rules.items():
        finder = FINDERS.get(name)
        if finder is None or not doc.pages:
            continue
        page = doc.pages[-1] if rule.page == -1 else next((p for p in doc.pages if p.index == rule.page), doc.pages[0])
        got = None
        if rule.label:
            for p in ([page] + [q for q in doc.pages if q is not page]):
                got = _by_label(p, rule, finder, ctx, name)
                if got:
                    page = p
                    break
        if got is None:
            got = _by_position(page, rule, finder, ctx, name)
        if got is not None:
            seg, f = got
            # money finders yield AmountHit (keep the Decimal); date candidates keep the DateHit
            value = f[0].value if name in MONEY else f[0]
            # a learned label is strong evidence; a bare position (layouts shift) is weak
            out.append(Candidate(name, value, 0.97 if rule.label else 0.45, page, seg, f[1], f[2], "profile", rule.label))
    return out


def _by_label(page: Page, rule: FieldRule, finder, ctx: Context, name: str):
    for r, row in enumerate(page.rows):
        for seg in row:
            for i, lab in enumerate(ctx.labels_of(seg)):
                if lab.text != rule.label:
                    continue
                if rule.relation == "inline":
                    got = finder(seg.text[lab.end:], ctx)
                    if got:
                        f = got[-1] if name in MONEY else got[0]
                        return seg, (f[0], lab.end + f[1], lab.end + f[2], f[3])
                elif rule.relation == "right":
                    for other in row[seg.col + 1:]:
                        got = finder(other.text, ctx)
                        if got:
                            return other, (got[-1] if name in MONEY else got[0])
                else:
                    k = 1 if rule.relation == "below" else 2
                    if r + k < len(page.rows):
                        for other in page.rows[r + k]:
                            if other.x1 >= seg.x0 - seg.h and other.x0 <= seg.x1 + seg.h:
                                got = finder(other.text, ctx)
                                if got:
                                    return other, got[0]
        # labels the lexicon does not know (learned from the left neighbour's text)
        for seg in row:
            if rule.relation == "right" and fold(seg.text).strip(" :") == rule.label:
                for other in row[seg.col + 1:]:
                    got = finder(other.text, ctx)
                    if got:
                        return other, got[0]
    return None


def _by_position(page: Page, rule: FieldRule, finder, ctx: Context, name: str):
    x0, y0, x1, y1 = rule.bbox
    best = None
    for seg in page.segments:
        sx0, sy0 = seg.x0 / page.width, seg.y0 / page.height
        sx1, sy1 = seg.x1 / page.width, seg.y1 / page.height
        if sx1 < x0 - 0.05 or sx0 > x1 + 0.05 or sy1 < y0 - 0.03 or sy0 > y1 + 0.03:
            continue
        got = finder(seg.text, ctx) if name != "invoice_number" else find_id(seg.text, ctx)
        if got:
            d = abs((sy0 + sy1) / 2 - (y0 + y1) / 2) + abs((sx0 + sx1) / 2 - (x0 + x1) / 2)
            if best is None or d < best[0]:
                best = (d, seg, got[0])
    return (best[1], best[2]) if best else None


def profile_applies(prof: VendorProfile, text: str) -> bool:
    """Does this document look like it is from the profile's vendor (an identifier or a name printed)?"""
    compact = re.sub(r"\s", "", text).upper()
    for ident in (prof.iban, prof.tax_id):
        if ident and ident in compact:
            return True
    low = fold(text)
    for name in [prof.vendor_name, *prof.aliases]:
        if name and fold(name) in low:
            return True
    return bool(prof.email_domain and prof.email_domain in low)

