"""From candidates to one value per field, checked against each other.

Money: the (total, subtotal, tax) combination that adds up wins over the
single best-scored total. Dates: one date order for the whole document, from
its unambiguous dates, else the terms (due = issue + N days), else a prior.
Every check that passes raises confidence; one that fails lowers it and adds a
warning.
"""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from . import dates
from .amounts import currency_votes, find_amounts, local_currency, within_rounding
from .candidates import Candidate, Context
from .dates import DateHit, date_order, find_dates
from .ids import find_bics, find_ibans, find_vat_ids, valid_bic
from .layout import Document
from .lines import header_row
from .terms import looks_like_terms, parse_terms

EUROZONE = {"AT", "BE", "CY", "DE", "EE", "ES", "FI", "FR", "GR", "HR", "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PT", "SI", "SK"}
IBAN_CURRENCY = {**{c: "EUR" for c in EUROZONE}, "GB": "GBP", "CH": "CHF", "SE": "SEK", "DK": "DKK", "NO": "NOK", "PL": "PLN", "CZ": "CZK"}


class Choice:
    """A chosen value, its confidence, and the candidate it came from (None when derived)."""

    def __init__(self, value: Any, confidence: float, cand: Candidate | None = None, raw: str | None = None) -> None:
        self.value = value
        self.confidence = max(0.0, min(confidence, 0.99))
        self.cand = cand
        self.raw = raw if raw is not None else (cand.raw if cand else None)
        #: an upper bound that calibration must not lift (a value a check contradicts stays low or medium)
        self.ceiling: float | None = None


def noisy_or(scores: list[float]) -> float:
    miss = 1.0
    for s in sorted(scores, reverse=True)[:4]:
        miss *= 1.0 - max(0.0, min(s, 0.99))
    return 1.0 - miss


def best_by_value(cands: list[Candidate], key=lambda c: c.value) -> list[tuple[Any, float, Candidate]]:
    """Group candidates by value; combined score per value, best first."""
    groups: dict[Any, list[Candidate]] = {}
    for c in cands:
        groups.setdefault(key(c), []).append(c)
    out = []
    for k, cs in groups.items():
        top = max(cs, key=lambda c: c.score)
        out.append((k, noisy_or([c.score for c in cs]), top))
    out.sort(key=lambda t: -t[1])
    return out


def confidence(score: float, runner_up: float = 0.0, ocr_conf: float = 1.0) -> float:
    margin = max(score - runner_up, 0.0)
    return (0.45 + 0.45 * score + 0.25 * margin) * (0.6 + 0.4 * ocr_conf)


def pick_simple(cands: list[Candidate], key=lambda c: c.value) -> Choice | None:
    ranked = best_by_value(cands, key)
    if not ranked:
        return None
    value, score, cand = ranked[0]
    runner = ranked[1][1] if len(ranked) > 1 else 0.0
    return Choice(cand.value, confidence(score, runner, cand.conf), cand)


# ------------------------------------------------------------------ dates
def resolve_dates(doc: Document, cands: dict[str, list[Candidate]], prior: str | None,
                  terms_days: int | None) -> tuple[Choice | None, Choice | None, str | None]:
    hits: list[DateHit] = []
    for seg in doc.segments():
        hits.extend(find_dates(seg.text))
    order, order_conf = date_order(hits, prior)
    inv_c = cands.get("invoice_date", [])
    due_c = cands.get("due_date", [])
    # the terms decide the order when the page does not: due - issue == net days
    if order_conf < 0.9 and terms_days and inv_c and due_c:
        i, d = max(inv_c, key=lambda c: c.score).value, max(due_c, key=lambda c: c.score).value
        for o in ("DMY", "MDY"):
            a, b = i.value(o), d.value(o)
            if a and b and (b - a).days == terms_days:
                order, order_conf = o, 0.9
                break
    inv = _pick_date(inv_c, order, order_conf)
    due = _pick_date(due_c, order, order_conf)
    return inv, due, order


def _pick_date(cands: list[Candidate], order: str | None, order_conf: float) -> Choice | None:
    usable = [c for c in cands if c.value.value(order)]
    ranked = best_by_value(usable, key=lambda c: c.value.value(order))
    if not ranked:
        return None
    value, score, cand = ranked[0]
    runner = ranked[1][1] if len(ranked) > 1 else 0.0
    conf = confidence(score, runner, cand.conf)
    if cand.value.ambiguous:
        conf *= 0.7 + 0.3 * order_conf
    if cand.value.kind == "fused":
        conf *= 0.8
    elif cand.value.kind == "repaired":
        conf *= 0.7
    return Choice(value, conf, cand)


#: the heading of a payment schedule: "Payment Term | Date | Amount" rows under it (Tryton, Odoo print one)
_SCHEDULE_HEAD = re.compile(r"(?:payment\s*(?:terms?|schedule)|instal?l?ments?|due\s*dates|f(?:a|ae)lligkeiten|zahlungsplan"
                            r"|echeancier|echeances|vencimientos|plazos\s*de\s*pago)\s*:?")


def scheduled_due(doc: Document, ctx: Context, total: Any) -> list[Candidate]:
    """The due date of a payment schedule printed under its heading ("Payment Term", then "Date | Amount" and
    one row per instalment): the date of its one row whose amount is the total. Several instalments, or none
    for the whole total, give none (which of them is "the" due date is a person's call)."""
    if total is None:
        return []
    out = []
    for page in doc.pages:
        for r, row in enumerate(page.rows):
            # alone on its row (but for the bars OCR makes of a table's rules): "Invoice Date | Payment Terms |
            # Due Date" heads the columns of one row of values
            cells = [s for s in row if any(c.isalnum() for c in s.text)]
            head = cells[0] if len(cells) == 1 and _SCHEDULE_HEAD.fullmatch(cells[0].norm) else None
            if head is None:
                continue
            rows = []  # (segment, date) and the row's last amount with cents, per instalment row
            for below in page.rows[r + 1:r + 6]:
                if below[0].y0 - head.y1 > 8 * head.h:
                    break
                days = [(s, h) for s in below for h in find_dates(s.text, fused=ctx.ocr) if h.kind != "fused"]
                money = [a.value for s in below for a in find_amounts(s.text, ctx.decimal_hint) if a.decimals == 2]
                if days and money:
                    rows.append((days[0], money[-1]))
            if len(rows) == 1 and within_rounding(rows[0][1], total.value):
                (seg, hit), _ = rows[0]
                out.append(Candidate("due_date", hit, 0.85, page, seg, hit.start, hit.end, "schedule"))
    return out


def free_dates(doc: Document, ctx: Context) -> list[Candidate]:
    """Every date on the first page, the top ones likelier to be the issue date, and a date labelled as another
    one (an order, delivery or expiry date) half as likely as a date with no label."""
    out = []
    page = doc.pages[0]
    for seg in page.segments:
        others = [lab.end for lab in ctx.labels_of(seg) if lab.field == "other"]
        for h in find_dates(seg.text, fused=ctx.ocr):
            if h.kind == "fused":
                continue  # four bare digits and a year, with no label: too weak
            pos = 1.0 - min(seg.y0 / max(page.height, 1.0), 1.0)
            score = (0.12 + 0.2 * pos) * (0.8 if h.kind == "repaired" else 1.0)
            if any(end <= h.start and len(seg.text[end:h.start].strip(" :.-")) <= 24 for end in others):
                score *= 0.5
            out.append(Candidate("invoice_date", h, score, page, seg, h.start, h.end, "free"))
    return out


# ------------------------------------------------------------------ money
_TENDER = re.compile(r"^(?:cash(?:\s*(?:tendered|paid|received))?|tunai|amount\s*(?:paid|tendered)|paid(?:\s*by)?|tendered|payment|pay"
                     r"|visa|master\s*(?:card)?|credit\s*card|debit\s*card|card|amex|e-?wallet)\b")
_CHANGE = re.compile(r"^(?:change(?:\s*due)?|baki|cash\s*change)\b")
_SUMMARY = re.compile(r"(?:gst|sst|tax|vat|tva|mwst|btw)\s*(?:summary|analysis|breakdown)|ringkasan")


def tendered_total(doc: Document, ctx: Context) -> tuple[Decimal, float] | None:
    """The total a till receipt implies: cash handed over minus change given (or the card payment).

    Returns the amount and how much it says: 0.6 when change was given (the
    difference is a new number, unlikely to be misread the same way), 0.3 from
    a payment line alone (no change: it repeats the total, misreadings and all).
    """
    paid = change = None
    for page in doc.pages:
        for row in page.rows:
            amounts = [a for seg in row for a in find_amounts(seg.text, ctx.decimal_hint) if a.decimals == 2]
            if not amounts:
                continue
            head = row[0].norm.strip(" :*-")
            if change is None and _CHANGE.match(head):
                change = amounts[-1].value
            elif paid is None and _TENDER.match(head) and amounts[-1].value > 0:
                paid = amounts[-1].value
    if paid is None:
        return None
    if change is not None and 0 <= change < paid:
        return paid - change, 0.6
    return paid, 0.3


def prominent_amount(doc: Document, ctx: Context) -> Choice | None:
    """The total of a one-page document where no label gave one: the amount printed with its currency in the
    page's largest type, a third taller than its text or more, and the only such amount (a payment confirmation's
    "R$ 12,50" above its details). Low confidence: nothing labelled it."""
    if len(doc.pages) != 1:
        return None
    page = doc.pages[0]
    segs = [seg for row in page.rows for seg in row]
    if not segs:
        return None
    heights = sorted(seg.h for seg in segs)
    typical = heights[len(heights) // 2]
    found = [(seg, a) for seg in segs for a in find_amounts(seg.text, ctx.decimal_hint)
             if a.currency is not None and a.value > 0 and a.decimals == 2]
    if not found:
        return None
    tallest = max(seg.h for seg, _ in found)
    top = [(seg, a) for seg, a in found if seg.h >= 0.9 * tallest]
    if tallest < 1.3 * typical or len({a.value for _, a in top}) != 1:
        return None
    seg, a = top[0]
    return Choice(a.value, 0.35, Candidate("total", a.value, 0.35, page, seg, a.start, a.end, "prominent"))


_ROUNDING = re.compile(r"^(?:total\s*)?round(?:ing|ed)?\s*(?:adj(?:ustment)?\.?)?\b")


def rounding_adjustment(doc: Document, ctx: Context) -> Decimal | None:
    """A cash rounding line ("Rounding Adj -0.02"): the total paid is the total plus this."""
    for page in doc.pages:
        for row in page.rows:
            if _ROUNDING.match(row[0].norm.strip(" :*-")):
                amounts = [a for seg in row for a in find_amounts(seg.text, ctx.decimal_hint) if a.decimals == 2]
                if amounts and 0 < abs(amounts[-1].value) < Decimal("0.05"):
                    return amounts[-1].value
    return None


def demote_summaries(doc: Document, cands: dict[str, list[Candidate]]) -> None:
    """Amounts in a tax summary table under the totals ("GST Summary") are per-rate figures, not the total."""
    rows: set[tuple[int, int]] = set()
    for page in doc.pages:
        for r, row in enumerate(page.rows):
            if any(_SUMMARY.search(seg.norm) for seg in row):
                rows.update((page.index, k) for k in range(r, min(r + 6, len(page.rows))))
    if not rows:
        return
    for name in ("total", "subtotal", "tax"):
        for c in cands.get(name, []):
            if (c.page.index, c.seg.row) in rows:
                c.score *= 0.3


def demote_column_heads(doc: Document, cands: dict[str, list[Candidate]]) -> None:
    """"Total" or "Amount" heading the line-item table: the number under it is the first line's, not the invoice's."""
    heads = {}
    for page in doc.pages:
        found = header_row(page)
        if found is not None:
            heads[page.index] = found[0]
    for name in ("total", "subtotal"):
        for c in cands.get(name, []):
            if c.relation.startswith("below") and c.extra.get("label_row") == heads.get(c.page.index, -1):
                c.score *= 0.2


def printed_sum_total(doc: Document, ctx: Context, cands: dict[str, list[Candidate]]) -> list[Candidate]:
    """The subtotal plus the tax as a total candidate, where no total read is sure, the subtotal and tax are, and
    the page prints their sum: a total whose figures OCR garbled ("72511" for 37,51) is printed again elsewhere
    (the amount of a payment schedule or a direct debit). Where a total is sure, it is not second-guessed: an
    amount due may differ from net plus tax (shipping, a deposit paid)."""
    totals = best_by_value(cands.get("total", []))
    subs, taxes = best_by_value(cands.get("subtotal", [])), best_by_value(cands.get("tax", []))
    if not subs or not taxes or min(subs[0][1], taxes[0][1]) < 0.6:
        return []
    net = subs[0][0]
    # sure: read after its label at some strength, and between the net amount and five times it (a total below
    # the net, or "72511" for 37,51, is no total the net and tax could belong to)
    if any(score >= 0.35 and net <= value <= 5 * net for value, score, _ in totals):
        return []
    want = net + taxes[0][0]
    if taxes[0][0] <= 0 or want <= 0 or any(t[0] == want for t in totals):
        return []
    for page in doc.pages:
        for seg in page.segments:
            for a in find_amounts(seg.text, ctx.decimal_hint):
                if a.value == want and a.decimals == 2:
                    return [Candidate("total", want, 0.3, page, seg, a.start, a.end, "sum", None)]
    return []


def pick_money(cands: dict[str, list[Candidate]], tendered: tuple[Decimal, float] | None = None,
               rounding: Decimal | None = None, lines_sum: Decimal | None = None) -> dict[str, Choice]:
    tops = {}
    for f in ("total", "subtotal", "tax"):
        ranked = best_by_value(cands.get(f, []))
        tops[f] = ranked[:6]
    if rounding is not None and tops["total"]:
        # the rounded amount is what is paid: a total of 31.02 with "Rounding Adj -0.02" is 31.00
        have = {t[0] for t in tops["total"]}
        tops["total"] += [(t[0] + rounding, 0.9 * t[1] + 0.1, t[2]) for t in tops["total"][:3] if t[0] + rounding not in have]
    if (tendered is not None and tendered[1] >= 0.6 and not any(t[0] == tendered[0] for t in tops["total"])
            and max((t[1] for t in tops["total"]), default=0.0) < 0.75):
        tops["total"].append((tendered[0], 0.45, None))  # cash minus change: the total, where the total was misread
    best = None
    # a "Total" whose qualifier ("HT", "net") OCR cut off reads as a total: it may be the subtotal, at a discount,
    # where a tax makes up the difference to another total
    have = {s[0] for s in tops["subtotal"]}
    from_totals = [(t[0], 0.5 * t[1], t[2]) for t in tops["total"][:3] if t[0] not in have]
    # no total at all is an option too: a total that contradicts the subtotal is worse than one derived from it
    for t in tops["total"] + [(None, 0.0, None)]:
        for s in tops["subtotal"][:5] + [n for n in from_totals if n[0] != t[0]] + [(None, 0.0, None)]:
            for x in tops["tax"][:5] + [(None, 0.0, None)]:
                if x[0] is None and s in from_totals:
                    continue
                score = t[1] + 0.35 * s[1] + 0.35 * x[1]
                if tendered is not None and t[0] is not None and t[0] == tendered[0]:
                    score += tendered[1]
                tv, sv, xv = t[0], s[0], x[0]
                if tv is not None and sv is not None and xv is not None:
                    if sv + xv == tv:
                        score += 0.9
                    elif within_rounding(sv + xv, tv):
                        score += 0.6
                if tv is not None and sv is not None and xv is None and sv == tv:
                    score += 0.05
                if lines_sum is not None and tv is not None:
                    # the line items add up to the net, or (no tax read) to the total: the table vouches for them
                    net = sv if sv is not None else (tv - xv if xv is not None else tv)
                    if net == lines_sum:
                        score += 0.3
                if tv is not None and sv is not None and abs(sv) > abs(tv):
                    score -= 0.5
                if tv is not None and sv is not None and sv > 0 and tv > 5 * sv:
                    score -= 0.5  # no tax is 400 %: "4250" read for 42.50 under a subtotal of 42.46
                if tv is not None and xv is not None and abs(xv) >= abs(tv) and tv != 0:
                    score -= 0.5
                if best is None or score > best[0]:
                    best = (score, t, s, x)
    out: dict[str, Choice] = {}
    if best is None:
        return out
    _, t, s, x = best
    adds_up = t[0] is not None and s[0] is not None and x[0] is not None and within_rounding(s[0] + x[0], t[0])
    for name, pick in (("total", t), ("subtotal", s), ("tax", x)):
        if pick[0] is None:
            continue
        ranked = tops[name]
        runner = max((r[1] for r in ranked if r[0] != pick[0]), default=0.0)
        conf = confidence(pick[1], runner, pick[2].conf if pick[2] is not None else 0.8)
        if name == "total" and tendered is not None and pick[0] == tendered[0]:
            conf = max(conf, 0.6 + 0.5 * tendered[1])
        elif name == "total" and tendered is not None and tendered[1] >= 0.6:
            conf = min(conf, 0.45)  # cash less change says another amount: one of them is misread
        if adds_up:
            conf = max(conf, 0.9) if name == "total" else max(conf, 0.85)
        out[name] = Choice(pick[0], conf, pick[2])
    if "total" not in out and "subtotal" in out and "tax" in out and 0 <= out["tax"].value < out["subtotal"].value:
        v = out["subtotal"].value + out["tax"].value
        out["total"] = Choice(v, 0.55, None, None)
    return out


# ------------------------------------------------------------------ currency
def pick_currency(doc: Document, total: Choice | None, iban: str | None, hint: str | None) -> Choice | None:
    text = doc.text()
    votes = currency_votes(text)
    if total and total.cand is not None and total.cand.extra.get("currency"):
        code = total.cand.extra["currency"]
        if code == "USD" and "US" not in (total.cand.raw or "").upper():
            code = local_currency(text) or code  # a bare "$" is the local dollar (or ringgit)
        votes[code] = votes.get(code, 0.0) + 3.0
    if iban and iban[:2] in IBAN_CURRENCY:
        code = IBAN_CURRENCY[iban[:2]]
        votes[code] = votes.get(code, 0.0) + 0.5
    if hint:
        votes[hint] = votes.get(hint, 0.0) + 1.0
    if not votes:
        return None
    code, v = max(votes.items(), key=lambda kv: kv[1])
    share = v / sum(votes.values())
    return Choice(code, 0.4 + 0.55 * share * min(v, 3.0) / 3.0, None, code)


# ------------------------------------------------------------------ bank details
def bank_candidates(doc: Document, ctx: Context, buyer: set[int]) -> list[Candidate]:
    """IBANs found anywhere (checksum-valid), read across a whole row: OCR and wide
    letter-spacing can cut an IBAN's groups into separate phrases."""
    out = []
    for page in doc.pages:
        for row in page.rows:
            text, starts = "", []
            for seg in row:
                starts.append(len(text))
                text += seg.text + " "
            for h in find_ibans(text, repair=ctx.ocr):
                k = max(i for i, st in enumerate(starts) if st <= h.start)
                seg = row[k]
                score = (0.55 if id(seg) in buyer else 0.85) * (0.9 if h.repaired else 1.0)
                if re.search(r"(?i)iban", text[max(0, h.start - 12):h.start]):
                    score = max(score, 0.95 * (0.9 if h.repaired else 1.0))
                start = h.start - starts[k]
                out.append(Candidate("iban", h.value, score, page, seg, start, min(max(h.end - starts[k], start + 1), len(seg.text)), "free"))
    return out


_BANK_WORDS = re.compile(r"(?i)bank|banque|banca|swift|\bbic\b|iban|account|konto|compte|rekening")


def bic_near(doc: Document, iban: Candidate | None) -> list[Candidate]:
    out = []
    for page in doc.pages:
        for seg in page.segments:
            for h in find_bics(seg.text):
                if iban is not None:
                    if h.value[4:6] != iban.value[:2]:
                        # a bank's BIC and IBAN name one country: "BANCAIRE" (Anguilla's shape) beside a French IBAN,
                        # "RECHNUNG" over a German one
                        continue
                    near = iban.seg is seg or (iban.page is page and abs(iban.seg.row - seg.row) <= 2)
                    score = 0.85 if near else 0.7
                else:
                    # no IBAN to match: bank words must stand beside the code, not inside it ("BANCAIRE" holds
                    # "banca"); "SCISSORS" on a till receipt is a BIC's shape with no bank in sight
                    rest = [s.text if s is not seg else seg.text[:h.start] + " " + seg.text[h.end:]
                            for s in page.rows[seg.row]]
                    if not any(_BANK_WORDS.search(t) for t in rest):
                        continue
                    score = 0.4
                if valid_bic(h.value):
                    out.append(Candidate("bic", h.value, score, page, seg, h.start, h.end, "free"))
    return out


# ------------------------------------------------------------------ terms, tax id, e-mail
def free_terms(doc: Document) -> list[Candidate]:
    out = []
    for page in doc.pages:
        for seg in page.segments:
            if len(seg.text) < 200 and looks_like_terms(seg.text):
                out.append(Candidate("payment_terms", seg.text, 0.6, page, seg, 0, len(seg.text), "free"))
    return out


def free_tax_ids(doc: Document, buyer: set[int], ctx: Context) -> list[Candidate]:
    out = []
    for page in doc.pages:
        for seg in page.segments:
            if id(seg) in buyer or any(l.field == "other" and "client" in l.text or "customer" in l.text
                                       for l in ctx.labels_of(seg)):
                continue
            for h in find_vat_ids(seg.text):
                out.append(Candidate("vendor_tax_id", h.value, 0.5, page, seg, h.start, h.end, "free"))
    return out


_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}", re.I)


def email_candidates(doc: Document, buyer: set[int]) -> list[Candidate]:
    out = []
    for page in doc.pages:
        for seg in page.segments:
            for m in _EMAIL.finditer(seg.text):
                score = 0.2 if id(seg) in buyer else 0.6
                if re.match(r"(?i)(?:billing|invoice|accounts?|ar|rechnung|factur|buchhaltung|info|contact)", m.group(0)):
                    score += 0.1
                out.append(Candidate("vendor_email", m.group(0), score, page, seg, m.start(), m.end(), "free"))
    return out


def terms_days(choice: Choice | None) -> int | None:
    if choice is None:
        return None
    t = parse_terms(choice.value, labelled=True)
    return t.net_days if t else None


def due_from_terms(invoice: Choice | None, terms: Choice | None) -> Choice | None:
    if invoice is None or terms is None:
        return None
    t = parse_terms(terms.value, labelled=True)
    if t is None:
        return None
    due = t.due_date(invoice.value)
    if due is None:
        return None
    return Choice(due, min(invoice.confidence, terms.confidence) * 0.75, None, terms.raw)


def check_terms(inv: Choice | None, due: Choice | None, terms: Choice | None, warnings: list[str]) -> None:
    """A printed due date should follow from the printed terms; if not, one of them is misread."""
    if inv is None or due is None or terms is None or due.cand is None:
        return
    t = parse_terms(terms.value, labelled=True)
    if t is None or t.net_days is None or t.end_of_month:
        return
    if (due.value - inv.value).days == t.net_days:
        due.confidence = min(due.confidence + 0.05, 0.99)
        inv.confidence = min(inv.confidence + 0.05, 0.99)
    else:
        due.confidence *= 0.9
        warnings.append("the due date does not follow from the payment terms")


def check_dates(inv: Choice | None, due: Choice | None, warnings: list[str]) -> None:
    today = dates.today()
    # fifteen years back in days: ``replace(year=...)`` fails on 29 February
    if inv is not None and not (today - dt.timedelta(days=5479) <= inv.value <= today + dt.timedelta(days=400)):
        inv.confidence *= 0.8
        warnings.append("invoice date is far from today")
    if inv is not None and due is not None:
        if due.value < inv.value:
            due.confidence *= 0.6
            warnings.append("due date is before the invoice date")
        elif (due.value - inv.value).days > 366:
            due.confidence *= 0.7
            warnings.append("due date is more than a year after the invoice date")
