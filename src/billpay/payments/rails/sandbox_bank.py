"""The built-in sandbox bank: a payment rail that moves no money.

It validates instructions the way the real rails do (ACH details like the
Nacha writer, transfers like the pain.001 writer, checks need a mailing
address), gives each payment a bank reference (``SBX`` + 12 hex characters,
derived from the payment id so a retried submission gets the same one) and an
expected settlement date ``add_business_days(release_date, settle_after_days)``
(2 by default), skipping weekends and Federal Reserve holidays.

Simulated returns, decided at submission and carried on
``SubmittedPayment.pending_return_code``:

* an account number or IBAN ending in ``return_marker`` + two digits ``NN``
  (by default ``999NN``, e.g. ``…99903``) is returned with ``RNN`` when that
  is an ACH return code (R01–R29);
* ``vendor_returns`` maps a vendor id to a return code (a per-vendor switch).

:meth:`SandboxBank.due_outcomes` says which processing payments settle (or
come back) by ``today``; :meth:`SandboxBank.force_outcome` settles or returns
one now (the ``sandbox-bank/settle`` API). Everything is pure: the caller
stores the submitted items and passes them back.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from billpay.payments.calendar import add_business_days
from billpay.payments.errors import PaymentRuleError
from billpay.payments.rails.base import PaymentInstruction, RailSubmission, SubmittedPayment, release_date
from billpay.payments.rails.checks import check_unique_ids, to_minor_units
from billpay.payments.rails.nacha import validate_ach_instruction
from billpay.payments.rails.pain001 import validate_pain001_instruction
from billpay.payments.returns import RETURN_CODES, describe_return

__all__ = ["SandboxBank", "SandboxBankConfig", "SandboxOutcome"]

Outcome = Literal["settled", "returned"]


@dataclass(frozen=True)
class SandboxBankConfig:
    settle_after_days: int = 2
    return_marker: str | None = "999"
    vendor_returns: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.settle_after_days < 0:
            raise ValueError("settle_after_days must be zero or more")
        for code in self.vendor_returns.values():
            describe_return(code)


@dataclass(frozen=True)
class SandboxOutcome:
    """What happened to one payment at the sandbox bank."""

    payment_id: str
    bank_reference: str
    outcome: Outcome
    effective_date: date
    return_code: str | None = None
    return_reason: str | None = None
    bank_details_wrong: bool = False


class SandboxBank:
    """The ``sandbox_bank`` rail (every method: ACH, wire, check)."""

    name = "sandbox_bank"
    methods = frozenset({"ach", "wire", "check"})

    def __init__(self, config: SandboxBankConfig = SandboxBankConfig()) -> None:
        self.config = config

    def validate(self, instruction: PaymentInstruction) -> None:
        if instruction.method == "ach":
            validate_ach_instruction(instruction)
        elif instruction.method == "wire":
            validate_pain001_instruction(instruction)
        elif instruction.method == "check":
            pid = instruction.payment_id
            to_minor_units(instruction.amount, maximum=Decimal("999999999.99"), payment_id=pid)
            address = instruction.creditor_address
            if address is None or not address.street.strip() or not address.city.strip():
                raise PaymentRuleError(
                    "creditor_address_missing", f"Payment {pid}: a check needs the vendor's mailing address.",
                    {"payment_id": pid},
                )
        else:
            raise PaymentRuleError("method_not_supported", f"Unknown payment method {instruction.method!r}.")

    def submit(
        self,
        batch: Sequence[PaymentInstruction],
        today: date,
        *,
        now: datetime | None = None,
        file_sequence: int = 1,
    ) -> RailSubmission:
        if not batch:
            raise PaymentRuleError("batch_empty", "There are no payments to submit.")
        for instruction in batch:
            self.validate(instruction)
        check_unique_ids(i.payment_id for i in batch)
        payments = []
        for instruction in batch:
            released = release_date(instruction, today)
            payments.append(
                SubmittedPayment(
                    payment_id=instruction.payment_id,
                    bank_reference=bank_reference(instruction.payment_id),
                    release_date=released,
                    expected_settlement_date=add_business_days(released, self.config.settle_after_days),
                    pending_return_code=self.simulated_return(instruction),
                )
            )
        return RailSubmission(self.name, today, tuple(payments))

    def simulated_return(self, instruction: PaymentInstruction) -> str | None:
        """The return code this instruction will come back with, if any."""
        if instruction.vendor_id and instruction.vendor_id in self.config.vendor_returns:
            return describe_return(self.config.vendor_returns[instruction.vendor_id]).code
        marker = self.config.return_marker
        if marker:
            for number in (instruction.account_number, instruction.iban):
                match = re.search(re.escape(marker) + r"(\d\d)$", (number or "").replace(" ", ""))
                if match and f"R{match.group(1)}" in RETURN_CODES:
                    return f"R{match.group(1)}"
        return None

    def due_outcomes(self, items: Iterable[SubmittedPayment], today: date) -> list[SandboxOutcome]:
        """Outcomes for the processing ``items`` whose settlement date is on or before ``today``."""
        return [
            _outcome(item, item.expected_settlement_date, item.pending_return_code)
            for item in items
            if item.expected_settlement_date <= today
        ]

    def force_outcome(
        self, item: SubmittedPayment, outcome: str, return_code: str | None = None, *, today: date
    ) -> SandboxOutcome:
        """Settle or return ``item`` now. Codes: ``sandbox_outcome_invalid``,
        ``return_code_required``, ``unknown_return_code``."""
        if outcome == "settled":
            if return_code:
                raise PaymentRuleError("sandbox_outcome_invalid", "A settled payment has no return code.")
            return _outcome(item, today, None)
        if outcome == "returned":
            if not return_code:
                raise PaymentRuleError("return_code_required", "Say which return code (R01–R29) to simulate.")
            return _outcome(item, today, describe_return(return_code).code)
        raise PaymentRuleError("sandbox_outcome_invalid", "The outcome is 'settled' or 'returned'.")


def bank_reference(payment_id: str) -> str:
    """A stable sandbox reference for ``payment_id``."""
    return "SBX" + hashlib.sha256(payment_id.encode()).hexdigest()[:12].upper()


def _outcome(item: SubmittedPayment, when: date, return_code: str | None) -> SandboxOutcome:
    if return_code is None:
        return SandboxOutcome(item.payment_id, item.bank_reference, "settled", when)
    described = describe_return(return_code)
    return SandboxOutcome(
        item.payment_id, item.bank_reference, "returned", when, described.code,
        f"{described.title}: {described.description}", described.bank_details_wrong,
    )
