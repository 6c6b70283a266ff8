"""Generate a varied invoice set with known truth: PDFs (reportlab), degraded scans and images.

    .venv/bin/python -m bench.invoicegen --out DIR [--count 300] [--seed 7]

Writes DIR/truth.json in the format of ``shared/data/invoices/dev`` so that the
official scorer runs on it too. Vendors, buyers, languages (en-US, en-GB, de,
fr, nl), date and number formats, layouts and degradations are drawn from a
seeded generator, so the same seed gives the same set. Nothing is downloaded.
"""
from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import random
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from PIL import Image, ImageFilter
from reportlab.lib.pagesizes import A4, LETTER
from reportlab.pdfgen import canvas
from schwifty import IBAN

CENT = Decimal("0.01")

LANG = {
    "en-US": dict(title="INVOICE", number="Invoice No.", date="Invoice Date", due="Due Date", terms="Payment Terms",
                  bill_to="Bill To", desc="Description", qty="Qty", price="Unit Price", amount="Amount",
                  subtotal="Subtotal", tax="Sales Tax", total="Total Due", bank="Bank details", iban="IBAN", bic="SWIFT/BIC",
                  net="Net {n}", now="Due on receipt", months="January February March April May June July August September October November December"),
    "en-GB": dict(title="Invoice", number="Invoice number", date="Date of issue", due="Payment due", terms="Terms",
                  bill_to="Invoice to", desc="Item", qty="Quantity", price="Price", amount="Total",
                  subtotal="Net amount", tax="VAT", total="Total (incl. VAT)", bank="Payment details", iban="IBAN", bic="BIC",
                  net="Payable within {n} days", now="Payable immediately", months="January February March April May June July August September October November December"),
    "de": dict(title="Rechnung", number="Rechnungsnummer", date="Rechnungsdatum", due="Fällig am", terms="Zahlungsbedingungen",
               bill_to="Rechnungsempfänger", desc="Bezeichnung", qty="Menge", price="Einzelpreis", amount="Gesamt",
               subtotal="Nettobetrag", tax="MwSt.", total="Rechnungsbetrag", bank="Bankverbindung", iban="IBAN", bic="BIC",
               net="Zahlbar innerhalb {n} Tagen netto", now="Zahlbar sofort ohne Abzug", months="Januar Februar März April Mai Juni Juli August September Oktober November Dezember"),
    "fr": dict(title="Facture", number="Facture n°", date="Date de facture", due="Date d'échéance", terms="Conditions de paiement",
               bill_to="Facturé à", desc="Désignation", qty="Qté", price="Prix unitaire HT", amount="Montant HT",
               subtotal="Total HT", tax="TVA", total="Total TTC", bank="Coordonnées bancaires", iban="IBAN", bic="BIC",
               net="Paiement à {n} jours", now="Paiement à réception", months="janvier février mars avril mai juin juillet août septembre octobre novembre décembre"),
    "nl": dict(title="Factuur", number="Factuurnummer", date="Factuurdatum", due="Vervaldatum", terms="Betalingsvoorwaarden",
               bill_to="Factuuradres", desc="Omschrijving", qty="Aantal", price="Prijs", amount="Bedrag",
               subtotal="Subtotaal", tax="BTW", total="Totaal", bank="Bankgegevens", iban="IBAN", bic="BIC",
               net="Betaling binnen {n} dagen", now="Direct te betalen", months="januari februari maart april mei juni juli augustus september oktober november december"),
}
# Layout 5 (the hard one): a generic date label, a deposit already paid and the balance due,
# amounts printed without currency symbols, the vendor named only in the footer.
HARD = {
    "en-US": ("Date", "Amount paid", "Balance due", "All amounts in {c}"),
    "en-GB": ("Date", "Deposit received", "Balance to pay", "Amounts in {c}"),
    "de": ("Datum", "Anzahlung", "Restbetrag", "Beträge in {c}"),
    "fr": ("Date", "Acompte versé", "Solde à payer", "Montants en {c}"),
    "nl": ("Datum", "Reeds betaald", "Nog te betalen", "Bedragen in {c}"),
}
COUNTRY = {"en-US": "US", "en-GB": "GB", "de": "DE", "fr": "FR", "nl": "NL"}
CURRENCY = {"en-US": ["USD"], "en-GB": ["GBP", "EUR"], "de": ["EUR", "EUR", "CHF"], "fr": ["EUR"], "nl": ["EUR"]}
SYMBOL = {"USD": "$", "GBP": "£", "EUR": "€", "CHF": "CHF"}
VAT_RATE = {"US": Decimal("0.0725"), "GB": Decimal("0.20"), "DE": Decimal("0.19"), "FR": Decimal("0.20"), "NL": Decimal("0.21")}
BANK_COUNTRIES = {"DE", "FR", "NL", "GB"}

WORDS1 = "Nord Blue Silver Alpine Harbor Maple Orion Vertex Falcon Linden Granite Cedar Polar Summit Meridian Atlas Copper Willow".split()
WORDS2 = "Logistik Software Consulting Druck Technik Services Supplies Bakery Design Systems Electrics Media Foods Energie Solutions".split()
LEGAL = {"US": ["Inc.", "LLC", "Corp."], "GB": ["Ltd", "Limited", "plc"], "DE": ["GmbH", "AG", "GmbH & Co. KG"], "FR": ["SARL", "SAS", "SA"],
         "NL": ["B.V.", "N.V."]}
STREETS = {"US": "{n} {w} Street", "GB": "{n} {w} Road", "DE": "{w}straße {n}", "FR": "{n} rue de la {w}", "NL": "{w}straat {n}"}
CITIES = {"US": ["Austin, TX 78701", "Denver, CO 80202", "Portland, OR 97201"], "GB": ["London EC1A 1BB", "Leeds LS1 4AP"],
          "DE": ["10115 Berlin", "80331 München", "50667 Köln"], "FR": ["75002 Paris", "69001 Lyon", "13001 Marseille"],
          "NL": ["1012 AB Amsterdam", "3011 AD Rotterdam"]}
ITEMS = ["Consulting hours", "Annual license", "Printer paper A4", "Maintenance kit", "Cloud hosting", "Design work",
         "Shipping", "Support contract", "Office chairs", "LED panels", "Training session", "Spare parts"]


# Item tables as they vary in the field (the ``gentables`` set): other heading words, a position, unit or VAT
# rate column, the quantity first, descriptions over two lines, rules between rows, a shaded heading, fractional
# quantities, up to twelve lines, rules or a full grid, small print, a tax summary and an early-payment discount
# after the table. Heading words are common ones of each language, not those of any set scored here.
TABLE_WORDS = {
    "en": dict(desc=["Description", "Item", "Product / Service", "Services", "Article", "Item description"],
               qty=["Qty", "Quantity", "Units", "Hours", "Qty."],
               price=["Unit Price", "Rate", "Price", "Unit Cost", "Price/Unit", "Each"],
               amount=["Amount", "Total", "Line Total", "Net Amount", "Ext. Price", "Net"],
               pos=["#", "No.", "Pos.", "Line"], unit=["Unit", "UoM"], units=["pcs", "h", "ea", "box", "month"],
               vat=["VAT %", "Tax", "VAT"],
               detail=["Order ref. PO-{n}", "SKU {n}", "Period: {m}/2024", "incl. travel and setup", "Art. no. {n}",
                       "Serial {n}-B"]),
    "de": dict(desc=["Bezeichnung", "Artikel", "Beschreibung", "Leistung", "Artikelbezeichnung", "Text"],
               qty=["Menge", "Anzahl", "Stück", "Anz.", "Stk."],
               price=["Einzelpreis", "Preis", "E-Preis", "Stückpreis", "Einzelpreis netto", "EP"],
               amount=["Gesamt", "Betrag", "Gesamtpreis", "Summe", "Netto", "GP"],
               pos=["Pos.", "Pos", "Nr.", "#"], unit=["Einheit", "ME"], units=["Stk", "Std.", "pausch.", "Monat", "kg"],
               vat=["MwSt.", "USt. %", "MwSt. %"],
               detail=["Art.-Nr. {n}", "Auftrag {n}", "Zeitraum {m}/2024", "inkl. Anfahrt", "Lieferschein {n}",
                       "Seriennr. {n}"]),
    "fr": dict(desc=["Désignation", "Description", "Libellé", "Article", "Prestation", "Produit"],
               qty=["Qté", "Quantité", "Qté.", "Nombre"],
               price=["Prix unitaire HT", "P.U. HT", "Prix unit.", "PU HT", "Prix"],
               amount=["Montant HT", "Total HT", "Montant", "Prix total HT"],
               pos=["N°", "Réf.", "#"], unit=["Unité", "U."], units=["u", "h", "forfait", "mois", "kg"],
               vat=["TVA", "TVA %"],
               detail=["Réf. {n}", "Commande {n}", "Période {m}/2024", "y compris déplacement", "Bon de livraison {n}"]),
    "nl": dict(desc=["Omschrijving", "Artikel", "Product", "Beschrijving", "Dienst"],
               qty=["Aantal", "Aant.", "Hoeveelheid", "Stuks"],
               price=["Prijs", "Stukprijs", "Prijs per stuk", "Tarief", "Eenheidsprijs"],
               amount=["Bedrag", "Totaal", "Regeltotaal", "Totaal excl. BTW"],
               pos=["#", "Nr.", "Pos."], unit=["Eenheid"], units=["st", "uur", "maand", "doos"],
               vat=["BTW", "BTW %"],
               detail=["Art.nr. {n}", "Order {n}", "Periode {m}/2024", "incl. voorrijkosten", "Pakbon {n}"]),
}


def vary_table(inv: dict, rng: random.Random) -> dict:
    """Give a generated invoice a table drawn from ``TABLE_WORDS`` (more lines, some of two rows, fractional
    quantities), with its totals made again from the new lines."""
    words = TABLE_WORDS[inv["locale"][:2]]
    lines = []
    for _ in range(rng.randint(2, 12)):
        qty = Decimal(rng.choice(["1", "1", "2", "3", "5", "10", "12", "0.5", "1.5", "2.25", "7.5"]))
        price = Decimal(rng.randint(50, 180000)) / 100
        detail = rng.choice(words["detail"]).format(n=rng.randint(1000, 99999), m=rng.randint(1, 12)) \
            if rng.random() < 0.45 else None
        lines.append({"description": rng.choice(ITEMS), "detail": detail, "quantity": qty, "unit_price": price,
                      "amount": (qty * price).quantize(CENT, rounding=ROUND_HALF_UP),
                      "unit": rng.choice(words["units"])})
    heads = {k: rng.choice(words[k]) for k in ("desc", "qty", "price", "amount", "pos", "unit", "vat")}
    table = {"heads": heads, "pos": rng.random() < 0.5, "unit": rng.random() < 0.4,
             "vat": rng.random() < 0.3 and inv["country"] != "US", "qty_first": rng.random() < 0.2,
             "rules": rng.random() < 0.4, "shaded": rng.random() < 0.3, "pos_step": rng.choice([1, 10]),
             "grid": rng.random() < 0.3, "size": rng.choice([9, 9, 8, 7.5]),
             "taxsum": rng.random() < 0.35, "skonto": rng.random() < 0.3}
    return {**inv, "lines": lines, **_totals(lines, inv["country"]), "table": table,
            "layout": inv["layout"] if inv["layout"] != 5 else rng.randrange(5)}


def _qty_text(q: Decimal, locale: str) -> str:
    t = format(q.normalize(), "f")
    return t.replace(".", ",") if locale in ("de", "fr", "nl") else t


# what real invoices print under an item table: a tax summary beside the totals, an early-payment discount
AFTER_TABLE = {
    "en": dict(taxsum=("VAT rate", "Net", "VAT"), skonto="2% early payment discount if paid by {d}: {a}"),
    "de": dict(taxsum=("USt.-Satz", "Netto", "USt."), skonto="Bei Zahlung bis {d} 2 % Skonto: {a}"),
    "fr": dict(taxsum=("Taux TVA", "Base HT", "TVA"), skonto="Escompte de 2 % pour paiement avant le {d} : {a}"),
    "nl": dict(taxsum=("BTW %", "Grondslag", "BTW"), skonto="2% korting bij betaling voor {d}: {a}"),
}
WIDTH = {"amount": 85, "vat": 50, "price": 80, "unit": 45, "qty": 50}


def _varied_table(c, inv: dict, ty: float, W: float, text, amount, font: str, bold: str) -> float:
    """Draw ``inv["table"]`` from heading row ``ty`` down; returns the y under the last line."""
    t, loc = inv["table"], inv["locale"]
    h = t["heads"]
    rate = VAT_RATE[inv["country"]] * 100
    rate_text = f"{rate:g} %" if loc in ("de", "fr") else f"{rate:g}%"
    # numeric columns from the right edge: (key, heading, right edge or left edge, right-aligned)
    right = [("amount", h["amount"])] + ([("vat", h["vat"])] if t["vat"] else []) + [("price", h["price"])]
    if not t["qty_first"]:
        right += ([("unit", h["unit"])] if t["unit"] else []) + [("qty", h["qty"])]
    xs, x = {}, W - 50
    for key, _ in right:
        xs[key] = x
        x -= WIDTH[key]
    left = 50
    if t["pos"]:
        xs["pos"] = left
        left += 32
    if t["qty_first"]:
        xs["qty"] = left + 28
        left += 40
    xs["desc"] = left
    if t["shaded"]:
        c.setFillGray(0.85)
        c.rect(46, ty - 5, W - 92, 15, stroke=0, fill=1)
        c.setFillGray(0)
    heads = [("desc", h["desc"], False), ("qty", h["qty"], True), ("price", h["price"], True),
             ("amount", h["amount"], True)]
    heads += [("pos", h["pos"], False)] if t["pos"] else []
    heads += [("unit", h["unit"], True)] if t["unit"] and not t["qty_first"] else []
    heads += [("vat", h["vat"], True)] if t["vat"] else []
    size = t.get("size", 9)
    for key, word, r in heads:
        text(xs[key], ty, word, bold, size=size, right=r)
    c.line(50, ty - 6, W - 50, ty - 6)
    y = ty - 20
    for i, ln in enumerate(inv["lines"], 1):
        if t["pos"]:
            text(xs["pos"], y, str(i * t["pos_step"]), size=size)
        text(xs["qty"], y, _qty_text(ln["quantity"], loc), size=size, right=True)
        if t["unit"] and not t["qty_first"]:
            text(xs["unit"], y, ln["unit"], size=size, right=True)
        text(xs["desc"], y, ln["description"], size=size)
        if t["vat"]:
            text(xs["vat"], y, rate_text, size=size, right=True)
        text(xs["price"], y, amount(ln["unit_price"]), size=size, right=True)
        text(xs["amount"], y, amount(ln["amount"]), size=size, right=True)
        if ln["detail"]:
            y -= 10
            text(xs["desc"], y, ln["detail"], size=min(size, 7.5) - 0.5 * (size < 8))
        if t["rules"]:
            c.setLineWidth(0.4)
            c.line(50, y - 5, W - 50, y - 5)
            c.setLineWidth(1)
        y -= 15
    if t.get("grid"):
        c.setLineWidth(0.6)
        c.rect(46, y + 10, W - 92, ty + 12 - (y + 10), stroke=1, fill=0)
        # a rule just right of each numeric column's neighbour on the left (the columns are right-aligned)
        for key, _ in right:
            x = xs[key] - WIDTH[key] + 6
            c.line(x, y + 10, x, ty + 12)
        if t["pos"]:
            c.line(xs["desc"] - 4, y + 10, xs["desc"] - 4, ty + 12)
        if t["qty_first"]:
            c.line(xs["qty"] + 6, y + 10, xs["qty"] + 6, ty + 12)
        c.setLineWidth(1)
    return y


def money(v: Decimal, locale: str, currency: str, rng: random.Random) -> str:
    q = v.quantize(CENT, rounding=ROUND_HALF_UP)
    sign = "-" if q < 0 else ""
    whole, frac = f"{abs(q):.2f}".split(".")
    groups = f"{int(whole):,}"
    if locale in ("de", "nl"):
        num = groups.replace(",", ".") + "," + frac
    elif locale == "fr":
        num = groups.replace(",", "\u00a0" if rng.random() < 0.5 else " ") + "," + frac
    elif currency == "CHF":
        num = groups.replace(",", "'") + "." + frac
    else:
        num = groups + "." + frac
    sym = SYMBOL[currency]
    style = rng.random()
    if style < 0.15:
        return f"{sign}{num} {currency}"
    if locale in ("en-US", "en-GB") and sym != "CHF":
        return f"{sign}{sym}{num}"
    return f"{sign}{num} {sym}"


def date_text(d: dt.date, locale: str, rng: random.Random) -> str:
    months = LANG[locale]["months"].split()
    style = rng.random()
    if style < 0.15:
        return d.isoformat()
    if locale == "en-US":
        return f"{d.month:02d}/{d.day:02d}/{d.year}" if style < 0.6 else f"{months[d.month - 1]} {d.day}, {d.year}"
    if locale == "en-GB":
        return f"{d.day:02d}/{d.month:02d}/{d.year}" if style < 0.6 else f"{d.day} {months[d.month - 1]} {d.year}"
    if locale == "de":
        return f"{d.day:02d}.{d.month:02d}.{d.year}" if style < 0.7 else f"{d.day}. {months[d.month - 1]} {d.year}"
    if locale == "fr":
        return f"{d.day:02d}/{d.month:02d}/{d.year}" if style < 0.6 else f"{d.day} {months[d.month - 1]} {d.year}"
    return f"{d.day:02d}-{d.month:02d}-{d.year}" if style < 0.6 else f"{d.day} {months[d.month - 1]} {d.year}"


def company(rng: random.Random, country: str) -> dict:
    name = f"{rng.choice(WORDS1)} {rng.choice(WORDS2)}"
    legal = rng.choice(LEGAL[country])
    domain = name.lower().replace(" ", "") + {"US": ".com", "GB": ".co.uk", "DE": ".de", "FR": ".fr", "NL": ".nl"}[country]
    street = STREETS[country].format(n=rng.randint(1, 250), w=rng.choice(WORDS1))
    iban = bic = None
    if country in BANK_COUNTRIES and rng.random() < 0.9:
        account = IBAN.random(country_code=country, random=rng)  # a real bank from schwifty's registry
        iban = str(account)
        try:
            bic = str(account.bic) if account.bic else None
        except Exception:  # noqa: BLE001 - no BIC known for that bank
            bic = None
    return {"name": f"{name} {legal}", "short": name, "street": street, "city": rng.choice(CITIES[country]),
            "email": f"billing@{domain}", "web": f"www.{domain}", "iban": iban, "bic": bic,
            "vat": {"DE": "DE", "FR": "FR", "NL": "NL", "GB": "GB", "US": ""}[country] + "".join(rng.choice("0123456789") for _ in range(9))}


def _totals(lines: list[dict], country: str) -> dict:
    """Subtotal, tax at the country's rate and total of an invoice's lines (draws nothing at random)."""
    subtotal = sum((ln["amount"] for ln in lines), Decimal(0))
    tax = (subtotal * VAT_RATE[country]).quantize(CENT, rounding=ROUND_HALF_UP)
    return {"subtotal": subtotal, "tax": tax, "total": subtotal + tax}


def make_invoice(rng: random.Random, n: int) -> dict:
    locale = rng.choice(list(LANG))
    country = COUNTRY[locale]
    vendor, buyer = company(rng, country), company(rng, rng.choice(list(COUNTRY.values())))
    currency = rng.choice(CURRENCY[locale])
    issued = dt.date(2020, 1, 1) + dt.timedelta(days=rng.randint(0, 1800))
    days = rng.choice([0, 7, 14, 30, 30, 45, 60])
    lines = []
    for _ in range(rng.randint(1, 7)):
        qty = Decimal(rng.choice([1, 1, 2, 3, 5, 10, 12]))
        price = Decimal(rng.randint(100, 250000)) / 100
        lines.append({"description": rng.choice(ITEMS), "quantity": qty, "unit_price": price, "amount": (qty * price).quantize(CENT)})
    prefix = rng.choice(["INV-", "RE-", "F", "", "2024/", "FA-"])
    number = f"{prefix}{issued.year}{rng.randint(10, 99999):05d}" if rng.random() < 0.6 else f"{prefix}{rng.randint(1000, 999999)}"
    return {"n": n, "locale": locale, "country": country, "vendor": vendor, "buyer": buyer, "currency": currency,
            "issued": issued, "due": issued + dt.timedelta(days=days), "days": days, "lines": lines,
            **_totals(lines, country), "number": number, "layout": rng.randrange(6),
            "print_due": rng.random() < 0.75, "font": rng.choice(["Helvetica", "Times-Roman", "Courier"])}


def render_pdf(inv: dict, rng: random.Random) -> bytes:
    L = LANG[inv["locale"]]
    size = LETTER if inv["country"] == "US" else A4
    W, H = size
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=size)
    font, bold = inv["font"], {"Helvetica": "Helvetica-Bold", "Times-Roman": "Times-Bold", "Courier": "Courier-Bold"}[inv["font"]]
    loc, cur = inv["locale"], inv["currency"]
    v, b = inv["vendor"], inv["buyer"]
    terms = L["now"] if inv["days"] == 0 else L["net"].format(n=inv["days"])

    def text(x, y, s, f=font, size=9, right=False):
        c.setFont(f, size)
        (c.drawRightString if right else c.drawString)(x, y, s)

    lay = inv["layout"]
    top = H - 50
    hard = HARD[loc]
    plain = lay == 5  # amounts without currency symbols

    def amount(val):
        text_ = money(val, loc, cur, rng)
        return text_.replace(SYMBOL[cur], "").replace(cur, "").strip() if plain else text_

    if lay == 5:  # "INVOICE <number>" as the title; the vendor appears only in the footer
        text(50, top, f"{L['title'].upper()} {inv['number']}", bold, 18)
    elif lay in (0, 2):  # letterhead left, title right
        text(50, top, v["name"], bold, 16)
        text(50, top - 16, v["street"])
        text(50, top - 28, v["city"])
        text(50, top - 40, f"{v['web']}  ·  {v['email']}", size=8)
        text(W - 50, top, L["title"].upper(), bold, 20, right=True)
    else:  # title left, vendor block right, return-address line above the buyer window
        text(50, top, L["title"], bold, 22)
        for i, s in enumerate([v["name"], v["street"], v["city"], v["email"]]):
            text(W - 50, top - i * 12, s, bold if i == 0 else font, 10 if i == 0 else 9, right=True)
        text(50, top - 70, f"{v['name']} - {v['street']} - {v['city']}", size=6.5)
    by = top - 90
    text(50, by, L["bill_to"] + ":", bold)
    for i, s in enumerate([b["name"], b["street"], b["city"]]):
        text(50, by - 12 * (i + 1), s)
    info = [(L["number"], inv["number"]), (L["date"], date_text(inv["issued"], loc, rng))]
    if lay == 5:
        info = [(hard[0], date_text(inv["issued"], loc, rng))]
    if inv["print_due"]:
        info.append((L["due"], date_text(inv["due"], loc, rng)))
    info.append((L["terms"], terms))
    if lay in (0, 1):  # label: value block on the right
        for i, (k, val) in enumerate(info):
            text(W - 230, by - 12 * i, k + ":", bold)
            text(W - 50, by - 12 * i, val, right=True)
    elif lay in (4, 5):  # "label: value" in running text under the address
        for i, (k, val) in enumerate(info):
            text(50, by - 60 - 12 * i, f"{k}: {val}")
    else:  # a row of column headers with the values below
        xs = [50, 170, 290, 410]
        for i, (k, val) in enumerate(info[:4]):
            text(xs[i], by - 70, k, bold)
            text(xs[i], by - 84, val)
    ty = by - 120 if lay not in (4, 5) else by - 130
    if inv.get("table"):
        y = _varied_table(c, inv, ty, W, text, amount, font, bold)
    else:
        cols = [50, W - 250, W - 160, W - 50]
        text(cols[0], ty, L["desc"], bold)
        text(cols[1], ty, L["qty"], bold, right=True)
        text(cols[2], ty, L["price"], bold, right=True)
        text(cols[3], ty, L["amount"], bold, right=True)
        c.line(50, ty - 4, W - 50, ty - 4)
        y = ty - 18
        long = inv.get("long") or {}
        carried = Decimal(0)
        for ln in inv["lines"]:
            if long and y < 110:  # a long invoice: the table runs onto the next page
                if long["carried"]:
                    text(cols[2], y, CARRIED[loc[:2]], bold, right=True)
                    text(cols[3], y, amount(carried), bold, right=True)
                text(W / 2, 40, long["page"].format(p=1), size=8)
                c.showPage()
                y = H - 60
                text(50, y, f"{L['title']} {inv['number']}", bold, 10)
                y -= 30
                if long["repeat_header"]:
                    for x, key in zip(cols, ("desc", "qty", "price", "amount")):
                        text(x, y, L[key], bold, right=key != "desc")
                    c.line(50, y - 4, W - 50, y - 4)
                    y -= 18
                if long["carried"]:
                    text(cols[2], y, CARRIED[loc[:2]], bold, right=True)
                    text(cols[3], y, amount(carried), bold, right=True)
                    y -= 14
            carried += ln["amount"]
            text(cols[0], y, ln["description"])
            text(cols[1], y, str(ln["quantity"]), right=True)
            text(cols[2], y, amount(ln["unit_price"]), right=True)
            text(cols[3], y, amount(ln["amount"]), right=True)
            y -= 14
    c.line(W - 250, y + 4, W - 50, y + 4)
    rate = int(VAT_RATE[inv["country"]] * 100) if VAT_RATE[inv["country"]] * 100 % 1 == 0 else VAT_RATE[inv["country"]] * 100
    rows = [(L["subtotal"], inv["subtotal"], font), (f"{L['tax']} {rate}%", inv["tax"], font), (L["total"], inv["total"], bold)]
    if lay == 5:
        paid = (inv["total"] * Decimal("0.3")).quantize(CENT)
        rows += [(hard[1], -paid, font), (hard[2], inv["total"] - paid, bold)]
    t = inv.get("table") or {}
    if t.get("taxsum"):  # a tax summary at the left, beside the totals
        words = AFTER_TABLE[loc[:2]]
        base = money(inv["subtotal"], loc, cur, rng)
        for i, cells in enumerate([words["taxsum"], (f"{rate}%", base, money(inv["tax"], loc, cur, rng))]):
            for x, cell in zip((50, 170, 250), cells):
                text(x, y - 14 * (i + 1), cell, bold if i == 0 else font, size=8, right=x != 50)
    for k, val, f in rows:
        y -= 14
        text(W - 250, y, k, f)
        text(W - 50, y, amount(val), f, right=True)
    if t.get("skonto"):  # an early-payment discount, with its amount, under the totals
        y -= 22
        pay_by = date_text(inv["issued"] + dt.timedelta(days=10), loc, rng)
        text(50, y, AFTER_TABLE[loc[:2]]["skonto"].format(d=pay_by, a=money(inv["total"] * Decimal("0.02"), loc, cur, rng)),
             size=8)
    if plain:
        y -= 18
        text(W - 250, y, hard[3].format(c=cur), size=8)
    if v["iban"]:
        y -= 40
        text(50, y, L["bank"], bold)
        bic = f"   {L['bic']}: {v['bic']}" if v["bic"] else ""
        text(50, y - 12, f"{L['iban']}: {' '.join(v['iban'][i:i + 4] for i in range(0, len(v['iban']), 4))}{bic}")
    text(50, 40, f"{v['name']}  ·  {v['street']}  ·  {v['city']}  ·  VAT {v['vat']}", size=7)
    c.showPage()
    c.save()
    return buf.getvalue()


def degrade(pdf_bytes: bytes, rng: random.Random, dpi: int, heavy: bool) -> Image.Image:
    import pypdfium2 as pdfium
    page = pdfium.PdfDocument(pdf_bytes)[0]
    img = page.render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
    angle = rng.uniform(-1.5, 1.5) if heavy else rng.uniform(-0.6, 0.6)
    img = img.rotate(angle, resample=Image.BICUBIC, expand=False, fillcolor=255)
    img = img.filter(ImageFilter.GaussianBlur(rng.uniform(0.4, 0.9) if heavy else 0.3))
    if heavy:
        px = img.load()
        for _ in range(int(img.width * img.height * 0.0015)):
            px[rng.randrange(img.width), rng.randrange(img.height)] = rng.choice((0, 255))
        out = io.BytesIO()
        img.save(out, "JPEG", quality=rng.randint(50, 70))
        img = Image.open(io.BytesIO(out.getvalue())).convert("L")
    return img


def truth_of(inv: dict, file: str, kind: str) -> dict:
    v = inv["vendor"]
    terms = LANG[inv["locale"]]["now"] if inv["days"] == 0 else LANG[inv["locale"]]["net"].format(n=inv["days"])
    return {"file": file, "kind": kind, "source": "bench.invoicegen", "license": "generated",
            "fields": {"vendor_name": v["name"], "invoice_number": inv["number"], "invoice_date": inv["issued"].isoformat(),
                       "due_date": inv["due"].isoformat(), "total": str(inv["total"]), "currency": inv["currency"],
                       "payment_terms": terms, "iban": v["iban"], "bic": v["bic"]},
            "lines": [{"description": l["description"], "amount": str(l["amount"])} for l in inv["lines"]],
            "notes": [f"locale {inv['locale']}, layout {inv['layout']}, font {inv['font']}"]
            + ([f"table {json.dumps(inv['table'], ensure_ascii=False, sort_keys=True)}"] if inv.get("table") else [])}


def generate(out: Path, count: int = 300, seed: int = 7) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    truth = []
    for n in range(count):
        inv = make_invoice(rng, n)
        pdf = render_pdf(inv, rng)
        roll = n % 10
        if roll < 6:
            name, kind = f"gen{n:04d}.pdf", "pdf-text"
            (out / name).write_bytes(pdf)
        elif roll < 8:
            img = degrade(pdf, rng, rng.choice([150, 200, 200]), heavy=True)
            name, kind = f"gen{n:04d}.scan.png", "image"
            img.save(out / name, dpi=(200, 200))
        elif roll == 8:
            img = degrade(pdf, rng, 200, heavy=True)
            name, kind = f"gen{n:04d}.scan.pdf", "pdf-scan"
            img.convert("RGB").save(out / name, "PDF", resolution=200)
        else:
            img = degrade(pdf, rng, 300, heavy=False)
            if rng.random() < 0.3:
                img = img.rotate(rng.choice([90, 180, 270]), expand=True)
            name, kind = f"gen{n:04d}.png", "image"
            img.save(out / name, dpi=(300, 300))
        truth.append(truth_of(inv, name, kind))
    (out / "truth.json").write_text(json.dumps(truth, indent=1, ensure_ascii=False), encoding="utf-8")
    return out


#: the running sum at the foot of a page and the head of the next, by language
CARRIED = {"en": "Carried forward", "de": "Übertrag", "fr": "Report", "nl": "Transport"}
#: the page mark of a long invoice's first page
PAGE_MARK = {"en": "Page {p} of 2", "de": "Seite {p} von 2", "fr": "Page {p} sur 2", "nl": "Pagina {p} van 2"}
#: the ``genlong`` set of the bench: its seed and size
LONG_SEED, LONG_COUNT = 13, 16


def generate_long(out: Path, count: int = LONG_COUNT, seed: int = LONG_SEED) -> Path:
    """The ``genlong`` set: ``count`` invoices whose item table runs onto a second page (34-48 lines), the header
    printed again on it or not, the running sum carried over or not; each as its digital PDF and as a degraded
    two-page scan (``public_sets._scans``, as the public set's scans are made), every line in its truth."""
    from bench import public_sets

    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    truth = []
    for n in range(count):
        inv = make_invoice(rng, n)
        lines = []
        for _ in range(rng.randint(34, 48)):
            qty = Decimal(rng.choice([1, 1, 2, 3, 5, 10, 12]))
            price = Decimal(rng.randint(100, 250000)) / 100
            lines.append({"description": rng.choice(ITEMS), "quantity": qty, "unit_price": price,
                          "amount": (qty * price).quantize(CENT)})
        inv.update(lines=lines, **_totals(lines, inv["country"]), layout=rng.choice([0, 1, 2, 3, 4]),
                   long={"repeat_header": n % 2 == 0, "carried": n % 4 in (0, 3), "page": PAGE_MARK[inv["locale"][:2]]})
        pdf = render_pdf(inv, rng)
        stem = f"long{n:04d}"
        (out / f"{stem}.pdf").write_bytes(pdf)
        truth.append(truth_of(inv, f"{stem}.pdf", "pdf-text"))
        scan = public_sets._scans(pdf, stem)[f"{stem}.scan.pdf"]
        (out / f"{stem}.scan.pdf").write_bytes(scan)
        truth.append(truth_of(inv, f"{stem}.scan.pdf", "pdf-scan"))
    (out / "truth.json").write_text(json.dumps(truth, indent=1, ensure_ascii=False), encoding="utf-8")
    return out


#: the ``gentables`` set of the bench: its seed and size
TABLES_SEED, TABLES_COUNT = 11, 40


def generate_tables(out: Path, count: int = TABLES_COUNT, seed: int = TABLES_SEED) -> Path:
    """The ``gentables`` set: ``count`` invoices with varied item tables (``vary_table``), each as its digital
    PDF and as a degraded scan of it (200 dpi, the heavy degradation), so that a table read on the PDF and lost
    on the scan shows."""
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    truth = []
    for n in range(count):
        inv = vary_table(make_invoice(rng, n), rng)
        pdf = render_pdf(inv, rng)
        (out / f"tab{n:04d}.pdf").write_bytes(pdf)
        truth.append(truth_of(inv, f"tab{n:04d}.pdf", "pdf-text"))
        degrade(pdf, rng, 200, heavy=True).save(out / f"tab{n:04d}.scan.png", dpi=(200, 200))
        truth.append(truth_of(inv, f"tab{n:04d}.scan.png", "image"))
    (out / "truth.json").write_text(json.dumps(truth, indent=1, ensure_ascii=False), encoding="utf-8")
    return out


GENERATOR_VERSION = 2  # bump when the output changes, so cached sets are made again


def default_dir(seed: int, count: int) -> Path:
    base = Path(os.environ.get("BILLPAY_BENCH_CACHE", Path.home() / ".cache" / "billpay-bench"))
    return base / f"invoicegen-v{GENERATOR_VERSION}-{seed}-{count}"


def tables_dir(seed: int = TABLES_SEED, count: int = TABLES_COUNT) -> Path:
    return default_dir(seed, count).with_name(f"invoicegen-tables-v2-{seed}-{count}")


def long_dir(seed: int = LONG_SEED, count: int = LONG_COUNT) -> Path:
    return default_dir(seed, count).with_name(f"invoicegen-long-v1-{seed}-{count}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path)
    ap.add_argument("--count", type=int, default=300)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args(argv)
    out = generate(args.out or default_dir(args.seed, args.count), args.count, args.seed)
    print(out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
