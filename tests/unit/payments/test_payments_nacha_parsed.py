"""Nacha files read back by an independent parser (carta-ach) and checked field by field."""

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from billpay.payments.rails.checks import ascii_fold
from billpay.payments.rails.nacha import NachaOptions, build_nacha_file
from billpay.payments.rails.remittance_820 import build_820, ccd_addenda_text
from tests.unit.payments.nacha_samples import CREATED, ORIGINATOR, SAMPLE, TODAY, instruction, routing_with_check_digit

Parser = pytest.importorskip("ach.parser", reason="carta-ach is the independent Nacha parser").Parser

CREDIT_CODES, DEBIT_CODES = {"22", "32"}, {"27", "37"}


def parse(text: str) -> dict:
    return Parser(text).as_dict()


@pytest.mark.parametrize("sec_code", ["CCD", "CTX"])
@pytest.mark.parametrize("balanced", [False, True], ids=["unbalanced", "balanced"])
def test_file_read_back_field_by_field(sec_code, balanced):
    options = NachaOptions(sec_code=sec_code, balanced=balanced)
    nacha = build_nacha_file(SAMPLE, ORIGINATOR, today=TODAY, created_at=CREATED, options=options)
    lines = nacha.text.split("\n")
    assert lines[-1] == "" and all(len(line) == 94 for line in lines[:-1])
    lines = lines[:-1]
    assert len(lines) % 10 == 0
    parsed = parse(nacha.text)

    fh = parsed["file_header"]
    assert fh["record_type_code"] == "1" and fh["priority_code"] == "01"
    assert fh["immediate_dest"] == " 091000019"
    assert fh["immediate_org"] == "1234567890"
    assert (fh["file_crt_date"], fh["file_crt_time"], fh["file_id_mod"]) == ("260701", "0930", "A")
    assert (fh["record_size"], fh["blk_factor"], fh["format_code"]) == ("094", "10", "1")
    assert fh["im_dest_name "].strip() == "FIRST BANK OF EXAMPLE"
    assert fh["im_orgn_name "].strip() == "ACME WIDGETS, INC."

    # Batches: one per effective entry date, in date order.
    expected = {"260702": [SAMPLE[0], SAMPLE[2]], "260706": [SAMPLE[1]]}
    assert [b["batch_header"]["eff_ent_date"] for b in parsed["batches"]] == list(expected)
    traces = iter(f"09100001{n:07d}" for n in range(1, 100))
    file_totals = {"count": 0, "hash": 0, "debit": 0, "credit": 0}
    for number, (batch, (yymmdd, items)) in enumerate(zip(parsed["batches"], expected.items(), strict=True), 1):
        bh = batch["batch_header"]
        assert bh["serv_cls_code"] == ("200" if balanced else "220")
        assert bh["company_name"] == "ACME WIDGETS, IN"
        assert bh["company_id"] == "1234567890"
        assert bh["std_ent_cls_code"] == sec_code
        assert bh["entry_desc"] == "VENDOR PAY"
        assert bh["orig_stat_code"] == "1" and bh["orig_dfi_id"] == "09100001"
        assert bh["batch_id"] == f"{number:07d}"

        entries = batch["entries"]
        batch_credit = sum(int(i.amount * 100) for i in items)
        offsets = -(-batch_credit // 99_999_999_99) if balanced else 0  # one debit per 99,999,999.99
        assert len(entries) == len(items) + offsets
        for entry, item in zip(entries, items, strict=False):
            ed = entry["entry_detail"]
            assert ed["transaction_code"] == ("32" if item.account_type == "savings" else "22")
            assert ed["recv_dfi_id"] + ed["check_digit"] == item.routing_number
            assert ed["dfi_acnt_num"].rstrip() == item.account_number.upper()
            assert int(ed["amount"]) == int(item.amount * 100)
            assert ed["ind_id"].rstrip() == item.payment_id.replace("-", "").upper()
            assert ed["trace_num"] == next(traces)
            name = ascii_fold(item.creditor_name).upper()
            if sec_code == "CTX":
                # CTX: positions 55-58 are the addenda count, then a 16-char name.
                assert ed["ind_name"][:4] == f"{len(entry['addenda']):04d}"
                assert ed["ind_name"][4:20].rstrip() == name[:16]
                text = build_820(item, ORIGINATOR, control_number=int(ed["trace_num"][-9:]),
                                 created_at=CREATED, effective_date=date(2000 + int(yymmdd[:2]),
                                                                         int(yymmdd[2:4]), int(yymmdd[4:])))
                assert "".join(a["pmt_rel_info"] for a in entry["addenda"]).rstrip() == text
                assert len(entry["addenda"]) == -(-len(text) // 80)
            else:
                assert ed["ind_name"].rstrip() == name[:22]
                wanted = ccd_addenda_text(item)
                assert [a["pmt_rel_info"].rstrip() for a in entry["addenda"]] == ([wanted] if wanted else [])
            assert ed["add_rec_ind"] == ("1" if entry["addenda"] else "0")
            for seq, addenda in enumerate(entry["addenda"], 1):
                assert addenda["addenda_type_code"] == "05"
                assert addenda["add_seq_num"] == f"{seq:04d}"
                assert addenda["ent_det_seq_num"] == ed["trace_num"][-7:]

        credits = sum(int(e["entry_detail"]["amount"]) for e in entries
                      if e["entry_detail"]["transaction_code"] in CREDIT_CODES)
        debits = sum(int(e["entry_detail"]["amount"]) for e in entries
                     if e["entry_detail"]["transaction_code"] in DEBIT_CODES)
        for offset in (e["entry_detail"] for e in entries[len(items):]):
            assert offset["transaction_code"] == "27"
            assert offset["recv_dfi_id"] + offset["check_digit"] == "091000019"
            assert offset["dfi_acnt_num"].rstrip() == "55501234"
            assert offset["ind_id"].rstrip() == "OFFSET"
            assert offset["add_rec_ind"] == "0" and offset["trace_num"] == next(traces)
        assert debits == (credits if balanced else 0)
        assert credits == batch_credit

        bc = batch["batch_control"]
        count = len(entries) + sum(len(e["addenda"]) for e in entries)
        entry_hash = sum(int(e["entry_detail"]["recv_dfi_id"]) for e in entries)
        assert bc["serv_cls_code"] == bh["serv_cls_code"]
        assert int(bc["entadd_count"]) == count
        assert bc["entry_hash"] == f"{entry_hash % 10**10:010d}"
        assert (int(bc["debit_amount"]), int(bc["credit_amount"])) == (debits, credits)
        assert bc["company_id"] == "1234567890"
        assert bc["orig_dfi_id"] == f"{number:07d}"  # the parser names both last fields alike
        for key, value in (("count", count), ("hash", entry_hash), ("debit", debits), ("credit", credits)):
            file_totals[key] += value

    fc = parsed["file_control"]
    assert int(fc["batch_count"]) == 2
    assert int(fc["block_count"]) == len(lines) // 10
    assert int(fc["entadd_count"]) == file_totals["count"]
    assert fc["entry_hash"] == f"{file_totals['hash'] % 10**10:010d}"
    assert int(fc["debit_amount"]) == file_totals["debit"]
    assert int(fc["credit_amount"]) == file_totals["credit"] == 123456 + 1 + 9999999999
    control_at = next(i for i, line in enumerate(lines) if line.startswith("9") and line != "9" * 94)
    assert all(line == "9" * 94 for line in lines[control_at + 1:])
    assert (nacha.batch_count, nacha.block_count, nacha.entry_addenda_count) == (
        2, len(lines) // 10, file_totals["count"])


def test_large_file_entry_hash_keeps_the_rightmost_ten_digits():
    routing = routing_with_check_digit("32227162")
    items = [instruction(f"p{n}", "1.00", routing, f"{n:09d}", f"Vendor {n}") for n in range(400)]
    nacha = build_nacha_file(items, ORIGINATOR, today=TODAY, created_at=CREATED,
                             options=NachaOptions(ccd_addenda=False))
    parsed = parse(nacha.text)
    full = 400 * 32227162
    assert full > 10**10
    assert parsed["batches"][0]["batch_control"]["entry_hash"] == f"{full % 10**10:010d}"
    assert parsed["file_control"]["entry_hash"] == f"{full % 10**10:010d}"
    assert int(parsed["file_control"]["entadd_count"]) == 400
    records = nacha.text.splitlines()
    assert len(records) == 410 and records[-1] == "9" * 94  # 404 records + 6 filler lines
    assert int(parsed["file_control"]["block_count"]) == 41


def test_offset_uses_the_savings_debit_code_for_a_savings_account():
    originator = replace(ORIGINATOR, account_type="savings")
    nacha = build_nacha_file(SAMPLE[:1], originator, today=TODAY, created_at=CREATED,
                             options=NachaOptions(balanced=True))
    entries = parse(nacha.text)["batches"][0]["entries"]
    assert entries[-1]["entry_detail"]["transaction_code"] == "37"
    assert int(entries[-1]["entry_detail"]["amount"]) == int(Decimal("1234.56") * 100)
