"""A tiny PDF writer for test documents: text at positions, attachments, many pages, a fake /Encrypt.

Written by hand (no PDF library) so that tests can build exactly the
malformed or extreme files they need.
"""
from __future__ import annotations

import zlib

Text = tuple[float, float, float, str]  # x, y (from the bottom), font size, text


def _esc(s: str) -> bytes:
    raw = s.encode("cp1252", errors="replace")
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def content(lines: list[Text]) -> bytes:
    out = [b"BT"]
    for x, y, size, text in lines:
        out.append(b"/F1 %.1f Tf 1 0 0 1 %.1f %.1f Tm (%s) Tj" % (size, x, y, _esc(text)))
    out.append(b"ET")
    return b"\n".join(out)


def make_pdf(pages: list[list[Text]], *, attachments: dict[str, bytes] | None = None, encrypt: bool = False,
             size: tuple[float, float] = (595.0, 842.0), repeat: int = 1) -> bytes:
    """Build a PDF. ``repeat`` > 1 repeats the page list that many times, sharing content streams."""
    objs: list[bytes] = []

    def add(body: bytes) -> int:
        objs.append(body)
        return len(objs)

    font = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    streams = []
    for lines in pages:
        data = zlib.compress(content(lines))
        streams.append(add(b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data) + data + b"\nendstream"))
    pages_id = len(objs) + 1
    add(b"")  # placeholder for /Pages
    kids = []
    for _ in range(repeat):
        for sid in streams:
            kids.append(add(b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %.1f %.1f] /Contents %d 0 R "
                            b"/Resources << /Font << /F1 %d 0 R >> >> >>" % (pages_id, size[0], size[1], sid, font)))
    objs[pages_id - 1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % k for k in kids), len(kids))
    names = b""
    if attachments:
        entries = []
        for name, data in attachments.items():
            ef = add(b"<< /Type /EmbeddedFile /Subtype /text#2Fxml /Length %d >>\nstream\n" % len(data) + data + b"\nendstream")
            spec = add(b"<< /Type /Filespec /F (%s) /UF (%s) /AFRelationship /Data /EF << /F %d 0 R >> >>"
                       % (name.encode(), name.encode(), ef))
            entries.append((name, spec))
        arr = b" ".join(b"(%s) %d 0 R" % (n.encode(), s) for n, s in entries)
        names = b" /Names << /EmbeddedFiles << /Names [%s] >> >>" % arr
    catalog = add(b"<< /Type /Catalog /Pages %d 0 R%s >>" % (pages_id, names))
    encrypt_ref = b""
    if encrypt:
        # A standard security handler whose user password is not empty: readers must ask for it.
        enc = add(b"<< /Filter /Standard /V 1 /R 2 /O <" + b"11" * 32 + b"> /U <" + b"22" * 32 + b"> /P -4 >>")
        encrypt_ref = b" /Encrypt %d 0 R /ID [<00112233445566778899aabbccddeeff> <00112233445566778899aabbccddeeff>]" % enc
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root %d 0 R%s >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, catalog, encrypt_ref, xref)
    return bytes(out)


def invoice_page(vendor: str = "Nordlicht Technik GmbH", number: str = "RE-2024-0042", date: str = "14.03.2024",
                 total: str = "1.190,00 €", extra: list[Text] | None = None) -> list[Text]:
    """A small German invoice page with the usual labels."""
    lines: list[Text] = [
        (50, 790, 16, vendor),
        (50, 774, 9, "Lindenstraße 5 - 10115 Berlin - info@nordlicht-technik.de"),
        (50, 700, 9, "Rechnungsempfänger: Muster AG, Hauptstraße 1, 80331 München"),
        (50, 640, 10, f"Rechnungsnummer: {number}"),
        (50, 626, 10, f"Rechnungsdatum: {date}"),
        (50, 612, 10, "Zahlungsbedingungen: Zahlbar innerhalb 14 Tagen netto"),
        (50, 560, 10, "Beschreibung"), (400, 560, 10, "Betrag"),
        (50, 545, 10, "Wartung Heizungsanlage"), (400, 545, 10, "1.000,00 €"),
        (300, 500, 10, "Nettobetrag:"), (400, 500, 10, "1.000,00 €"),
        (300, 486, 10, "MwSt. 19%:"), (400, 486, 10, "190,00 €"),
        (300, 472, 10, "Rechnungsbetrag:"), (400, 472, 10, total),
        (50, 400, 9, "IBAN DE89 3704 0044 0532 0130 00   BIC COBADEFFXXX"),
        (50, 386, 9, "USt-IdNr.: DE123456789"),
    ]
    return lines + (extra or [])
