"""ASC X12 820 remittance text for CTX addenda, and the CCD+ one-line variant.

Nacha CTX entries carry an X12 envelope (ISA … IEA) split across 80-character
05 addenda records. We use the banking conventions ``*`` as element separator
and ``\\`` as segment terminator. The BPR segment deliberately stops after the
payment method (``BPR*C*amount*C*ACH*CTX``): the entry itself carries the
accounts, so no account number is repeated in text the vendor receives.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal

from billpay.payments.rails.base import OriginatorProfile, PaymentInstruction
from billpay.payments.rails.checks import ascii_fold

__all__ = ["ccd_addenda_text", "build_820", "split_addenda"]

ELEMENT = "*"
SEGMENT = "\\"
ADDENDA_LENGTH = 80


def _clean(value: str, limit: int) -> str:
    """Upper-case ASCII without X12 delimiters, cut to ``limit``."""
    text = re.sub(r"[*\\~>^|]", " ", ascii_fold(value).upper())
    return re.sub(r"\s+", " ", text).strip()[:limit]


def _amount(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01'))}"


def build_820(
    instruction: PaymentInstruction,
    originator: OriginatorProfile,
    *,
    control_number: int,
    created_at: datetime,
    effective_date: date,
) -> str:
    """One X12 820 interchange for one payment entry."""
    ctrl = f"{control_number % 1_000_000_000:09d}"
    sender = _clean(originator.company_id, 15).ljust(15)
    receiver = (_clean(instruction.vendor_id or instruction.routing_number or "", 15) or "VENDOR").ljust(15)
    yymmdd, hhmm = created_at.strftime("%y%m%d"), created_at.strftime("%H%M")
    body = [
        ["ST", "820", "0001"],
        ["BPR", "C", _amount(instruction.amount), "C", "ACH", "CTX"],
        ["TRN", "1", _clean(instruction.payment_id, 50)],
        ["DTM", "097", effective_date.strftime("%Y%m%d")],
        ["N1", "PR", _clean(originator.company_name, 60)],
        ["N1", "PE", _clean(instruction.creditor_name, 60)],
    ]
    invoices = [_clean(n, 50) for n in instruction.invoice_numbers if _clean(n, 50)]
    for number in invoices:
        # With one invoice the whole payment applies to it; with several the
        # split is not known here, so the amount element is left out.
        amount = ["", _amount(instruction.amount)] if len(invoices) == 1 else []
        body.append(["RMR", "IV", number, *amount])
    if not invoices and instruction.remittance.strip():
        body.append(["NTE", "", _clean(instruction.remittance, 80)])
    body.append(["SE", str(len(body) + 1), "0001"])
    segments = [
        ["ISA", "00", " " * 10, "00", " " * 10, "ZZ", sender, "ZZ", receiver, yymmdd, hhmm, "U", "00401", ctrl,
         "0", "P", ">"],
        ["GS", "RA", sender.strip(), receiver.strip(), created_at.strftime("%Y%m%d"), hhmm, str(int(ctrl)), "X",
         "004010"],
        *body,
        ["GE", "1", str(int(ctrl))],
        ["IEA", "1", ctrl],
    ]
    return "".join(ELEMENT.join(s) + SEGMENT for s in segments)


def ccd_addenda_text(instruction: PaymentInstruction) -> str:
    """The single 80-character CCD+ addenda: ``RMR*IV*<invoice>**<amount>\\``
    for one invoice, else the invoice list or the free remittance text."""
    invoices = [_clean(n, 50) for n in instruction.invoice_numbers if _clean(n, 50)]
    if len(invoices) == 1:
        text = f"RMR*IV*{invoices[0]}**{_amount(instruction.amount)}\\"
    elif invoices:
        text = "INV " + " ".join(invoices)
    else:
        text = _clean(instruction.remittance, ADDENDA_LENGTH)
    return text[:ADDENDA_LENGTH]


def split_addenda(text: str) -> list[str]:
    """Cut ``text`` into 80-character pieces (the last one space-padded)."""
    return [text[i : i + ADDENDA_LENGTH].ljust(ADDENDA_LENGTH) for i in range(0, len(text), ADDENDA_LENGTH)]
