"""Who issued the invoice: vendor name from the page, and matching against known vendors.

The page rarely says "Vendor: X". The evidence used, strongest first: a
seller/payee label ("Sold by", "Kontoinhaber", "Titulaire du compte"), the
return-address line above the address window ("ACME GmbH - Street 1 - 12345
City"), company names with a legal form outside the customer's blocks, the
letterhead (big type at the top), each corroborated by the vendor's web or
e-mail domain. Customer blocks ("Bill to", "Factuuradres", …) are excluded.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Sequence

from rapidfuzz import fuzz

from .layout import Document, Segment, fold
from .lexicon import BUYER_LABELS, SELLER_LABELS

_LEGAL = (r"GmbH\s*&\s*Co\.?\s*KG|GmbH|gGmbH|AG|KGaA|KG|OHG|UG|e\.\s?K\.|B\.\s?V\.?|BV|N\.\s?V\.?|NV|SARL|S\.A\.R\.L\.|SAS|SASU|EURL|SA|S\.A\.|"
          r"SCS|SNC|Ltd\.?|Limited|Inc\.?|Incorporated|LLC|L\.L\.C\.|LLP|PLC|Corp\.?|Corporation|Pvt\.?\s*Ltd\.?|Private\s+Limited|"
          r"S\.r\.l\.|Srl|S\.p\.A\.|SpA|S\.L\.|SL|Oy|AB|ApS|A/S|AS|SE|Pty\.?\s*Ltd\.?|Co\.|"
          r"[S58$][DO0]N\.?\s*BHD\.?|[S58$][do0]n\.?\s*Bhd\.?|BHD\.?|Bhd\.?|BERHAD|Berhad|[S$5]/B")
_NAME_WORD = r"(?:\(?[A-Z0-9ÄÖÜÉÈ][\w&'’.\-]*\)?|[a-z]{1,2}-?[A-Z][\w&'’.\-]*|&)"  # "e-Luscious", "eBay", "(KUCHAI)" too
_LEGAL_NAME = re.compile(
    r"((?:" + _NAME_WORD + r"\s+){0,5}?(?:" + _NAME_WORD + r",?\s+)(?:" + _LEGAL + r"))(?![\w])")
# Words of a tax or company registration.
_TAX_WORDS = (r"kvk|hrb|hra|siret|siren|rcs|gstin|vat|tva|btw|ust-?id|steuer|ust\.?\s?id|registergericht|handelsregister"
              r"|company (?:no|number|reg)")
# Registration and bank details: the company named next to them is the issuer.
_REGISTRATION = re.compile(r"(?i)\b(?:iban|bic|swift|cin|" + _TAX_WORDS + r"|registered office|gst\s*(?:id|reg)|co\.?\s*reg)"
                           r"|\(\s*\d{4,8}\s*-\s*[A-Z]\s*\)|\b[A-Z]{2}\d{6,8}-[A-Z]\b")
# A tax or company registration (not a bank's details): the name that starts its footer row is the issuer's.
_TAX_REGISTRATION = re.compile(r"(?i)\b(?:" + _TAX_WORDS + r"|uid)\b")
# Company registration numbers printed after the name on Malaysian receipts: "(867388-U)", "(JM0292487-D)".
_COMPANY_REG = re.compile(r"\(?\s*(?:[A-Z]{2}\d{6,8}|\d{4,8})\s*-\s*[A-Z](?![A-Za-z0-9])\s*\)?")
# Words that make a line a trade name rather than an address or a slogan.
_TRADE_WORDS = re.compile(r"(?i)\b(?:trading|enterprise|hardware|restaurant|restoran|stationery|stationer|perniagaan|kedai|syarikat"
                          r"|mart|bakery|bakeries|supermarket|pasaraya|cafe|caf[eé]|marketing|supply|supplies|store|stores|shop"
                          r"|services|industries|company|gallery|pharmacy|farmasi|bookstore|confectionery)\b")
_REG_LABEL = re.compile(r"(?i)[\s(]*(?:roc|co\.?\s*reg|company\s*(?:reg(?:istration)?\.?\s*)?no|reg(?:istration)?\.?\s*no)\.?\s*[:.]?\s*$")
_OWNER = re.compile(r"(?i)\b(?:owned\s+by|dimiliki\s+oleh|operated\s+by|a\s+member\s+of)\b")
_LEGAL_ALONE = re.compile(r"^(?:" + _LEGAL + r")[\s.,]*(?:\(?\s*\d{4,8}\s*-\s*[A-Z]\s*\)?)?$")
_LEGAL_WORDS = re.compile(r"\b(?:" + _LEGAL + r")(?![\w])", re.I)
_TITLE_WORDS = re.compile(
    r"\b(?:tax\s+)?(?:invoice|receipt|bill|statement|credit note|rechnung|gutschrift|quittung|facture|avoir|re[cç]u|factuur|"
    r"creditnota|kopie|copy|duplicate|original|factura|prefactura|fattura|faktura|fatura|devis|quote|payment)\b\.?", re.I)
_EMAIL = re.compile(r"[\w.+-]+@([\w-]+(?:\.[\w-]+)+)")
_WEB = re.compile(r"(?:https?://|www\.)([\w-]+(?:\.[\w-]+)+)", re.I)
_GENERIC_DOMAINS = {"gmail", "googlemail", "yahoo", "hotmail", "outlook", "live", "gmx", "web", "example", "localhost", "fake",
                    "icloud", "aol", "mail", "orange", "wanadoo", "t-online", "protonmail", "test", "email"}
_RETURN_SEP = re.compile(r"\s[-–·•●|/]\s|,\s|\s?[●•·]\s?")
_POSTCODE = re.compile(r"\b(?:[A-Z]{1,2}-?)?\d{4,5}\b|\b\d{4}\s?[A-Z]{2}\b|\b[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}\b")


@dataclass
class NameVote:
    display: str
    score: float
    seg: Segment
    reasons: list[str] = field(default_factory=list)


def name_key(name: str) -> str:
    s = _LEGAL_WORDS.sub(" ", name)
    s = re.sub(r"[^\w]+", " ", fold(s))
    return re.sub(r"\s+", " ", s).strip()


# "SDN BHD" as OCR reads it ("SON BHD", "5DN BHD"), and Malaysia's "(M)" before it ("(My SON BHD")
_OCR_SDN = re.compile(r"(?:\(M[y)]?\s*)?\b[S58$][DO0]N(\.?\s*)(BHD|Bhd)\b")


def _clean(name: str) -> str:
    name = re.split(r"\s[-–|]\s|,\s(?=\d)|\s{2,}", name.strip())[0]
    name = _OCR_SDN.sub(lambda m: ("(M) " if m.group(0).startswith("(M") else "") + "SDN" + m[1] + m[2].upper(), name)
    name = _TITLE_WORDS.sub(" ", name) if len(name.split()) > 1 else name
    # and OCR's stray quote marks from a speck before or after the name ("‘Summit Druck AG")
    name = re.sub(r"\s+", " ", name).strip(" ,;:.-–|()@*•·\"'`‘’‚“”„")
    if _LEGAL_WORDS.search(name) and not name.endswith("."):
        m = re.search(r"\b(?:B\.V|N\.V|S\.A|Ltd|Inc|Corp|Co|e\.K)$", name)
        if m:
            name += "."
    return name


def _plausible(name: str) -> bool:
    if not 2 <= len(name) <= 80:
        return False
    letters = sum(c.isalpha() for c in name)
    if letters < 2 or letters < 0.5 * len(name.replace(" ", "")):
        return False
    if _EMAIL.search(name) or re.search(r"https?://|www\.", name, re.I):
        return False
    return len(name.split()) <= 8


def _cell_beside(seg: Segment, row: list[Segment]) -> Segment | None:
    """The next cell right of a label on its row, where it starts within four word heights of it: the label's
    value (a customer or seller label alone in its cell)."""
    near = min((s for s in row if s.x0 > seg.x1), key=lambda s: s.x0, default=None)
    return near if near is not None and near.x0 - seg.x1 < 4 * seg.h else None


def buyer_segments(doc: Document) -> set[int]:
    """ids of segments that belong to the customer's address blocks."""
    out: set[int] = set()
    for page in doc.pages:
        for r, row in enumerate(page.rows):
            for seg in row:
                m = BUYER_LABELS.match(seg.norm)
                if not m:
                    continue
                out.add(id(seg))
                x0 = seg.x0 - seg.h
                nxt = sorted((s for s in row if s.x0 > seg.x1), key=lambda s: s.x0)
                x1 = nxt[0].x0 - seg.h / 2 if nxt else page.width
                value = _cell_beside(seg, row)
                if value is not None and not seg.norm[m.end():].strip(" :.-"):
                    # the label alone in its cell, its value beside it ("Bill to: | Harbour Logistics Ltd"): that cell
                    # is the customer's, and so are the lines under it, up to a little past its end (a vendor's
                    # block further right on those rows is not)
                    out.add(id(value))
                    x1 = min(nxt[1].x0 - seg.h / 2 if len(nxt) > 1 else page.width, value.x1 + 4 * seg.h)
                if len(row) == 1 and abs((seg.x0 + seg.x1) / 2 - page.width / 2) < page.width / 6:
                    # a centred section heading alone on its row ("Datos del cliente"): its block spans the page
                    x0, x1 = 0.0, page.width
                last_y = seg.y1
                for below in page.rows[r + 1:r + 8]:
                    hit = [s for s in below if s.x0 >= x0 and s.x0 < x1]
                    if not hit:
                        continue
                    if hit[0].y0 - last_y > 2.5 * seg.h:
                        break
                    for s in hit:
                        out.add(id(s))
                    last_y = hit[0].y1
    return out


def _domains(doc: Document, buyer: set[int]) -> set[str]:
    out = set()
    for seg in doc.segments():
        if id(seg) in buyer:
            continue
        for m in list(_EMAIL.finditer(seg.text)) + list(_WEB.finditer(seg.text)):
            parts = m.group(1).lower().split(".")
            label = parts[-2] if len(parts) >= 2 else parts[0]
            if len(parts) >= 3 and parts[-2] in {"co", "com", "org", "net"}:
                label = parts[-3]
            if label not in _GENERIC_DOMAINS and len(label) >= 2:
                out.add(label.replace("-", ""))
    return out


def _domain_match(name: str, domains: set[str]) -> bool:
    squashed = re.sub(r"[^a-z0-9]", "", name_key(name))
    if len(squashed) < 2:
        return False
    for d in domains:
        if squashed == d or (len(squashed) >= 3 and d.startswith(squashed)) or (len(d) >= 4 and squashed.startswith(d)):
            return True
        words = name_key(name).split()
        if words and len(words[0]) >= 4 and words[0] == d:
            return True
    return False


def _median_height(page) -> float:
    hs = sorted(w.h for w in page.words)
    return hs[len(hs) // 2] if hs else 10.0


def _letterhead_score(seg: Segment, row_index: int, body_h: float) -> float:
    if seg.conf < 0.6 or max(len(w.text) for w in seg.words) < 3:
        return 0.0  # OCR noise or stray letters from a logo
    rel = seg.h / max(body_h, 0.1)
    score = 0.25 + 0.15 * min(max(rel - 1.0, 0.0), 1.0) + (0.1 if row_index <= 2 else 0.0)
    words = [w for w in re.findall(r"[^\W\d_][\w'’&.-]*", seg.text)]
    capital = sum(1 for w in words if w[0].isupper())
    if words and capital < 0.6 * len(words):
        score *= 0.5  # a sentence, not a name
    return score


def find_amounts_quick(text: str) -> bool:
    return bool(re.search(r"\d[.,]\d{2}(?!\d)|[€$£]", text))


def vendor_votes(doc: Document, label_starts: dict[int, bool]) -> list[NameVote]:
    buyer = buyer_segments(doc)
    domains = _domains(doc, buyer)
    votes: list[NameVote] = []

    def vote(name: str, score: float, seg: Segment, why: str) -> None:
        name = _clean(name)
        pg = next((p for p in doc.pages if p.index == seg.page), doc.pages[0])
        # the row above, passing over specks (a lone ":" the scan left between "Owned By" and the name)
        above = next((row for row in reversed(pg.rows[max(seg.row - 3, 0):seg.row])
                      if any(re.search(r"[A-Za-z]{2}", o.text) for o in row)), [])
        if any(_OWNER.search(o.text) for o in above + pg.rows[seg.row]):
            score *= 0.45  # "Owned by X Sdn Bhd": the owner, not the shop the receipt names
        if score > 0 and _plausible(name) and not BUYER_LABELS.match(fold(name)) and not _TITLE_WORDS.fullmatch(name):
            votes.append(NameVote(name, score, seg, [why]))

    first = doc.pages[0]
    body_h = _median_height(first)
    for page in doc.pages[:2]:
        for r, row in enumerate(page.rows):
            row_text = " ".join(s.text for s in row)
            for seg in row:
                if id(seg) in buyer:
                    continue
                top = seg.y0 < 0.25 * page.height and page is first
                # a payee / seller label: the name follows it
                m = SELLER_LABELS.search(seg.norm)
                if m:
                    rest = seg.text[m.end():].strip()
                    # "From: | Nordlicht Design": a label with its colon has its value beside it; a column heading
                    # ("Lieferant | Kunde", "Seller | Buyer") has it below
                    value = _cell_beside(seg, row)
                    beside = (value is not None and seg.text.rstrip().endswith(":") and not re.match(r"[\d(]", value.text)
                              and not label_starts.get(id(value)) and not BUYER_LABELS.match(value.norm))
                    if rest:
                        vote(rest, 0.8, seg, "seller label")
                    elif beside:
                        vote(value.text, 0.8, value, "seller label")
                    else:
                        for nxt in page.rows[r + 1:r + 3]:
                            cand = [s for s in nxt if abs(s.x0 - seg.x0) < 3 * seg.h and not s.text.startswith("(")]
                            if cand:
                                vote(cand[0].text, 0.75, cand[0], "seller label")
                                break
                # company names with a legal form
                for lm in _LEGAL_NAME.finditer(seg.text):
                    name = lm.group(1)
                    if re.match(r"(?i)^(?:sarl|sas|sa|gmbh|ag)\b", name):
                        continue
                    near = any(_REGISTRATION.search(o.text) for rr in page.rows[max(r - 3, 0):r + 4] for o in rr)
                    vote(name, 0.55 + (0.1 if top else 0.0) + (0.15 if near else 0.0), seg, "legal form")
                # a company registration number right after a name (or under it)
                reg = _COMPANY_REG.search(seg.text)
                before = _REG_LABEL.sub("", seg.text[:reg.start()]) if reg else ""
                if reg and re.search(r"[A-Za-z]{2}", before) and page is first:
                    vote(before, 0.72, seg, "registration number")
                elif reg and len(before.strip(" ([:")) <= 1 and r > 0 and page is first:
                    above = [o for o in page.rows[r - 1] if o.x1 > seg.x0 - 3 * seg.h and o.x0 < seg.x1 + 3 * seg.h]
                    if len(above) == 1 and not re.search(r"\d", above[0].text):
                        vote(above[0].text, 0.68, above[0], "registration number")
                if top and r < 6 and _TRADE_WORDS.search(seg.text) and not re.search(r"\d", seg.text):
                    vote(seg.text, 0.5, seg, "trade name")
                # letterhead: a name in big type at the very top, not a label, not an address
                if (top and r < 8 and not label_starts.get(id(seg)) and not re.search(r"\d", seg.text)
                        and not (m and not seg.text[m.end():].strip())):  # a seller label alone is not a name
                    vote(seg.text, _letterhead_score(seg, r, body_h), seg, "letterhead")
            # "UNIHAKKA INTERNATIONAL" / "SDN BHD": a legal form that starts its line completes the name above it
            # (alone, or a footer's first cell wrapped: "Nord Logistik | Street" over "AG | 50667 Köln | VAT ...")
            if (r > 0 and _LEGAL_ALONE.match(row[0].text.strip()) and id(row[0]) not in buyer):
                above = [s for s in page.rows[r - 1] if s.x1 > row[0].x0 - 2 * row[0].h and s.x0 < row[0].x1 + 2 * row[0].h
                         and (len(row) == 1 or s.x0 <= row[0].x0 + row[0].h)]  # wrapped: the cell it ends
                if len(above) == 1 and not re.search(r"\d", above[0].text) and id(above[0]) not in buyer:
                    top = above[0].y0 < 0.25 * page.height and page is first
                    vote(above[0].text.rstrip(" .,") + " " + row[0].text.strip(), 0.7 + (0.1 if top else 0.0), above[0],
                         "legal form below")
            # a footer row that starts with a name and carries a tax or company registration:
            # "Vertex Electrics | Summitstraat 200, 1012 AB Amsterdam | VAT NL926941301"
            if (len(row) >= 2 and row[0].y0 > 0.75 * page.height and id(row[0]) not in buyer
                    and _TAX_REGISTRATION.search(" ".join(s.text for s in row[1:]))
                    and not re.search(r"\d|:|(?i:bank|tel|fax|phone|e-?mail|www)", row[0].text)
                    and not _LEGAL_ALONE.match(row[0].text.strip())
                    and 1 <= len(row[0].text.split()) <= 5
                    and all(w[0].isupper() or w[0] == "&" for w in row[0].text.split())):
                vote(row[0].text, 0.45, row[0], "footer with registration")
            # return-address line above the address window: "Name - Street 1 - 12345 City"
            parts = [p for p in _RETURN_SEP.split(row_text) if p.strip()]
            if (page is first and id(row[0]) not in buyer and re.search(r"\s[-–·•●|/]\s|[●•·]", row_text)
                    and row[0].y0 < 0.4 * page.height and len(parts) >= 3 and len(parts[0].split()) <= 6
                    and any(_POSTCODE.search(p) for p in parts[1:]) and not re.search(r"\d", parts[0])
                    and not find_amounts_quick(row_text)):
                vote(parts[0], 0.85, row[0], "return address")
    # the web/e-mail domain names the vendor: corroborate, or find the brand in the text
    for v in votes:
        if _domain_match(v.display, domains):
            v.score = min(v.score + 0.2, 1.0)
            v.reasons.append("domain")
    for seg in doc.segments():
        if id(seg) in buyer:
            continue
        for word in re.findall(r"\b[A-Z][\w-]{1,30}\b", seg.text):
            # a word of three letters that only starts the domain is too weak a brand ("San" of "sanrom")
            if (_domain_match(word, domains) and word.lower() not in ("www", "http", "https")
                    and (len(word) >= 4 or name_key(word) in domains)):
                votes.append(NameVote(word, 0.3, seg, ["domain brand"]))
    return votes


def pick_vendor(votes: list[NameVote]) -> tuple[NameVote, float] | None:
    """Combine votes per name; the best name and its confidence."""
    groups: dict[str, list[NameVote]] = {}
    for v in votes:
        key = name_key(v.display)
        if not key:
            continue
        # names that contain one another are the same vendor ("Free" / "Free SAS")
        target = next((k for k in groups if k == key or fuzz.ratio(k, key) >= 92), key)
        groups.setdefault(target, []).append(v)
    if not groups:
        return None
    scored = []
    for key, vs in groups.items():
        miss = 1.0
        for v in sorted(vs, key=lambda v: -v.score)[:4]:
            miss *= 1.0 - v.score * 0.8
        total = 1.0 - miss
        best = max(vs, key=lambda v: (v.score, len(v.display)))
        display = max((v for v in vs if v.score >= best.score - 0.2), key=lambda v: len(v.display)).display
        scored.append((total, display, best))
    scored.sort(key=lambda t: -t[0])
    total, display, best = scored[0]
    margin = total - (scored[1][0] if len(scored) > 1 else 0.0)
    conf = min(0.95, 0.35 + 0.5 * total + 0.3 * margin)
    return NameVote(display, total, best.seg, best.reasons), conf


# ------------------------------------------------------------------ matching
@dataclass(frozen=True)
class VendorCandidate:
    id: str
    name: str
    tax_id: str | None = None
    iban: str | None = None
    email_domain: str | None = None
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class VendorMatch:
    """The known vendor a bill belongs to, how sure (0..1), and why (shown to the user)."""

    vendor_id: str
    score: float
    reason: str

    @property
    def id(self) -> str:
        return self.vendor_id

    @property
    def why(self) -> str:
        return self.reason


def _compact(v: str | None) -> str:
    return re.sub(r"[\s.\-]", "", v or "").upper()


def match_vendor(result, vendors: Sequence[VendorCandidate]) -> VendorMatch | None:
    """Match an extraction to a known vendor: tax id, then IBAN, then e-mail domain, then fuzzy name."""
    fields = result.fields
    tax = _compact(fields["vendor_tax_id"].value) if "vendor_tax_id" in fields else ""
    iban = _compact(fields["iban"].value) if "iban" in fields else ""
    email = (fields["vendor_email"].value or "") if "vendor_email" in fields else ""
    domain = email.rsplit("@", 1)[-1].lower() if "@" in email else ""
    name = fields["vendor_name"].value if "vendor_name" in fields else None
    if tax:
        for v in vendors:
            if v.tax_id and _compact(v.tax_id) == tax:
                return VendorMatch(v.id, 0.99, f"tax id {tax} matches")
    if iban:
        for v in vendors:
            if v.iban and _compact(v.iban) == iban:
                return VendorMatch(v.id, 0.97, f"IBAN {iban} matches")
    if domain:
        for v in vendors:
            if v.email_domain and v.email_domain.lower().lstrip("@") == domain:
                return VendorMatch(v.id, 0.9, f"e-mail domain {domain} matches")
    if name:
        key = name_key(name)
        best: tuple[float, VendorCandidate, str] | None = None
        for v in vendors:
            for alias in (v.name, *v.aliases):
                s = fuzz.token_set_ratio(key, name_key(alias)) / 100.0
                if best is None or s > best[0]:
                    best = (s, v, alias)
        if best and best[0] >= 0.85:
            return VendorMatch(best[1].id, round(best[0] * 0.9, 3), f"name '{name}' is like '{best[2]}'")
    return None
