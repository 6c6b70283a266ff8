"""Bill statuses, the actions between them, and the rules that guard bill data.

Statuses (public contract): ``in_review`` -> ``confirmed`` -> ``open`` ->
``paid`` (``partially_paid`` where partial payments exist), or ``void``.
Sources: ``upload``, ``email``, ``api``, ``manual`` (typed in the web app), ``accounting`` (pulled; read-only).
"""
from __future__ import annotations

from enum import StrEnum
from typing import Iterable

from .errors import ImmutableField, InvalidTransition, ReadOnlyRecord


class BillStatus(StrEnum):
    IN_REVIEW = "in_review"
    CONFIRMED = "confirmed"
    OPEN = "open"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"
    VOID = "void"


class BillSource(StrEnum):
    UPLOAD = "upload"
    EMAIL = "email"
    API = "api"
    MANUAL = "manual"  # entered by hand in the web app
    ACCOUNTING = "accounting"


S = BillStatus
# action -> (allowed from, to). ``pay``/``unpay`` are driven by payments.
BILL_TRANSITIONS: dict[str, tuple[frozenset[BillStatus], BillStatus]] = {
    "confirm": (frozenset({S.IN_REVIEW}), S.CONFIRMED),
    "reopen_review": (frozenset({S.CONFIRMED}), S.IN_REVIEW),
    "send_to_payments": (frozenset({S.CONFIRMED}), S.OPEN),
    # From paid too: one of several payments was returned, or a payment was removed on the platform.
    "pay_partially": (frozenset({S.OPEN, S.PARTIALLY_PAID, S.PAID}), S.PARTIALLY_PAID),
    "pay": (frozenset({S.OPEN, S.PARTIALLY_PAID}), S.PAID),
    "reopen": (frozenset({S.PAID, S.PARTIALLY_PAID}), S.OPEN),
    "void": (frozenset({S.IN_REVIEW, S.CONFIRMED, S.OPEN}), S.VOID),
    # A pulled bill deleted or voided in the accounting platform before billpay paid it.
    "withdraw": (frozenset({S.OPEN, S.PARTIALLY_PAID}), S.VOID),
}
_PAST = {
    "confirm": "confirmed", "reopen_review": "returned to review", "send_to_payments": "sent to payments",
    "pay_partially": "partially paid", "pay": "marked paid", "reopen": "reopened", "void": "voided",
    "withdraw": "withdrawn",
}

# Fields that identify the bill to the platform and the vendor: frozen after the first sync.
IMMUTABLE_AFTER_SYNC = frozenset({"amount", "vendor_id", "due_date", "invoice_number", "currency"})
# Fields a person may edit while the bill is editable.
EDITABLE_FIELDS = frozenset({
    "vendor_id", "invoice_number", "invoice_date", "due_date", "payment_terms", "currency",
    "amount", "memo", "attributes",
})
ATTRIBUTE_FIELDS = frozenset({"attributes", "memo"})


def can(action: str, status: BillStatus | str) -> bool:
    allowed, _ = BILL_TRANSITIONS[action]
    return BillStatus(status) in allowed


def transition(action: str, status: BillStatus | str) -> BillStatus:
    """The status after ``action``; raises ``InvalidTransition`` when not allowed."""
    if action not in BILL_TRANSITIONS:
        raise ValueError(f"unknown bill action {action!r}")
    allowed, target = BILL_TRANSITIONS[action]
    if BillStatus(status) not in allowed:
        raise InvalidTransition("bill", _PAST[action], str(status))
    return target


def check_edit(*, status: str, source: str, synced_once: bool, fields: Iterable[str]) -> None:
    """Refuse edits that the bill's state does not allow (SPEC 2.1.7 and 2.2.4)."""
    fields = set(fields)
    if not fields:
        return
    if source == BillSource.ACCOUNTING:
        raise ReadOnlyRecord(
            "This bill was pulled from the accounting platform and is read-only here. "
            "Edit it in the accounting platform; the next pull brings the change.")
    if status in (S.VOID, S.PAID):
        raise InvalidTransition("bill", "edited", status)
    if synced_once:
        frozen = sorted(fields & IMMUTABLE_AFTER_SYNC)
        if frozen:
            raise ImmutableField(
                f"{', '.join(f.replace('_id', '').replace('_', ' ') for f in frozen)} cannot change after "
                "the bill was synced to the accounting platform. Edit it in the accounting platform, "
                "or void this bill and create it again.", extra={"fields": frozen})
    if status == S.PARTIALLY_PAID and fields - ATTRIBUTE_FIELDS:
        raise InvalidTransition("bill", "edited", status,
                                "A partially paid bill's details cannot change; only its coding can.")
