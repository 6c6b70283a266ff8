"""Field labels in English, German, French, Dutch (and common Spanish/Italian), with weights.

Patterns are matched on folded text (lower case, no accents; "n°" reads "no").
The weight says how surely a label announces that field: "Total TTC" is a grand
total, a bare "Total" or "Date" less so. Labels of things we do *not* want
(order number, customer number, delivery date …) are listed under ``other`` so
that the longest label wins: "Order date" is not an invoice date.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

#: month names and their abbreviations in the supported languages, folded (read by ``dates`` and by
#: ``layout.cut_value``)
_MONTHS = {
    1: "january jan januar janner jaenner janvier janv januari enero ene gennaio gen",
    2: "february feb februar fevrier fevr fev februari febrero febbraio",
    3: "march mar marz maerz mrz mars maart mrt marzo",
    4: "april apr avril avr abril aprile",
    5: "may mai mei mayo maggio mag",
    6: "june jun juni juin junio giugno giu",
    7: "july jul juli juillet juil julio luglio lug",
    8: "august aug aout augustus agosto ago",
    9: "september sep sept septembre setiembre septiembre settembre set",
    10: "october oct oktober okt octobre octubre ottobre ott",
    11: "november nov novembre noviembre",
    12: "december dec dezember dez decembre diciembre dic dicembre",
}
MONTH_WORDS = {w: m for m, ws in _MONTHS.items() for w in ws.split()}

_NO = r"(?:n\.?\s?o\.?|n\s?[°º®]\.?|no\.?|nr\.?|num(?:ber|ero|mer)?\.?|#|id)"  # OCR reads "Nº" as "N®"

LABELS: dict[str, list[tuple[str, float]]] = {
    "invoice_number": [
        (r"invoice\s*" + _NO, 0.95), (r"inv\.?\s*(?:no|nr|#)\.?", 0.9), (r"invoice\s*:", 0.75),
        (r"(?:tax\s+)?invoice", 0.55), (r"bill\s*(?:number|no\.?|#)", 0.85), (r"credit\s*note\s*" + _NO, 0.92),
        (r"receipt\s*" + _NO, 0.8), (r"document\s*(?:number|no\.?)", 0.6), (r"booking\s*(?:id|number|ref)", 0.65),
        (r"rechnungs?\s*-?\s*(?:nummer|nr\.?|no\.?|#)", 0.95), (r"rechnung\s*#", 0.93), (r"rechnung", 0.55),
        (r"beleg\s*-?\s*(?:nummer|nr\.?)", 0.75), (r"gutschrift(?:s)?\s*-?\s*(?:nummer|nr\.?)", 0.9), (r"gutschrift", 0.5),
        (r"(?:facture|avoir)\s*" + _NO, 0.95), (r"num(?:ero)?\.?\s*(?:de\s+)?(?:la\s+)?facture", 0.95),
        (r"facture", 0.55), (r"avoir", 0.5), (r"factuur\s*-?\s*(?:nummer|nr\.?|no\.?|#)", 0.95), (r"factuur", 0.55),
        (r"creditnota\s*(?:nummer|nr\.?)", 0.9), (r"factura\s*" + _NO, 0.95), (r"numero de factura", 0.95), (r"factura", 0.55),
        (r"fattura\s*" + _NO, 0.95), (r"^#", 0.5),
        # Portuguese, Polish, Czech, Scandinavian, Finnish
        (r"fatura\s*" + _NO, 0.95), (r"numero\s*da\s*fatura", 0.95), (r"faktura\s*(?:vat\s*)?(?:nr\.?|no\.?|c\.|cislo)", 0.95),
        (r"cislo\s*faktury", 0.95), (r"faktura\s*-?\s*(?:nummer|nr\.?)", 0.95), (r"laskun\s*numero", 0.95),
    ],
    "invoice_date": [
        (r"invoice\s*date", 0.95), (r"date\s*of\s*invoice", 0.95), (r"invoice\s*dated", 0.9), (r"(?:date\s*of\s*issue|issue\s*date|issued\s*on|date\s*issued)", 0.9),
        (r"bill(?:ing)?\s*date", 0.85), (r"issued\s*at", 0.85), (r"receipt\s*date", 0.7), (r"dated", 0.6), (r"date", 0.55),
        (r"rechnungs\s*-?\s*datum", 0.95), (r"datum\s*der\s*rechnung", 0.95), (r"ausstellungs\s*-?\s*datum", 0.9),
        (r"beleg\s*-?\s*datum", 0.85), (r"datum", 0.55), (r"vom", 0.5),
        (r"date\s*(?:de\s*(?:la\s*)?)?factur(?:e|ation)", 0.95), (r"date\s*d'emission", 0.9), (r"date\s*de\s*l'avoir", 0.9),
        (r"du", 0.4), (r"factuur\s*-?\s*datum", 0.95), (r"datum\s*factuur", 0.95),
        (r"fecha\s*(?:de\s*)?(?:la\s*)?(?:factura|emision)", 0.95), (r"fecha", 0.5), (r"data\s*(?:della\s*)?fattura", 0.95),
        (r"data\s*(?:de\s*)?emissao", 0.95), (r"data\s*da\s*fatura", 0.95), (r"data\s*wystawienia", 0.95),
        (r"datum\s*vystaveni", 0.95), (r"faktura\s*-?\s*dat(?:um|o)", 0.95), (r"laskun\s*paivamaara", 0.95),
        (r"paivamaara", 0.6),
    ],
    "due_date": [
        (r"due\s*date", 0.95), (r"date\s*due", 0.9), (r"payment\s*due(?:\s*date)?", 0.9), (r"due\s*by", 0.9), (r"due\s*on", 0.8), (r"due", 0.6),
        (r"(?:please\s*)?pay(?:able)?\s*by", 0.85), (r"pay\s*before", 0.85),
        (r"(?:please\s*)?(?:remit|pay(?:able)?|to\s*be\s*paid)\s*(?:payment\s*)?(?:until|no\s*later\s*than|on\s*or\s*before|before|by)", 0.85),
        (r"due\s*(?:until|before)", 0.85), (r"payment\s*deadline", 0.9), (r"deadline", 0.8),
        (r"f(?:a|ae)lligkeits\s*-?\s*datum", 0.95), (r"f(?:a|ae)llig\s*(?:am|bis|zum)?", 0.85), (r"zahlbar\s*bis(?:\s*(?:zum|sp(?:a|ae)testens))?", 0.9),
        (r"zahlungs\s*-?\s*ziel", 0.8), (r"zahlungs\s*-?\s*termin", 0.8), (r"(?:(?:[ui]|ue)?berweisen|zahlen)\s*sie\s*(?:den\s*betrag\s*)?bis\s*(?:zum)?", 0.85),
        (r"date\s*d'echeance", 0.95), (r"echeance", 0.88), (r"date\s*limite\s*de\s*(?:paiement|reglement)(?:\s*le)?", 0.95),
        (r"a\s*payer\s*avant\s*le", 0.9), (r"payable\s*(?:avant\s*)?le", 0.8),
        (r"verval\s*-?\s*datum", 0.95), (r"vervaldag", 0.9), (r"uiterste\s*betaal\s*-?\s*datum", 0.95), (r"(?:te\s*)?betalen\s*voor", 0.85),
        (r"fecha\s*de\s*vencimiento", 0.95), (r"vencimiento", 0.85), (r"data\s*(?:di\s*)?scadenza", 0.95), (r"scadenza", 0.85),
        (r"data\s*de\s*vencimento", 0.95), (r"vencimento", 0.85), (r"termin\s*p[lł]atno[sś]ci", 0.95),
        (r"datum\s*splatnosti", 0.95), (r"splatnost", 0.85), (r"forfallo\s*-?\s*datum", 0.95), (r"forfalls\s*-?\s*dato", 0.95),
        (r"forfalds\s*-?\s*dato", 0.95), (r"erapaiva", 0.95),
    ],
    "total": [
        (r"grand\s*total", 0.97), (r"invoice\s*total", 0.95), (r"total\s*(?:invoice\s*)?amount(?:\s*due)?", 0.9), (r"total\s*due", 0.88),
        (r"total\s*\(?\s*(?:incl\.?|including|inclusive|inc\.?)(?:\s*[.,]?\s*[o0]f)?(?:\s*(?:vat|tax|gst|sst|btw|mwst|ust|tva))?\.?\s*\)?", 0.95), (r"total\s*for\s*this\s*invoice", 0.93),
        (r"total\s*(?:to\s*pay|payable)", 0.85), (r"amount\s*(?:due|payable)", 0.8), (r"balance\s*due", 0.78), (r"total", 0.7),
        (r"gesamt\s*-?\s*betrag", 0.92), (r"rechnungs\s*-?\s*betrag", 0.92), (r"end\s*-?\s*betrag", 0.92), (r"gesamt\s*-?\s*summe", 0.9),
        (r"summe\s*\(?\s*(?:inkl\.?|brutto)(?:\s*(?:ust|mwst)\.?)?\s*\)?", 0.95), (r"gesamt\s*\(?\s*(?:inkl\.?|brutto)(?:\s*(?:ust|mwst)\.?)?\s*\)?", 0.95), (r"brutto\s*-?\s*betrag", 0.85), (r"zahl\s*-?\s*betrag", 0.85),
        (r"zu\s*zahlen(?:der\s*betrag)?", 0.8), (r"gesamt\s*brutto", 0.92), (r"gesamt", 0.55), (r"summe", 0.5),
        (r"total\s*ttc", 0.97), (r"montant\s*(?:total\s*)?ttc", 0.92), (r"total\s*(?:a|a\s*)payer", 0.85), (r"net\s*a\s*payer", 0.8),
        (r"montant\s*total", 0.85), (r"somme\s*a\s*payer", 0.8), (r"solde\s*a\s*payer", 0.68), (r"total\s*facture", 0.9), (r"total\s*general", 0.9),
        (r"totaal\s*(?:bedrag\s*)?\(?\s*(?:incl\.?|inclusief)(?:\s*btw)?\.?\s*\)?", 0.95), (r"totaal\s*-?\s*bedrag", 0.92), (r"factuur\s*-?\s*totaal", 0.95),
        (r"totaal\s*te\s*betalen", 0.9), (r"te\s*betalen", 0.78), (r"eind\s*-?\s*totaal", 0.92), (r"totaal", 0.8),
        (r"total\s*sales\s*\(?\s*incl(?:usive|\.)?(?:\s*of)?\s*(?:gst|sst|tax)\s*\)?", 0.95),
        (r"(?:total\s*(?:after\s*)?round(?:ed|ing)(?:\s*adj(?:ustment)?)?|round(?:ed|ing)\s*total|total\s*after\s*adj(?:ustment)?)", 0.95),
        (r"jumlah(?:\s*besar)?", 0.8), (r"due", 0.5), (r"t[o0]ta\s?[l1i|]", 0.62), (r"total\s*\(?\s*rm\s*\)?", 0.8), (r"total\s*payable", 0.88),
        (r"importe\s*total", 0.9), (r"total\s*factura", 0.9), (r"importe\s*(?:adeudado|a\s*pagar)", 0.88),
        (r"saldo\s*(?:adeudado|pendiente|a\s*pagar)", 0.8), (r"totale(?:\s*(?:fattura|documento|da\s*pagare))?", 0.85),
        (r"valor\s*total", 0.88), (r"total\s*a\s*pagar", 0.9), (r"do\s*zap[lł]aty", 0.92), (r"razem(?:\s*do\s*zap[lł]aty)?", 0.75),
        (r"celkem(?:\s*k\s*uhrade)?", 0.85), (r"celkem\s*s\s*dph", 0.92), (r"(?:summa\s*)?att\s*betala", 0.9),
        (r"(?:at|a)\s*betale", 0.88), (r"i\s*alt", 0.8), (r"yhteensa", 0.8), (r"maksettava(?:\s*yhteensa)?", 0.9),
    ],
    "subtotal": [
        (r"sub\s*-?\s*total", 0.9), (r"net\s*total", 0.9), (r"total\s*net", 0.9), (r"net\s*amount", 0.85),
        (r"total\s*\(?\s*(?:excl\.?|excluding|before|w/o|without)(?:\s*(?:vat|tax|gst|btw|mwst|ust|tva))?\.?\s*\)?", 0.92), (r"amount\s*(?:excl\.?|before)\s*(?:vat|tax)", 0.9),
        (r"zwischen\s*-?\s*summe", 0.85), (r"netto\s*-?\s*betrag", 0.9), (r"summe\s*netto", 0.92), (r"gesamt\s*netto", 0.92),
        (r"netto\s*-?\s*summe", 0.9), (r"netto", 0.6),
        (r"total\s*ht", 0.95), (r"montant\s*(?:total\s*)?ht", 0.9), (r"sous\s*-?\s*total", 0.85), (r"total\s*hors\s*taxes?", 0.95),
        (r"subtotaal", 0.85), (r"totaal\s*(?:bedrag\s*)?(?:excl\.?|exclusief)(?:\s*btw)?", 0.92), (r"exclusief\s*btw", 0.85), (r"excl\.?\s*btw", 0.85),
        (r"total\s*sales\s*\(?\s*excl(?:uding|\.)?(?:\s*of)?\s*(?:gst|sst|tax)\s*\)?", 0.92),
        (r"(?:total|amount)\s*(?:\(?\s*)?excl\.?(?:uding)?\s*(?:of\s*)?(?:gst|sst)\s*\)?", 0.9),
        (r"base\s*imponible", 0.85), (r"imponibile", 0.85), (r"total\s*parcial", 0.88),
    ],
    "tax": [
        (r"total\s*tax(?:es)?", 0.95), (r"tax\s*total", 0.95), (r"tax\s*amount", 0.9), (r"vat\s*amount", 0.9), (r"sales\s*tax", 0.85),
        (r"vat", 0.72), (r"tax(?:es)?", 0.68), (r"gst", 0.7), (r"total\s*(?:gst|sst)", 0.92), (r"(?:gst|sst)\s*amount", 0.9),
        (r"ust\.?\s*gesamt", 0.95), (r"(?:zzgl\.?|zuz(?:u|ue)gl\.?|zuz(?:u|ue)glich)\s*(?:\d+\s*%\s*)?(?:ust|mwst|umsatzsteuer)\.?", 0.9),
        (r"umsatzsteuer", 0.78), (r"mehrwertsteuer", 0.78), (r"mwst\.?", 0.72), (r"ust\.?", 0.68), (r"steuer\s*-?\s*betrag", 0.8),
        (r"total\s*tva", 0.95), (r"total\s*taxes", 0.95), (r"montant\s*(?:de\s*la\s*)?tva", 0.9), (r"tva", 0.72),
        (r"totaal\s*(?:bedrag\s*)?btw", 0.95), (r"btw\s*-?\s*bedrag", 0.9), (r"btw", 0.72), (r"iva", 0.72),
        (r"total\s*(?:de\s*)?(?:impuestos?|iva)", 0.95), (r"cuota\s*(?:de\s*)?iva", 0.9), (r"impuestos?", 0.68),
    ],
    "payment_terms": [
        (r"payment\s*terms?", 0.95), (r"terms\s*of\s*payment", 0.95), (r"terms", 0.6),
        (r"zahlungs\s*-?\s*bedingungen?", 0.95), (r"zahlungs\s*-?\s*konditionen", 0.9),
        (r"conditions\s*de\s*(?:paiement|reglement)", 0.95), (r"modalites\s*de\s*(?:paiement|reglement)", 0.9),
        (r"betalings\s*-?\s*(?:voorwaarden|termijn|condities)", 0.95), (r"condiciones\s*de\s*pago", 0.95), (r"terminos\s*(?:y\s*condiciones\s*)?de\s*pago", 0.95), (r"termini\s*di\s*pagamento", 0.95),
    ],
    "iban": [(r"iban(?:\s*(?:no\.?|nr\.?|number|code))?", 1.0)],
    "bic": [(r"bic\s*/\s*swift(?:\s*code)?", 1.0), (r"swift\s*/\s*bic", 1.0), (r"swift(?:\s*code)?", 0.95), (r"bic(?:\s*-?\s*code)?", 1.0)],
    "routing_number": [
        (r"(?:aba\s*)?routing\s*(?:number|no\.?|#|transit)?", 1.0), (r"aba(?:\s*(?:number|no\.?|#))?", 0.9), (r"rtn", 0.9),
        (r"transit\s*(?:number|no\.?)", 0.9),
    ],
    "account_number": [
        (r"(?:bank\s*)?account\s*(?:number|no\.?|#)", 0.6), (r"bank\s*account", 0.75), (r"acct\.?\s*(?:no\.?|#|number)?", 0.6),
        (r"kontonummer", 0.8), (r"konto\s*-?\s*nr\.?", 0.8), (r"kto\.?\s*-?\s*nr\.?", 0.8),
        (r"num(?:ero)?\s*de\s*compte", 0.75), (r"rekening\s*-?\s*(?:nummer|nr\.?)", 0.8),
    ],
    "vendor_tax_id": [
        (r"vat\s*(?:reg(?:istration)?\.?\s*)?(?:no\.?|number|id|nr\.?)", 0.9), (r"tax\s*(?:id|number)", 0.8), (r"vat", 0.6),
        (r"ust\s*-?\s*id(?:\s*-?\s*nr\.?)?", 0.95), (r"umsatzsteuer\s*-?\s*id(?:entifikationsnummer)?", 0.95),
        (r"ust\s*-?\s*idnr\.?", 0.95), (r"steuer\s*-?\s*(?:nr\.?|nummer)", 0.7),
        (r"(?:no|numero)\s*(?:de\s*)?tva(?:\s*intra\s*-?\s*communautaire)?", 0.9), (r"tva", 0.6),
        (r"btw\s*-?\s*(?:nummer|nr\.?|id)", 0.9), (r"btw", 0.6), (r"gstin", 0.9), (r"abn", 0.8),
    ],
    # Not wanted, but they must out-match the labels above ("order date" is not a date label).
    "other": [
        (r"customer\s*(?:number|no\.?|id|#|vat\s*number|vat\s*no\.?)", 1.0), (r"kunden\s*-?\s*(?:nummer|nr\.?)", 1.0), (r"klant\s*-?\s*nummer", 1.0),
        (r"(?:numero|no)\s*(?:de\s*)?client", 1.0), (r"client\s*(?:number|no\.?|id)", 1.0), (r"id\.?\s*client", 1.0),
        (r"order\s*(?:number|no\.?|id|#|date)", 1.0), (r"bestell\s*-?\s*(?:nummer|nr\.?|datum)", 1.0), (r"auftrags\s*-?\s*(?:nummer|nr\.?)", 1.0),
        (r"order\s*-?\s*(?:nummer|datum)", 1.0), (r"(?:numero|date)\s*de\s*commande", 1.0), (r"commande", 0.8),
        (r"p\.?\s*o\.?\s*(?:number|no\.?|#)", 1.0), (r"purchase\s*order", 1.0), (r"(?:your|our)\s*ref(?:erence)?\.?", 1.0),
        (r"votre\s*ref(?:erence)?\.?", 1.0), (r"ihre\s*(?:referenz|nummer|zeichen)", 1.0), (r"referentie", 1.0), (r"reference", 0.9),
        (r"delivery\s*date", 1.0), (r"ship(?:ping)?\s*date", 1.0), (r"liefer\s*-?\s*datum", 1.0), (r"leistungs\s*-?\s*datum", 1.0),
        (r"date\s*de\s*livraison", 1.0), (r"lever\s*-?\s*datum", 1.0), (r"check\s*-?\s*(?:in|out)", 1.0),
        (r"date\s*de\s*(?:debut|fin)(?:\s*de\s*(?:la\s*)?[a-z]+)?", 1.0), (r"date\s*de\s*(?:la\s*)?prestation", 1.0),
        (r"(?:(?:service|period|contract)\s*)?(?:start|end)\s*date", 1.0), (r"date\s*of\s*(?:service|supply)", 1.0),
        (r"(?:billing\s*)?period", 1.0), (r"zeitraum", 1.0), (r"periode", 1.0), (r"page", 1.0), (r"seite", 1.0),
        (r"tel(?:ephone|efon)?\.?", 1.0), (r"phone", 1.0), (r"fax", 1.0), (r"e\s*-?\s*mail", 1.0),
        (r"siret", 1.0), (r"siren", 1.0), (r"rcs", 1.0), (r"kvk", 1.0), (r"hrb", 1.0), (r"ape", 1.0),
        (r"(?:numero|no)\s*de\s*dossier", 1.0), (r"contract\s*(?:no\.?|number)", 1.0), (r"service\s*tax", 1.0),
        (r"(?:uw|ihre|votre|your)\s*(?:btw|ust|tva|vat)[\w\s.-]{0,12}", 1.0), (r"(?:n°|no)?\s*tva\s*client", 1.0),
        (r"payment\s*(?:mode|method)", 1.0), (r"zahlungs\s*-?\s*(?:form|art)", 1.0), (r"mode\s*de\s*(?:paiement|reglement)", 1.0),
        (r"unit\s*price", 1.0), (r"quantity", 1.0),
        # when a voucher or credit runs out, not when the invoice was issued or is due
        (r"(?:expir(?:y|es|ation)|will\s*expire|valid\s*(?:until|through|thru|till))(?:\s*(?:date|on))?", 1.0),
        # a tax rate is no tax amount ("Tasa de impuesto 15,00 %")
        (r"(?:tasa|tipo)\s*(?:de\s*)?(?:impuestos?|iva)", 1.0),
        # the number and date of another invoice that this one corrects, credits or follows ("Corrected invoice"
        # and "Korrigierte Rechnung" are not among them: as a title they name the document itself)
        (r"(?:(?:date|" + _NO + r")\s*(?:de\s*(?:la\s*)?)?)?facture\s*(?:associee|d'origine|initiale|precedente|rectifiee)", 1.0),
        (r"(?:original|related|referenced|preceding)\s*invoice(?:\s*(?:date|number|" + _NO + r"))?", 1.0),
        (r"(?:ursprungs|original|bezugs|vorherige)\s*-?\s*rechnung(?:s?\s*-?\s*(?:nummer|nr\.?|datum))?", 1.0),
        (r"(?:oorspronkelijke|originele|gerelateerde)\s*factuur(?:\s*-?\s*(?:nummer|nr\.?|datum))?", 1.0),
        # receipts: what was handed over and given back, counts and savings are not the total
        (r"cash(?:\s*(?:tendered|paid|received))?", 1.0), (r"change(?:\s*due)?", 1.0), (r"tunai", 1.0), (r"baki", 1.0),
        (r"total\s*(?:qty|quantity|items?|pcs|savings?|discount|number)", 1.0), (r"(?:gst|tax)\s*summary", 1.0),
    ],
}

# Blocks that hold the customer's details, not the vendor's (OCR reads the "à" of "Facturé à" as "4a").
BUYER_LABELS = re.compile(
    r"^(?:bill(?:ed)?\s*to|invoice\s*to|sold\s*to|ship(?:ped)?\s*to|deliver(?:ed)?\s*to|delivery\s*address|billing\s*address"
    r"|shipping\s*address|customer|client|buyer|recipient|consignee|attn|guest\s*name|rechnungs\s*-?\s*(?:adresse|empf(?:a|ae)nger)"
    r"|liefer\s*-?\s*(?:adresse|anschrift)|kunde|empf(?:a|ae)nger|adresse\s*de\s*(?:facturation|livraison)|factur[ee]\s*4?a|livr[ee]\s*4?a"
    r"|destinataire|factuur\s*-?\s*adres|aflever\s*-?\s*adres|lever\s*-?\s*adres|klant|nom\s*de\s*l'abonne"
    r"|cliente|datos\s*(?:del\s*)?cliente|facturar\s*a|cobrar\s*a|envi(?:ar|e)\s*a|direccion\s*de\s*(?:facturacion|envio)|to(?=\s*:)"
    r"|k(?:a|ae)ufer|acheteur|koper|comprador)\b"
)

# Phrases that name the seller right after them.
SELLER_LABELS = re.compile(
    r"(?:sold\s*by|seller|vendor|supplier|service\s*provider|issued\s*by|payee|pay\s*to|remit\s*to|make\s*(?:checks|cheques)\s*payable\s*to"
    r"|payable\s*to|beneficiary|account\s*(?:holder|name)|payment\s*received\s*by|verk(?:a|ae)ufer|lieferant|rechnungs\s*-?\s*steller"
    r"|kontoinhaber|vendeur|fournisseur|emetteur|titulaire\s*du\s*compte|beneficiaire|leverancier|verkoper|begunstigde"
    r"|ten\s*name\s*van|t\.?\s*n\.?\s*v\.?"
    # "Bill from", "Invoice from", and "From:" with its colon (a bare "from" is any sentence's)
    r"|(?:bill(?:ed)?|invoice)\s*from|(?<!\w)from(?=\s*:))\s*[:.]?\s*"
)


@dataclass(frozen=True)
class LabelHit:
    field: str
    start: int
    end: int
    weight: float
    text: str


def _compile(field: str, entries: list[tuple[str, float]]) -> tuple[re.Pattern[str], list[float]]:
    parts = []
    weights = []
    # Python tries alternatives in order: longer (more specific) labels first.
    entries = sorted(entries, key=lambda e: -len(e[0]))
    for i, (pat, w) in enumerate(entries):
        if pat.startswith("^"):
            parts.append(f"(?P<g{i}>{pat})")
        else:
            parts.append(f"(?P<g{i}>(?<![a-z0-9_]){pat}(?![a-z_]))")
        weights.append(w)
    return re.compile("|".join(parts)), weights


_COMPILED = {f: _compile(f, e) for f, e in LABELS.items()}
_ANY_LABEL_START = re.compile(r"[a-z#]")


def scan_labels(norm: str) -> list[LabelHit]:
    """All labels in a folded segment text; overlaps resolved longest-first."""
    if not _ANY_LABEL_START.search(norm):
        return []
    found: list[LabelHit] = []
    for field, (pattern, weights) in _COMPILED.items():
        pos = 0
        while True:
            m = pattern.search(norm, pos)
            if not m:
                break
            i = int(m.lastgroup[1:])  # type: ignore[index]
            if m.end() > m.start():
                found.append(LabelHit(field, m.start(), m.end(), weights[i], norm[m.start():m.end()]))
            pos = m.start() + 1
    found.sort(key=lambda h: (-(h.end - h.start), -h.weight, h.start))
    kept: list[LabelHit] = []
    for h in found:
        # the same words can label two fields ("VAT": the tax amount or the VAT id)
        if all(h.end <= k.start or h.start >= k.end or (h.start == k.start and h.end == k.end and h.field != k.field)
               for k in kept):
            kept.append(h)
    kept.sort(key=lambda h: h.start)
    return kept
