"""Money amounts and currencies as printed: 1,234.56 / 1.234,56 / 1 234,56 / 1'234.56 / (12.00) / 9,32-.

All values are ``Decimal``. A lone separator followed by exactly three digits
("1,234", "1.234") is ambiguous; it is read as a thousands separator unless the
document's decimal separator (``decimal_hint``) says otherwise.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

ISO_CODES = (
    "EUR USD GBP CHF INR JPY CNY CAD AUD NZD SEK NOK DKK PLN CZK HUF RON BGN ZAR BRL MXN SGD HKD "
    "AED SAR TRY ILS KRW THB MYR IDR PHP VES"
).split()

# Symbols and local abbreviations. "$" alone is USD unless a code says otherwise.
SYMBOLS = {
    "€": "EUR", "$": "USD", "US$": "USD", "USD$": "USD", "£": "GBP", "₹": "INR", "Rs.": "INR", "Rs": "INR",
    "CA$": "CAD", "C$": "CAD", "A$": "AUD", "AU$": "AUD", "NZ$": "NZD", "S$": "SGD", "HK$": "HKD", "R$": "BRL",
    "Fr.": "CHF", "SFr.": "CHF", "zł": "PLN", "Kč": "CZK", "¥": "JPY", "₩": "KRW", "₺": "TRY", "₪": "ILS",
    "RM": "MYR", "Bs.": "VES", "Bs.S": "VES", "Bs.S.": "VES",
}

_CUR = (r"(?:US\$|USD\$|CA\$|C\$|AU\$|A\$|NZ\$|S\$|HK\$|R\$|SFr\.|Fr\.|[€$£₹¥₩₺₪]|Rs\.?|zł|Kč|RM|Bs\.(?:S\.?)?|"
        + "|".join(ISO_CODES) + r"|kr\.?(?![\w.]))")

_NUM = (
    r"[1-9]\d{0,2}(?P<gsep>[.,])\d{3}(?:(?P=gsep)\d{3})*(?P=gsep)\d{2}(?!\d)"  # 1,900,89 / 1.900.89: OCR read one mark for the other
    r"|\d{1,3}(?:,\d{3})+(?:\.\d{1,3})?"          # 1,234,567.89
    r"|\d{1,3}(?:\.\d{3})+(?:,\d{1,3})?"          # 1.234.567,89
    r"|\d{1,3}(?:[ \u00a0\u202f]\d{3})+,\d{1,3}"  # 1 234 567,89 (space groups only with a decimal comma,
    r"|\d{1,3}(?:[\u00a0\u202f]\d{3})+\.\d{2}"    # or with a point after fixed spaces,
    r"|\d{1,3}(?: \d{3})+\.\d{2}(?=\s?" + _CUR + r")"  # or before a currency: "27 600.00 kr"; "2 250.00" alone
    #                                                 may be a quantity and a price)
    r"|\d{1,3}(?:['’]\d{3})+(?:[.,]\d{1,3})?"     # 1'234.50
    r"|\d+[.,]\d{1,3}"
    r"|\d+"
)

AMOUNT_RE = re.compile(
    r"(?<![\w.,/\-])"
    r"(?P<paren>\()?"
    r"(?P<neg1>[-−–]\s?)?"
    r"(?:(?P<cur1>" + _CUR + r")\s?)?"
    r"(?P<neg2>[-−–]\s?)?"
    r"(?P<num>" + _NUM + r")"
    r"(?P<neg3>-(?![\d\w]))?"
    r"(?:\s?(?P<cur2>" + _CUR + r"))?"
    r"(?P<cparen>\))?"
    r"(?![\w%/]|[.,]\d|\s?%|\s?[-–]\s?\d)"
)


@dataclass(frozen=True)
class AmountHit:
    value: Decimal
    start: int
    end: int
    currency: str | None
    decimals: int          # digits after the decimal separator (0 when none)
    decimal_sep: str | None
    ambiguous: bool        # "1,234" / "1.234": could be 1234 or 1.234
    text: str


def _interpret(num: str, decimal_hint: str | None) -> tuple[Decimal, int, str | None, bool] | None:
    s = num.replace("\u00a0", " ").replace("\u202f", " ").replace("’", "'")
    seps = [c for c in s if c in ".,' "]
    ambiguous = False
    dec_sep: str | None = None
    if not seps:
        digits, frac = s, ""
    else:
        last = s.rfind(seps[-1])
        tail = s[last + 1:]
        kinds = set(seps)
        if len(kinds) == 1 and len(seps) == 1 and seps[0] in ".," and len(tail) == 3:
            # 1,234 or 1.234 — decided by the document's decimal separator
            ambiguous = True
            if decimal_hint == seps[0]:
                dec_sep = seps[0]
            else:
                dec_sep = None
        elif len(kinds) == 1 and len(seps) > 1 and len(tail) == 3:
            dec_sep = None  # 1.234.567 or 1,234,567: grouping only
        elif len(kinds) == 1 and len(seps) > 1:
            dec_sep = seps[-1]  # 1,900,89: the last mark, before the cents, was misread as the grouping one
        elif seps[-1] in ".," and len(tail) <= 3 and (len(kinds) > 1 or len(seps) == 1):
            dec_sep = seps[-1]
        else:
            dec_sep = None
        if dec_sep:
            digits = re.sub(r"[.,' ]", "", s[:last])
            frac = tail
        else:
            digits, frac = re.sub(r"[.,' ]", "", s), ""
    try:
        value = Decimal(digits + ("." + frac if frac else ""))
    except InvalidOperation:
        return None
    return value, len(frac), dec_sep, ambiguous


def find_amounts(text: str, decimal_hint: str | None = None) -> list[AmountHit]:
    out = []
    for m in AMOUNT_RE.finditer(text):
        got = _interpret(m["num"], decimal_hint)
        if got is None:
            continue
        value, decimals, dec_sep, ambiguous = got
        cur = m["cur1"] or m["cur2"]
        negative = bool(m["neg1"] or m["neg2"] or m["neg3"] or (m["paren"] and m["cparen"]))
        if negative:
            value = -value
        start, end = m.start(), m.end()
        if m["paren"] and not m["cparen"]:
            start += 1
        if m["cparen"] and not m["paren"]:
            end -= 1
        out.append(AmountHit(value, start, end, currency_code(cur) if cur else None,
                             decimals, dec_sep, ambiguous, text[start:end]))
    return out


_ROUNDING = Decimal("0.02")


def within_rounding(a: Decimal, b: Decimal) -> bool:
    """Two amounts equal but for rounding: a sum of rounded parts (lines, net plus tax) may miss the printed
    figure by a cent or two."""
    return abs(a - b) <= _ROUNDING


def parse_amount(text: str, decimal_hint: str | None = None) -> Decimal | None:
    """The single amount in ``text`` (the last one when there are several)."""
    hits = find_amounts(text, decimal_hint)
    return hits[-1].value if hits else None


def currency_code(token: str) -> str | None:
    token = token.strip()
    if token.upper() in ISO_CODES:
        return token.upper()
    return SYMBOLS.get(token) or SYMBOLS.get(token.rstrip("."))


def decimal_separator(texts: list[str]) -> str | None:
    """The decimal separator a document uses, from its unambiguous amounts (x,yy vs x.yy)."""
    comma = dot = 0
    for t in texts:
        for m in re.finditer(r"(?<![\d.,])\d{1,3}(?:[.,' \u00a0]\d{3})*([.,])\d{2}(?![\d.,])", t):
            if m.group(1) == ",":
                comma += 1
            else:
                dot += 1
    if comma == dot:
        return None
    return "," if comma > dot else "."


_CURRENCY_TOKEN = re.compile(r"(?<![A-Za-z])(" + "|".join(ISO_CODES) + r")(?![A-Za-z])"
                             r"|((?<![A-Za-z])(?:US\$|USD\$|CA\$|C\$|AU\$|A\$|NZ\$|S\$|HK\$|R\$|zł|Kč)|[€$£₹¥₩₺₪])"
                             r"|(?<![A-Za-z])(Rs\.?)(?=\s?-?\d)|(?<![A-Za-z])(RM)(?=\s?-?\d|\)|\s*$)")
_NEAR_NUMBER = re.compile(r"\d[\d\s.,]{0,2}$|^[\s\-]{0,2}\d|^\s?\)|\(\s?$")

_CURRENCY_WORDS = {
    "euro": "EUR", "euros": "EUR", "us dollars": "USD", "dollars": "USD", "rupees": "INR", "pounds sterling": "GBP",
    "swiss francs": "CHF", "franken": "CHF", "ringgit": "MYR",
}

#: Words that place a document in a country whose shops print "$" (or nothing) for their own currency.
#: Malaysian receipts print "RM", "$" or no sign at all; their legal forms and places say where they are.
COUNTRY_HINTS = {
    "MYR": re.compile(r"\b(?:sdn\.?\s*bhd|s/b|berhad|malaysia|kuala\s+lumpur|selangor|johor|pulau\s+pinang|penang|perak|kedah"
                      r"|negeri\s+sembilan|melaka|pahang|terengganu|kelantan|sabah|sarawak|petaling\s+jaya|shah\s+alam"
                      r"|subang|puchong|cheras|klang|jalan|jln|taman|lorong|kampung|persiaran|petaling|kelana)\b"
                      r"|\(\s*\d{4,8}\s*-\s*[A-Z]\s*\)", re.I),
}


#: "kr" is the Norwegian, Swedish and Danish krone alike: the language and places of the page say which
_KRONE = re.compile(r"(?<![A-Za-z])kr\.?(?=\s?-?\d)|(?<=\d)\s?kr\b\.?", re.I)
_KRONE_COUNTRY = {
    "NOK": re.compile(r"\b(?:mva|forfallsdato|fakturadato|fakturanummer|å betale|kontonummer|beløp|enhetspris|norge|oslo"
                      r"|bergen|trondheim|foretaksregisteret|org\.?\s?nr)\b", re.I),
    "SEK": re.compile(r"\b(?:moms|förfallodatum|fakturadatum|att betala|belopp|bankgiro|plusgiro|sverige|stockholm"
                      r"|göteborg|malmö|org\.?\s?nr|momsreg)\b", re.I),
    "DKK": re.compile(r"\b(?:moms|forfaldsdato|fakturadato|at betale|beløb|enhedspris|cvr|danmark|københavn|aarhus"
                      r"|odense)\b", re.I),
}


def krone(text: str) -> str | None:
    """The krone "kr" stands for on this page: the country whose words the page uses most (at least two)."""
    counts = {code: len(rx.findall(text)) for code, rx in _KRONE_COUNTRY.items()}
    best = max(counts, key=counts.get)
    if counts[best] < 2 or sorted(counts.values())[-2] == counts[best]:
        return None
    return best


def local_currency(text: str) -> str | None:
    """The currency of the country the text places itself in (``COUNTRY_HINTS``), if any."""
    for code, rx in COUNTRY_HINTS.items():
        if len(rx.findall(text)) >= 2:
            return code
    return None


def currency_votes(text: str) -> dict[str, float]:
    """How strongly the text points at each currency (codes count more than "$").

    Where the text places the document in a country listed in ``COUNTRY_HINTS``,
    a bare "$" counts for that country's currency, and the country itself is a vote.
    """
    votes: dict[str, float] = {}
    local = local_currency(text)
    if local:
        votes[local] = min(0.5 * len(COUNTRY_HINTS[local].findall(text)), 2.0)
    for m in _CURRENCY_TOKEN.finditer(text):
        if m.group(1):
            code, w = m.group(1), 1.0
        elif m.group(2):
            code, w = currency_code(m.group(2)), (0.6 if m.group(2) == "$" else 1.0)
            if m.group(2) == "$" and local:
                code = local
            if not (_NEAR_NUMBER.search(text[max(m.start() - 3, 0):m.start()])
                    or _NEAR_NUMBER.search(text[m.end():m.end() + 3])):
                w *= 0.5  # a sign by no amount (and no column head's brackets): OCR makes them of letters ("é")
        elif m.group(3):
            code, w = "INR", 1.0
        else:
            code, w = "MYR", 1.0
        if code:
            votes[code] = votes.get(code, 0.0) + w
    kr = len(_KRONE.findall(text))
    code = krone(text) if kr else None
    if code:
        votes[code] = votes.get(code, 0.0) + min(kr, 3)
    low = text.lower()
    for word, code in _CURRENCY_WORDS.items():
        n = len(re.findall(r"\b" + word + r"\b", low))
        if n:
            votes[code] = votes.get(code, 0.0) + 0.5 * n
    return votes
