"""Field parsers: amounts, dates, identifiers, payment terms, labels."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from billpay.capture.extraction.amounts import (
    currency_votes,
    decimal_separator,
    find_amounts,
    parse_amount,
)
from billpay.capture.extraction.candidates import Context, find_bic_values
from billpay.capture.extraction.dates import date_order, find_dates, parse_date
from billpay.capture.extraction.ids import (
    find_bics,
    find_ibans,
    find_vat_ids,
    id_token,
    repair_bic,
    valid_iban,
    valid_routing,
)
from billpay.capture.extraction.layout import fold
from billpay.capture.extraction.lexicon import scan_labels
from billpay.capture.extraction.terms import parse_terms


@pytest.mark.parametrize("text,value,currency", [
    ("1,234.56", "1234.56", None),
    ("1.234,56", "1234.56", None),
    ("1 234,56 €", "1234.56", "EUR"),
    ("1\u00a0234,56 EUR", "1234.56", "EUR"),
    ("1'234.50 CHF", "1234.50", "CHF"),
    ("$4.11", "4.11", "USD"),
    ("Rs 1939", "1939", "INR"),
    ("£ 12.00", "12.00", "GBP"),
    ("-233,47 €", "-233.47", "EUR"),
    ("€ -9,32", "-9.32", "EUR"),
    ("(12.00)", "-12.00", None),
    ("9,32-", "-9.32", None),
    ("2,076.76 €", "2076.76", "EUR"),
    ("781 459,32 €", "781459.32", "EUR"),
    # OCR read the one mark for the other: the last one, before two digits, is the decimal mark
    ("1,900,89 €", "1900.89", "EUR"),
    ("1.900.89", "1900.89", None),
    ("12,345,678,90", "12345678.90", None),
    # a point for the decimals and spaces for the thousands: fixed spaces, or a plain one before a currency
    ("27 600.00 kr", "27600.00", None),
    ("12\u00a0000.00", "12000.00", None),
    ("Bs. 1.836,80", "1836.80", "VES"),
])
def test_amount_formats(text, value, currency):
    hits = find_amounts(text)
    assert len(hits) == 1
    assert hits[0].value == Decimal(value) and isinstance(hits[0].value, Decimal)
    assert hits[0].currency == currency


@pytest.mark.parametrize("text", ["13.06.2015", "21 %", "500ml", "16GB", "2014-05-19", "1.900.89.1", "0,900,89",
                                  "12.03.24"])
def test_not_amounts(text):
    assert find_amounts(text) == []


def test_a_point_decimal_after_plain_space_groups_with_no_currency_stays_two_numbers():
    # "2 250.00" in a row may be a quantity and a price
    assert [h.value for h in find_amounts("2 250.00")] == [Decimal("2"), Decimal("250.00")]


@pytest.mark.parametrize("text,code", [
    ("Fakturanummer: 38 Forfallsdato: 16. november 2017 MVA: 4 600.00 kr Å betale: 27 600.00 kr", "NOK"),
    ("Fakturadatum 2024-01-05 Förfallodatum 2024-02-04 Moms 25,00 kr Att betala 125,00 kr Bankgiro 123-4567", "SEK"),
    ("Fakturadato 05.01.2024 Forfaldsdato 04.02.2024 Moms 25,00 kr At betale 125,00 kr CVR 12345678", "DKK"),
])
def test_kr_is_the_krone_of_the_country_whose_words_the_page_uses(text, code):
    votes = currency_votes(text)
    assert max(votes, key=votes.get) == code


def test_kr_alone_names_no_currency():
    assert currency_votes("Sum 100 kr") == {}


def test_ambiguous_thousands_follow_the_document():
    assert parse_amount("1,234") == Decimal("1234")
    assert parse_amount("1,234", decimal_hint=",") == Decimal("1.234")
    assert decimal_separator(["12,50 €", "1.234,56", "3,00"]) == ","
    assert decimal_separator(["$12.50", "1,234.56"]) == "."


def test_currency_votes_prefer_codes_over_dollar_signs():
    votes = currency_votes("Total $12.00 (CAD) CAD")
    assert max(votes, key=votes.get) == "CAD"
    assert max(currency_votes("Grand Total Rs 1939").items(), key=lambda kv: kv[1])[0] == "INR"


@pytest.mark.parametrize("text,code", [
    # a Brazilian receipt: "R$" is the real, not a dollar; OCR read the "é" of running text as a lone "€"
    ("Comprovante R$ 12,50 Pix Esse € o novo comprovante", "BRL"),
    ("Celkem s DPH: 29204.00 Kč", "CZK"),
    ("Razem do zapłaty 1 230,00 zł", "PLN"),
    ("Total NZ$ 45.00", "NZD"),
    ("Betrag (€) 12,00 15,00", "EUR"),  # a sign in a column head counts
])
def test_currency_votes_read_every_sign_the_amounts_know(text, code):
    votes = currency_votes(text)
    assert max(votes, key=votes.get) == code


def test_rightmost_amount_on_a_total_row():
    # quantities and prices before the row total are amounts too; callers take the last one
    assert parse_amount("Total 1 278.61 40.39 319.00") == Decimal("319.00")


@pytest.mark.parametrize("text,iso", [
    ("28/11/2022", "2022-11-28"),
    ("13.06.2015", "2015-06-13"),
    ("2015-06-13", "2015-06-13"),
    ("7. Mai 2014", "2014-05-07"),
    ("02 Juillet 2015", "2015-07-02"),
    ("1er juillet 2015", "2015-07-01"),
    ("19 april 2014", "2014-04-19"),
    ("8 maart 2022", "2022-03-08"),
    ("August 3 , 2014", "2014-08-03"),
    ("Jan 1, 2022", "2022-01-01"),
    ("31-Dec-2017", "2017-12-31"),
    ("14 juil. 2021", "2021-07-14"),
    ("21.05.14", "2014-05-21"),
    ("20. März 2023", "2023-03-20"),
    ("3 décembre 2019", "2019-12-03"),
    ("Order date: 28 Jan 15", "2015-01-28"),
])
def test_date_formats(text, iso):
    assert parse_date(text) == dt.date.fromisoformat(iso)


def test_ambiguous_numeric_dates_follow_the_document_order():
    assert parse_date("11/03/2017", "MDY") == dt.date(2017, 11, 3)
    assert parse_date("11/03/2017", "DMY") == dt.date(2017, 3, 11)
    hits = find_dates("Invoice 11/03/2017, paid 11/17/2017")
    assert date_order(hits)[0] == "MDY"
    assert date_order(find_dates("13/02/2020 and 01/02/2020"))[0] == "DMY"
    assert date_order([], prior="DMY") == ("DMY", 0.6)


def test_period_ranges_are_not_misread():
    hits = find_dates("billing period July 1 - July 31 , 2014")
    assert [h.dmy for h in hits] == [dt.date(2014, 7, 31)]


def test_ocr_damaged_date_only_when_asked():
    assert find_dates("1203/2017") == []
    hit = find_dates("1203/2017", fused=True)[0]
    assert hit.value("MDY") == dt.date(2017, 12, 3)


@pytest.mark.parametrize("text, dmy, mdy", [
    ("Date : 45/07/2017 12:07", dt.date(2017, 7, 15), None),  # a 1 read as a 4
    ("12/03/2518 13:07", dt.date(2018, 3, 12), dt.date(2018, 12, 3)),  # one year digit: 2018 is the only recent year
])
def test_a_date_with_one_misread_digit_is_mended_in_ocr_text(text, dmy, mdy):
    assert find_dates(text) == []
    (hit,) = find_dates(text, fused=True)
    assert (hit.dmy, hit.mdy, hit.kind) == (dmy, mdy, "repaired")


@pytest.mark.parametrize("text, dmy, mdy", [
    ("Datum: 06.07.2 024", dt.date(2024, 7, 6), None),  # a space read inside the year
    ("Date: 15/05/2 020", dt.date(2020, 5, 15), None),
    ("Date de facture: 12 aoat 2022", dt.date(2022, 8, 12), None),  # août, one letter misread
    ("Due Date: Jume 18, 2023", dt.date(2023, 6, 18), None),
])
def test_ocr_cuts_and_misread_month_names_are_mended_in_ocr_text_only(text, dmy, mdy):
    assert [h for h in find_dates(text) if h.kind != "numeric"] == []
    (hit,) = [h for h in find_dates(text, fused=True) if h.kind == "fused"]
    assert (hit.dmy, hit.mdy) == (dmy, mdy)


@pytest.mark.parametrize("text", ["3 Kisten 2024", "Ref 12.03 2017 4567", "4 units 2024", "Page 1 of 2 2024"])
def test_words_and_numbers_that_only_look_like_a_cut_date_stay_unread(text):
    assert find_dates(text, fused=True) == []


def test_a_misread_month_name_is_read_only_when_every_near_name_is_the_same_month():
    # "mare" is one letter from "mars" and from "marz": both March
    assert [h.dmy for h in find_dates("12 mare 2022", fused=True)] == [dt.date(2022, 3, 12)]


@pytest.mark.parametrize("text", ["31/02/2017", "99/99/9999", "32.12.2019", "15.13.2017"])
def test_a_date_no_single_misread_explains_stays_unread(text):
    assert find_dates(text, fused=True) == []


def test_iban_checksum_and_grouping():
    assert valid_iban("DE89370400440532013000")
    assert not valid_iban("DE89370400440532013001")
    assert [h.value for h in find_ibans("IBAN : FR20 1242 1242 1242 1242 1242 124 - BIC")] == ["FR2012421242124212421242124"]
    assert [h.value for h in find_ibans("IBAN: FR76 10107 00245 00617052317 39")] == ["FR7610107002450061705231739"]
    assert find_ibans("FR76 ***************************") == []


def test_iban_ocr_repair_keeps_only_checksum_valid_fixes():
    assert find_ibans("IBAN NLSOINGB0683251309") == []
    fixed = find_ibans("IBAN NLSOINGB0683251309", repair=True)
    assert [(h.value, h.repaired) for h in fixed] == [("NL50INGB0683251309", True)]
    extra = find_ibans("IBAN: NL5S8RABO0198723202", repair=True)
    assert [h.value for h in extra] == ["NL58RABO0198723202"]
    assert find_ibans("IBAN NLSOINGB0683251308", repair=True) == []


def test_bic_and_registry_repair():
    assert [h.value for h in find_bics("BIC: COBADEFFXXX")] == ["COBADEFFXXX"]
    assert find_bics("DELIVERED DUTY UNPAID") == []
    assert [h.value for h in find_bics("COBADEFXXX", loose=True)] == ["COBADEFXXX"]
    assert repair_bic("INGBNL2A", "NL50INGB0683251309") == "INGBNL2A"


@pytest.mark.parametrize("after_label,value", [
    (": HY VEDEMM483", "HYVEDEMM483"),  # OCR cut the code in two at a wide letter gap
    (": ELVVGB21XXxX", "ELVVGB21XXX"),  # the branch "XXX" read with one X too many
    (": COBADEFFXXX IBAN", "COBADEFFXXX"),
])
def test_a_bic_ocr_cut_or_stretched_is_read_behind_its_label(after_label, value):
    found = find_bic_values(after_label, Context(ocr=True))
    assert [f[0] for f in found] == [value]


def test_a_bic_is_not_glued_from_two_words_on_a_text_layer_or_when_the_first_is_whole():
    assert find_bic_values(": HY VEDEMM483", Context(ocr=False)) == []
    # a whole 8-character BIC followed by a word stays the 8-character BIC
    assert [f[0] for f in find_bic_values(": INGBNL2A BANK", Context(ocr=True))] == ["INGBNL2A"]


def test_iban_repair_does_not_borrow_a_letter_from_the_next_word():
    # 27 characters of a misread French IBAN, then "BIC": deleting one character and taking the B of "BIC" happens
    # to pass the checksum, but it is another account
    text = "IBAN: FR63 2183 3330 43GP WLUQ 1A11 D80 BIC: PRNSFRP1XXX"
    assert find_ibans(text, repair=True) == []
    assert [h.value for h in find_ibans("IBAN: NL5S8RABO0198723202 BIC: RABONL2U", repair=True)] == ["NL58RABO0198723202"]


def test_iban_repair_reads_an_l_as_a_one_in_a_letters_or_digits_position():
    # FR: 5n 5n 11c 2n; "IU1Y" read as "IULY" in the account part
    fixed = find_ibans("IBAN: FR10 1810 6445 33BD DZD4 IULY G82", repair=True)
    assert [h.value for h in fixed] == ["FR101810644533BDDZD4IU1YG82"]


def test_routing_number_checksum():
    assert valid_routing("021000021")
    assert valid_routing("011000015")
    assert not valid_routing("123456789")
    assert not valid_routing("02100002")


def test_vat_ids_with_spaces():
    assert [h.value for h in find_vat_ids("UStId DE 232 446 240")] == ["DE232446240"]
    assert [h.value for h in find_vat_ids("N° de TVA: FR 604 219 388 61")] == ["FR60421938861"]
    assert [h.value for h in find_vat_ids("BTW NL810433941B01")] == ["NL810433941B01"]


def test_invoice_number_tokens():
    assert id_token("RE-20150613/503 von 13.06.2015")[0] == "RE-20150613/503"
    assert id_token("invoice_number_1")[0] == "invoice_number_1"
    assert id_token("13.06.2015") is None
    assert id_token("Date") is None


@pytest.mark.parametrize("after,value", [(": 42", "42"), (":  7", "7"), (": RE-2024-17", "RE-2024-17")])
def test_a_one_or_two_digit_invoice_number_is_read_right_after_the_labels_colon(after, value):
    from billpay.capture.extraction.candidates import find_id

    assert find_id(after, Context())[0][0] == value


@pytest.mark.parametrize("after", [" Nº 000001", " N® 000001", " N° 000001"])
def test_the_number_sign_as_printed_and_as_ocr_reads_it_is_no_part_of_the_number(after):
    from billpay.capture.extraction.candidates import find_id

    assert find_id(after, Context(ocr=True))[0][0] == "000001"


def test_a_number_sign_ocr_read_as_n2_is_no_part_of_the_number_in_ocr_text_only():
    from billpay.capture.extraction.candidates import find_id

    assert find_id(" N2 000001", Context(ocr=True))[0][0] == "000001"
    assert [f[0] for f in find_id(" N2 000001", Context())] != ["000001"]


@pytest.mark.parametrize("after", [" 42", ": 42 of 50", ": 0", ": 12.03.24"])
def test_a_short_number_not_alone_after_a_colon_is_no_invoice_number(after):
    from billpay.capture.extraction.candidates import find_id

    assert find_id(after, Context()) == []


@pytest.mark.parametrize("text,days,pct,receipt", [
    ("Net 30", 30, None, False),
    ("2/10 Net 30", 30, "2", False),
    ("14 Tage netto", 14, None, False),
    ("Zahlbar innerhalb 30 Tagen netto, 3% Skonto innerhalb 10 Tagen", 30, "3", False),
    ("30% d'acompte, solde à 30 j", 30, None, False),
    ("à 30 jours fin de mois", 30, None, False),
    ("Betaling binnen 14 dagen", 14, None, False),
    ("Paiement immédiat", 0, None, True),
    ("Due on receipt", 0, None, True),
    ("Direct te betalen", 0, None, True),
])
def test_payment_terms(text, days, pct, receipt):
    t = parse_terms(text)
    assert t is not None and t.net_days == days and t.discount_pct == pct and t.on_receipt is receipt


def test_terms_give_a_due_date():
    t = parse_terms("à 30 jours fin de mois")
    assert t.due_date(dt.date(2024, 1, 10)) == dt.date(2024, 2, 29)
    assert parse_terms("15 days") is None
    assert parse_terms("15 days", labelled=True).net_days == 15


@pytest.mark.parametrize("text,field", [
    ("Invoice Date:", "invoice_date"), ("Rechnungsdatum", "invoice_date"), ("Date de facture", "invoice_date"),
    ("Factuurdatum", "invoice_date"), ("Due Date", "due_date"), ("Date d'échéance", "due_date"),
    ("Vervaldatum", "due_date"), ("Fällig am", "due_date"), ("Total TTC", "total"), ("Gesamtbetrag", "total"),
    ("Totaal", "total"), ("Total (incl. VAT)", "total"), ("Total HT", "subtotal"), ("Nettobetrag", "subtotal"),
    ("Facture n°", "invoice_number"), ("Rechnungsnr.", "invoice_number"), ("Factuurnummer", "invoice_number"),
    ("Order Date", "other"), ("Customer VAT Number", "other"),
    # OCR drops or misreads the umlaut of "überweisen" on scans
    ("Bitte überweisen Sie bis zum", "due_date"), ("Bitte iberweisen Sie bis zum", "due_date"),
    ("Bitte berweisen Sie bis zum", "due_date"), ("issued at", "invoice_date"),
    # Spanish
    ("Factura", "invoice_number"), ("Saldo adeudado", "total"), ("Importe a pagar", "total"),
    ("Total parcial", "subtotal"), ("Total impuestos", "tax"), ("Cuota IVA", "tax"), ("Tasa de impuesto", "other"),
    ("Términos de pago:", "payment_terms"),
    # Dutch: the VAT's total is no invoice total, and the totals with and without VAT say which they are
    ("Totaal bedrag BTW", "tax"), ("Totaal bedrag incl. BTW", "total"), ("Totaal bedrag excl. BTW", "subtotal"),
    ("Taxes:", "tax"), ("Credits will expire on", "other"), ("Valid until", "other"),
    ("Deadline:", "due_date"), ("Payment deadline", "due_date"), ("Forfallsdato:", "due_date"),
])
def test_multilingual_labels(text, field):
    assert scan_labels(fold(text))[0].field == field


def test_dates_are_judged_against_the_reference_day_even_on_a_leap_day(monkeypatch):
    """Plausibility ("far from today") and two-digit years read the reference day from one place, which a
    test sets; on 29 February the fifteen-years-back bound crashed every extraction with a dated invoice."""
    from billpay.capture.extraction import dates, select

    monkeypatch.setattr(dates, "today", lambda: dt.date(2028, 2, 29))
    warnings: list[str] = []
    recent = select.Choice(dt.date(2028, 2, 1), 0.9)
    select.check_dates(recent, None, warnings)
    assert warnings == [] and recent.confidence == 0.9
    old = select.Choice(dt.date(2012, 1, 15), 0.9)
    select.check_dates(old, None, warnings)
    assert warnings == ["invoice date is far from today"] and old.confidence < 0.9
    assert parse_date("01.03.38") == dt.date(2038, 3, 1)  # within ten years of the reference year: this century
    monkeypatch.setattr(dates, "today", lambda: dt.date(2026, 12, 3))
    assert parse_date("01.03.38") is None  # 1938: before any plausible invoice


def test_a_word_behind_a_bic_label_is_no_bic_and_a_misprinted_code_is_not_sure():
    # "Bic: | unbedingt die": a German word in the next column has the length of a misprinted BIC; it is no BIC
    for ocr in (True, False):
        assert find_bic_values(": unbedingt die", Context(ocr=ocr)) == []
    # a code of a misprinted length whose country part is no country is no BIC either
    assert find_bic_values(": ABCDEFGHKXX", Context(ocr=True)) == []
    # a misprinted length with a real country is kept, but not as sure as a valid BIC
    loose = find_bic_values(": COBADEFXXX", Context(ocr=True))
    valid = find_bic_values(": COBADEFFXXX", Context(ocr=True))
    assert [f[0] for f in loose] == ["COBADEFXXX"] and [f[0] for f in valid] == ["COBADEFFXXX"]
    assert loose[0][3] < valid[0][3] == 1.0
    # one letter OCR read in lower case is still the code (the bank registry behind the IBAN mends the 1 later)
    assert [f[0] for f in find_bic_values(": HELADEFlGEL", Context(ocr=True))] == ["HELADEFLGEL"]
