"""Payment terms: "Net 30", "2/10 Net 30", "14 Tage netto", "3 % Skonto innerhalb 10 Tagen",
"solde à 30 j", "à 30 jours fin de mois", "betaling binnen 14 dagen", "Due on receipt" …

``parse_terms`` turns a phrase into structured terms; ``find_terms`` finds such
phrases in free text when no "Payment terms" label is printed.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from .layout import fold

_DAYS = r"(?:calendar\s+|business\s+|working\s+)?(?:days?|tagen?|tg\.?|jours?|j\b|dagen|dag|dias|d[ií]as|giorni|gg\.?|d\b)"
_IMMEDIATE = re.compile(
    r"\b(?:due|payable)\s+(?:up)?on\s+receipt|upon receipt|immediate(?:ly)?|\bimmediat|sofort|bei erhalt|nach erhalt"
    r"|a reception|des reception|comptant|bij ontvangst|onmiddellijk|per direct|direct te betalen|direct betaalbaar"
    r"|payable immediately|cash on delivery|paiement immediat")
_DISCOUNT = re.compile(r"(\d{1,2}(?:[.,]\d{1,2})?)\s?%\s*(?:skonto|discount|escompte|korting|rabatt|remise)?[^.;\n]{0,40}?(\d{1,3})\s*" + _DAYS)
_NET_PATTERNS = [
    re.compile(r"\b\d{1,2}\s*/\s*\d{1,3}\s*,?\s*n(?:et)?\s*/?\s*(\d{1,3})\b"),                 # 2/10 net 30
    re.compile(r"\bnet(?:to)?\s*(\d{1,3})\b(?!\s*%)"),                                          # net 30
    re.compile(r"\bn\s?(\d{2})\b"),                                                            # N30
    re.compile(r"(\d{1,3})\s*" + _DAYS + r"\s*(?:net(?:to)?|rein netto|ohne abzug)"),          # 14 Tage netto
    re.compile(r"(?:within|innerhalb(?: von)?|binnen|dans les|sous|under|a|à|at|in)\s+(\d{1,3})\s*" + _DAYS),
    re.compile(r"(\d{1,3})\s*" + _DAYS + r"\s*(?:fin de mois|end of month|date de facture|from invoice|after invoice|nach rechnung|na factuurdatum|net)"),
    re.compile(r"(?:solde|balance|payable|zahlbar|betaalbaar|reglement|paiement)[^.;\n]{0,30}?(\d{1,3})\s*" + _DAYS),
]
# A sentence that talks about paying, used to find unlabelled terms.
_TERMS_SENTENCE = re.compile(
    r"(?:payment terms?|terms of payment|payable|due (?:with)?in|net\s?\d{1,3}\b|\d{1,2}/\d{1,2}\s*net|zahlbar|zahlungsziel"
    r"|tage netto|tagen netto|ohne abzug|skonto|paiement|payable|a \d{1,3} jours|solde a|betaling|betaalbaar|binnen \d{1,3} dagen"
    r"|due on receipt|upon receipt|immediate payment|balance (?:at|within|due)|direct te betalen|onmiddellijk)"
)


@dataclass(frozen=True)
class Terms:
    text: str
    net_days: int | None = None
    discount_pct: str | None = None
    discount_days: int | None = None
    on_receipt: bool = False
    end_of_month: bool = False

    def due_date(self, issued: dt.date) -> dt.date | None:
        if self.on_receipt:
            return issued
        if self.net_days is None:
            return None
        due = issued + dt.timedelta(days=self.net_days)
        if self.end_of_month:
            nxt = dt.date(due.year + (due.month == 12), due.month % 12 + 1, 1)
            due = nxt - dt.timedelta(days=1)
        return due


def parse_terms(text: str, *, labelled: bool = False) -> Terms | None:
    """Structured terms from a phrase; None when it says nothing about when to pay.

    ``labelled``: the phrase stands next to a "Payment terms" label, so a bare
    "15 days" is a payment period too.
    """
    s = fold(text)
    disc_pct = disc_days = None
    m = re.search(r"\b(\d{1,2}(?:[.,]\d{1,2})?)\s*/\s*(\d{1,3})\s*,?\s*n(?:et)?\s*/?\s*(\d{1,3})\b", s)
    if m:
        return Terms(text.strip(), int(m[3]), m[1].replace(",", "."), int(m[2]))
    d = _DISCOUNT.search(s)
    rest = s
    if d and ("skonto" in s or "discount" in s or "escompte" in s or "korting" in s or "rabatt" in s):
        disc_pct, disc_days = d[1].replace(",", "."), int(d[2])
        rest = s[:d.start()] + " " + s[d.end():]
    eom = bool(re.search(r"fin de mois|end of month|\beom\b|monatsende|einde maand", s))
    for pat in _NET_PATTERNS:
        for m in pat.finditer(rest):
            # "30% d'acompte" is a deposit, not a payment period
            if re.match(r"\s*%", rest[m.end():m.end() + 2]):
                continue
            days = int(m.group(1))
            if 0 <= days <= 180:
                return Terms(text.strip(), days, disc_pct, disc_days, False, eom)
    if labelled:
        m = re.search(r"(?<![\d%])(\d{1,3})\s*" + _DAYS, rest)
        if m and int(m.group(1)) <= 180:
            return Terms(text.strip(), int(m.group(1)), disc_pct, disc_days, False, eom)
    if _IMMEDIATE.search(s):
        return Terms(text.strip(), 0, disc_pct, disc_days, True, False)
    if disc_pct:
        return Terms(text.strip(), None, disc_pct, disc_days)
    return None


def looks_like_terms(text: str) -> bool:
    return bool(_TERMS_SENTENCE.search(fold(text))) and parse_terms(text) is not None
