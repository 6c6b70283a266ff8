"""Bad input never raises: each case gives a clear rejected (or partial) result within the limits."""
from __future__ import annotations

import io
import random
import struct
import zlib

import pypdfium2 as pdfium
import pytest
from PIL import Image, ImageFile

from billpay.capture.extraction import Limits, extract_document

from .pdfgen import invoice_page, make_pdf


def _rejected(result, code: str) -> None:
    assert result.status == "rejected", result
    assert result.reason_code == code
    assert result.reason and len(result.reason) > 10
    assert result.fields == {}


def test_zero_byte_file():
    _rejected(extract_document(b"", "empty.pdf"), "empty_file")


def test_executable_named_pdf_is_refused_by_its_bytes():
    elf = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 200
    r = extract_document(elf, "invoice.pdf")
    _rejected(r, "unsupported_type")
    assert "executable" in r.reason
    _rejected(extract_document(b"MZ\x90\x00" + b"\x00" * 100, "bill.pdf"), "unsupported_type")
    rnd = random.Random(1)
    _rejected(extract_document(bytes(rnd.randrange(256) for _ in range(500))), "unsupported_type")


def test_truncated_pdf():
    data = make_pdf([invoice_page()])
    r = extract_document(data[: len(data) // 3], "cut.pdf")
    assert r.status in ("rejected", "partial")
    if r.status == "rejected":
        assert r.reason_code in ("corrupt_pdf", "no_text")
    _rejected(extract_document(b"%PDF-1.7\n" + b"garbage " * 50), "corrupt_pdf")


def test_encrypted_pdf():
    r = extract_document(make_pdf([invoice_page()], encrypt=True), "locked.pdf")
    _rejected(r, "encrypted_pdf")
    assert "password" in r.reason


@pytest.fixture
def opened_pages(monkeypatch):
    """The index of every PDF page the extractor opens, whatever part of it opens one."""
    opened: list[int] = []
    get_page = pdfium.PdfDocument.get_page

    def spy(self, index):
        opened.append(index)
        return get_page(self, index)

    monkeypatch.setattr(pdfium.PdfDocument, "get_page", spy)
    return opened


def test_two_thousand_pages_reads_only_max_pages(opened_pages):
    data = make_pdf([invoice_page()], repeat=2000)
    r = extract_document(data, "huge.pdf")
    assert r.status == "ok" and r.pages == 2000 and r.pages_read == 50
    assert any("first 50 of 2000" in w for w in r.warnings)
    # the pages past the limit are never opened, so their cost is not paid
    assert opened_pages and max(opened_pages) == 49
    opened_pages.clear()
    r = extract_document(data, limits=Limits(max_pages=3))
    assert r.pages_read == 3
    assert max(opened_pages) == 2


def test_file_over_the_byte_limit():
    _rejected(extract_document(make_pdf([invoice_page()]), limits=Limits(max_bytes=1000)), "file_too_large")


@pytest.fixture
def decoded(monkeypatch):
    """The size of every image whose pixels Pillow decodes: a refused image must be refused from its header."""
    sizes: list[tuple[int, int]] = []
    load = ImageFile.ImageFile.load

    def spy(self):
        sizes.append(self.size)
        return load(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", spy)
    return sizes


def test_hundred_megapixel_image_is_refused_before_decoding(decoded):
    buf = io.BytesIO()
    Image.new("1", (10_000, 10_000), 1).save(buf, "PNG")
    r = extract_document(buf.getvalue(), "photo.png")
    _rejected(r, "image_too_large")
    assert "100.0 megapixels" in r.reason or "too many pixels" in r.reason
    assert decoded == []
    # a stricter limit applies to smaller images too
    small = io.BytesIO()
    Image.new("L", (2000, 1000), 255).save(small, "PNG")
    _rejected(extract_document(small.getvalue(), limits=Limits(max_pixels=1_000_000)), "image_too_large")


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def test_png_decompression_bomb(decoded):
    # 60,000 x 60,000 pixels declared; a few hundred bytes of compressed zeros that would inflate to 3.6 GB
    ihdr = struct.pack(">IIBBBBB", 60_000, 60_000, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1_000_000, 9)
    bomb = b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", idat) + _png_chunk(b"IEND", b"")
    assert len(bomb) < 10_000
    r = extract_document(bomb, "bomb.png")
    _rejected(r, "image_too_large")
    assert decoded == []


def test_damaged_image():
    _rejected(extract_document(b"\x89PNG\r\n\x1a\n" + b"\x00" * 50), "corrupt_image")


def test_xml_entities_are_not_resolved():
    xxe = (b'<?xml version="1.0"?><!DOCTYPE Invoice [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
           b'<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"><ID>&e;</ID></Invoice>')
    r = extract_document(xxe)
    assert r.status in ("rejected", "partial")
    assert "root:" not in repr(r.to_dict())


def test_time_limit_on_a_scan():
    img = Image.new("L", (1654, 2339), 255)
    buf = io.BytesIO()
    img.save(buf, "PNG")
    r = extract_document(buf.getvalue(), limits=Limits(timeout_s=0.2))
    _rejected(r, "timeout")


def test_blank_pdf_page_is_partial_or_rejected_not_an_error():
    r = extract_document(make_pdf([[]]))
    assert r.status == "rejected" and r.reason_code == "no_text"


@pytest.mark.parametrize("seed", range(12))
def test_mutated_pdfs_never_raise(seed):
    rnd = random.Random(seed)
    data = bytearray(make_pdf([invoice_page()]))
    for _ in range(rnd.randint(1, 40)):
        i = rnd.randrange(20, len(data))
        data[i] = rnd.randrange(256)
    r = extract_document(bytes(data), "mutated.pdf", limits=Limits(timeout_s=10))
    assert r.status in ("ok", "partial", "rejected")
    assert r.to_dict()["status"] == r.status
