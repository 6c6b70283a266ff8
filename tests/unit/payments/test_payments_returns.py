import pytest

from billpay.payments.errors import PaymentRuleError
from billpay.payments.returns import (
    BANK_DETAILS_RETURN_CODES,
    RETURN_CODES,
    describe_return,
    is_bank_details_problem,
)


def test_every_code_from_r01_to_r29_is_described():
    assert list(RETURN_CODES) == [f"R{n:02d}" for n in range(1, 30)]
    for code, rc in RETURN_CODES.items():
        assert rc.code == code
        assert rc.title and rc.description.endswith(".")


@pytest.mark.parametrize(
    ("code", "title"),
    [
        ("R01", "Insufficient funds"),
        ("R02", "Account closed"),
        ("R03", "No account/unable to locate account"),
        ("R04", "Invalid account number structure"),
        ("R29", "Corporate customer advises not authorized"),
    ],
)
def test_known_titles(code, title):
    assert describe_return(code).title == title


def test_which_codes_mean_the_vendor_bank_details_are_wrong():
    assert BANK_DETAILS_RETURN_CODES == {"R02", "R03", "R04", "R12", "R13", "R17", "R20", "R28"}
    assert is_bank_details_problem("r03")
    assert not is_bank_details_problem("R01")
    assert not is_bank_details_problem("R23")  # the vendor refused: their details are fine


@pytest.mark.parametrize("code", ["R00", "R30", "R99", "", "X03"])
def test_unknown_codes_are_refused(code):
    with pytest.raises(PaymentRuleError) as err:
        describe_return(code)
    assert err.value.code == "unknown_return_code"
