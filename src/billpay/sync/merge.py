"""A re-sync that meets a bill changed on the platform since billpay last wrote it: merge, never overwrite.

billpay owns a pushed bill's **coding** — the G/L account and dimensions of the bill and of each line. Everything
else a person may change on the platform (invoice number, dates, memo, terms, line descriptions) is kept as the
platform has it, and brought into billpay. What cannot be merged is a conflict, said in words: the lines were
changed there (billpay's coding is per line and cannot be laid on other lines), or the vendor or currency changed
(billpay pays the vendor, in the currency, it has). Pure: no I/O.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from decimal import Decimal

from .ports import BillPayload, RemoteBill

#: Header fields a person may edit on the platform; the platform's value is kept.
KEPT_FROM_PLATFORM = ("invoice_number", "invoice_date", "due_date", "memo", "terms_external_id")


@dataclass(frozen=True)
class Merged:
    payload: BillPayload | None  # billpay's coding on the platform's bill; None on a conflict
    kept: dict  # field -> the platform's value, where it differs from billpay's
    conflict: str | None = None


def _lines(n: int) -> str:
    return f"{n} line" if n == 1 else f"{n} lines"


def merge_coding(ours: BillPayload, theirs: RemoteBill, platform: str) -> Merged:
    """``ours`` (what billpay would send) merged into ``theirs`` (the bill as it is on ``platform`` now)."""
    if theirs.vendor_external_id and theirs.vendor_external_id != ours.vendor_external_id:
        return Merged(None, {}, f"The bill's vendor was changed in {platform}; billpay pays the vendor the bill has "
                                "here. Change the vendor back there, or void this bill and create it again.")
    if theirs.currency and theirs.currency.upper() != ours.currency.upper():
        return Merged(None, {}, f"The bill's currency was changed in {platform} to {theirs.currency}; billpay has "
                                f"it in {ours.currency}. Change it back there, or void this bill and create it again.")
    if [ln.amount for ln in theirs.lines] != [ln.amount for ln in ours.lines]:
        total = sum((ln.amount for ln in theirs.lines), Decimal(0))
        return Merged(None, {}, (
            f"The bill's lines were changed in {platform}: it has {_lines(len(theirs.lines))} totalling {total} "
            f"{ours.currency} there, billpay has {_lines(len(ours.lines))} totalling {ours.amount} {ours.currency}. "
            f"billpay did not overwrite them and did not apply its coding: code the bill in {platform}, or make its "
            "lines match billpay's again, then re-sync."))
    lines = [dataclasses.replace(mine, description=there.description)
             for mine, there in zip(ours.lines, theirs.lines)]
    kept = {}
    for name in KEPT_FROM_PLATFORM:
        there, mine = getattr(theirs, name), getattr(ours, name)
        if there != mine and (there is not None or name in ("memo", "terms_external_id")):
            kept[name] = there
    return Merged(dataclasses.replace(ours, lines=lines, **kept), kept)
