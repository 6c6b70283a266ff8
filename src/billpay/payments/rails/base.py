"""What every payment rail receives and returns.

A rail turns a batch of :class:`PaymentInstruction` into a
:class:`RailSubmission`: one :class:`SubmittedPayment` per instruction (bank
reference, release and expected settlement dates) and, for file-based rails,
the :class:`RailFile` to hand to the bank. Rails are pure: the caller passes
``today`` (and ``now`` where a file is stamped) and persists the result.

To add a rail, implement :class:`PaymentRail` (structural typing: no base
class needed) and validate every instruction before producing output, raising
:class:`~billpay.payments.errors.PaymentRuleError`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Literal, Protocol, runtime_checkable

from billpay.payments.calendar import roll_forward

__all__ = [
    "Method",
    "OriginatorProfile",
    "PaymentInstruction",
    "PaymentRail",
    "PostalAddress",
    "RailFile",
    "RailSubmission",
    "SubmittedPayment",
    "release_date",
]

Method = Literal["ach", "wire", "check"]


@dataclass(frozen=True)
class PostalAddress:
    """A postal address; ``country`` is ISO 3166 alpha-2 (``US``, ``DE``...)."""

    street: str = ""
    city: str = ""
    postal_code: str = ""
    region: str = ""  # US state, province...
    country: str = ""
    building_number: str = ""


@dataclass(frozen=True)
class PaymentInstruction:
    """One payment as a rail sees it (already approved and due for release).

    US details are ``routing_number`` + ``account_number`` (+ ``account_type``);
    international ones are ``iban`` (+ ``bic``). ``remittance`` is free text
    for the vendor; ``invoice_numbers`` are the bills paid.
    """

    payment_id: str
    amount: Decimal
    currency: str
    pay_date: date
    method: Method
    creditor_name: str
    creditor_address: PostalAddress | None = None
    routing_number: str | None = None
    account_number: str | None = None
    account_type: Literal["checking", "savings"] = "checking"
    iban: str | None = None
    bic: str | None = None
    remittance: str = ""
    invoice_numbers: tuple[str, ...] = ()
    vendor_id: str | None = None


@dataclass(frozen=True)
class OriginatorProfile:
    """The paying company and its bank.

    ``company_id`` is the 10-character Nacha Company Identification (often
    ``1`` + EIN). ``immediate_destination``/``immediate_origin`` default to the
    ODFI routing number and the company id; banks sometimes assign others.
    """

    company_name: str
    company_id: str
    odfi_routing: str
    account_number: str = ""
    account_type: Literal["checking", "savings"] = "checking"
    iban: str | None = None
    bic: str | None = None
    bank_name: str = ""
    address: PostalAddress | None = None
    immediate_destination: str | None = None
    immediate_origin: str | None = None


@dataclass(frozen=True)
class RailFile:
    filename: str
    media_type: str
    content: bytes


@dataclass(frozen=True)
class SubmittedPayment:
    """One instruction as accepted by a rail.

    ``bank_reference`` is how the bank identifies it (sandbox reference, ACH
    trace number, pain.001 EndToEndId). ``pending_return_code`` is set only by
    the sandbox bank when it will simulate a return.
    """

    payment_id: str
    bank_reference: str
    release_date: date
    expected_settlement_date: date
    pending_return_code: str | None = None


@dataclass(frozen=True)
class RailSubmission:
    rail: str
    submitted_on: date
    payments: tuple[SubmittedPayment, ...]
    file: RailFile | None = None
    reference: str = ""  # file-level id (NACHA file id, pain.001 MsgId)
    metadata: dict[str, str] = field(default_factory=dict)


@runtime_checkable
class PaymentRail(Protocol):
    """A way to move money. ``methods`` lists the instruction methods it carries.

    ``submit`` validates the whole batch first (nothing is produced when any
    instruction is refused) and never reads the clock: ``now`` stamps a file's
    creation time (default: ``today`` at midnight); ``file_sequence`` (1, 2...)
    distinguishes several files made the same day.
    """

    name: str
    methods: frozenset[str]

    def validate(self, instruction: PaymentInstruction) -> None: ...

    def submit(
        self,
        batch: Sequence[PaymentInstruction],
        today: date,
        *,
        now: datetime | None = None,
        file_sequence: int = 1,
    ) -> RailSubmission: ...


def release_date(instruction: PaymentInstruction, today: date) -> date:
    """The business day the money leaves: the pay date, or — if a release ran
    late or the date is not a business day — the next business day from today."""
    return roll_forward(max(instruction.pay_date, today))
