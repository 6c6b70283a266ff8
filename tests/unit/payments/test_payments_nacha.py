"""Nacha writer: structure, exact amounts, text, validation and the rail."""

import re
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal

import pytest

from billpay.payments.errors import PaymentRuleError
from billpay.payments.rails import PaymentRail
from billpay.payments.rails.checks import is_valid_routing_number
from billpay.payments.rails.nacha import NachaOptions, NachaRail, build_nacha_file, file_id_modifier
from billpay.payments.rails.remittance_820 import build_820
from tests.unit.payments.nacha_samples import CREATED, ORIGINATOR, SAMPLE, TODAY, instruction


def records(text: str) -> list[str]:
    return text.splitlines()


def entries(text: str) -> list[str]:
    return [r for r in records(text) if r.startswith("6")]


@pytest.mark.parametrize("sec_code", ["CCD", "CTX"])
@pytest.mark.parametrize("balanced", [False, True])
def test_record_structure(sec_code, balanced):
    text = build_nacha_file(SAMPLE, ORIGINATOR, today=TODAY, created_at=CREATED,
                            options=NachaOptions(sec_code=sec_code, balanced=balanced)).text
    lines = records(text)
    assert all(len(line) == 94 for line in lines) and len(lines) % 10 == 0
    kinds = "".join(line[0] for line in lines if line != "9" * 94)
    # 1, then per batch 5 (6 7*)+ 8, then 9.
    assert re.fullmatch(r"1(5(67*)+8)+9", kinds), kinds
    assert kinds.count("5") == kinds.count("8") == 2


@pytest.mark.parametrize(
    ("amount", "cents"),
    [("0.01", "0000000001"), ("0.10", "0000000010"), ("1E+2", "0000010000"), ("19.90", "0000001990"),
     ("99999999.99", "9999999999"), ("12345678.91", "1234567891")],
)
def test_amounts_are_exact_cents(amount, cents):
    item = instruction("p", amount, "021000021", "1", "V")
    [entry] = entries(build_nacha_file([item], ORIGINATOR, today=TODAY).text)
    assert entry[29:39] == cents


def test_names_are_upper_cased_and_folded_to_ascii():
    item = instruction("p", "1", "021000021", "1", "Crème Brûlée Straße Ærø Łódź")
    [entry] = entries(build_nacha_file([item], ORIGINATOR, today=TODAY).text)
    assert entry[54:76] == "CREME BRULEE STRASSE A"
    assert entry.isascii()


def test_ccd_plus_addenda():
    text = build_nacha_file(SAMPLE, ORIGINATOR, today=TODAY, created_at=CREATED).text
    addenda = [r for r in records(text) if r.startswith("7")]
    assert addenda[0][3:83].rstrip() == "RMR*IV*INV-1001**1234.56\\"
    assert addenda[1][3:83].rstrip() == "JUNE SERVICES"
    assert addenda[2][3:83].rstrip() == "INV A1 A2"
    plain = build_nacha_file(SAMPLE, ORIGINATOR, today=TODAY, options=NachaOptions(ccd_addenda=False)).text
    assert not [r for r in records(plain) if r.startswith("7")]
    assert all(e[78] == "0" for e in entries(plain))


def test_ctx_carries_a_complete_820_envelope():
    nacha = build_nacha_file(SAMPLE[:1], ORIGINATOR, today=TODAY, created_at=CREATED,
                             options=NachaOptions(sec_code="CTX"))
    lines = records(nacha.text)
    [entry] = entries(nacha.text)
    addenda = [r for r in lines if r.startswith("7")]
    assert entry[54:58] == f"{len(addenda):04d}"
    text = "".join(a[3:83] for a in addenda).rstrip()
    segments = text.rstrip("\\").split("\\")
    assert [s.split("*")[0] for s in segments] == [
        "ISA", "GS", "ST", "BPR", "TRN", "DTM", "N1", "N1", "RMR", "SE", "GE", "IEA"]
    assert len(segments[0]) == 105  # ISA is fixed width (106 with its terminator)
    se = segments[9].split("*")
    assert int(se[1]) == 8  # ST through SE
    isa_control = segments[0].split("*")[13]
    assert segments[-1] == f"IEA*1*{isa_control}"
    assert isa_control == entry[79:94][-9:]
    assert segments[3] == "BPR*C*1234.56*C*ACH*CTX"
    assert segments[8] == "RMR*IV*INV-1001**1234.56"
    assert not re.search(r"[*\\]123456789[*\\]", text)  # the vendor's account is not repeated in the text


def test_820_lists_several_invoices_without_guessing_amounts():
    item = instruction("p*1", "10", "021000021", "1", "V*\\Corp", invoice_numbers=("A-1", "B~2", "C"))
    text = build_820(item, ORIGINATOR, control_number=7, created_at=CREATED, effective_date=date(2026, 7, 2))
    assert "RMR*IV*A-1\\RMR*IV*B 2\\RMR*IV*C\\" in text
    assert "N1*PE*V CORP\\" in text and "TRN*1*P 1\\" in text


def test_pay_dates_in_the_past_or_on_holidays_move_to_the_next_business_day():
    late = instruction("p", "1", "021000021", "1", "V", pay_date=date(2026, 6, 30))
    nacha = build_nacha_file([late], ORIGINATOR, today=date(2026, 7, 3))
    assert records(nacha.text)[1][69:75] == "260703"
    weekend = build_nacha_file([late], ORIGINATOR, today=date(2026, 7, 4))
    assert records(weekend.text)[1][69:75] == "260706"
    assert weekend.entries[0].effective_date == date(2026, 7, 6)


def test_immediate_destination_and_origin_overrides():
    originator = replace(ORIGINATOR, immediate_destination="021000021", immediate_origin="9876543210")
    header = records(build_nacha_file(SAMPLE[:1], originator, today=TODAY).text)[0]
    assert header[3:13] == " 021000021" and header[13:23] == "9876543210"


def good(**changes):
    return replace(instruction("p", "10.00", "021000021", "12345", "Vendor"), **changes)


@pytest.mark.parametrize(
    ("item", "code"),
    [
        (good(routing_number="021000022"), "routing_number_invalid"),
        (good(routing_number="21000021"), "routing_number_invalid"),
        (good(routing_number=None), "routing_number_invalid"),
        (good(account_number=None), "account_number_missing"),
        (good(account_number="  "), "account_number_missing"),
        (good(account_number="123456789012345678"), "account_number_invalid"),
        (good(account_number="12 34"), "account_number_invalid"),
        (good(amount=Decimal("0")), "amount_not_positive"),
        (good(amount=Decimal("-5")), "amount_not_positive"),
        (good(amount=Decimal("100000000.00")), "amount_too_large"),
        (good(amount=Decimal("1.005")), "amount_precision"),
        (good(currency="EUR"), "currency_not_supported"),
        (good(method="wire"), "method_not_supported"),
        (good(creditor_name="  "), "creditor_name_missing"),
    ],
)
def test_invalid_instructions_are_refused(item, code):
    with pytest.raises(PaymentRuleError) as err:
        build_nacha_file([good(payment_id="ok"), item], ORIGINATOR, today=TODAY)
    assert err.value.code == code


def test_float_amounts_are_a_programming_error():
    with pytest.raises(TypeError):
        build_nacha_file([good(amount=10.0)], ORIGINATOR, today=TODAY)


@pytest.mark.parametrize(
    ("originator", "balanced", "code"),
    [
        (replace(ORIGINATOR, odfi_routing="091000018"), False, "routing_number_invalid"),
        (replace(ORIGINATOR, company_id="12345678901"), False, "originator_invalid"),
        (replace(ORIGINATOR, company_name=""), False, "originator_invalid"),
        (replace(ORIGINATOR, immediate_destination="12345"), False, "originator_invalid"),
        (replace(ORIGINATOR, account_number=""), True, "originator_account_missing"),
    ],
)
def test_invalid_originators_are_refused(originator, balanced, code):
    with pytest.raises(PaymentRuleError) as err:
        build_nacha_file([good()], originator, today=TODAY, options=NachaOptions(balanced=balanced))
    assert err.value.code == code


def test_empty_and_duplicate_batches_are_refused():
    with pytest.raises(PaymentRuleError) as err:
        build_nacha_file([], ORIGINATOR, today=TODAY)
    assert err.value.code == "batch_empty"
    with pytest.raises(PaymentRuleError) as err:
        build_nacha_file([good(), good()], ORIGINATOR, today=TODAY)
    assert err.value.code == "duplicate_payment_id"


def test_routing_checksum():
    assert is_valid_routing_number("021000021")
    assert not is_valid_routing_number("021000020")
    assert not is_valid_routing_number("02100002a")


def test_file_id_modifiers():
    assert [file_id_modifier(n) for n in (1, 2, 26, 27, 36)] == ["A", "B", "Z", "0", "9"]
    with pytest.raises(PaymentRuleError) as err:
        file_id_modifier(37)
    assert err.value.code == "file_sequence_exhausted"


def test_rail_submission():
    rail = NachaRail(ORIGINATOR, NachaOptions(sec_code="CTX", balanced=True))
    assert isinstance(rail, PaymentRail)
    submission = rail.submit(SAMPLE, TODAY, now=datetime(2026, 7, 1, 5, 15), file_sequence=2)
    assert submission.rail == "nacha" and submission.reference == "20260701-B"
    assert submission.file.filename == "ach-20260701-B.ach" and submission.file.media_type == "text/plain"
    header = submission.file.content.decode("ascii").splitlines()[0]
    assert header[29:34] == "0515B"
    by_id = {p.payment_id: p for p in submission.payments}
    assert set(by_id) == {"pay-1", "pay-2", "pay-3"}
    assert by_id["pay-1"].bank_reference == "091000010100001"  # 2nd file: traces start at 100001
    assert by_id["pay-2"].expected_settlement_date == date(2026, 7, 6)
    assert len({p.bank_reference for p in submission.payments}) == 3
    first = rail.submit(SAMPLE, TODAY, file_sequence=1)
    assert not {p.bank_reference for p in first.payments} & {p.bank_reference for p in submission.payments}
