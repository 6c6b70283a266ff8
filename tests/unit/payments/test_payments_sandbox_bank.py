from datetime import date
from decimal import Decimal

import pytest

from billpay.payments.errors import PaymentRuleError
from billpay.payments.rails import PaymentInstruction, PaymentRail, PostalAddress
from billpay.payments.rails.sandbox_bank import SandboxBank, SandboxBankConfig


def ach(pid="pay-1", account="123456789", pay_date=date(2026, 12, 23), vendor_id=None, **kw):
    return PaymentInstruction(
        pid, Decimal("250.00"), "USD", pay_date, "ach", "Acme Supplies", routing_number="021000021",
        account_number=account, vendor_id=vendor_id, **kw,
    )


def test_is_a_payment_rail():
    assert isinstance(SandboxBank(), PaymentRail)


def test_settles_after_two_business_days_across_christmas():
    bank = SandboxBank()
    submission = bank.submit([ach()], today=date(2026, 12, 23))
    item = submission.payments[0]
    assert item.release_date == date(2026, 12, 23)
    # Thu 24th, then Fri 25th (Christmas) and the weekend are skipped.
    assert item.expected_settlement_date == date(2026, 12, 28)
    assert item.bank_reference.startswith("SBX") and len(item.bank_reference) == 15
    assert item.pending_return_code is None
    assert bank.due_outcomes([item], date(2026, 12, 24)) == []
    assert bank.due_outcomes([item], date(2026, 12, 27)) == []
    [outcome] = bank.due_outcomes([item], date(2026, 12, 28))
    assert (outcome.payment_id, outcome.outcome, outcome.effective_date) == ("pay-1", "settled", date(2026, 12, 28))
    assert bank.due_outcomes([item], date(2027, 1, 4))[0].effective_date == date(2026, 12, 28)


@pytest.mark.parametrize(
    ("days", "expected"),
    [(0, date(2026, 7, 2)), (1, date(2026, 7, 3)), (2, date(2026, 7, 6)), (5, date(2026, 7, 9))],
)
def test_settlement_delay_is_configurable(days, expected):
    bank = SandboxBank(SandboxBankConfig(settle_after_days=days))
    item = bank.submit([ach(pay_date=date(2026, 7, 2))], today=date(2026, 7, 1)).payments[0]
    assert item.expected_settlement_date == expected


def test_late_or_weekend_release_moves_to_the_next_business_day():
    item = SandboxBank().submit([ach(pay_date=date(2026, 7, 1))], today=date(2026, 7, 4)).payments[0]
    assert item.release_date == date(2026, 7, 6)
    assert item.expected_settlement_date == date(2026, 7, 8)


def test_account_ending_in_the_marker_comes_back_with_that_code():
    bank = SandboxBank()
    item = bank.submit([ach(account="4455699903")], today=date(2026, 7, 1)).payments[0]
    assert item.pending_return_code == "R03"
    [outcome] = bank.due_outcomes([item], item.expected_settlement_date)
    assert (outcome.outcome, outcome.return_code, outcome.bank_details_wrong) == ("returned", "R03", True)
    assert "could not find an account" in outcome.return_reason


def test_vendor_switch_and_disabled_marker():
    bank = SandboxBank(SandboxBankConfig(return_marker=None, vendor_returns={"v-9": "r02"}))
    items = bank.submit(
        [ach("a", account="99903"), ach("b", vendor_id="v-9"), ach("c", account="99999")], today=date(2026, 7, 1)
    ).payments
    assert [i.pending_return_code for i in items] == [None, "R02", None]
    with pytest.raises(PaymentRuleError) as err:
        SandboxBankConfig(vendor_returns={"v": "R77"})
    assert err.value.code == "unknown_return_code"


def test_forced_outcomes():
    bank = SandboxBank()
    item = bank.submit([ach()], today=date(2026, 12, 23)).payments[0]
    returned = bank.force_outcome(item, "returned", "R01", today=date(2026, 12, 24))
    assert (returned.outcome, returned.return_code, returned.effective_date) == ("returned", "R01", date(2026, 12, 24))
    assert not returned.bank_details_wrong
    settled = bank.force_outcome(item, "settled", today=date(2026, 12, 24))
    assert settled.outcome == "settled" and settled.return_code is None
    for args, code in [
        (("returned", None), "return_code_required"),
        (("returned", "R42"), "unknown_return_code"),
        (("bounced", None), "sandbox_outcome_invalid"),
        (("settled", "R01"), "sandbox_outcome_invalid"),
    ]:
        with pytest.raises(PaymentRuleError) as err:
            bank.force_outcome(item, *args, today=date(2026, 12, 24))
        assert err.value.code == code


def test_validates_like_the_real_rails_and_refuses_the_whole_batch():
    bank = SandboxBank()
    bad = PaymentInstruction(  # the routing number's check digit is wrong
        "bad", Decimal("1"), "USD", date(2026, 7, 2), "ach", "X", routing_number="021000022", account_number="1"
    )
    with pytest.raises(PaymentRuleError) as err:
        bank.submit([ach(), bad], today=date(2026, 7, 1))
    assert err.value.code == "routing_number_invalid"
    check = PaymentInstruction("chk", Decimal("10"), "USD", date(2026, 7, 2), "check", "Y")
    with pytest.raises(PaymentRuleError) as err:
        bank.validate(check)
    assert err.value.code == "creditor_address_missing"
    addressed = PaymentInstruction(
        "chk", Decimal("10"), "USD", date(2026, 7, 2), "check", "Y", PostalAddress("1 Main St", "Springfield")
    )
    assert bank.submit([addressed], today=date(2026, 7, 1)).payments[0].payment_id == "chk"
    with pytest.raises(PaymentRuleError) as err:
        bank.submit([ach(), ach()], today=date(2026, 7, 1))
    assert err.value.code == "duplicate_payment_id"
    with pytest.raises(PaymentRuleError) as err:
        bank.submit([], today=date(2026, 7, 1))
    assert err.value.code == "batch_empty"


def test_bank_reference_is_stable_for_a_payment():
    bank = SandboxBank()
    first = bank.submit([ach()], today=date(2026, 7, 1)).payments[0].bank_reference
    again = bank.submit([ach()], today=date(2026, 7, 2)).payments[0].bank_reference
    other = bank.submit([ach("pay-2")], today=date(2026, 7, 1)).payments[0].bank_reference
    assert first == again != other
