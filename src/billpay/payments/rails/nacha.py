"""Nacha ACH file writer (CCD / CCD+ and CTX credits), and the ``nacha`` rail.

Layout: File Header (1), then one batch per effective entry date — Batch
Header (5), Entry Detail (6) each followed by its 05 addenda (7), Batch
Control (8) — then File Control (9), then lines of ``9`` up to a multiple of
10 records. Every record is 94 characters.

* Amounts are whole cents taken exactly from ``Decimal`` (0.01 ..
  99,999,999.99 per entry); only USD.
* Names and text are upper-cased and folded to ASCII.
* Entry hash: sum of the 8-digit RDFI routing prefixes, rightmost 10 digits.
* Trace number: the ODFI's 8-digit prefix + a 7-digit sequence that starts at
  ``trace_start`` (the rail uses ``(file_sequence - 1) * 100000 + 1`` so
  several files a day never repeat a trace number).
* ``balanced=True`` adds, per batch, an offsetting debit to the originator's
  own account for the batch's credit total (service class 200 instead of
  220), for banks that want balanced files; a total above 99,999,999.99 is
  offset by several debits, since one entry cannot carry more.
* CTX entries carry an X12 820 (see :mod:`remittance_820`) in as many 80-char
  addenda as needed; CCD entries carry one CCD+ addenda when there is
  remittance text (``ccd_addenda=False`` turns that off).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from itertools import groupby
from typing import Literal

from billpay.payments.errors import PaymentRuleError
from billpay.payments.rails.base import (
    OriginatorProfile,
    PaymentInstruction,
    RailFile,
    RailSubmission,
    SubmittedPayment,
    release_date,
)
from billpay.payments.rails.checks import ascii_fold, check_unique_ids, require_routing_number, to_minor_units
from billpay.payments.rails.remittance_820 import build_820, ccd_addenda_text, split_addenda

__all__ = [
    "MAX_ENTRY_AMOUNT",
    "NachaEntry",
    "NachaFile",
    "NachaOptions",
    "NachaRail",
    "build_nacha_file",
    "file_id_modifier",
    "validate_ach_instruction",
    "validate_originator",
]

RECORD_LENGTH = 94
BLOCKING_FACTOR = 10
MAX_ENTRY_AMOUNT = Decimal("99999999.99")
MAX_ENTRY_CENTS = 99_999_999_99
MAX_ADDENDA = 9999
_CREDIT_CODES = {"checking": "22", "savings": "32"}
_DEBIT_CODES = {"checking": "27", "savings": "37"}
_MODIFIERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


@dataclass(frozen=True)
class NachaOptions:
    sec_code: Literal["CCD", "CTX"] = "CCD"
    balanced: bool = False
    entry_description: str = "VENDOR PAY"
    ccd_addenda: bool = True
    line_ending: str = "\n"


@dataclass(frozen=True)
class NachaEntry:
    """One payment's entry in the file (offset entries are not listed)."""

    payment_id: str
    trace_number: str
    effective_date: date
    amount_cents: int
    addenda_count: int


@dataclass(frozen=True)
class NachaFile:
    text: str
    entries: tuple[NachaEntry, ...]
    file_id_modifier: str
    batch_count: int
    entry_addenda_count: int
    entry_hash: int
    total_debit_cents: int
    total_credit_cents: int
    block_count: int

    @property
    def content(self) -> bytes:
        return self.text.encode("ascii")


def file_id_modifier(file_sequence: int) -> str:
    """A..Z then 0..9 for the 1st..36th file of a day."""
    if not 1 <= file_sequence <= len(_MODIFIERS):
        raise PaymentRuleError(
            "file_sequence_exhausted", f"At most {len(_MODIFIERS)} ACH files can be created per day."
        )
    return _MODIFIERS[file_sequence - 1]


def validate_originator(originator: OriginatorProfile, *, balanced: bool = False) -> None:
    """Codes: ``originator_invalid``, ``routing_number_invalid``, ``originator_account_missing``."""
    if not ascii_fold(originator.company_name):
        raise PaymentRuleError("originator_invalid", "The paying company's name is missing.")
    if not re.fullmatch(r"[A-Za-z0-9 ]{1,10}", originator.company_id or ""):
        raise PaymentRuleError(
            "originator_invalid", "The ACH company identification must be 1 to 10 letters or digits."
        )
    require_routing_number(originator.odfi_routing, "your bank (ODFI)")
    dest = originator.immediate_destination
    if dest is not None and not re.fullmatch(r"\d{9}", dest.strip()):
        raise PaymentRuleError("originator_invalid", "The immediate destination must be a 9-digit routing number.")
    origin = originator.immediate_origin
    if origin is not None and not re.fullmatch(r"[A-Za-z0-9 ]{1,10}", origin):
        raise PaymentRuleError("originator_invalid", "The immediate origin must be 1 to 10 letters or digits.")
    if balanced and not _account_ok(originator.account_number):
        raise PaymentRuleError(
            "originator_account_missing",
            "A balanced ACH file needs the paying company's account number for the offsetting entry.",
        )


def validate_ach_instruction(instruction: PaymentInstruction) -> None:
    """Codes: ``method_not_supported``, ``currency_not_supported``,
    ``creditor_name_missing``, ``routing_number_invalid``,
    ``account_number_missing``, ``account_number_invalid``,
    ``amount_not_positive``, ``amount_too_large``, ``amount_precision``."""
    pid = instruction.payment_id
    if instruction.method != "ach":
        raise PaymentRuleError(
            "method_not_supported", f"Payment {pid} is a {instruction.method} payment, not ACH.", {"payment_id": pid}
        )
    if instruction.currency != "USD":
        raise PaymentRuleError(
            "currency_not_supported", f"Payment {pid}: ACH pays USD only, not {instruction.currency}.",
            {"payment_id": pid},
        )
    if not ascii_fold(instruction.creditor_name):
        raise PaymentRuleError("creditor_name_missing", f"Payment {pid}: the vendor's name is missing.",
                               {"payment_id": pid})
    require_routing_number(instruction.routing_number, f"{instruction.creditor_name} (payment {pid})")
    account = (instruction.account_number or "").strip()
    if not account:
        raise PaymentRuleError(
            "account_number_missing", f"Payment {pid}: the vendor's bank account number is missing.",
            {"payment_id": pid},
        )
    if not _account_ok(account):
        raise PaymentRuleError(
            "account_number_invalid",
            f"Payment {pid}: the account number must be 1 to 17 letters, digits or hyphens.",
            {"payment_id": pid},
        )
    if instruction.account_type not in _CREDIT_CODES:
        raise PaymentRuleError("account_number_invalid", f"Payment {pid}: unknown account type.",
                               {"payment_id": pid})
    to_minor_units(instruction.amount, maximum=MAX_ENTRY_AMOUNT, payment_id=pid)


def build_nacha_file(
    instructions: Sequence[PaymentInstruction],
    originator: OriginatorProfile,
    *,
    today: date,
    created_at: datetime | None = None,
    modifier: str = "A",
    trace_start: int = 1,
    options: NachaOptions = NachaOptions(),
) -> NachaFile:
    """Validate everything, then write the file. Raises ``PaymentRuleError``
    (``batch_empty`` for no instructions) before any text is produced."""
    if not instructions:
        raise PaymentRuleError("batch_empty", "There are no payments to put in the file.")
    validate_originator(originator, balanced=options.balanced)
    for instruction in instructions:
        validate_ach_instruction(instruction)
    check_unique_ids(i.payment_id for i in instructions)
    if options.sec_code not in ("CCD", "CTX"):
        raise PaymentRuleError("sec_code_not_supported", f"SEC code {options.sec_code} is not supported.")
    created_at = created_at or datetime.combine(today, time())
    return _Writer(originator, options, today, created_at, modifier, trace_start).write(instructions)


class _Writer:
    def __init__(self, originator, options, today, created_at, modifier, trace_start) -> None:
        self.o, self.opt, self.today, self.created_at = originator, options, today, created_at
        self.modifier = modifier
        self.odfi8 = originator.odfi_routing[:8]
        self.sequence = trace_start
        self.records: list[str] = []
        self.entries: list[NachaEntry] = []

    def write(self, instructions: Sequence[PaymentInstruction]) -> NachaFile:
        o = self.o
        dest = (o.immediate_destination or o.odfi_routing).strip()
        origin = (o.immediate_origin or o.company_id).strip()
        self._emit("1", "01", _right(dest, 10), _right(origin, 10), self.created_at.strftime("%y%m%d"),
                   self.created_at.strftime("%H%M"), self.modifier, "094", "10", "1",
                   _alpha(o.bank_name, 23), _alpha(o.company_name, 23), _alpha("", 8))
        dated = sorted(((release_date(i, self.today), n, i) for n, i in enumerate(instructions)),
                       key=lambda t: (t[0], t[1]))
        totals = [0, 0, 0, 0]  # entry/addenda count, hash, debit, credit
        batch_count = 0
        for batch_number, (effective, group) in enumerate(groupby(dated, key=lambda t: t[0]), start=1):
            counts = self._batch(batch_number, effective, [i for _, _, i in group])
            totals = [a + b for a, b in zip(totals, counts, strict=True)]
            batch_count += 1
        count, entry_hash, debit, credit = totals
        blocks = -(-(len(self.records) + 1) // BLOCKING_FACTOR)
        self._emit("9", _num(batch_count, 6), _num(blocks, 6), _num(count, 8), _num(entry_hash % 10**10, 10),
                   _num(debit, 12), _num(credit, 12), " " * 39)
        while len(self.records) % BLOCKING_FACTOR:
            self.records.append("9" * RECORD_LENGTH)
        end = self.opt.line_ending
        return NachaFile(end.join(self.records) + end, tuple(self.entries), self.modifier, batch_count,
                         count, entry_hash % 10**10, debit, credit, blocks)

    def _batch(self, number: int, effective: date, items: list[PaymentInstruction]) -> tuple[int, int, int, int]:
        o, opt = self.o, self.opt
        service = "200" if opt.balanced else "220"
        self._emit("5", service, _alpha(o.company_name, 16), _alpha("", 20), _alpha(o.company_id, 10),
                   opt.sec_code, _alpha(opt.entry_description, 10), " " * 6, effective.strftime("%y%m%d"),
                   " " * 3, "1", self.odfi8, _num(number, 7))
        count = entry_hash = credit = 0
        for instruction in items:
            cents = to_minor_units(instruction.amount, maximum=MAX_ENTRY_AMOUNT, payment_id=instruction.payment_id)
            trace = self._trace()
            addenda = self._addenda(instruction, trace, effective)
            self._entry(_CREDIT_CODES[instruction.account_type], instruction.routing_number or "",
                        instruction.account_number or "", cents, _ident(instruction.payment_id),
                        instruction.creditor_name, trace, addenda)
            self.entries.append(NachaEntry(instruction.payment_id, trace, effective, cents, len(addenda)))
            count += 1 + len(addenda)
            entry_hash += int(instruction.routing_number[:8])  # type: ignore[index]
            credit += cents
        debit = 0
        while opt.balanced and debit < credit:
            # One offsetting debit per 99,999,999.99: an entry's amount field has 10 digits.
            part = min(credit - debit, MAX_ENTRY_CENTS)
            self._entry(_DEBIT_CODES[o.account_type], o.odfi_routing, o.account_number, part, "OFFSET",
                        o.company_name, self._trace(), [])
            count += 1
            entry_hash += int(o.odfi_routing[:8])
            debit += part
        if credit > 999_999_999_999 or count > 999_999:
            raise PaymentRuleError("batch_too_large", "Too many or too large payments for one ACH batch.")
        self._emit("8", service, _num(count, 6), _num(entry_hash % 10**10, 10), _num(debit, 12), _num(credit, 12),
                   _alpha(o.company_id, 10), " " * 19, " " * 6, self.odfi8, _num(number, 7))
        return count, entry_hash, debit, credit

    def _entry(self, code: str, routing: str, account: str, cents: int, ident: str, name: str, trace: str,
               addenda: list[str]) -> None:
        head = ("6", code, routing[:8], routing[8], _alpha(account.strip(), 17), _num(cents, 10), _alpha(ident, 15))
        if self.opt.sec_code == "CTX":
            tail = (_num(len(addenda), 4), _alpha(name, 16), "  ", "  ")
        else:
            tail = (_alpha(name, 22), "  ")
        self._emit(*head, *tail, "1" if addenda else "0", trace)
        for seq, info in enumerate(addenda, start=1):
            self._emit("7", "05", info, _num(seq, 4), trace[-7:])

    def _addenda(self, instruction: PaymentInstruction, trace: str, effective: date) -> list[str]:
        if self.opt.sec_code == "CTX":
            text = build_820(instruction, self.o, control_number=int(trace[-9:]), created_at=self.created_at,
                             effective_date=effective)
            pieces = split_addenda(text)
            if len(pieces) > MAX_ADDENDA:
                raise PaymentRuleError("remittance_too_long", f"Payment {instruction.payment_id}: "
                                       "remittance needs more than 9,999 addenda records.")
            return pieces
        if not self.opt.ccd_addenda:
            return []
        text = ccd_addenda_text(instruction)
        return [text.ljust(80)] if text else []

    def _trace(self) -> str:
        if self.sequence > 9_999_999:
            raise PaymentRuleError("trace_numbers_exhausted", "Too many entries for one day's trace numbers.")
        trace = self.odfi8 + _num(self.sequence, 7)
        self.sequence += 1
        return trace

    def _emit(self, *fields: str) -> None:
        record = "".join(fields)
        if len(record) != RECORD_LENGTH:  # a programming error, never user input
            raise AssertionError(f"record type {record[:1]} is {len(record)} characters: {record!r}")
        self.records.append(record)


class NachaRail:
    """The ``nacha`` rail: ACH credits delivered to the bank as a Nacha file."""

    name = "nacha"
    methods = frozenset({"ach"})

    def __init__(self, originator: OriginatorProfile, options: NachaOptions = NachaOptions()) -> None:
        self.originator = originator
        self.options = options

    def validate(self, instruction: PaymentInstruction) -> None:
        validate_ach_instruction(instruction)

    def submit(
        self,
        batch: Sequence[PaymentInstruction],
        today: date,
        *,
        now: datetime | None = None,
        file_sequence: int = 1,
    ) -> RailSubmission:
        modifier = file_id_modifier(file_sequence)
        nacha = build_nacha_file(batch, self.originator, today=today, created_at=now, modifier=modifier,
                                 trace_start=(file_sequence - 1) * 100_000 + 1, options=self.options)
        payments = tuple(
            SubmittedPayment(e.payment_id, e.trace_number, e.effective_date, e.effective_date)
            for e in nacha.entries
        )
        reference = f"{today:%Y%m%d}-{modifier}"
        file = RailFile(f"ach-{reference}.ach", "text/plain", nacha.content)
        return RailSubmission(self.name, today, payments, file, reference,
                              {"sec_code": self.options.sec_code, "balanced": str(self.options.balanced).lower()})


def _account_ok(account: str | None) -> bool:
    return bool(re.fullmatch(r"[A-Za-z0-9-]{1,17}", (account or "").strip()))


def _alpha(text: str, length: int) -> str:
    """Upper-case ASCII, left-justified, space-padded, cut to ``length``."""
    return ascii_fold(text).upper()[:length].ljust(length)


def _right(text: str, length: int) -> str:
    return text[-length:].rjust(length)


def _num(value: int, length: int) -> str:
    text = str(value).zfill(length)
    if len(text) > length:
        raise PaymentRuleError("nacha_field_overflow", f"{value} does not fit in {length} digits.")
    return text


def _ident(payment_id: str) -> str:
    """Payment id as the 15-character identification number (hyphens dropped)."""
    return re.sub(r"[^A-Za-z0-9]", "", payment_id)[:15]
