from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billpay.domain import rules
from billpay.domain.errors import ValidationError
from billpay.domain.vendors import PaymentDetails, aba_checksum_ok, mask


def test_aba_checksum():
    assert aba_checksum_ok("021000021") and aba_checksum_ok("011000015")
    assert not aba_checksum_ok("021000022") and not aba_checksum_ok("12345678")


@pytest.mark.parametrize("kw,code", [
    ({"routing_number": "021000022", "account_number": "1234"}, "routing_number_invalid"),
    ({"routing_number": "021000021"}, "bank_details_incomplete"),
    ({"routing_number": "021000021", "account_number": "12"}, "account_number_invalid"),
    ({"iban": "DE89370400440532013001"}, "iban_invalid"),
    ({"iban": "DE89370400440532013000", "bic": "NOTABIC"}, "bic_invalid"),
])
def test_bank_details_refused(kw, code):
    with pytest.raises(ValidationError) as e:
        PaymentDetails.validated(**kw)
    assert e.value.code == code


def test_bank_details_normalised_and_masked():
    d = PaymentDetails.validated(iban="de89 3704 0044 0532 0130 00", bic="COBADEFFXXX")
    assert d.iban == "DE89370400440532013000"
    assert mask(d.iban).endswith("3000") and "0532" not in mask(d.iban)
    assert d.supports("wire", has_address=False) and not d.supports("ach", has_address=False)


FACTS = rules.BillFacts(vendor_id="v1", sender="ap@paper.example", amount=Decimal("500.00"), currency="USD",
                        text="INV-9 office paper", line_descriptions=["Paper A4", "Shipping"])


def test_first_matching_rule_by_priority_wins_per_attribute():
    r = [rules.Rule("r2", 20, {"vendor_ids": ["v1"]}, {"gl_account": "6000", "class": "Admin"}),
         rules.Rule("r1", 10, {"amount_min": "100"}, {"gl_account": "6100"}),
         rules.Rule("r3", 5, {"line_description_contains": "shipping"}, {"gl_account": "5200"})]
    c = rules.evaluate(r, FACTS)
    assert c.bill == {"gl_account": ("6100", "r1"), "class": ("Admin", "r2")}
    assert c.lines[1]["gl_account"] == ("5200", "r3")  # line rule, highest priority
    assert c.lines[0]["gl_account"] == ("6100", "r1")


def test_manual_values_survive_rules_unless_overwrite():
    attrs, srcs, changes = rules.merge({"gl_account": "7000"}, {"gl_account": {"source": "user"}},
                                       {"gl_account": ("6100", "r1"), "class": ("Admin", "r2")},
                                       overwrite_manual=False)
    assert attrs == {"gl_account": "7000", "class": "Admin"} and set(changes) == {"class"}
    attrs, _, changes = rules.merge({"gl_account": "7000"}, {"gl_account": {"source": "user"}},
                                    {"gl_account": ("6100", "r1")}, overwrite_manual=True)
    assert attrs["gl_account"] == "6100" and changes == {"gl_account": ("7000", "6100")}


@given(st.lists(st.tuples(st.integers(0, 50), st.sampled_from(["6000", "6100", "6200"]),
                          st.booleans()), min_size=1, max_size=8))
def test_precedence_property(specs):
    """The winner for an attribute is always the lowest (priority, id) among matching rules."""
    rs = [rules.Rule(f"r{i:02d}", p, {"currency": "USD" if match else "EUR"}, {"gl_account": acct})
          for i, (p, acct, match) in enumerate(specs)]
    coding = rules.evaluate(rs, FACTS)
    matching = sorted((r for r in rs if r.conditions["currency"] == "USD"), key=lambda r: (r.priority, r.id))
    if matching:
        assert coding.bill["gl_account"] == (matching[0].attributes["gl_account"], matching[0].id)
    else:
        assert "gl_account" not in coding.bill


def test_rule_validation():
    with pytest.raises(ValidationError) as e:
        rules.validate_rule({"colour": "red"}, {"gl_account": "1"})
    assert e.value.code == "rule_condition_unknown"
    with pytest.raises(ValidationError) as e:
        rules.validate_rule({"amount_min": "10", "amount_max": "5"}, {"gl_account": "1"})
    assert e.value.code == "rule_amount_range_invalid"
