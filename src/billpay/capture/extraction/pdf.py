"""PDF access through PDFium (pypdfium2): embedded e-invoice XML, text layer with boxes, rendering."""
from __future__ import annotations

import ctypes
import re
import unicodedata
from dataclasses import dataclass

import pypdfium2 as pdfium
import pypdfium2.raw as raw
from PIL import Image

from .layout import Page, Word
from .model import Rejected

# Attachment names used by Factur-X / ZUGFeRD 1-2 / XRechnung, best first.
_XML_NAMES = ("factur-x.xml", "zugferd-invoice.xml", "xrechnung.xml", "order-x.xml")
MAX_XML_BYTES = 5 * 1024 * 1024


def open_pdf(data: bytes) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        code = getattr(exc, "err_code", None)
        if code == raw.FPDF_ERR_PASSWORD or "password" in str(exc).lower():
            raise Rejected("encrypted_pdf", "The PDF is password-protected; remove the password and upload it again.") from None
        if code == raw.FPDF_ERR_SECURITY:
            raise Rejected("encrypted_pdf", "The PDF uses an unsupported security handler.") from None
        raise Rejected("corrupt_pdf", "The PDF is damaged or incomplete and cannot be read.") from None


def embedded_xml(pdf: pdfium.PdfDocument) -> bytes | None:
    """The e-invoice XML attached to the PDF (Factur-X/ZUGFeRD/XRechnung), if any."""
    try:
        n = pdf.count_attachments()
    except pdfium.PdfiumError:
        return None
    found: list[tuple[int, bytes]] = []
    for i in range(min(n, 50)):
        try:
            att = pdf.get_attachment(i)
            name = (att.get_name() or "").lower()
            if not name.endswith(".xml"):
                continue
            data = bytes(att.get_data())
        except (pdfium.PdfiumError, OSError, ValueError):
            continue
        if not data or len(data) > MAX_XML_BYTES:
            continue
        rank = _XML_NAMES.index(name) if name in _XML_NAMES else len(_XML_NAMES)
        found.append((rank, data))
    if not found:
        return None
    return sorted(found, key=lambda t: t[0])[0][1]


@dataclass
class TextStats:
    chars: int
    printable_share: float
    words: int
    good_words: int

    @property
    def usable(self) -> bool:
        """Is this text layer worth reading, or should the page be OCRed?

        Judged by quality, not length: fonts without a ToUnicode map give
        plenty of characters that are control codes or private-use glyphs.
        """
        if self.words < 6 or self.printable_share < 0.85:
            return False
        return self.good_words >= 6 and self.good_words >= 0.45 * self.words


_GOOD_WORD = re.compile(r"^(?:[^\W\d_]{2,}|[\d.,:/€$£%-]*\d[\d.,:/€$£%-]*)$")
_VOWELS = set("aeiouyäöüéèêàâîôûAEIOUYÄÖÜÉÈ")


def _is_good(token: str) -> bool:
    t = token.strip("()[]{}:;,.!?\"'«»")
    if not t or not _GOOD_WORD.match(t):
        return False
    if t[0].isalpha():
        return any(c in _VOWELS for c in t) and not (len(t) > 3 and t == t[0] * len(t))
    return True


def _affine(page: pdfium.PdfPage, width: float, height: float):
    """Page space -> top-left-origin display space (honours /Rotate and CropBox offsets)."""
    scale = 10.0  # PageToDevice returns integers; work at 0.1 pt resolution
    dev_w, dev_h = int(width * scale), int(height * scale)
    dx, dy = ctypes.c_int(), ctypes.c_int()

    def to_dev(x: float, y: float) -> tuple[float, float]:
        raw.FPDF_PageToDevice(page.raw, 0, 0, dev_w, dev_h, 0, x, y, dx, dy)
        return dx.value / scale, dy.value / scale

    ox, oy = to_dev(0.0, 0.0)
    ax, ay = to_dev(1000.0, 0.0)
    bx, by = to_dev(0.0, 1000.0)
    a, b = (ax - ox) / 1000, (ay - oy) / 1000
    c, d = (bx - ox) / 1000, (by - oy) / 1000
    return lambda x, y: (ox + a * x + c * y, oy + b * x + d * y)


def read_text_page(pdf: pdfium.PdfDocument, index: int) -> tuple[Page, TextStats]:
    """Words with boxes from the text layer of one page (points, y downwards)."""
    page = pdf[index]
    try:
        width, height = page.get_size()
        tx = _affine(page, width, height)
        textpage = page.get_textpage()
        try:
            words, stats = _words(textpage, tx)
        finally:
            textpage.close()
    finally:
        page.close()
    return Page(index=index, width=width, height=height, layer="text", words=words), stats


#: spacing accents that TeX's older font encoding draws as glyphs of their own before the letter ("L´azaro")
_SPACING_ACCENT = {"\u00b4": "\u0301", "`": "\u0300", "\u00a8": "\u0308", "\u02c6": "\u0302",
                   "\u02dc": "\u0303", "\u00b8": "\u0327", "\u02c7": "\u030c"}
_ACCENT_THEN_LETTER = re.compile("([" + re.escape("".join(_SPACING_ACCENT)) + "])([A-Za-z])")


def _compose(text: str) -> str:
    """Each spacing accent before a letter that has an accented form (``á``, ``ñ``, ``ç``) made that letter."""
    def one(m: re.Match) -> str:
        letter = unicodedata.normalize("NFC", m[2] + _SPACING_ACCENT[m[1]])
        return letter if len(letter) == 1 else m[0]
    return _ACCENT_THEN_LETTER.sub(one, text)


def _with_accents_composed(words: list[Word]) -> list[Word]:
    """Words with a spacing accent before a letter composed into the accented letter ("L´azaro" -> "Lázaro"),
    and a word that starts with one joined to the word it is drawn against ("M ´onica" -> "Mónica")."""
    out: list[Word] = []
    for w in words:
        if not _ACCENT_THEN_LETTER.search(w.text):
            out.append(w)
            continue
        prev = out[-1] if out else None
        if (prev is not None and _ACCENT_THEN_LETTER.match(w.text) and prev.text[-1:].isalpha()
                and abs(prev.y0 - w.y0) < 0.5 * prev.h and -0.1 * prev.h <= w.x0 - prev.x1 < 0.6 * prev.h):
            out[-1] = Word(_compose(prev.text + w.text), prev.x0, min(prev.y0, w.y0), w.x1, max(prev.y1, w.y1))
        else:
            out.append(Word(_compose(w.text), w.x0, w.y0, w.x1, w.y1))
    return out


def _words(textpage: pdfium.PdfTextPage, tx) -> tuple[list[Word], TextStats]:
    n = textpage.count_chars()
    rect = raw.FS_RECTF()
    words: list[Word] = []
    cur: list[str] = []
    box: list[float] = []
    printable = 0
    total = 0
    last_x1 = last_cy = last_h = None

    def flush() -> None:
        nonlocal cur, box
        if cur:
            text = "".join(cur)
            if text.strip():
                words.append(Word(text, box[0], box[1], box[2], box[3]))
        cur, box = [], []

    high = 0
    for i in range(n):
        code = raw.FPDFText_GetUnicode(textpage.raw, i)
        # PDFium hands out UTF-16 code units: join surrogate pairs (emoji, symbols).
        if 0xD800 <= code <= 0xDBFF:
            high = code
            continue
        if 0xDC00 <= code <= 0xDFFF:
            code = 0x10000 + ((high - 0xD800) << 10) + (code - 0xDC00) if high else 0xFFFD
        high = 0
        ch = chr(code) if 0 < code < 0x110000 else "\ufffd"
        if ch in " \t\r\n\u00a0\u2002\u2003\u2009\u202f\x02" or raw.FPDFText_IsGenerated(textpage.raw, i) == 1:
            flush()
            last_x1 = None
            continue
        total += 1
        cat = unicodedata.category(ch)
        if ch != "\ufffd" and cat[0] != "C":
            printable += 1
        if not raw.FPDFText_GetLooseCharBox(textpage.raw, i, rect):
            continue
        (x0, y0), (x1, y1) = tx(rect.left, rect.top), tx(rect.right, rect.bottom)
        x0, x1 = min(x0, x1), max(x0, x1)
        y0, y1 = min(y0, y1), max(y0, y1)
        h = max(y1 - y0, 0.1)
        cy = (y0 + y1) / 2
        # no explicit space: split on a visible gap or a jump to another line
        if last_x1 is not None and (x0 - last_x1 > 0.22 * h or x0 < last_x1 - 2.0 * h or abs(cy - last_cy) > 0.5 * min(h, last_h)):
            flush()
        cur.append(ch)
        if box:
            box = [min(box[0], x0), min(box[1], y0), max(box[2], x1), max(box[3], y1)]
        else:
            box = [x0, y0, x1, y1]
        last_x1, last_cy, last_h = x1, cy, h
    flush()
    words = _with_accents_composed(words)
    good = sum(1 for w in words if _is_good(w.text))
    stats = TextStats(chars=total, printable_share=(printable / total) if total else 0.0, words=len(words), good_words=good)
    return words, stats


def image_boxes(pdf: pdfium.PdfDocument, index: int) -> list[tuple[float, float, float, float]]:
    """Boxes (points, y downwards) of the images placed on a page."""
    page = pdf[index]
    try:
        width, height = page.get_size()
        tx = _affine(page, width, height)
        out = []
        for obj in page.get_objects(filter=[raw.FPDF_PAGEOBJ_IMAGE], max_depth=2):
            left, bottom, right, top = obj.get_bounds()
            (x0, y0), (x1, y1) = tx(left, top), tx(right, bottom)
            out.append((min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)))
        return out
    except pdfium.PdfiumError:
        return []
    finally:
        page.close()


def render_page(pdf: pdfium.PdfDocument, index: int, dpi: float, max_pixels: int,
                crop: tuple[float, float, float, float] | None = None) -> tuple[Image.Image, float]:
    """Render a page (or a region of it, in points) in grayscale; returns the image and the scale used.

    The scale is lowered when the page is so large that the bitmap would pass
    ``max_pixels`` (a PDF can declare a 200-inch page).
    """
    page = pdf[index]
    try:
        width, height = page.get_size()
        scale = dpi / 72.0
        if crop:
            cw, ch = crop[2] - crop[0], crop[3] - crop[1]
        else:
            cw, ch = width, height
        pixels = cw * ch * scale * scale
        budget = min(max_pixels, 25_000_000)
        if pixels > budget:
            scale *= (budget / pixels) ** 0.5
        kwargs = {}
        if crop:
            kwargs["crop"] = (crop[0] * 1.0, height - crop[3], width - crop[2], crop[1])
        bitmap = page.render(scale=scale, grayscale=True, **kwargs)
        image = bitmap.to_pil()
        return (image.convert("L") if image.mode != "L" else image), scale
    finally:
        page.close()
