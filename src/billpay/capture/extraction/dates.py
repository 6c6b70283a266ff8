"""Dates as printed on invoices, in English, German, French, Dutch, Spanish and Italian.

Numeric dates with slashes or dashes are ambiguous between day-first and
month-first. ``find_dates`` returns every reading; ``resolve`` picks one using
the document's date order (``date_order``), which comes from the unambiguous
dates on the same document, a vendor profile, or a currency/language prior.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from .layout import fold
from .lexicon import MONTH_WORDS

_MONTH_ALT = "|".join(sorted(MONTH_WORDS, key=len, reverse=True))

_ISO = re.compile(r"(?<![\d.])(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?![\d])")
_NUMERIC = re.compile(r"(?<![\d.,/-])(\d{1,2})\s?([./-])\s?(\d{1,2})\s?\2\s?(\d{4}|\d{2})(?![\d])")
# "19 april 2014", "7. Mai 2014", "1er juillet 2015", "31-Dec-2017", "14 juil. 2021", "28 Jan 15" (a two-digit
# year after a space, not a time of day or an amount: "28 Jan 15:30")
_DAY_MONTH = re.compile(
    r"(?<![\d])(\d{1,2})(?:st|nd|rd|th|er|e)?(?:\.?\s*|-)(?:de\s+|of\s+)?(" + _MONTH_ALT + r")\b\.?"
    r"(?:\s*,?\s*(?:de\s+)?(\d{4})|-('?\d{2}|\d{4})|\s+('?\d{2})(?![:.,]?\d))(?![\d])")
# "August 3 , 2014", "Jan 1, 2022", "Dec 31st 2017"
_MONTH_DAY = re.compile(
    r"\b(" + _MONTH_ALT + r")\.?\s*(\d{1,2})(?:st|nd|rd|th)?\s*,?\s*(\d{4})(?![\d])")
# Till receipts print "25032018 13:11:54" or "20180304 10:22": eight digits, then the time of day
_COMPACT = re.compile(r"(?<![\d])(\d{8})(?=\s+\d{1,2}:\d{2})")
# OCR lost the first separator: "1203/2017"
_FUSED = re.compile(r"(?<![\d.,/-])(\d{2})(\d{2})([./-])(\d{4})(?![\d])")
# OCR put a space inside the year: "06.07.2 024", "12/03/20 17"
_SPLIT_YEAR = re.compile(r"(?<![\d.,/-])(\d{1,2})([./-])(\d{1,2})\2(\d{1,3}) (\d{1,3})(?![\d])")
# a month name with one letter misread ("12 aoat 2022", "Jume 18, 2023"): read by ``_fuzzy_month``
_DAY_WORD_YEAR = re.compile(r"(?<![\d])(\d{1,2})\.?\s*([a-z]{4,9})\.?\s*,?\s*(\d{4})(?![\d])")
_WORD_DAY_YEAR = re.compile(r"\b([a-z]{4,9})\.?\s*(\d{1,2})\s*,\s*(\d{4})(?![\d])")


@dataclass(frozen=True)
class DateHit:
    start: int
    end: int
    text: str
    dmy: dt.date | None      # reading as day-first (or the only reading)
    mdy: dt.date | None      # reading as month-first, when different
    kind: str                # iso | dotted | numeric | named | fused

    @property
    def ambiguous(self) -> bool:
        return self.dmy is not None and self.mdy is not None and self.dmy != self.mdy

    def value(self, order: str | None) -> dt.date | None:
        if self.mdy is not None and (order == "MDY" or self.dmy is None):
            return self.mdy
        return self.dmy or self.mdy

    @property
    def evidence(self) -> str | None:
        """Date order this hit proves (a numeric date valid only one way)."""
        if self.kind == "dotted" and self.dmy and self.dmy.day > 12:
            return "DMY"
        if self.kind == "numeric" and (self.dmy is None) != (self.mdy is None):
            return "DMY" if self.dmy else "MDY"
        return None


def today() -> dt.date:
    """The reference day for two-digit years and plausible dates (the only place extraction reads the clock;
    tests set it)."""
    return dt.date.today()


def _year(y: str) -> int:
    y = y.lstrip("'")
    n = int(y)
    if len(y) == 2:
        # two-digit years: this century unless that lands far in the future
        pivot = today().year % 100 + 10
        n += 2000 if n <= pivot else 1900
    return n


def _mk(y: int, m: int, d: int) -> dt.date | None:
    if not 1980 <= y <= today().year + 10:
        return None
    try:
        return dt.date(y, m, d)
    except ValueError:
        return None


# Digits OCR takes for one another on till receipts and poor scans (thermal print, dot matrix).
_DIGIT_MIX = {"0": "86", "1": "47", "3": "8", "4": "1", "5": "6", "6": "58", "7": "1", "8": "036", "9": "0"}


def _repaired(a: str, b: str, y: str, *, dotted: bool) -> tuple[dt.date | None, dt.date | None] | None:
    """A numeric date that is no date either way ("45/07/2017", "12/03/2518"), mended by one misread digit:
    a day or month digit OCR confuses, or any year digit giving a year in the last fifteen; only when one
    mending alone makes a date. Returns its day-first and month-first readings, like a numeric date."""
    if len(y) != 4:
        return None
    lo, hi = today().year - 15, today().year + 1
    found: set[tuple[dt.date | None, dt.date | None]] = set()
    fields = [a, b, y]
    for i, part in enumerate(fields):
        for k, ch in enumerate(part):
            alts = "0123456789" if i == 2 else _DIGIT_MIX.get(ch, "")
            for alt in alts.replace(ch, ""):
                mended = fields.copy()
                mended[i] = part[:k] + alt + part[k + 1:]
                year = int(mended[2])
                if not lo <= year <= hi:
                    continue
                dmy, mdy = _readings(int(mended[0]), int(mended[1]), year, dotted=dotted)
                if dmy or mdy:
                    found.add((dmy, mdy))
    return found.pop() if len(found) == 1 else None


def _fuzzy_month(word: str) -> int | None:
    """The month a misread month name stands for: one letter changed in a name of four letters or more, and
    only one month within reach (an exact name is read by the strict patterns first)."""
    if word in MONTH_WORDS:
        return None
    found = {m for name, m in MONTH_WORDS.items()
             if len(name) >= 4 and len(name) == len(word) and sum(a != b for a, b in zip(name, word)) == 1}
    return found.pop() if len(found) == 1 else None


def _readings(a: int, b: int, y: int, *, dotted: bool) -> tuple[dt.date | None, dt.date | None]:
    """A numeric date "a b y" read day-first and month-first; the second None when dotted (dotted dates are
    day-first everywhere they are used) or when both readings are the same day."""
    dmy = _mk(y, b, a)
    mdy = None if dotted else _mk(y, a, b)
    return dmy, (mdy if mdy != dmy else None)


def find_dates(text: str, *, fused: bool = False) -> list[DateHit]:
    """Every date in ``text``; ``fused`` (OCR'd text) also accepts "DDMM/YYYY" with a lost separator and a
    numeric date with one misread digit."""
    norm = fold(text)
    hits: list[DateHit] = []
    taken: list[tuple[int, int]] = []

    def free(a: int, b: int) -> bool:
        return all(b <= s or a >= e for s, e in taken)

    def add(h: DateHit) -> None:
        if (h.dmy or h.mdy) and free(h.start, h.end):
            hits.append(h)
            taken.append((h.start, h.end))

    def add_match(m: re.Match, dmy: dt.date | None, mdy: dt.date | None, kind: str) -> None:
        add(DateHit(m.start(), m.end(), text[m.start():m.end()], dmy, mdy, kind))

    for m in _ISO.finditer(norm):
        add(DateHit(m.start(), m.end(), text[m.start():m.end()], _mk(int(m[1]), int(m[3]), int(m[4])), None, "iso"))
    for m in _DAY_MONTH.finditer(norm):
        d = _mk(_year(m[3] or m[4] or m[5]), MONTH_WORDS[m[2]], int(m[1]))
        add(DateHit(m.start(), m.end(), text[m.start():m.end()], d, None, "named"))
    for m in _MONTH_DAY.finditer(norm):
        d = _mk(int(m[3]), MONTH_WORDS[m[1]], int(m[2]))
        add(DateHit(m.start(), m.end(), text[m.start():m.end()], d, None, "named"))
    for m in _NUMERIC.finditer(norm):
        dotted = m[2] == "."
        add_match(m, *_readings(int(m[1]), int(m[3]), _year(m[4]), dotted=dotted), "dotted" if dotted else "numeric")
    for m in _COMPACT.finditer(norm):
        t = m[1]
        ymd = _mk(int(t[:4]), int(t[4:6]), int(t[6:]))
        dmy = _mk(int(t[4:]), int(t[2:4]), int(t[:2]))
        if (ymd is None) != (dmy is None):
            add(DateHit(m.start(), m.end(), text[m.start():m.end()], ymd or dmy, None, "compact"))
    if fused:
        for m in _SPLIT_YEAR.finditer(norm):
            if len(m[4]) + len(m[5]) == 4:
                add_match(m, *_readings(int(m[1]), int(m[3]), int(m[4] + m[5]), dotted=m[2] == "."), "fused")
        for pattern, day, month in ((_DAY_WORD_YEAR, 1, 2), (_WORD_DAY_YEAR, 2, 1)):
            for m in pattern.finditer(norm):
                number = _fuzzy_month(m[month])
                if number:
                    add_match(m, _mk(int(m[3]), number, int(m[day])), None, "fused")
        for m in _NUMERIC.finditer(norm):
            if free(m.start(), m.end()):
                mended = _repaired(m[1], m[3], m[4], dotted=m[2] == ".")
                if mended is not None:
                    add(DateHit(m.start(), m.end(), text[m.start():m.end()], *mended, "repaired"))
        for m in _FUSED.finditer(norm):
            add_match(m, *_readings(int(m[1]), int(m[2]), int(m[4]), dotted=False), "fused")
    hits.sort(key=lambda h: h.start)
    return hits


def parse_date(text: str, order: str | None = None) -> dt.date | None:
    """The first date in ``text``, reading ambiguous numeric dates in ``order`` (DMY default)."""
    hits = find_dates(text)
    return hits[0].value(order) if hits else None


def date_order(hits: list[DateHit], prior: str | None = None) -> tuple[str | None, float]:
    """The date order a document uses and how sure we are (0..1)."""
    dmy = sum(1 for h in hits if h.evidence == "DMY")
    mdy = sum(1 for h in hits if h.evidence == "MDY")
    if dmy != mdy:
        return ("DMY" if dmy > mdy else "MDY"), 0.95
    return prior, (0.6 if prior else 0.0)
