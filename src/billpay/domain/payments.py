"""Payment statuses and the actions between them (SPEC 2.4, public contract).

``draft`` -> (``pending_approval``) -> ``scheduled`` -> ``processing`` ->
``settled`` | ``failed``; ``cancelled`` from any status before processing. A bank return that arrives after
settlement takes a settled payment to ``failed`` too (``return``).
"""
from __future__ import annotations

from enum import StrEnum

from .errors import InvalidTransition


class PaymentStatus(StrEnum):
    DRAFT = "draft"
    PENDING_APPROVAL = "pending_approval"
    SCHEDULED = "scheduled"
    PROCESSING = "processing"
    SETTLED = "settled"
    FAILED = "failed"
    CANCELLED = "cancelled"


class PaymentMethod(StrEnum):
    ACH = "ach"
    WIRE = "wire"
    CHECK = "check"


P = PaymentStatus
PAYMENT_TRANSITIONS: dict[str, tuple[frozenset[PaymentStatus], PaymentStatus]] = {
    "submit_for_approval": (frozenset({P.DRAFT}), P.PENDING_APPROVAL),
    "schedule": (frozenset({P.DRAFT}), P.SCHEDULED),
    "approve_final": (frozenset({P.PENDING_APPROVAL}), P.SCHEDULED),
    "reject": (frozenset({P.PENDING_APPROVAL}), P.DRAFT),
    "unschedule": (frozenset({P.SCHEDULED}), P.DRAFT),
    "release": (frozenset({P.SCHEDULED}), P.PROCESSING),
    "settle": (frozenset({P.PROCESSING}), P.SETTLED),
    "fail": (frozenset({P.PROCESSING}), P.FAILED),
    # Returned by the bank after it had settled (an ACH return may come days later).
    "return": (frozenset({P.SETTLED}), P.FAILED),
    "cancel": (frozenset({P.DRAFT, P.PENDING_APPROVAL, P.SCHEDULED}), P.CANCELLED),
    "redraft": (frozenset({P.FAILED}), P.DRAFT),
}
_PAST = {
    "submit_for_approval": "sent for approval", "schedule": "scheduled", "approve_final": "approved",
    "reject": "rejected", "unschedule": "unscheduled", "release": "released", "settle": "settled",
    "fail": "failed", "return": "returned", "cancel": "cancelled", "redraft": "returned to draft",
}
TERMINAL = frozenset({P.CANCELLED})
# Payments whose money has not left yet: a bill paid elsewhere stops these.
NOT_SENT = frozenset({P.DRAFT, P.PENDING_APPROVAL, P.SCHEDULED})


def can(action: str, status: PaymentStatus | str) -> bool:
    allowed, _ = PAYMENT_TRANSITIONS[action]
    return PaymentStatus(status) in allowed


def transition(action: str, status: PaymentStatus | str) -> PaymentStatus:
    if action not in PAYMENT_TRANSITIONS:
        raise ValueError(f"unknown payment action {action!r}")
    allowed, target = PAYMENT_TRANSITIONS[action]
    if PaymentStatus(status) not in allowed:
        detail = None
        if action == "cancel" and status == P.PROCESSING:
            detail = "The payment is already with the bank (processing) and can no longer be cancelled."
        raise InvalidTransition("payment", _PAST[action], str(status), detail)
    return target
