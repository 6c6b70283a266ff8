"""Line items: the table under a header row (description / quantity / price / amount).

Rows are read until the totals block. The rightmost amount of a row is its
net amount; a row without amounts continues the previous description. When
the amounts add up to the subtotal (or total) every line gets a higher
confidence.
"""
from __future__ import annotations

import re
from decimal import Decimal

from .amounts import AmountHit, decimal_separator, find_amounts, within_rounding
from .candidates import Context
from .layout import Document, Page, Segment, fold
from .lexicon import scan_labels
from .model import ExtractedField, ExtractedLine

_HEADERS = {
    "description": r"description|designation|libelle|item(?!\s*price)|article|artikel|omschrijving|beschreibung|bezeichnung|produkt|product|"
                   r"leistung|service|prestation|descripcion|descrizione|title|produit|details?",
    "quantity": r"qty|quantity|menge|anzahl|aantal|quantite|nombre|hoeveelheid|units?|cantidad|quantita|qte|stk|pcs",
    "unit_price": r"unit\s*price|price|rate|prix(?:\s*unitaire)?|p\.?\s*u\.?(?:\s*ht)?|einzelpreis|preis|prijs(?:\s*per\s*stuk)?|"
                  r"vk-?\s*preis|tarif|precio|prezzo",
    "amount": r"amount|total|line\s*total|montant(?:\s*ht)?|betrag|gesamtbetrag|gesamt|summe|bedrag|zeilenbetrag|prix\s*ht|"
              r"importe|importo|net|netto|totaal",
    # recognised only so that their column is not taken for the description
    "tax": r"ust\.?|mwst\.?|vat|tax(?:\s*\(?%\)?)?|btw|tva|iva|mva|moms|disc\.?|rabatt|rem\.?|korting|pos\.?|nr\.?",
}
_HEADER_RE = {k: re.compile(r"^(?:" + v + r")\b") for k, v in _HEADERS.items()}
# Heading words in common use that the headings above leave out ("Stückpreis", "Gesamtpreis", "Unit cost",
# "Hours", "Stukprijs", the Scandinavian "Beskrivelse | Enhetspris | Sum"; Tesseract reads the u-umlaut of "Stück" as "ii" or "i"). A table found only through them, or
# read only with the wider column rules of ``_read_table(wide=True)``, is kept only where its lines add up to
# the subtotal or total and the table read without them does not (``wider_lines``): on their own they gave
# spurious lines on documents no rule was tuned on.
_MORE_HEADERS = {
    "description": r"artikel(?:bezeichnung|beschreibung)|beschrijving|leistungsbeschreibung|services|text|dienst(?:en)?|"
                   r"beskrivelse|beskrivning",
    "unit_price": r"unit\s*cost|item\s*price|enhetspris|enhedspris|styckpris|each|e-?\s*preis|ep|st(?:u|ii?)ckpreis|stukprijs|eenheidsprijs|tarief|uurtarief|"
                  r"stundensatz|taux\s*horaire",
    "quantity": r"anz\.?|aant\.?|antall|antal|stuks|hours|hrs|st(?:u|ii?)ck|uren|std\.?|stunden|heures",
    "amount": r"gesamtpreis|gp|regeltotaal|extended|sum|summa|bel(?:o|ø)p|beløb",
}
# the price before the quantity: "Unit cost" is a price, where a lone "Unit(s)" is a quantity
_WIDE_RE = {k: re.compile(r"^(?:" + _HEADERS[k] + ("|" + _MORE_HEADERS[k] if k in _MORE_HEADERS else "") + r")\b")
            for k in ("description", "unit_price", "quantity", "amount", "tax")}
_STOP = re.compile(r"^(?:sub\s*-?\s*total|total|totaal|subtotaal|gesamt|summe|zwischensumme|netto|nettobetrag|sous-total|montant|"
                   r"tax|vat|tva|btw|mwst|ust|exclusief|balance|amount due|grand total|zuzugl|zzgl)\b")
_TOTALS = {"total", "subtotal", "tax"}
# the running sum printed at a page's foot and again at the next page's head
_CARRIED = re.compile(r"^(?:(?:u|ue|ii?)bertrag|carried\s*(?:forward|over)|brought\s*forward|balance\s*(?:carried|brought)\s*forward"
                      r"|a\s*reporter|report|transport|suma\s*y\s*sigue|saldo\s*anterior)\b")
# the headings of a tax summary under the lines ("Taux | Base TVA | Montant TVA", "USt.-Satz | Netto | USt.-Betrag",
# "VAT rate | Net | VAT"): its rows are rates and bases, not lines
_TAX_RATE_HEAD = re.compile(r"(?:^|\W)(?:taux|rate|satz|steuersatz|tarief|aliquota)\b")
_TAX_WORD = re.compile(r"(?:^|\W)(?:tva|vat|tax|mwst|ust|btw|iva|gst)\b")
_TAX_BASE_HEAD = re.compile(r"(?:^|\W)(?:base|basis|bemessungsgrundlage|grondslag|imponibile|net(?:to)?|taxable|nettopreis)\b")
_NUMBER = re.compile(r"^-?\d+(?:[.,]\d+)?")


def header_row(page: Page, wide: bool = False) -> tuple[int, dict[str, Segment]] | None:
    """The first row that names the columns of an item table (``wide``: with ``_MORE_HEADERS`` too)."""
    heads = _WIDE_RE if wide else _HEADER_RE
    for r, row in enumerate(page.rows):
        cols: dict[str, Segment] = {}
        for seg in row:
            for head in _cells(seg, heads):
                norm = head.norm.lstrip("([|_-\u2014 ")  # OCR reads table rules as brackets and bars
                for name, rx in heads.items():
                    if not rx.match(norm):
                        continue
                    if name not in cols:
                        cols[name] = head
                    elif name == "unit_price" and "amount" not in cols and head.x0 > cols[name].x1:
                        cols["amount"] = head  # "Prijs per stuk ... Prijs incl. BTW": the second price is the line's
                    break
        named = [k for k in cols if k != "tax"]
        if len(named) >= 3 or (len(named) == 2 and "amount" in cols):
            return r, cols
    return None


def _cells(seg: Segment, heads: dict[str, re.Pattern]) -> list[Segment]:
    """Header cells of a segment: on a scan, narrow column gaps glue "BTW Prijs incl. BTW" into one phrase,
    so every word that starts a header name starts a cell (up to the next such word)."""
    starts = [i for i, w in enumerate(seg.words)
              if i == 0 or any(rx.match(fold(w.text).lstrip("([|_-\u2014 ")) for rx in heads.values())]
    if len(starts) == 1:
        return [seg]
    bounds = starts + [len(seg.words)]
    return [Segment(seg.words[a:b], seg.page) for a, b in zip(bounds, bounds[1:])]


def lines_context(doc: Document) -> Context:
    """What the line readers share for one document: its decimal separator, and the labels of its segments
    (scanned once, by whichever reader asks first)."""
    return Context(decimal_hint=decimal_separator([s.text for s in doc.segments()]))


def read_lines(doc: Document, ctx: Context, wide: bool = False) -> list[ExtractedLine]:
    """The line-item tables of the document, as read (``settle_lines`` checks them against the totals).
    ``wide``: with the wider headings and column rules, for ``wider_lines`` only."""
    lines: list[ExtractedLine] = []
    for page in doc.pages:
        found = header_row(page, wide)
        if not found:
            continue
        r0, cols = found
        lines.extend(_read_table(page, r0, cols, ctx, wide))
    return lines


def wider_lines(doc: Document, ctx: Context, lines: list[ExtractedLine], subtotal=None,
                total=None) -> list[ExtractedLine] | None:
    """The item table read again with the wider headings and column rules, where the lines read without them
    do not add up to the subtotal or total: the new reading is taken only if its lines, each with a
    description, add up to one of them as read (``settle_lines`` then confirms them); a line amount mended to
    make them add up does not vouch for them, unless the line's own quantity times its price gives the mended
    amount (``_price_vouched``). None where they do not, so that the lines stay as read: on their
    own the wider rules gave spurious lines."""
    targets = [c.value for c in (subtotal, total) if c is not None and c.value > 0]
    if not targets or (lines and _adds_up(_sum(lines), targets)):
        return None
    wide = read_lines(doc, ctx, wide=True)
    if not wide or any(ln.description is None or not _wordy(ln.description.value) for ln in wide):
        return None
    if not _adds_up(_sum(wide), targets):
        priced = [_price_vouched(ln) for ln in wide]
        if not _adds_up(sum(priced, Decimal(0)), targets):
            return None
        for ln, value in zip(wide, priced):
            ln.amount.value = value  # the text OCR read stays the amount's raw text
    return settle_lines(wide, subtotal, total)


def continued_lines(doc: Document, ctx: Context, lines: list[ExtractedLine], subtotal=None,
                    total=None) -> list[ExtractedLine] | None:
    """The item table read on across pages: where the lines read do not add up to the subtotal or total, a
    page with no header row of its own, after a page whose table ran to its foot (no totals under it), is read
    as that table's continuation with the same columns (a long invoice prints its header once). Taken only if
    the continued lines then add up to one of them, as read or mended by ``settle_lines``; None otherwise."""
    targets = [c.value for c in (subtotal, total) if c is not None and c.value > 0]
    if not targets or not lines or len(doc.pages) < 2 or _adds_up(_sum(lines), targets):
        return None
    out: list[ExtractedLine] = []
    carry: dict[str, Segment] | None = None
    more = False
    for page in doc.pages:
        found = header_row(page)
        if found:
            got, ended = _table_rows(page, found[0], found[1], ctx)
            carry = None if ended else found[1]
        elif carry is not None:
            got, ended = _table_rows(page, None, carry, ctx)
            more = more or bool(got)
            carry = None if ended else carry
        else:
            continue
        out.extend(got)
    if not more:
        return None
    settled = settle_lines(out, subtotal, total)  # a misread line amount mended where the sum says which
    return settled if _adds_up(_sum(settled), targets) else None


def _price_vouched(line: ExtractedLine) -> Decimal:
    """A line's amount as read, or its quantity times its unit price where OCR could have misread that product
    as the amount read ("86,11" for 1 x 586,11): the line's own figures vouch for that mend, as no sum can."""
    read, priced = line.amount.value, _priced(line)
    # a cent apart is the rounding of a half cent (1.5 x 1,371.75 is printed 2,057.63), no misreading
    if priced is None or abs(priced - read) <= _CENT or not _ocred(line) or not _misread(read, priced, slips=2):
        return read
    return priced


def _sum(lines: list[ExtractedLine]) -> Decimal:
    return sum((ln.amount.value for ln in lines if ln.amount is not None), Decimal(0))


def settle_lines(lines: list[ExtractedLine], subtotal=None, total=None) -> list[ExtractedLine]:
    """Lines read by ``read_lines``, stray lines dropped where the rest then adds up to the subtotal or total,
    and scored by whether they add up."""
    if not lines:
        return []
    targets = [c.value for c in (subtotal, total) if c is not None]
    lines = mend_misread(reconcile(lines, targets), targets)
    _score(lines, subtotal, total)
    return lines


def listed_lines(doc: Document, ctx: Context, subtotal=None, total=None) -> list[ExtractedLine]:
    """Lines printed without a table header, found by their sum: a run of rows, each a description and one
    amount at the right, their descriptions at one indent, whose amounts add up to the cent to the subtotal or
    the total (a cloud provider's "Detail" section: one row per service, its sub-rows indented deeper).

    Used only where no header table was found (``read_lines``). A row further left than the run's indent (a
    section heading), or at its indent and not a line (a totals or tax row, text), ends it; a deeper one (a
    service's own charges and tax) does not. A totals or tax label is never a line. The longest run that adds
    up wins, and it needs two amounts that are not zero, so that a "Charges 4.11 / Credits 0.00" pair is not
    taken for a list. The lines keep a medium confidence (0.6): they were found by their sum, so it does not
    confirm them as it confirms a table's lines (``settle_lines``)."""
    targets = [c.value for c in (subtotal, total) if c is not None and c.value > 0]
    if not targets:
        return []
    best: list[tuple[Page, Segment, Segment, AmountHit]] = []
    for page in doc.pages:
        rows = [_listed_row(page, row, ctx) for row in page.rows if row]
        for i, first in enumerate(rows):
            if not isinstance(first, tuple):
                continue
            indent, tol = first[1].x0, 0.6 * first[1].h
            run, added, nonzero = [first], first[3].value, int(first[3].value != 0)
            for other in rows[i + 1:]:
                x0 = other[1].x0 if isinstance(other, tuple) else other
                if x0 > indent + tol:
                    continue  # deeper in: a line's own sub-rows (its charges, its tax)
                if not isinstance(other, tuple) or x0 < indent - tol:
                    break  # a heading further left, a totals or tax row, text that is not a line
                run.append(other)
                added += other[3].value
                nonzero += other[3].value != 0
                if len(run) > len(best) and nonzero >= 2 and added in targets:
                    best = list(run)
    out = []
    for page, desc, aseg, amount in best:
        line = ExtractedLine()
        line.amount = ExtractedField(amount.value, 0.6, page.source(aseg.span_box(amount.start, amount.end)), amount.text)
        line.description = ExtractedField(desc.text, 0.6, page.source((desc.x0, desc.y0, desc.x1, desc.y1)), desc.text)
        out.append(line)
    return out


def _listed_row(page: Page, row: list[Segment], ctx: Context) -> tuple[Page, Segment, Segment, AmountHit] | float:
    """A row as ``listed_lines`` sees it: (page, description, amount segment, amount) for a description and
    one amount at the right; for any other row (a totals or tax row, text) where it starts, its indent."""
    desc, last = row[0], row[-1]
    if _totals_row(row, ctx):
        return desc.x0
    amounts = find_amounts(last.text, ctx.decimal_hint) if len(row) >= 2 else []
    if (len(amounts) != 1 or find_amounts(desc.text, ctx.decimal_hint) or not any(c.isalpha() for c in desc.text)
            or last.x0 < page.width * 0.5 or amounts[0].decimals != 2):
        return desc.x0
    return page, desc, last, amounts[0]


def reconcile(lines: list[ExtractedLine], targets: list[Decimal]) -> list[ExtractedLine]:
    """Drop one or two stray lines (amounts with no description: a notes row, a figure of the footer) when the
    others then add up to the subtotal or total. Lines that already add up, or cannot be made to, are kept as read.
    """
    amounts = [ln.amount.value if ln.amount is not None else Decimal(0) for ln in lines]
    total = sum(amounts, Decimal(0))
    if not targets or _adds_up(total, targets) or len(lines) < 3:
        return lines
    stray = [i for i, ln in enumerate(lines) if ln.description is None or not ln.description.value.strip()]
    for t in targets:
        for i in stray:
            if _adds_up(total - amounts[i], [t]):
                return lines[:i] + lines[i + 1:]
        for i in stray:
            for j in stray:
                if j > i and _adds_up(total - amounts[i] - amounts[j], [t]):
                    return [ln for k, ln in enumerate(lines) if k not in (i, j)]
    return lines


_CENT = Decimal("0.01")


def _adds_up(total: Decimal, targets: list[Decimal]) -> bool:
    """Does a sum of lines meet one of the targets (subtotal or total)."""
    return any(within_rounding(total, t) for t in targets)


def mend_misread(lines: list[ExtractedLine], targets: list[Decimal]) -> list[ExtractedLine]:
    """One line amount that OCR misread, mended where the lines then add up to the subtotal or total.

    The amount the sum asks for (the amount plus what the lines miss) is taken when exactly one OCR'd line can
    be it: its quantity times its unit price gives it to the cent and its digits are that product's with one
    slip (that settles it even where another line's digits could fit), or else, on a line without both, its
    digits alone show a slip: a leading group lost ("4 203,69" read "203,69"), one digit misread, or the
    decimal separator lost ("160,00" read "16000"); a line whose quantity and price give another amount is
    not changed by its digits alone. A gap that no single line explains this way (a line not read at all) leaves the lines as
    read, and so does a page with a text layer: its amounts are as printed, and a sum that misses them (a
    subtotal printed before the line discounts) is no reading error. The mended amount keeps the text OCR read
    (``raw_text``), so a reviewer sees both."""
    amounts = [ln.amount.value if ln.amount is not None else None for ln in lines]
    if not targets or any(a is None for a in amounts):
        return lines
    total = sum(amounts, Decimal(0))
    if _adds_up(total, targets):
        return lines
    priced = [_priced(ln) for ln in lines]
    for t in targets:
        wanted = [(i, (a + t - total).quantize(_CENT)) for i, a in enumerate(amounts)
                  if a + t - total > 0 and _ocred(lines[i])]
        by_price = [(i, w) for i, w in wanted if _price_vouched(lines[i]) == w]
        fits = by_price or [(i, w) for i, w in wanted if priced[i] is None and _misread(amounts[i], w)]
        if len(fits) == 1:
            lines[fits[0][0]].amount.value = fits[0][1]
            return lines
    return lines


def _ocred(line: ExtractedLine) -> bool:
    src = line.amount.source if line.amount is not None else None
    return src is not None and src.layer == "ocr"


def _priced(line: ExtractedLine) -> Decimal | None:
    """A line's quantity times its unit price, to the cent (None without both)."""
    if line.quantity is None or line.unit_price is None:
        return None
    return (line.quantity.value * line.unit_price.value).quantize(_CENT)


def _misread(read: Decimal, wanted: Decimal, slips: int = 1) -> bool:
    """Could OCR have read ``wanted`` as ``read``: the decimal separator lost, or a leading digit group lost or
    one digit misread (``slips=2``: both at once, where the line's quantity times its price vouches for it; two
    misread digits never: 270.00 is no misreading of 300.00)."""
    if not read:
        return False  # a zero read is no slip of any amount: nothing of it was read
    got, want = _digits(read), _digits(wanted)
    if got == want + "00":
        return True
    if len(want) < len(got):
        return False
    lost = len(want) > len(got)
    wrong = sum(x != y for x, y in zip(got, want[len(want) - len(got):]))
    return wrong <= 1 and 1 <= lost + wrong <= slips


def _digits(value: Decimal) -> str:
    return format(abs(value).quantize(_CENT), "f").replace(".", "").lstrip("0") or "0"


def _read_table(page: Page, r0: int, cols: dict[str, Segment], ctx: Context, wide: bool = False) -> list[ExtractedLine]:
    return _table_rows(page, r0, cols, ctx, wide)[0]


def _table_rows(page: Page, r0: int | None, cols: dict[str, Segment], ctx: Context,
                wide: bool = False) -> tuple[list[ExtractedLine], bool]:
    """The lines of a table under its header row ``r0``, and whether the table ended on the page (at its totals
    or a tax summary). ``r0`` None: a page that continues the table of the page before, read with that page's
    columns (``cols``) from its top; its rows before the first line (the page's own heading) are passed over."""
    out: list[ExtractedLine] = []
    started = r0 is not None
    h = page.rows[r0][0].h if r0 is not None else min(sg.h for sg in cols.values())
    # the description column runs from its header to the next header (or from the page edge)
    heads = sorted(cols.items(), key=lambda kv: kv[1].x0)
    if "description" in cols:
        i = [k for k, _ in heads].index("description")
        d_x0 = heads[i - 1][1].x1 + h if i > 0 else 0.0
        d_x1 = heads[i + 1][1].x0 - h if i + 1 < len(heads) else page.width
    else:
        d_x0, d_x1 = 0.0, heads[0][1].x0 - h
    qty_seg = cols.get("quantity")
    numeric_heads = [(k, sg) for k, sg in heads if k in ("quantity", "unit_price", "amount")]
    last_y = page.rows[r0][0].y1 if r0 is not None else 0.0
    for row in page.rows[r0 + 1 if r0 is not None else 0:]:
        if started and row[0].y0 - last_y > 6 * h:
            break
        if _CARRIED.match(row[0].norm):
            continue  # "Übertrag 1.234,56": the sum so far, carried to the next page, no line
        # wide: a figure that reaches into the next heading's column is that column's (a right-aligned line amount
        # under a short "Net" starts left of it, where the description column would end)
        in_desc = [s for s in row if d_x0 - h <= s.x0 < d_x1
                   and not (wide and s.x1 > d_x1 + h and _money_only(s.text, ctx))]
        if (row[0] not in in_desc and row[0].x0 < d_x0 - h and row[0].x1 > d_x0 + h
                and _wordy(row[0].text)):
            in_desc.insert(0, row[0])  # a description started in the position column (no position number printed)
        counts = []  # wide: bare numbers under no quantity heading, not the description and no amount either
        while len(in_desc) > 1:
            # a quantity printed left of its column's header is not part of the description; wide: nor is a figure
            # under a heading no word of which is known ("Time", "Charge")
            bare = _NUMBER.fullmatch(in_desc[-1].text.strip()) is not None
            money = wide and _money_only(in_desc[-1].text, ctx)
            if not (bare and (qty_seg is not None or wide) or money):
                break
            seg = in_desc.pop()
            if wide and qty_seg is None and not money:
                counts.append(seg)
        amounts = []
        for seg in row:
            if seg in in_desc or seg in counts:
                continue
            for a in find_amounts(seg.text, ctx.decimal_hint):
                amounts.append((a, seg))
        if (amounts or any(find_amounts(sg.text, ctx.decimal_hint) for sg in in_desc)) and _totals_row(row, ctx):
            return out, True  # the totals block under the table
        desc_text = " ".join(s.text for s in in_desc).strip()
        if not amounts and out and _tax_summary_head(row):
            return out, True
        if not amounts:
            last_y = row[0].y1
            if out and desc_text and out[-1].description is not None and len(out[-1].description.value) < 200:
                d = out[-1].description
                d.value = (d.value + " " + desc_text).strip()
                d.raw_text = d.value
            continue
        amount, aseg = amounts[-1]
        if "amount" in cols and not _under(aseg, cols["amount"], 3 * h) and not (
                len(amounts) >= 2 and aseg is row[-1] and aseg.x0 > d_x1):
            # not in the amount column: footer or notes text with numbers. A row's last amount after another
            # (quantity, price) is its line amount all the same: columns printed out of line with their headers
            continue
        if amount.decimals == 0 and amount.currency is None and ctx.decimal_hint:
            # a bare count ("256 GB  1") where the page prints its prices with cents: a note under a line, not a line
            if out and desc_text and out[-1].description is not None and len(out[-1].description.value) < 200:
                out[-1].description.value = (out[-1].description.value + " " + desc_text).strip()
            last_y = row[0].y1
            continue
        line = ExtractedLine()
        line.amount = ExtractedField(amount.value, 0.6, page.source(aseg.span_box(amount.start, amount.end)), amount.text)
        if desc_text:
            box = (min(s.x0 for s in in_desc), min(s.y0 for s in in_desc), max(s.x1 for s in in_desc), max(s.y1 for s in in_desc))
            line.description = ExtractedField(desc_text, 0.6, page.source(box), desc_text)
        for a, seg in amounts[:-1]:
            col = _nearest(seg, numeric_heads)
            if col is None or not _under(seg, cols[col], 2 * h):
                continue
            if col == "unit_price" and line.unit_price is None:
                line.unit_price = ExtractedField(a.value, 0.55, page.source(seg.span_box(a.start, a.end)), a.text)
            elif col == "quantity" and a.currency is None and line.quantity is None:
                line.quantity = ExtractedField(a.value, 0.55, page.source(seg.span_box(a.start, a.end)), a.text)
        if line.quantity is None and qty_seg is not None:
            for seg in row:
                m = _NUMBER.match(seg.text.strip())
                if m and _under(seg, qty_seg, 2 * h):
                    q = _decimal(m.group(0), ctx.decimal_hint)
                    if q is not None:
                        line.quantity = ExtractedField(q, 0.55, page.source((seg.x0, seg.y0, seg.x1, seg.y1)), seg.text)
                    break
        out.append(line)
        last_y = row[0].y1
        started = True
    return out, False


def _wordy(text: str) -> bool:
    """Text with at least three letters: a description, not a stray mark or a code OCR made of a rule."""
    return sum(c.isalpha() for c in text) >= 3


def _money_only(text: str, ctx: Context) -> bool:
    """A cell that is one amount with cents and nothing else ("1,008.28 GBP", "€715.66")."""
    hits = find_amounts(text, ctx.decimal_hint)
    return len(hits) == 1 and hits[0].decimals == 2 and len(text.strip()) - (hits[0].end - hits[0].start) <= 1


def _totals_row(row: list[Segment], ctx: Context) -> bool:
    """A row of the totals block: it starts with a totals or tax word, or one of its segments starts with a
    total, subtotal or tax label, or its first two cells do (a label a scan's widened space cut in two,
    "Net | amount | 59,332.20")."""
    if _STOP.match(row[0].norm) or any(_names_total(ctx.labels_of(s)) for s in row):
        return True
    if len(row) < 3 or any(c.isdigit() for c in row[0].text + row[1].text):
        return False
    joined = row[0].norm + " " + row[1].norm
    return bool(_STOP.match(joined) or _names_total(scan_labels(joined)))


def _names_total(hits) -> bool:
    """Do a cell's label hits start with a total, subtotal or tax label (at its first word or so)."""
    return bool(hits) and hits[0].field in _TOTALS and hits[0].start <= 1


def _tax_summary_head(row: list[Segment]) -> bool:
    """The heading row of a tax summary: a rate heading and a taxable-base heading in cells of their own, and a
    tax word (an items table's own "Rate | Net" headings name no tax)."""
    cells = [s.norm for s in row]
    return (len(cells) >= 3 and any(_TAX_RATE_HEAD.search(c) for c in cells)
            and any(_TAX_BASE_HEAD.search(c) for c in cells) and any(_TAX_WORD.search(c) for c in cells))


def _nearest(seg: Segment, heads: list[tuple[str, Segment]]) -> str | None:
    if not heads:
        return None
    cx = (seg.x0 + seg.x1) / 2
    return min(heads, key=lambda kv: min(abs(cx - (kv[1].x0 + kv[1].x1) / 2), abs(seg.x1 - kv[1].x1), abs(seg.x0 - kv[1].x0)))[0]


def _under(seg: Segment, header: Segment, tolerance: float) -> bool:
    return seg.x0 < header.x1 + tolerance and seg.x1 > header.x0 - tolerance


def _decimal(text: str, hint: str | None) -> Decimal | None:
    t = text.replace(",", ".") if (hint == "," or text.count(",") == 1 and "." not in text) else text.replace(",", "")
    try:
        return Decimal(t)
    except ArithmeticError:
        return None


def _score(lines: list[ExtractedLine], subtotal, total) -> None:
    targets = [c.value for c in (subtotal, total) if c is not None]
    adds_up = _adds_up(_sum(lines), targets)
    for ln in lines:
        for f in (ln.description, ln.quantity, ln.unit_price, ln.amount):
            if f is not None:
                f.confidence = 0.85 if adds_up else f.confidence
