"""No sequence of actions reaches an illegal state; every refused action raises the one typed error."""
from __future__ import annotations

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from billpay.domain import bills, payments
from billpay.domain.bills import BillStatus
from billpay.domain.errors import ImmutableField, InvalidTransition, ReadOnlyRecord
from billpay.domain.payments import PaymentStatus

# Expected reachability, written independently of the transition table.
BILL_NEXT = {
    "in_review": {"confirmed", "void"},
    "confirmed": {"in_review", "open", "void"},
    "open": {"partially_paid", "paid", "void"},
    "partially_paid": {"partially_paid", "paid", "open", "void"},  # void: withdrawn on the platform
    "paid": {"open", "partially_paid"},
    "void": set(),
}
PAYMENT_NEXT = {
    "draft": {"pending_approval", "scheduled", "cancelled"},
    "pending_approval": {"scheduled", "draft", "cancelled"},
    "scheduled": {"processing", "draft", "cancelled"},
    "processing": {"settled", "failed"},
    "settled": {"failed"},  # a bank return after settlement
    "failed": {"draft"},
    "cancelled": set(),
}


class BillMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.status = BillStatus.IN_REVIEW
        self.synced = False

    @rule(action=st.sampled_from(sorted(bills.BILL_TRANSITIONS)))
    def act(self, action):
        before = self.status
        if bills.can(action, before):
            after = bills.transition(action, before)
            assert after in BILL_NEXT[before] or (after == before and before in BILL_NEXT[before])
            self.status = after
            if after == BillStatus.OPEN:
                self.synced = True
        else:
            with pytest.raises(InvalidTransition) as e:
                bills.transition(action, before)
            assert e.value.code == "invalid_transition"
            assert self.status == before

    @rule(field=st.sampled_from(sorted(bills.EDITABLE_FIELDS)))
    def edit(self, field):
        try:
            bills.check_edit(status=self.status, source="api", synced_once=self.synced, fields=[field])
        except ImmutableField:
            assert self.synced and field in bills.IMMUTABLE_AFTER_SYNC
        except InvalidTransition:
            assert self.status in ("void", "paid", "partially_paid")
        else:
            assert not (self.synced and field in bills.IMMUTABLE_AFTER_SYNC)
            assert self.status not in ("void", "paid")

    @invariant()
    def void_is_final(self):
        if self.status == BillStatus.VOID:
            assert not any(bills.can(a, self.status) for a in bills.BILL_TRANSITIONS)


class PaymentMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.status = PaymentStatus.DRAFT
        self.history = [self.status]

    @rule(action=st.sampled_from(sorted(payments.PAYMENT_TRANSITIONS)))
    def act(self, action):
        before = self.status
        if payments.can(action, before):
            self.status = payments.transition(action, before)
            assert self.status in PAYMENT_NEXT[before]
            self.history.append(self.status)
        else:
            with pytest.raises(InvalidTransition):
                payments.transition(action, before)

    @invariant()
    def money_leaves_only_after_scheduling(self):
        # processing is only ever entered from scheduled
        for a, b in zip(self.history, self.history[1:]):
            if b == PaymentStatus.PROCESSING:
                assert a == PaymentStatus.SCHEDULED
            if b == PaymentStatus.SETTLED:
                assert a == PaymentStatus.PROCESSING

    @invariant()
    def terminal_states_stay(self):
        if self.status in payments.TERMINAL:
            assert not any(payments.can(a, self.status) for a in payments.PAYMENT_TRANSITIONS)


TestBillMachine = BillMachine.TestCase
TestPaymentMachine = PaymentMachine.TestCase


def test_pulled_bills_are_read_only():
    with pytest.raises(ReadOnlyRecord) as e:
        bills.check_edit(status="open", source="accounting", synced_once=True, fields=["memo"])
    assert e.value.code == "bill_read_only"


def test_processing_payment_cannot_be_cancelled():
    with pytest.raises(InvalidTransition) as e:
        payments.transition("cancel", "processing")
    assert "already with the bank" in e.value.detail
