"""Reading pages built word by word: skewed scans' rows, numbers that are not amounts, totals that contradict.

Each page here is the word boxes an OCR pass would give, so the rules are tested without the OCR's own noise.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from billpay.capture.extraction.interpret import interpret
from billpay.capture.extraction.layout import Document, Page, Word, page_skew
from billpay.capture.extraction.lines import header_row
from billpay.capture.extraction.vendor import vendor_votes

CHAR_W, LINE_H = 6.0, 10.0


def _words(text: str, x: float, y: float, slope: float, conf: float, space: float = CHAR_W) -> list[Word]:
    out = []
    for token in text.split():
        w = len(token) * CHAR_W
        top = y + slope * (x + w / 2)  # the whole page turned: further right is lower
        out.append(Word(token, x, top, x + w, top + LINE_H, conf))
        x += w + space
    return out


def page(lines: list[tuple[float, str] | tuple[float, str, float, str]], slope: float = 0.0, conf: float = 0.95) -> Document:
    """``lines``: (y, text at the left margin) or (y, text at the left, x, text further right in another column)."""
    words: list[Word] = []
    for line in lines:
        y, left = line[0], line[1]
        words += _words(left, 40.0, y, slope, conf)
        if len(line) == 4:
            words += _words(line[3], line[2], y, slope, conf)
    return Document([Page(0, 600.0, 800.0, "ocr", words)], "ocr")


def fields(doc: Document) -> dict:
    return {k: f.value for k, f in interpret(doc, None, None).fields.items()}


PROSE = [
    (40.0, "Northwind Trading GmbH Harbour Street 12 20457 Hamburg Germany"),
    (60.0, "Invoice number INV-2024-0042 issued on 12 March 2024 for services"),
    (80.0, "Thank you for your business and please pay within thirty days"),
]
TOTALS = [
    (200.0, "Subtotal", 460.0, "1,000.00"),
    (220.0, "VAT 19%", 460.0, "190.00"),
    (240.0, "Total due", 460.0, "1,190.00"),
]


def test_a_skewed_scans_total_stays_on_its_labels_row():
    # 1.5 degrees: the amount 420 points right of its label sits 11 points lower, more than a line's height
    slope = 0.026
    doc = page(PROSE + TOTALS, slope=slope)
    assert abs(page_skew([[w for w in doc.pages[0].words if abs(w.y0 - (y + slope * w.x0)) < 8]
                          for y, *_ in PROSE]) - slope) < 0.004
    rows = [[s.text for s in row] for row in doc.pages[0].rows]
    assert ["Total due", "1,190.00"] in rows
    got = fields(doc)
    assert got["total"] == Decimal("1190.00")
    assert got["subtotal"] == Decimal("1000.00")


def test_a_straight_page_is_left_as_it_was():
    doc = page(PROSE + TOTALS)
    assert page_skew([[w for w in doc.pages[0].words if w.y0 == y] for y, *_ in PROSE]) == 0.0
    assert fields(doc)["total"] == Decimal("1190.00")


def test_a_registration_number_is_not_a_tax_amount_and_a_count_is_not_a_subtotal():
    doc = page([
        (40.0, "Watsons Personal Care Stores Sdn Bhd"),
        (60.0, "GST Reg No. 001234567"),
        (200.0, "SUBTOTAL (QTY", 200.0, "4)"),
        (220.0, "Cash", 460.0, "50.00"),
    ])
    got = fields(doc)
    assert got.get("tax") is None
    assert got.get("subtotal") is None
    assert got.get("total") is None  # nothing printed says it: no "4 + 1234567"


def test_the_amount_column_heading_is_not_the_invoices_total():
    doc = page(PROSE + [
        (140.0, "Qty", 120.0, "Description"), (140.0, "", 300.0, "Price"), (140.0, "", 460.0, "Total"),
        (160.0, "1", 120.0, "Design hours"), (160.0, "", 300.0, "160.00"), (160.0, "", 460.0, "160.00"),
        (180.0, "2", 120.0, "Balloons"), (180.0, "", 300.0, "168.00"), (180.0, "", 460.0, "336.00"),
        (220.0, "Subtotal: 496.00"),
        (240.0, "VAT 19%: 75.04"),
    ])
    got = fields(doc)
    assert got["subtotal"] == Decimal("496.00")
    assert got["total"] == Decimal("571.04")  # net + VAT, not the first line's 160.00
    assert interpret(doc, None, None).fields["total"].confidence < 0.8


def test_a_word_shaped_like_a_bic_is_not_one_without_a_bank_in_sight():
    doc = page([(40.0, "Watsons Personal Care Stores Sdn Bhd"), (120.0, "22241 WS CUT SCISSORS", 300.0, "18.00")])
    assert "bic" not in fields(doc)
    doc = page([(40.0, "Northwind Trading GmbH"), (700.0, "Bank: Hamburger Sparkasse BIC HASPDEHHXXX")])
    assert fields(doc).get("bic") == "HASPDEHHXXX"


def test_a_card_number_is_not_a_company_registration_and_ocrd_sdn_bhd_is_mended():
    doc = page([
        (40.0, "COSWAY (My SON BHD"),
        (60.0, "2nd Floor, Wisma Cosway, Jalan Raja Chulan"),
        (80.0, "50200 Kuala Lumpur"),
        (300.0, "TOTAL", 300.0, "111.90"),
        (320.0, "PAID BY : CC*7168-RM111.90"),
    ])
    assert fields(doc)["vendor_name"] == "COSWAY (M) SDN BHD"
    # "7168-R" of the card line is no registration number like "(0118-K)": it must not name the vendor
    assert not [v for v in vendor_votes(doc, {}) if "PAID" in v.display]


def test_the_owner_named_under_the_shop_is_not_the_vendor_even_with_a_speck_between():
    doc = page([
        (40.0, "SANYU STATIONERY SHOP"),
        (60.0, "NO. 31G, JALAN SETIA INDAH, 40170 SETIA ALAM"),
        (80.0, "GST ID No: 001531760640"),
        (100.0, "Owned By"),
        (114.0, ":"),
        (128.0, "SANYU SUPPLY SDN BHD (1135772-K)"),
        (300.0, "TOTAL", 300.0, "4.50"),
    ])
    assert fields(doc)["vendor_name"] == "SANYU STATIONERY SHOP"


def test_a_dense_askew_page_keeps_every_line_whole():
    # 120 close lines of two columns on a page turned 1.5 degrees: each word joins its own line and no other
    # (lines are looked up by their level along the slope, not compared with every line of the page)
    slope = 0.026
    lines = [(40.0 + 13.0 * i, f"Item {i} widget for the north warehouse", 420.0, f"{i}.00 EUR") for i in range(120)]
    doc = page(lines, slope=slope)
    texts = [" ".join(s.text for s in row) for row in doc.pages[0].rows]
    assert len(texts) == 120
    assert all(text == f"Item {i} widget for the north warehouse {i}.00 EUR" for i, text in enumerate(texts))


def test_terms_under_their_column_header_are_read_across_the_cells_ocr_cut_them_into():
    doc = page([
        (40.0, "Granite Energie Inc. 106 Willow Street Portland"),
        (100.0, "Invoice No.", 200.0, "Invoice Date"), (100.0, "", 360.0, "Payment Terms"),
        (114.0, "FA-202466418", 200.0, "07/29/2024"), (114.0, "", 360.0, "Net"), (114.0, "", 400.0, "30"),
        (200.0, "Total Due", 460.0, "$24,997.26"),
    ])
    assert [s.text for s in doc.pages[0].rows[2]] == ["FA-202466418", "07/29/2024", "Net", "30"]
    got = fields(doc)
    assert got["payment_terms"] == "Net 30"
    assert got["due_date"].isoformat() == "2024-08-28"  # 30 days after the invoice date


def test_please_remit_until_names_the_due_date():
    doc = page(PROSE + TOTALS + [(280.0, "Please remit until 2019-07-01.")])
    assert fields(doc)["due_date"].isoformat() == "2019-07-01"


def _scanned(lines: list[tuple[float, str, float, str]]) -> Document:
    """A degraded scan's page: word spaces of 1.0 word heights, and 1.3 where the right-hand text has a "|" (past
    the column gap such a page gets, 1.2 heights); a column gap is wider still."""
    words: list[Word] = []
    for y, left, x, right in lines:
        words += _words(left, 40.0, y, 0.0, 0.9, 1.0 * LINE_H)
        for part in right.split("|"):
            words += _words(part, x, y, 0.0, 0.9, 1.0 * LINE_H)
            x = words[-1].x1 + 1.3 * LINE_H
    return Document([Page(0, 600.0, 800.0, "ocr", words)], "ocr")


def test_a_scans_widened_space_splits_words_but_not_an_amounts_thousands_or_a_dates_year():
    doc = _scanned([
        (40.0, "FACTURE", 300.0, "Silver|Foods|SARL"),
        (60.0, "Invoice date", 380.0, "May|19,|2023"),
        (80.0, "Invoice number", 380.0, "RE-202188423"),
        (100.0, "Payment terms", 380.0, "Net|30"),
        (200.0, "Total HT", 380.0, "13|647,38 €"),
        (220.0, "TVA 20%", 380.0, "2|729,48 €"),
        (240.0, "Total TTC", 380.0, "16|376,86 €"),
    ])
    rows = [[s.text for s in row] for row in doc.pages[0].rows]
    assert rows[0][1:] == ["Silver", "Foods", "SARL"]  # a name's words stay apart at this gap: only values join
    assert rows[1][-1] == "May 19, 2023"
    assert rows[3][-1] == "Net 30"
    assert rows[6][-1] == "16 376,86 €"
    got = fields(doc)
    assert got["total"] == Decimal("16376.86")
    assert got["invoice_date"].isoformat() == "2023-05-19"
    assert got["payment_terms"] == "Net 30"
    assert got["due_date"].isoformat() == "2023-06-18"


def test_a_total_whose_net_qualifier_was_cut_off_is_not_taken_for_the_gross():
    # "Total | HT" in two cells reads as a total of its own; net + VAT = gross says which total is the invoice's
    doc = page(PROSE + [
        (200.0, "Total", 120.0, "HT"), (200.0, "", 460.0, "19,647.55"),
        (220.0, "VAT 20%", 460.0, "3,929.51"),
        (240.0, "Total TTC", 460.0, "23,577.06"),
    ])
    assert fields(doc)["total"] == Decimal("23577.06")


def test_a_bill_to_label_whose_accent_ocr_misread_still_marks_the_customer_and_a_title_is_no_bic():
    doc = page([
        (40.0, "RECHNUNG 202108661"),
        (60.0, "Facturé 4a:"),
        (74.0, "Blue Systems GmbH & Co. KG"),
        (88.0, "Willowstraße 178"),
        (102.0, "50667 Köln"),
        (200.0, "Total TTC", 460.0, "5 374,32"),
        (300.0, "IBAN: DE82 3304 0310 4204 4733 02"),
        (320.0, "Cedar Media SAS 95 rue de la Cedar 69001 Lyon"),
    ])
    got = fields(doc)
    assert got["vendor_name"] == "Cedar Media SAS"
    assert got.get("bic") is None  # "RECHNUNG" has a BIC's shape ("NU" is Niue), on a row with no bank word


def test_a_french_scans_date_and_terms_cut_at_widened_spaces_are_read_whole():
    doc = _scanned([
        (40.0, "Copper Foods SARL", 480.0, "FACTURE"),
        (60.0, "Date de facture", 380.0, "21|mars|2022"),
        (80.0, "Conditions de paiement", 380.0, "Paiement a 45|jours"),
        (240.0, "Total TTC", 380.0, "1|366,65 €"),
    ])
    rows = [[s.text for s in row] for row in doc.pages[0].rows]
    assert rows[1][-1] == "21 mars 2022"
    assert rows[2][-1] == "Paiement a 45 jours"
    got = fields(doc)
    assert got["invoice_date"].isoformat() == "2022-03-21"
    assert got["due_date"].isoformat() == "2022-05-05"  # 45 days on



def test_the_line_items_sum_decides_between_two_totals_one_of_them_misread():
    # "41.10" misread as "41.40" under one of two total labels: the table's 20.00 + 21.10 says which one holds
    for total, due in (("41.40", "41.10"), ("41.10", "41.40")):
        doc = page(PROSE + [
            (140.0, "Description", 300.0, "Qty"), (140.0, "", 460.0, "Amount"),
            (160.0, "Cloud hosting", 300.0, "1"), (160.0, "", 460.0, "20.00"),
            (180.0, "Support hours", 300.0, "2"), (180.0, "", 460.0, "21.10"),
            (220.0, "Total", 460.0, total),
            (240.0, "Amount due", 460.0, due),
        ])
        assert fields(doc)["total"] == Decimal("41.10")


def test_german_labels_spelt_without_umlauts_mark_the_customer_and_the_due_date():
    # Invoices printed by systems without umlauts spell "ä" as "ae": "Rechnungsempfaenger" still names the customer
    # (whose legal form must not outrank the letterhead without one) and "Faellig bis" still gives the due date.
    doc = page([
        (40.0, "Gasthaus zur Linde"),
        (54.0, "Lindenstr. 8, 79098 Freiburg"),
        (68.0, "USt-IdNr. DE297543867"),
        (100.0, "Rechnungsnummer: R-4471"),
        (114.0, "Rechnungsdatum: 28.04.2026"),
        (128.0, "Faellig bis: 12.05.2026"),
        (142.0, "Rechnungsempfaenger: Weber Consulting GmbH"),
        (240.0, "Rechnungsbetrag:", 460.0, "1.681,80 EUR"),
    ])
    got = fields(doc)
    assert got["vendor_name"] == "Gasthaus zur Linde"
    assert got["due_date"].isoformat() == "2026-05-12"


def _cells(rows: list[tuple[float, list[tuple[float, str]]]], layer: str = "text") -> Document:
    """``rows``: (y, [(x, cell text), ...]), the cells of a row far enough apart to be segments of their own."""
    words: list[Word] = []
    for y, cells in rows:
        for x, text in cells:
            words += _words(text, x, y, 0.0, 0.95, space=2.0)
    return Document([Page(0, 600.0, 800.0, layer, words)], layer)


def test_table_rows_printed_out_of_line_with_their_headers_are_read_whole():
    # Cells padded with spaces in a proportional font: the descriptions start under "Pos.", the quantities and
    # line amounts sit left of their headers, further left the shorter the description. Each row is still a line:
    # its description from the position column, its last amount (after quantity and price) its line amount.
    doc = _cells([
        (40.0, [(40.0, "Schreiner & Sohn GmbH")]),
        (80.0, [(40.0, "Rechnungsnummer: RE-2026-0101")]),
        (120.0, [(40.0, "Pos. Beschreibung"), (300.0, "Menge Einzelpreis"), (470.0, "Gesamt")]),
        (136.0, [(40.0, "Einbauschrank Eiche, Anfertigung"), (306.0, "1"), (330.0, "2.400,00"), (410.0, "2.400,00")]),
        (150.0, [(40.0, "Montage vor Ort"), (270.0, "8"), (306.0, "65,00"), (360.0, "520,00")]),
        (164.0, [(40.0, "Treuerabatt 5%"), (270.0, "1"), (300.0, "-112,70"), (354.0, "-112,70")]),
        (186.0, [(40.0, "Nettobetrag: 2.807,30 EUR")]),
        (200.0, [(40.0, "USt 19% (2.807,30 EUR): 533,39 EUR")]),
        (214.0, [(40.0, "Rechnungsbetrag: 3.340,69 EUR")]),
        (240.0, [(40.0, "Zahlbar innerhalb von 30 Tagen ohne Abzug.")]),
    ])
    got = interpret(doc, None, None)
    assert [(ln.description.value, ln.amount.value) for ln in got.lines] == [
        ("Einbauschrank Eiche, Anfertigung", Decimal("2400.00")),
        ("Montage vor Ort", Decimal("520.00")),
        ("Treuerabatt 5%", Decimal("-112.70")),
    ]
    assert got.fields["total"].value == Decimal("3340.69")


def test_a_bare_due_label_gives_the_due_date_not_the_invoice_date():
    doc = page([
        (40.0, "Invoice"),
        (60.0, "DATE: 01/15/2024"),
        (80.0, "INVOICE: NO. 001"),
        (100.0, "FROM: Company ABC", 300.0, "TO: John Doe"),
        (120.0, "DUE: 02/14/2024"),
        (200.0, "BALANCE DUE", 460.0, "$2140.00"),
    ])
    got = fields(doc)
    assert got["invoice_date"].isoformat() == "2024-01-15"
    assert got["due_date"].isoformat() == "2024-02-14"
    assert got["total"] == Decimal("2140.00")


def _receipt(amount_height: float) -> Document:
    words = _words("Comprovante BB", 40.0, 40.0, 0.0, 0.95)
    top = 60.0
    words += [Word("R$", 40.0, top, 40.0 + 1.2 * amount_height, top + amount_height, 0.95),
              Word("12,50", 50.0 + 1.2 * amount_height, top, 50.0 + 3.5 * amount_height, top + amount_height, 0.95)]
    for i, text in enumerate(("14/07/2026 as 06:33:45", "Pix - QR Code", "Recebedor", "Caixa Loterias SA",
                              "Pagador", "Documento: 000000000071401", "Tarifa R$ 0,00")):
        words += _words(text, 40.0, top + amount_height + 20.0 + 14.0 * i, 0.0, 0.95)
    return Document([Page(0, 600.0, 800.0, "ocr", words)], "ocr")


def test_a_lone_amount_in_large_type_is_the_total_where_no_label_gives_one():
    got = interpret(_receipt(2.4 * LINE_H), None, None)
    assert got.fields["total"].value == Decimal("12.50")
    assert got.fields["total"].confidence < 0.5  # nothing labelled it
    assert got.fields["currency"].value == "BRL"
    # printed in the text's own type it is just an amount: no total is made up
    assert "total" not in interpret(_receipt(LINE_H), None, None).fields


def test_a_footer_name_cut_from_its_legal_form_or_standing_before_its_vat_id_is_the_vendor():
    # Small print of a scan's footer: OCR cut "Nord Logistik AG · Vertexstraße 119 · 50667 Köln · VAT ..." in two
    # lines, the legal form starting the second; or kept "Vertex Electrics" on the VAT id's line and put its
    # "B.V." on the next. The letterhead is a logo, the customer's block names a "plc".
    body = [
        (40.0, "RECHNUNG 376630"),
        (60.0, "Rechnungsempfanger:"),
        (74.0, "Linden Technik plc"),
        (88.0, "140 Silver Road"),
        (120.0, "Datum: 15.11.2020"),
        (400.0, "Gesamtbetrag", 460.0, "1.190,00 EUR"),
    ]
    wrapped = page(body + [(700.0, "Nord Logistik", 160.0, "Vertexstraße"),
                           (712.0, "AG", 180.0, "119 50667 Köln"), (712.0, "", 300.0, "VAT DE987328958")])
    assert fields(wrapped)["vendor_name"] == "Nord Logistik AG"
    before_vat = page(body + [(700.0, "Vertex Electrics", 200.0, "200 1012 AB Amsterdam"),
                              (700.0, "", 400.0, "VAT NL926941301"), (712.0, "B.V. Summitstraat")])
    assert fields(before_vat)["vendor_name"] == "Vertex Electrics"
    # a bank's name before its IBAN is not the vendor
    bank = page(body + [(700.0, "Commerzbank Köln", 200.0, "IBAN DE89 3704 0044 0532 0130 00")])
    assert fields(bank).get("vendor_name") != "Commerzbank Köln"


@pytest.mark.parametrize("lines,number,date,due,total", [
    ([(40.0, "Fatura n.º FT 2024/118"), (60.0, "Data de emissão: 03/05/2024"), (80.0, "Data de vencimento: 02/06/2024"),
      (200.0, "Total a pagar", 460.0, "1.230,00 €")], "FT 2024/118", "2024-05-03", "2024-06-02", "1230.00"),
    ([(40.0, "Faktura VAT nr FV/12/2024"), (60.0, "Data wystawienia: 12.03.2024"), (80.0, "Termin płatności: 26.03.2024"),
      (200.0, "Do zapłaty", 460.0, "1 230,00 zł")], "FV/12/2024", "2024-03-12", "2024-03-26", "1230.00"),
    ([(40.0, "Fakturanummer 20931"), (60.0, "Fakturadatum 2024-04-02"), (80.0, "Förfallodatum 2024-05-02"),
      (200.0, "Att betala", 460.0, "4 810,00 SEK")], "20931", "2024-04-02", "2024-05-02", "4810.00"),
])
def test_portuguese_polish_and_swedish_labels(lines, number, date, due, total):
    got = fields(page([(20.0, "Nordic Supply AB")] + lines))
    assert (got["invoice_number"], got["invoice_date"].isoformat(), got["due_date"].isoformat(), got["total"]) == (
        number, date, due, Decimal(total))


def _ocr_words(boxes: list[tuple[str, float, float, float, float]]) -> Document:
    return Document([Page(0, 600.0, 800.0, "ocr", [Word(t, x0, y0, x1, y1, 0.9) for t, x0, y0, x1, y1 in boxes])],
                    "ocr")


def test_a_colons_tiny_box_or_a_digit_grown_by_a_speck_does_not_cut_a_row():
    # Boxes as OCR gave them on a dense French e-invoice scanned at 200 dpi: each ":" and "-" is half a point
    # high, one group of the IBAN grew to twice its height with a speck, the invoice number is printed larger
    # than its label. The punctuation made rows of its own between the halves of the IBAN's line, which then
    # stayed apart (the number cut after "1254", "2547 ..." a row above its label).
    doc = _ocr_words([
        ("LOGO", 86, 43.0, 107, 49.2), ("FACTURE", 298, 40.8, 326, 46.1), ("N°", 328, 40.6, 335, 45.8),
        (":", 337, 42.2, 338, 45.8), ("F20260023", 439, 38.9, 479, 49.2),
        ("Date", 298, 53.8, 312, 59.0), (":", 314, 55.0, 316, 58.8), ("31/01/2026", 442, 53.3, 480, 60.0),
        ("NOM", 93, 759.4, 105, 763.2), (":", 106, 760.3, 107, 763.0), ("PAYEE", 108, 759.4, 123, 763.2),
        ("COMPTE", 288, 759.4, 307, 763.2), (":", 309, 756.7, 312, 765.6), ("MON", 312, 759.4, 324, 763.2),
        ("SIREN", 93, 769.7, 106, 773.5), (":", 108, 770.9, 108.5, 771.4), ("303656847", 110, 769.7, 132, 773.8),
        ("-", 137, 771.8, 138, 772.3), ("GLN", 140, 769.9, 149, 773.8), (":", 151, 770.9, 152, 771.4),
        ("587451236586", 153, 769.7, 186, 773.8), ("IBAN", 288, 768.7, 299, 772.6), (":", 301, 769.9, 301.5, 770.4),
        ("FR20", 303, 768.7, 314, 772.6), ("1254", 316, 768.7, 326, 772.6), ("2547", 328, 766.3, 338, 775.2),
        ("2569", 341, 768.7, 351, 772.8), ("8542", 352, 768.7, 364, 772.6), ("5874", 365, 768.7, 376, 772.8),
        ("698", 377, 768.7, 386, 772.8), ("-", 388, 770.9, 389, 771.4), ("BIC", 390, 768.7, 397, 772.8),
        (":", 399, 769.9, 400, 770.4), ("BIC_MONCOMPTE", 402, 768.7, 443, 773.8),
    ])
    rows = [" ".join(s.text for s in row) for row in doc.pages[0].rows]
    assert rows[0] == "LOGO FACTURE N° : F20260023"
    assert "SIREN : 303656847 - GLN : 587451236586 IBAN : FR20 1254 2547 2569 8542 5874 698 - BIC : BIC_MONCOMPTE" in rows
    assert not any(set(r) <= set(":- ") for r in rows)  # no row of punctuation alone
    # a colon stays inside its label's cell; a lone dash still parts two cells, as in a footer
    cells = [s.text for s in doc.pages[0].segments]
    assert {"IBAN : FR20 1254 2547 2569 8542 5874 698", "BIC : BIC_MONCOMPTE", "SIREN : 303656847"} <= set(cells)
    got = fields(doc)
    assert got["invoice_number"] == "F20260023"
    assert got["iban"] == "FR2012542547256985425874698"


def test_the_date_and_number_of_the_invoice_this_one_follows_and_a_service_period_are_not_its_own():
    # A French e-invoice names the invoice it follows ("facture associée") and the service period above its
    # own short "Date :"; an English credit note its original invoice, a German one its "Ursprungsrechnung".
    got = fields(page([
        (20.0, "Au Comptoir Lyonnais SARL"),
        (40.0, "Facture N° :", 300.0, "F20260023"),
        (54.0, "Date :", 300.0, "31/01/2026"),
        (90.0, "N° de facture associée : F20260003"),
        (104.0, "Date de facture associée : 01/01/2026"),
        (118.0, "Date de début de prestation : 01/01/2026"),
        (132.0, "Date de fin de prestation : 31/12/2026"),
        (400.0, "Net à payer", 460.0, "104,90 EUR"),
    ]))
    assert (got["invoice_number"], got["invoice_date"].isoformat()) == ("F20260023", "2026-01-31")
    got = fields(page([
        (20.0, "Harbour Tools Ltd"),
        (40.0, "Original invoice number: INV-1001"),
        (54.0, "Original invoice date: 02/01/2024"),
        (68.0, "Credit note no. CN-0042"),
        (82.0, "Issue date: 15/02/2024"),
        (400.0, "Total", 460.0, "-120.00 GBP"),
    ]))
    assert (got["invoice_number"], got["invoice_date"].isoformat()) == ("CN-0042", "2024-02-15")
    got = fields(page([
        (20.0, "Nordwerk GmbH"),
        (40.0, "Ursprungsrechnung Nr. R-2023-881 vom 03.11.2023"),
        (54.0, "Gutschrift Nr. G-77"),
        (68.0, "Datum: 01.12.2023"),
        (400.0, "Gesamtbetrag", 460.0, "-99,00 EUR"),
    ]))
    assert (got["invoice_number"], got["invoice_date"].isoformat()) == ("G-77", "2023-12-01")


def test_a_bank_word_shaped_like_a_bic_is_not_one():
    # "BANCAIRE" has a BIC's shape (country AI) and holds "banca": it is neither a BIC of the French account
    # beside it nor evidence of a bank for itself
    got = fields(page([
        (20.0, "Au Comptoir Lyonnais SARL"),
        (40.0, "Facture N° F-2026-7"),
        (700.0, "Compte : mon compte BANCAIRE"),
        (714.0, "IBAN : FR76 3000 6000 0112 3456 7890 189"),
        (400.0, "Net à payer", 460.0, "104,90 EUR"),
    ]))
    assert got["iban"] == "FR7630006000011234567890189"
    assert "bic" not in got
    assert "bic" not in fields(page([(20.0, "Au Comptoir Lyonnais SARL"), (40.0, "Coordonnées BANCAIRE"),
                                      (400.0, "Net à payer", 460.0, "104,90 EUR")]))


def test_a_stray_quote_mark_before_the_vendors_name_is_not_part_of_it():
    # the return address line above the customer's address, as a scan's speck made it
    got = fields(page([(20.0, "Rechnung Nr. 2024-17"), (34.0, "Datum: 01.12.2023"),
                       (90.0, "\u2018Summit Druck AG - Silverstraße 82 - 80331 München"), (104.0, "Linden Technik plc"),
                       (118.0, "140 Silver Road"), (400.0, "Gesamtbetrag", 460.0, "99,00 EUR")]))
    assert got["vendor_name"] == "Summit Druck AG"


@pytest.mark.parametrize("title", ["FATTURA", "DUPLICATE", "Kopie"])
def test_a_document_title_alone_at_the_top_is_not_the_vendor(title):
    got = fields(page([(20.0, title), (34.0, "Nr. 2024/00005"), (48.0, "05.07.2024"), (62.0, "Cantabria Muebles"),
                       (76.0, "Calle Mayor 5"), (400.0, "Total", 460.0, "1.721,00 EUR")]))
    assert got["vendor_name"] == "Cantabria Muebles"


def test_the_customer_named_in_the_cell_after_a_to_label_is_not_the_vendor():
    doc = _cells([
        (30.0, [(40.0, "Tax Invoice")]),
        (50.0, [(40.0, "Envato")]),
        (64.0, [(40.0, "PO Box 16122, Collins Street West")]),
        (90.0, [(40.0, "To:"), (80.0, "iViveLabs Ltd"), (400.0, "Order date: 28 Jan 15")]),
        (104.0, [(80.0, "12 Harbour Road")]),
        (120.0, [(40.0, "Invoice No. 12429647")]),
        (200.0, [(40.0, "Invoice Total:"), (400.0, "$101.00")]),
        (240.0, [(40.0, "Credits from this purchase will expire on 28 Jan 2016.")]),
    ])
    got = interpret(doc, None, None)
    assert got.fields["vendor_name"].value == "Envato"
    # no date is labelled an invoice date; the order date is likelier to be it than when the credits expire
    assert got.fields["invoice_date"].value == dt.date(2015, 1, 28)


def test_a_date_labelled_as_another_date_is_less_likely_the_issue_date_than_one_with_no_label():
    doc = _cells([
        (30.0, [(40.0, "Envato Pty Ltd")]),
        (50.0, [(40.0, "Delivery date: 02 Feb 2015")]),
        (64.0, [(40.0, "PO Box 16122, Collins Street West")]),
        (120.0, [(40.0, "Invoice No. 12429647"), (400.0, "30 Jan 2015")]),
        (200.0, [(40.0, "Invoice Total:"), (400.0, "$101.00")]),
    ])
    assert interpret(doc, None, None).fields["invoice_date"].value == dt.date(2015, 1, 30)


def _exact_like(total_text: str, again: str) -> Document:
    return _cells([
        (30.0, [(40.0, "Exact Belgium II BVBA")]),
        (80.0, [(40.0, "Factuur Nr. 16117778")]),
        (120.0, [(40.0, "Omschrijving"), (300.0, "Aantal"), (380.0, "Prijs"), (470.0, "Totaalbedrag")]),
        (136.0, [(40.0, "Exact voor Boekhouden"), (300.0, "1"), (380.0, "€ 31,00"), (470.0, "€ 31,00")]),
        (170.0, [(300.0, "Totaal bedrag excl. BTW"), (470.0, "€ 31,00")]),
        (184.0, [(40.0, "Vervaldatum"), (120.0, "Bedrag")]),
        (198.0, [(40.0, "28-04-2016"), (120.0, again)]),
        (212.0, [(300.0, "Totaal bedrag BTW"), (470.0, "€ 6,51")]),
        (226.0, [(300.0, "Totaal bedrag incl. BTW"), (470.0, total_text)]),
    ], "ocr")


def test_a_total_ocr_garbled_is_the_subtotal_plus_tax_where_the_page_prints_that_sum_elsewhere():
    # "37,51" read "72511" after its label; net plus VAT is 37,51, printed again as the direct debit's amount
    got = interpret(_exact_like("€ 72511", "€ 37,51"), None, None).fields
    assert got["total"].value == Decimal("37.51")
    # a total read for sure is not second-guessed by a sum printed elsewhere
    got = interpret(_exact_like("€ 40,00", "€ 37,51"), None, None).fields
    assert got["total"].value == Decimal("40.00")


@pytest.mark.parametrize("cells", [
    [(40.0, "From:"), (90.0, "Nordlicht Design")],
    [(40.0, "From: Nordlicht Design")],
    [(40.0, "Bill from:"), (110.0, "Nordlicht Design")],
])
def test_the_name_after_a_from_label_is_the_vendor(cells):
    doc = _cells([
        (30.0, [(40.0, "INVOICE")]),
        (60.0, cells + [(330.0, "To:"), (370.0, "Harbour Logistics Ltd")]),
        (74.0, [(90.0, "12 Elm Street, Leeds"), (370.0, "4 Quay Road, Hull")]),
        (120.0, [(40.0, "Invoice No. 2024-0042"), (330.0, "Date: 03/04/2024")]),
        (200.0, [(40.0, "Web design work, as agreed from the brief")]),
        (240.0, [(40.0, "Total due"), (400.0, "£1,250.00")]),
    ])
    assert interpret(doc, None, None).fields["vendor_name"].value == "Nordlicht Design"


def test_a_customer_label_and_its_value_cell_do_not_take_the_vendors_block_beside_them():
    # "Bill to: | Harbour Logistics Ltd", and under it, far right, the vendor's own block. The value cell beside
    # the label is the customer's (it was read as the vendor, by its legal form), and so are the lines under it,
    # up to a little past its end: the vendor's block further right is not (a first version let the customer's
    # block run to the page's edge, and the vendor was lost)
    doc = _cells([
        (30.0, [(40.0, "INVOICE 2024-0042")]),
        (60.0, [(40.0, "Bill to:"), (110.0, "Harbour Logistics Ltd")]),
        (74.0, [(110.0, "4 Quay Road, Hull"), (380.0, "Nordlicht Design GmbH")]),
        (88.0, [(110.0, "HU1 2AB"), (380.0, "Elbchaussee 12, 22763 Hamburg")]),
        (240.0, [(40.0, "Total due"), (400.0, "£1,250.00")]),
    ])
    assert interpret(doc, None, None).fields["vendor_name"].value == "Nordlicht Design GmbH"


@pytest.mark.parametrize("seller, buyer", [("Lieferant", "Kunde"), ("Verkäufer", "Käufer"), ("Vendeur", "Acheteur"),
                                           ("Seller", "Buyer")])
def test_a_seller_column_heading_names_the_vendor_below_it_not_the_heading_beside_it(seller, buyer):
    # an e-invoice rendering heads seller and buyer columns side by side; the names stand below the headings
    doc = _cells([
        (30.0, [(40.0, "Rechnung 471102")]),
        (60.0, [(40.0, seller), (110.0, buyer)]),
        (74.0, [(40.0, "Nordlicht Design"), (300.0, "Harbour Logistics")]),
        (240.0, [(40.0, "Gesamtbetrag"), (400.0, "1.250,00 EUR")]),
    ])
    assert interpret(doc, None, None).fields["vendor_name"].value == "Nordlicht Design"


def test_a_spanish_invoice_reads_its_balance_due_not_its_partial_total():
    got = fields(page([(20.0, "FACTURA"), (34.0, "INV/2024/00005"), (52.0, "Cantabria Muebles"),
                       (66.0, "Calle Mayor 5"), (80.0, "Términos de pago: vencimiento en 15 días"),
                       (300.0, "Total parcial", 460.0, "1.419,00 EUR"), (314.0, "Total impuestos", 460.0, "302,00 EUR"),
                       (328.0, "Saldo adeudado", 460.0, "1.721,00 EUR")]))
    assert (got["vendor_name"], got["invoice_number"], got["total"]) == ("Cantabria Muebles", "INV/2024/00005", Decimal("1721.00"))
    assert got["payment_terms"].startswith("vencimiento en 15")


def test_a_tax_summary_under_the_lines_is_not_read_as_more_lines():
    # Its heading row has no amount, so it was taken for a description's continuation, and its rates and bases
    # (and the totals printed in a row of their own under "Total HT | Total TVA | Total TTC") became lines
    doc = _cells([
        (40.0, [(40.0, "Au Comptoir Lyonnais SARL")]),
        (80.0, [(40.0, "Facture N° FA-2017-0010")]),
        (120.0, [(40.0, "Description"), (300.0, "Quantité"), (380.0, "Prix unitaire"), (470.0, "Prix HT")]),
        (136.0, [(40.0, "Nougat de l'Abbaye 250g"), (300.0, "20"), (380.0, "4,55 €"), (470.0, "81,90 €")]),
        (150.0, [(40.0, "Huile d'olive à l'ancienne"), (300.0, "25"), (380.0, "19,80 €"), (470.0, "495,00 €")]),
        (180.0, [(40.0, "Détail TVA"), (200.0, "Taux"), (300.0, "Base TVA"), (470.0, "Montant TVA")]),
        (194.0, [(200.0, "20,00%"), (300.0, "81,90"), (470.0, "16,38")]),
        (208.0, [(200.0, "5,50%"), (300.0, "495,00"), (470.0, "27,23")]),
        (236.0, [(300.0, "Total HT"), (380.0, "Total TVA"), (470.0, "Total TTC")]),
        (250.0, [(300.0, "576,90"), (380.0, "43,61"), (470.0, "620,51")]),
    ])
    got = interpret(doc, None, None)
    assert [(ln.description.value, ln.amount.value) for ln in got.lines] == [
        ("Nougat de l'Abbaye 250g", Decimal("81.90")), ("Huile d'olive à l'ancienne", Decimal("495.00"))]
    # an items table's own "Rate" and "Net" headings name no tax: its rows stay lines
    doc = _cells([
        (40.0, [(40.0, "Harbour Consulting Ltd")]),
        (80.0, [(40.0, "Invoice number INV-77")]),
        (120.0, [(40.0, "Description"), (300.0, "Hours"), (380.0, "Rate"), (470.0, "Net")]),
        (136.0, [(40.0, "Workshop"), (300.0, "4"), (380.0, "100.00"), (470.0, "400.00")]),
        (150.0, [(40.0, "Code review"), (200.0, "Code"), (300.0, "Rate"), (470.0, "Net")]),
        (164.0, [(40.0, "Follow-up call"), (300.0, "1"), (380.0, "150.00"), (470.0, "150.00")]),
        (200.0, [(300.0, "Total"), (470.0, "550.00")]),
    ])
    assert [ln.amount.value for ln in interpret(doc, None, None).lines] == [Decimal("400.00"), Decimal("150.00")]


def test_a_corrected_invoice_titled_so_keeps_its_own_number():
    got = fields(page([(20.0, "Harbour Tools Ltd"), (40.0, "Corrected invoice no. INV-1001-C"), (54.0, "Date: 15/02/2024"),
                       (400.0, "Total", 460.0, "120.00 GBP")]))
    assert got["invoice_number"] == "INV-1001-C"
    got = fields(page([(20.0, "Nordwerk GmbH"), (40.0, "Korrigierte Rechnung Nr. R-2023-881-K"), (54.0, "Datum: 01.12.2023"),
                       (400.0, "Gesamtbetrag", 460.0, "99,00 EUR")]))
    assert got["invoice_number"] == "R-2023-881-K"


def test_a_totals_label_cut_in_two_cells_ends_the_table():
    # a scan's widened space cut "Net amount" in two: the row was read as one more line, worth the whole net
    doc = _cells([
        (40.0, [(40.0, "Nord Systems Ltd")]),
        (80.0, [(40.0, "Invoice number 2024/202360460")]),
        (120.0, [(40.0, "Item"), (300.0, "Quantity"), (380.0, "Price"), (470.0, "Total")]),
        (136.0, [(40.0, "Spare parts"), (300.0, "2"), (380.0, "£1,136.37"), (470.0, "£2,272.74")]),
        (150.0, [(40.0, "Annual"), (110.0, "license"), (300.0, "5"), (380.0, "£1,775.47"), (470.0, "£8,877.35")]),
        (164.0, [(40.0, "Net"), (110.0, "amount"), (470.0, "£11,150.09")]),
        (178.0, [(40.0, "VAT"), (110.0, "20%"), (470.0, "£2,230.02")]),
        (192.0, [(40.0, "Total"), (110.0, "(incl. VAT)"), (470.0, "£13,380.11")]),
    ])
    got = interpret(doc, None, None)
    # "Annual | license", cut the same way, names no total: it stays a line
    assert [ln.amount.value for ln in got.lines] == [Decimal("2272.74"), Decimal("8877.35")]
    assert got.fields["total"].value == Decimal("13380.11")


def _short_heading_table(net: str, vat: str, total: str, second: str = "£795.49", layer: str = "text") -> Document:
    """Only the description ("Item description") and amount ("Net") headings are known words; the line amounts
    are right-aligned under the short heading, so each starts left of it, where the description column would
    end, and the figures between (time, charge) stand under headings no word of which is known."""
    return _cells([
        (40.0, [(40.0, "Silver Media Limited")]),
        (80.0, [(40.0, "Invoice number: 2024/202132334")]),
        (120.0, [(40.0, "Item description"), (340.0, "Time"), (400.0, "Charge"), (520.0, "Net")]),
        (136.0, [(40.0, "Maintenance kit"), (350.0, "7.5"), (380.0, "1,008.28 GBP"), (480.0, "£7,562.10")]),
        (150.0, [(40.0, "Cloud hosting"), (350.0, "0.5"), (390.0, "£1,590.97"), (490.0, second)]),
        (164.0, [(40.0, "Art. no. 88361")]),
        (186.0, [(300.0, "Net amount"), (480.0, net)]),
        (200.0, [(300.0, "VAT 20%"), (480.0, vat)]),
        (214.0, [(300.0, "Total (incl. VAT)"), (480.0, total)]),
    ], layer)


def test_line_amounts_starting_left_of_a_short_amount_heading_are_not_read_as_description():
    # the wider column rules read each row's amount, and the lines add up to the net amount, which confirms them
    doc = _short_heading_table("£8,357.59", "£1,671.52", "£10,029.11")
    got = interpret(doc, None, None)
    assert [(ln.description.value, ln.amount.value) for ln in got.lines] == [
        ("Maintenance kit", Decimal("7562.10")),
        ("Cloud hosting Art. no. 88361", Decimal("795.49")),
    ]
    assert all(ln.amount.confidence >= 0.85 for ln in got.lines)  # they add up to the net amount


def test_the_wider_reading_is_taken_only_where_its_lines_add_up():
    # the same table under a net amount its lines do not make: the wider column rules would read two lines, but
    # nothing vouches for them, so none are read (as without those rules)
    doc = _short_heading_table("£9,357.59", "£1,871.52", "£11,229.11")
    assert interpret(doc, None, None).lines == []
    # scanned, with "£795.49" read "£95.49": the lines add up only once that amount is mended as a lost leading
    # digit, and a mend the wider reading needed to add up does not vouch for it
    scan = _short_heading_table("£8,357.59", "£1,671.52", "£10,029.11", second="£95.49", layer="ocr")
    assert interpret(scan, None, None).lines == []


def test_a_table_read_short_is_read_again_with_the_wider_rules_where_that_adds_up():
    # "Stück" and "Stückpreis" name no column without the wider headings, so the description column runs up to
    # "Summe": the long amount, right-aligned under it, starts left of it and is lost in the description, and
    # the lines read (9.50) miss the net amount. Read again with the wider rules, both lines make it.
    doc = _cells([
        (40.0, [(40.0, "Schreinerei Holzwerk GmbH")]),
        (120.0, [(40.0, "Beschreibung"), (340.0, "Stück"), (400.0, "Stückpreis"), (520.0, "Summe")]),
        (136.0, [(40.0, "Reinigung"), (350.0, "1"), (420.0, "9,50 €"), (520.0, "9,50 €")]),
        (150.0, [(40.0, "Einbauschrank Eiche"), (350.0, "1"), (400.0, "12.345,67 €"), (470.0, "12.345,67 €")]),
        (186.0, [(300.0, "Nettobetrag"), (470.0, "12.355,17 €")]),
        (200.0, [(300.0, "USt. 19 %"), (470.0, "2.347,48 €")]),
        (214.0, [(300.0, "Rechnungsbetrag"), (470.0, "14.702,65 €")]),
    ])
    got = interpret(doc, None, None)
    assert [(ln.description.value, ln.amount.value) for ln in got.lines] == [
        ("Reinigung", Decimal("9.50")), ("Einbauschrank Eiche", Decimal("12345.67"))]
    assert [ln.quantity.value for ln in got.lines] == [Decimal("1"), Decimal("1")]
    assert all(ln.amount.confidence >= 0.85 for ln in got.lines)


def test_a_line_amount_misread_on_a_scan_is_vouched_for_by_its_quantity_times_its_price():
    # "Stk." and "Stickpreis" name no columns without the wider headings; in the wider reading the last line's
    # amount lost its leading digit ("86,11 €" for 586,11). Its quantity times its price gives the amount that
    # makes the lines add up: that line's own figures vouch for the mend, where the sum alone would not.
    def scan(last: str) -> Document:
        return _cells([
            (40.0, [(40.0, "Maple Systems GmbH")]),
            (120.0, [(40.0, "Pos."), (80.0, "Artikel"), (300.0, "Stk."), (380.0, "Stickpreis"), (480.0, "Gesamtpreis")]),
            (136.0, [(40.0, "1"), (80.0, "Design work"), (305.0, "3"), (380.0, "1.447,18 €"), (480.0, "4.341,54 €")]),
            (150.0, [(40.0, "2"), (80.0, "Printer paper A4"), (305.0, "1"), (380.0, "586,11 €"), (490.0, last)]),
            (186.0, [(300.0, "Nettobetrag"), (480.0, "4.927,65 €")]),
            (200.0, [(300.0, "USt. 19 %"), (480.0, "936,25 €")]),
            (214.0, [(300.0, "Rechnungsbetrag"), (480.0, "5.863,90 €")]),
        ], "ocr")
    got = interpret(scan("86,11 €"), None, None)
    assert [(ln.description.value, ln.amount.value) for ln in got.lines] == [
        ("Design work", Decimal("4341.54")), ("Printer paper A4", Decimal("586.11"))]
    assert got.lines[1].amount.raw_text == "86,11 €"
    # two digits wrong is no slip: 186,77 is not read for 586,11 however the sum asks for it
    assert interpret(scan("186,77 €"), None, None).lines == []


def test_a_line_amount_a_cent_off_its_quantity_times_its_price_is_rounding_and_stays_as_printed():
    # 1.5 x 1,371.75 is 2,057.625, printed 2,057.63; the lines add up as read, and no product changes them
    doc = _cells([
        (40.0, [(40.0, "Nord Bakery N.V.")]),
        (120.0, [(40.0, "Beschrijving"), (300.0, "Hoeveelheid"), (380.0, "Tarief"), (480.0, "Regeltotaal")]),
        (136.0, [(40.0, "Shipping"), (305.0, "1,5"), (380.0, "1.371,75 €"), (480.0, "2.057,63 €")]),
        (150.0, [(40.0, "Office chairs"), (305.0, "7,5"), (380.0, "833,39 €"), (480.0, "6.250,43 €")]),
        (186.0, [(300.0, "Subtotaal"), (480.0, "8.308,06 €")]),
        (200.0, [(300.0, "BTW 21%"), (480.0, "1.744,69 €")]),
        (214.0, [(300.0, "Totaal"), (480.0, "10.052,75 €")]),
    ], "ocr")
    assert [ln.amount.value for ln in interpret(doc, None, None).lines] == [Decimal("2057.63"), Decimal("6250.43")]


@pytest.mark.parametrize("cells, named", [
    (["Pos.", "Artikelbezeichnung", "Menge", "Einheit", "Einzelpreis", "Gesamtpreis"],
     {"description": "Artikelbezeichnung", "quantity": "Menge", "unit_price": "Einzelpreis", "amount": "Gesamtpreis"}),
    (["Pos", "Text", "Stück", "Stückpreis", "Netto"],
     {"description": "Text", "quantity": "Stück", "unit_price": "Stückpreis", "amount": "Netto"}),
    (["Beschreibung", "Anz.", "E-Preis", "GP"],
     {"description": "Beschreibung", "quantity": "Anz.", "unit_price": "E-Preis", "amount": "GP"}),
    (["Item description", "Hours", "Unit Cost", "Line Total"],
     {"description": "Item description", "quantity": "Hours", "unit_price": "Unit Cost", "amount": "Line Total"}),
    (["Services", "Quantity", "Rate", "Amount"],
     {"description": "Services", "quantity": "Quantity", "unit_price": "Rate", "amount": "Amount"}),
    (["Product", "Units", "Each", "Extended"],
     {"description": "Product", "quantity": "Units", "unit_price": "Each", "amount": "Extended"}),
    (["Artikel", "Stuks", "Stukprijs", "Regeltotaal"],
     {"description": "Artikel", "quantity": "Stuks", "unit_price": "Stukprijs", "amount": "Regeltotaal"}),
    (["Omschrijving", "Aant.", "Eenheidsprijs", "Bedrag"],
     {"description": "Omschrijving", "quantity": "Aant.", "unit_price": "Eenheidsprijs", "amount": "Bedrag"}),
    (["Dienst", "Uren", "Tarief", "Bedrag"],
     {"description": "Dienst", "quantity": "Uren", "unit_price": "Tarief", "amount": "Bedrag"}),
    (["Leistung", "Std.", "Stundensatz", "Betrag"],
     {"description": "Leistung", "quantity": "Std.", "unit_price": "Stundensatz", "amount": "Betrag"}),
    (["Prestation", "Heures", "Taux horaire", "Montant"],
     {"description": "Prestation", "quantity": "Heures", "unit_price": "Taux horaire", "amount": "Montant"}),
    # Tesseract reads the ü of "Stück" as "ii" or "i"
    (["Stiick", "Beschreibung", "Stiickpreis", "Summe"],
     {"description": "Beschreibung", "quantity": "Stiick", "unit_price": "Stiickpreis", "amount": "Summe"}),
    (["Pos.", "Artikel", "Stk.", "Stickpreis", "Gesamtpreis"],
     {"description": "Artikel", "quantity": "Stk.", "unit_price": "Stickpreis", "amount": "Gesamtpreis"}),
])
def test_common_item_table_headings_name_their_columns_in_the_wider_reading(cells, named):
    row, x = [], 40.0
    for c in cells:
        row.append((x, c))
        x += 6.0 * len(c) + 24.0
    doc = _cells([(40.0, [(40.0, "Rechnung 1001")]), (120.0, row)])
    assert header_row(doc.pages[0]) is None or len(header_row(doc.pages[0])[1]) < len(named)  # not without them
    found = header_row(doc.pages[0], wide=True)
    assert found is not None and found[0] == 1
    got = {k: s.text for k, s in found[1].items() if k != "tax"}
    # a cell of several heading words ("Item description") may be cut at each of them
    assert got.keys() == named.keys() and all(got[k] in named[k] for k in named), got


def _prefactura(heading_x: float) -> Document:
    return _cells([
        (30.0, [(180.0, "Lazaro de la Vega y San Roman")]),
        (46.0, [(60.0, "Av. Garcilaso 12, Caracas 1010, Venezuela.")]),
        (60.0, [(120.0, "Telefono: +58 123 456 78 90 / email: lazaro@sanrom.ve")]),
        (90.0, [(40.0, "FACTURA Nº 000001"), (400.0, "Fecha de emision: 02-07-2022")]),
        (120.0, [(heading_x, "Datos del cliente")]),
        (134.0, [(40.0, "Razon social: Ayala San Vicente Usureros"), (420.0, "R.I.F.: Y-12.345.678-9")]),
        (148.0, [(40.0, "Persona de contacto: Jacinto de Ayala")]),
        (162.0, [(40.0, "Telefono: +58 987 654 32 10 E-mail: jacinto@ayala.sv")]),
        (300.0, [(380.0, "TOTAL"), (470.0, "Bs. 1.836,80")]),
    ])


def test_the_block_under_a_centred_customer_heading_spans_the_page_and_is_not_the_vendor():
    got = interpret(_prefactura(250.0), None, None).fields
    assert got["vendor_name"].value == "Lazaro de la Vega y San Roman"
    assert got["total"].value == Decimal("1836.80") and got["currency"].value == "VES"


def test_a_three_letter_word_that_only_starts_the_domain_is_no_brand():
    # the vendor's domain is "sanrom": "San" (of San Roman, San Vicente) is no brand name for it
    votes = vendor_votes(_prefactura(250.0), {})
    assert not [v for v in votes if v.display == "San"]


@pytest.mark.parametrize("title", ["Faktura", "Devis", "Prefactura"])
def test_more_document_titles_alone_at_the_top_are_not_the_vendor(title):
    got = fields(page([(20.0, title), (34.0, "Nr. 2024/00005"), (48.0, "05.07.2024"), (62.0, "Navn Navnesen"),
                       (76.0, "Langtvekkveien 13b"), (400.0, "Total", 460.0, "1.721,00 EUR")]))
    assert got["vendor_name"] == "Navn Navnesen"


@pytest.mark.parametrize("heads", [
    ["Description", "Item price", "VAT", "Sum"],
    ["Beskrivelse", "Enhetspris", "MVA", "Sum"],
])
def test_a_table_headed_sum_and_item_price_is_read_where_its_lines_add_up(heads):
    doc = _cells([
        (30.0, [(40.0, "Navn Navnesen")]),
        (60.0, [(40.0, "Invoice number: 38")]),
        (120.0, [(40.0, heads[0]), (300.0, heads[1]), (380.0, heads[2]), (470.0, heads[3])]),
        (136.0, [(40.0, "Flere"), (300.0, "5 000.00 kr"), (380.0, "20 %"), (470.0, "6 000.00 kr")]),
        (150.0, [(40.0, "Ulike"), (300.0, "8 000.00 kr"), (380.0, "20 %"), (470.0, "9 600.00 kr")]),
        (180.0, [(380.0, "MVA:"), (470.0, "2 600.00 kr")]),
        (194.0, [(380.0, "Total:"), (470.0, "15 600.00 kr")]),
    ])
    got = interpret(doc, None, None)
    assert [ln.amount.value for ln in got.lines] == [Decimal("6000.00"), Decimal("9600.00")]
    assert got.fields["total"].value == Decimal("15600.00")
    assert got.fields["invoice_number"].value == "38"
    # "Item price" is the price column, not a second description
    assert header_row(doc.pages[0], wide=True)[1]["unit_price"].text.endswith(heads[1].split()[-1])


def _pages(*pages: list[tuple[float, list[tuple[float, str]]]]) -> Document:
    out = []
    for i, rows in enumerate(pages):
        words: list[Word] = []
        for y, cells in rows:
            for x, text in cells:
                words += [Word(w.text, w.x0, w.y0, w.x1, w.y1, w.conf) for w in _words(text, x, y, 0.0, 0.95, space=2.0)]
        out.append(Page(i, 600.0, 800.0, "text", words))
    return Document(out, "text")


def _long_invoice(page2_head: list, carried: bool, totals: list) -> Document:
    first = [(40.0, [(40.0, "Schreiner & Sohn GmbH")]), (80.0, [(40.0, "Rechnungsnummer: RE-2026-0101")]),
             (120.0, [(40.0, "Beschreibung"), (300.0, "Menge"), (380.0, "Einzelpreis"), (470.0, "Gesamt")])]
    first += [(136.0 + 14 * i, [(40.0, f"Montage Position {i + 1}"), (300.0, "1"), (380.0, "100,00"), (470.0, "100,00")])
              for i in range(4)]
    if carried:
        first.append((700.0, [(300.0, "Übertrag"), (470.0, "400,00")]))
    first.append((760.0, [(40.0, "Seite 1 von 2")]))
    second = [(40.0, [(40.0, "Rechnung RE-2026-0101, Seite 2")])] + page2_head
    if carried:
        second.append((100.0, [(300.0, "Übertrag"), (470.0, "400,00")]))
    second += [(130.0 + 14 * i, [(40.0, f"Material Position {i + 5}"), (300.0, "2"), (380.0, "25,00"), (470.0, "50,00")])
               for i in range(2)]
    return _pages(first, second + totals)


TOTALS_2 = [(200.0, [(300.0, "Nettobetrag"), (470.0, "500,00")]), (214.0, [(300.0, "USt. 19 %"), (470.0, "95,00")]),
            (228.0, [(300.0, "Gesamtbetrag"), (470.0, "595,00")])]


@pytest.mark.parametrize("carried", [False, True])
def test_a_table_that_runs_onto_a_page_with_no_header_is_read_on_with_the_first_pages_columns(carried):
    got = interpret(_long_invoice([], carried, TOTALS_2), None, None)
    assert [ln.amount.value for ln in got.lines] == [Decimal("100.00")] * 4 + [Decimal("50.00")] * 2
    assert got.lines[-1].description.value == "Material Position 6"


def test_a_repeated_header_with_the_carried_sum_under_it_gives_no_line_for_the_carried_sum():
    head = [(114.0, [(40.0, "Beschreibung"), (300.0, "Menge"), (380.0, "Einzelpreis"), (470.0, "Gesamt")])]
    got = interpret(_long_invoice(head, True, TOTALS_2), None, None)
    assert [ln.amount.value for ln in got.lines] == [Decimal("100.00")] * 4 + [Decimal("50.00")] * 2


def test_a_next_page_is_no_continuation_where_the_lines_would_not_add_up():
    # page 2 is a payment slip under the same columns; the four lines of page 1 are the invoice's
    totals = [(200.0, [(300.0, "Gesamtbetrag"), (470.0, "400,00")])]
    got = interpret(_long_invoice([], False, totals), None, None)
    assert [ln.amount.value for ln in got.lines] == [Decimal("100.00")] * 4


def _scheduled(rows: list) -> Document:
    return _cells([
        (30.0, [(40.0, "Saber")]), (44.0, [(40.0, "Westlake Village, CA")]),
        (90.0, [(40.0, "Invoice N°: INV-0007")]), (104.0, [(40.0, "Date: 06/28/2023")]),
        (140.0, [(40.0, "Description"), (250.0, "Quantity"), (330.0, "Unit Price"), (470.0, "Amount")]),
        (154.0, [(40.0, "Paper"), (250.0, "40"), (330.0, "$ 5.00"), (470.0, "$ 200.00")]),
        (184.0, [(330.0, "Total (excl. taxes):"), (470.0, "$ 200.00")]),
        (198.0, [(330.0, "Taxes:"), (470.0, "$ 40.00")]),
        (212.0, [(330.0, "Total:"), (470.0, "$ 240.00")]),
        (240.0, [(330.0, "Payment Term")]),
        (254.0, [(330.0, "Date"), (470.0, "Amount")]),
    ] + rows)


def test_the_one_date_of_a_payment_schedule_for_the_whole_total_is_the_due_date():
    got = interpret(_scheduled([(268.0, [(300.0, "07/28/2023"), (470.0, "$ 240.00")])]), None, None).fields
    assert got["due_date"].value == dt.date(2023, 7, 28)
    assert got["invoice_date"].value == dt.date(2023, 6, 28)
    # as a scan reads it: the table's rules become bars beside the heading
    doc = _scheduled([(268.0, [(300.0, "07/28/2023"), (470.0, "S$ 240.00")])])
    page = doc.pages[0]
    page.words += [Word("|", 420.0, 240.0, 422.0, 250.0, 0.4), Word("|", 560.0, 240.0, 562.0, 250.0, 0.4)]
    got = interpret(Document([Page(0, page.width, page.height, "ocr", page.words)], "ocr"), None, None).fields
    assert got["due_date"].value == dt.date(2023, 7, 28)


def test_a_schedule_of_several_instalments_names_no_due_date():
    got = interpret(_scheduled([(268.0, [(300.0, "07/28/2023"), (470.0, "$ 120.00")]),
                                (282.0, [(300.0, "08/28/2023"), (470.0, "$ 120.00")])]), None, None).fields
    assert "due_date" not in got


def test_payment_terms_heading_a_column_of_a_row_of_values_is_no_schedule():
    doc = _cells([
        (30.0, [(40.0, "Saber")]), (44.0, [(40.0, "Westlake Village, CA")]),
        (90.0, [(40.0, "Invoice N°: INV-0007")]),
        (120.0, [(40.0, "Invoice Date"), (200.0, "Payment Terms"), (330.0, "Balance")]),
        (134.0, [(40.0, "06/28/2023"), (200.0, "Net 30"), (330.0, "$ 240.00")]),
        (212.0, [(330.0, "Total:"), (470.0, "$ 240.00")]),
    ])
    got = interpret(doc, None, None).fields
    assert got["due_date"].value == dt.date(2023, 7, 28)  # from the terms, not the invoice date beside them
