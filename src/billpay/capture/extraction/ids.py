"""Identifiers: IBAN, BIC, US routing numbers, VAT ids, invoice-number tokens.

Checksums decide. OCR confusions (O/0, S/5, I/1, B/8 …) are repaired only
where the IBAN format says a digit (or letter) must stand, and only kept when
the checksum then passes.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from pycountry import countries
from schwifty import BIC, IBAN
from schwifty import registry as _schwifty_registry
from schwifty.exceptions import SchwiftyException

_TO_DIGIT = {"O": "0", "Q": "0", "D": "0", "I": "1", "L": "1", "|": "1", "Z": "2", "S": "5", "B": "8", "G": "6", "T": "7",
             "A": "4", "?": "7"}
_TO_LETTER = {"0": "O", "1": "I", "5": "S", "8": "B", "2": "Z", "6": "G"}

_IBAN_START = re.compile(r"(?<![A-Z0-9])([A-Z]{2}|[A-Z][A-Z0-9]|[A-Z0-9][A-Z])\s?([0-9OSIlBA?]{2})")


@dataclass(frozen=True)
class IdHit:
    value: str
    start: int
    end: int
    repaired: bool = False


def iban_length(country: str) -> int | None:
    try:
        return _schwifty_registry.get_iban_spec(country).iban_length
    except (SchwiftyException, KeyError, ValueError):
        return None


def valid_iban(value: str) -> bool:
    try:
        IBAN(value)
        return True
    except (SchwiftyException, ValueError):
        return False


def _positions(country: str) -> str | None:
    """Per-position class of an IBAN ("a" letter, "n" digit, "c" either) from its BBAN spec."""
    try:
        spec = _schwifty_registry.get_iban_spec(country).bban_spec
    except (SchwiftyException, KeyError, ValueError):
        return None
    out = "aann"
    for count, kind in re.findall(r"(\d+)!?([anc])", spec):
        out += kind * int(count)
    return out


# what OCR may have read in place of each character (a lower-case l upper-cased reads as "L" for a "1")
_CONFUSABLE = {"O": "0", "0": "O", "I": "1", "1": "IL", "L": "1", "S": "5", "5": "S", "B": "8", "8": "B", "Z": "2",
               "2": "Z"}


def _repair(candidate: str) -> str | None:
    cc = "".join(_TO_LETTER.get(c, c) for c in candidate[:2])
    classes = _positions(cc)
    if not classes or len(classes) != len(candidate):
        return None
    fixed = []
    for ch, kind in zip(cc + candidate[2:], classes):
        if kind == "n":
            ch = _TO_DIGIT.get(ch, ch)
        elif kind == "a":
            ch = _TO_LETTER.get(ch, ch)
        fixed.append(ch)
    value = "".join(fixed)
    if valid_iban(value):
        return value
    # letters-or-digits positions: one confusable character swapped, if exactly one swap is valid
    swaps = {value[:i] + alt + value[i + 1:]
             for i, (c, kind) in enumerate(zip(value, classes)) if kind == "c" for alt in _CONFUSABLE.get(c, "")}
    valid = [v for v in swaps if valid_iban(v)]
    return valid[0] if len(valid) == 1 else None


def _end_of(text: str, start: int, n: int) -> int:
    """Offset just after the n-th alphanumeric character from ``start``."""
    seen = 0
    for i in range(start, len(text)):
        if text[i].isalnum() or text[i] == "|":
            seen += 1
            if seen == n:
                return i + 1
    return len(text)


def _repair_extra(chars: list[str]) -> str | None:
    """One character too many (OCR split a glyph): keep the only deletion that gives a valid IBAN."""
    found = {fixed for i in range(2, len(chars)) if (fixed := _repair("".join(chars[:i] + chars[i + 1:])))}
    return found.pop() if len(found) == 1 else None


def find_ibans(text: str, *, repair: bool = False) -> list[IdHit]:
    """IBANs in ``text``, printed compact or in groups (any grouping), checksum-valid only."""
    up = text.upper()
    out: list[IdHit] = []
    for m in _IBAN_START.finditer(up):
        if out and m.start() < out[-1].end:
            continue
        cc = "".join(_TO_LETTER.get(c, c) for c in m.group(1))
        length = iban_length(cc)
        if not length:
            continue
        # collect alphanumerics, allowing single spaces/dashes between groups
        chars: list[str] = []
        i = m.start()
        end = i
        want = length + 1 if repair else length  # OCR may add one character
        while i < len(up) and len(chars) < want:
            c = up[i]
            if c.isalnum() or c in "|?":
                chars.append(c)
                end = i + 1
            elif c in " -\u00a0" and i + 1 < len(up) and (up[i + 1].isalnum() or up[i + 1] in "|?") and up[i - 1] not in " -":
                pass
            else:
                break
            i += 1
        if len(chars) < length:
            continue
        value = "".join(chars[:length])
        exact_end = end if len(chars) == length else _end_of(up, m.start(), length)
        if valid_iban(value) and not (exact_end < len(up) and up[exact_end].isalnum()):
            out.append(IdHit(value, m.start(), exact_end))
            continue
        if not repair:
            continue
        fixed = _repair(value)
        # one character too many, unless the last one is the start of the next word ("... D80 BIC")
        if fixed is None and len(chars) == length + 1 and not (end < len(up) and up[end].isalnum()):
            fixed = _repair_extra(chars)
        if fixed:
            out.append(IdHit(fixed, m.start(), end, repaired=True))
    return out


_BIC_RE = re.compile(r"(?<![A-Za-z0-9])([A-Z]{4}[A-Z]{2}[A-Z0-9]{2}(?:[A-Z0-9]{3})?)(?![A-Za-z0-9])")
_BIC_LOOSE = re.compile(r"(?<![A-Za-z0-9])([A-Z0-9]{4}[A-Z]{2}[A-Z0-9]{2,5})(?![A-Za-z0-9])", re.I)


def valid_bic(value: str) -> bool:
    try:
        BIC(value)
        return True
    except (SchwiftyException, ValueError):
        return False


def find_bics(text: str, *, loose: bool = False) -> list[IdHit]:
    """BIC-shaped tokens; ``loose`` (behind a BIC label) also keeps a misprinted length."""
    out = []
    pattern = _BIC_LOOSE if loose else _BIC_RE
    for m in pattern.finditer(text):
        v = m.group(1)
        if loose:
            if sum(c.islower() for c in v) > 1:
                continue  # a word ("unbedingt"): a code is printed in capitals, OCR lowers a letter at most
            v = v.upper()
            v = v[:4].replace("0", "O") + v[4:]
        if valid_bic(v):
            out.append(IdHit(v, m.start(1), m.end(1)))
        elif loose and 8 <= len(v) <= 11 and countries.get(alpha_2=v[4:6]) is not None:
            out.append(IdHit(v, m.start(1), m.end(1), repaired=True))  # misprinted: kept, but not as sure
    return out


def repair_bic(value: str, iban: str | None) -> str:
    """Undo I/1 and O/0 confusions in an OCR'd BIC using the bank registry behind the IBAN."""
    if not iban:
        return value
    try:
        known = IBAN(iban).bic
    except (SchwiftyException, ValueError):
        return value
    if known is None:
        return value
    known_s = str(known)
    value = re.sub(r"[^A-Z0-9]", "", value.upper())
    base = value[:8] if len(known_s) == 8 else value
    if len(base) != len(known_s):
        return value
    same = all(a == b or b in _CONFUSABLE.get(a, "") for a, b in zip(base, known_s))
    return (known_s + value[8:] if len(known_s) == 8 else known_s) if same else value


def valid_routing(value: str) -> bool:
    """US ABA routing number checksum (weights 3, 7, 1)."""
    if not re.fullmatch(r"\d{9}", value):
        return False
    d = [int(c) for c in value]
    total = 3 * (d[0] + d[3] + d[6]) + 7 * (d[1] + d[4] + d[7]) + (d[2] + d[5] + d[8])
    return total % 10 == 0 and value != "000000000"


def find_routing(text: str) -> list[IdHit]:
    return [IdHit(m.group(1), m.start(1), m.end(1))
            for m in re.finditer(r"(?<!\d)(\d{9})(?!\d)", text) if valid_routing(m.group(1))]


_ACCOUNT_RE = re.compile(r"(?<![\w])(\d[\d -]{3,22}\d)(?![\w])")


def find_account_numbers(text: str) -> list[IdHit]:
    out = []
    for m in _ACCOUNT_RE.finditer(text):
        digits = re.sub(r"[ -]", "", m.group(1))
        if 4 <= len(digits) <= 17:
            out.append(IdHit(digits, m.start(1), m.end(1)))
    return out


def _body(kind: str, n: int) -> str:
    # n characters of a class, a space or dot allowed between any two (printed groupings vary)
    return "(?:" + kind + r"[ .]?){" + str(n - 1) + "}" + kind


# EU VAT ids and a few other tax ids.
_VAT_RE = re.compile(
    r"(?<![A-Z0-9])("
    r"AT\s?U\s?" + _body(r"\d", 8) + r"|BE\s?" + _body(r"\d", 10) + r"|BE\s?" + _body(r"\d", 9)
    + r"|DE\s?" + _body(r"\d", 9) + r"|FR\s?" + _body("[0-9A-Z]", 2) + r"\s?" + _body(r"\d", 9)
    + r"|NL\s?" + _body(r"\d", 9) + r"\s?B\s?\d{2}|ES\s?[0-9A-Z]" + _body(r"\d", 7) + r"[0-9A-Z]"
    + r"|IT\s?" + _body(r"\d", 11) + r"|GB\s?" + _body(r"\d", 9) + r"|LU\s?" + _body(r"\d", 8)
    + r"|CHE[- ]?\d{3}\.?\d{3}\.?\d{3}|PL\s?" + _body(r"\d", 10) + r"|DK\s?" + _body(r"\d", 8)
    + r"|SE\s?" + _body(r"\d", 12) + r"|PT\s?" + _body(r"\d", 9) + r"|IE\s?\d[0-9A-Z+*]\d{5}[A-Z]{1,2}"
    + r"|\d{2}[A-Z]{5}\d{4}[A-Z]\d[Z]\w"  # India GSTIN
    r")(?![A-Z0-9])"
)


def find_vat_ids(text: str) -> list[IdHit]:
    return [IdHit(re.sub(r"[\s.-]", "", m.group(1)), m.start(1), m.end(1)) for m in _VAT_RE.finditer(text.upper())]


# An invoice-number token: letters/digits with inner - / _ . and at least one digit.
_ID_TOKEN = re.compile(r"[#№]?\s?([A-Z]{2,6} \d{3,}(?:[/\-][A-Za-z0-9]+)*(?![\w.,/\-])|[A-Za-z0-9][A-Za-z0-9_./\-]*[A-Za-z0-9]|[0-9]+)")
_NOT_ID = re.compile(r"^(?:\d{1,2}[./-]\d{1,2}[./-]\d{2,4}|\d{4}-\d{2}-\d{2}|\d+[.,]\d{2}|\d{1,2})$")


def id_token(text: str) -> tuple[str, int, int] | None:
    """The identifier at the start of ``text`` (after '#', 'No.' etc. were stripped)."""
    m = _ID_TOKEN.match(text)
    if not m:
        return None
    value = m.group(1).rstrip(".")
    if not plausible_id(value):
        return None
    return value, m.start(1), m.start(1) + len(value)


def plausible_id(value: str) -> bool:
    if not 3 <= len(value) <= 40 or _NOT_ID.match(value):
        return False
    digits = sum(c.isdigit() for c in value)
    if digits == 0:
        return False
    # a long word with one digit glued on is text, not an id ("Page1")
    letters = sum(c.isalpha() for c in value)
    return not (letters > 8 and digits == 1 and value.isalnum())


def id_shape(value: str) -> str:
    """Shape of an identifier: letters -> A, digits -> 9, punctuation kept ("RE-99999999/999")."""
    return re.sub(r"[A-Za-z]", "A", re.sub(r"\d", "9", value))
