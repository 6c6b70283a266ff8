"""Bytes to a ``Document``: choose the layer per page (text layer, or OCR when it is unusable).

Time and resource limits are enforced here: only the first ``max_pages`` pages
are read, pages are rendered within ``max_pixels``, OCR stops at the deadline.
"""
from __future__ import annotations

import html
import re
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import pypdfium2 as pdfium

from . import ocr as _ocr
from . import pdf as _pdf
from .intake import open_image
from .layout import Document, Page, Word
from .model import Limits, Rejected

RENDER_DPI = 300
MAX_OCR_WORKERS = 2


@dataclass
class ReadOut:
    doc: Document | None
    xml: bytes | None = None
    pages: int = 0
    warnings: list[str] = field(default_factory=list)
    #: a second reading of the scanned pages, compared field by field (``engine``: a till receipt whose total
    #: is in doubt is read again as one block)
    alt_doc: Document | None = None
    #: the open PDF, kept for OCR of pictures on text pages; the caller closes it (``release``)
    pdf: pdfium.PdfDocument | None = None

    def release(self) -> None:
        """Close the PDF and let go of the page images kept for a second reading (the documents outlive the
        reading, in the extraction result)."""
        if self.pdf is not None:
            self.pdf.close()
            self.pdf = None
        for doc in (self.doc, self.alt_doc):
            for page in doc.pages if doc is not None else ():
                page.prepared = None


def read_pdf(data: bytes, limits: Limits, deadline: float, langs: str) -> ReadOut:
    pdf = _pdf.open_pdf(data)
    try:
        try:
            n = len(pdf)
        except pdfium.PdfiumError:
            raise Rejected("corrupt_pdf", "The PDF is damaged: its page tree cannot be read.") from None
        if n == 0:
            raise Rejected("corrupt_pdf", "The PDF has no pages.")
        out = ReadOut(None, _pdf.embedded_xml(pdf), n)
        count = min(n, limits.max_pages)
        if n > count:
            out.warnings.append(f"only the first {count} of {n} pages were read")
        pages: dict[int, Page] = {}
        need_ocr: list[int] = []
        for i in range(count):
            if time.monotonic() > deadline:
                out.warnings.append(f"time limit reached after {i} pages")
                break
            try:
                page, stats = _pdf.read_text_page(pdf, i)
            except pdfium.PdfiumError:
                out.warnings.append(f"page {i + 1} could not be read")
                continue
            if stats.usable:
                pages[i] = page
            elif _has_content(pdf, i):
                need_ocr.append(i)
        if need_ocr:
            def render(i: int):
                img, scale = _pdf.render_page(pdf, i, RENDER_DPI, limits.max_pixels)
                return img, 72.0 * scale

            pages.update(_ocr_pages(need_ocr, render, deadline, langs, out.warnings))
        if not pages:
            if need_ocr and time.monotonic() > deadline:
                raise Rejected("timeout", "Reading the document took longer than the time limit.")
            out.doc = Document([], "text")
            out.pdf = pdf
            return out
        ordered = [pages[i] for i in sorted(pages)]
        layer = "ocr" if any(p.layer == "ocr" for p in ordered) else "text"
        out.doc = Document(ordered, layer)
        out.pdf = pdf
        return out
    except Exception:
        pdf.close()
        raise


def _has_content(pdf: pdfium.PdfDocument, index: int) -> bool:
    """A blank page is not worth OCR: does the page draw anything at all?"""
    page = pdf[index]
    try:
        return pdfium.raw.FPDFPage_CountObjects(page.raw) > 0
    finally:
        page.close()


def ocr_images_on_page(out: ReadOut, page: Page, limits: Limits, deadline: float, langs: str) -> int:
    """OCR the images placed on a text page (a letterhead or bank block drawn as a picture).

    Their words are added to the page; returns how many were added.
    """
    pdf = out.pdf
    if pdf is None or deadline - time.monotonic() < 3.0:
        return 0
    boxes = [b for b in _pdf.image_boxes(pdf, page.index)
             if (b[2] - b[0]) * (b[3] - b[1]) > 0.01 * page.width * page.height and (b[3] - b[1]) > 12]
    added = 0
    for box in boxes[:3]:
        img, scale = _pdf.render_page(pdf, page.index, RENDER_DPI, limits.max_pixels, crop=box)
        try:
            # scale is pixels per point, so the crop's resolution is 72 * scale dpi and
            # the OCR words come back in points relative to the crop's corner
            sub = _ocr.ocr_page(img, page.index, dpi_hint=72.0 * scale,
                                deadline=min(deadline, time.monotonic() + 5.0), langs=langs)
        except (TimeoutError, _ocr.OcrUnavailable):
            break
        for w in sub.words:
            if w.conf >= 0.5:
                page.words.append(Word(w.text, box[0] + w.x0, box[1] + w.y0, box[0] + w.x1, box[1] + w.y1, w.conf))
                added += 1
    if added:
        page.rebuild()
    return added


def _ocr_pages(indexes: list[int], render, deadline: float, langs: str,
               warnings: list[str], as_block: bool = False, keep_images: bool = False) -> dict[int, Page]:
    """OCR pages on both cores, one pass per page.

    Pages are rendered (or decoded) one at a time in this thread — PDFium and
    Pillow images are not thread-safe — with at most a few in flight, so memory
    stays flat however many pages a scan has. ``keep_images``: keep each page's
    prepared image for a second reading (``Page.prepared``), else let it go.
    """
    pages: dict[int, Page] = {}

    def one(i: int, img, dpi):
        return i, _ocr.ocr_page(img, i, dpi_hint=dpi, deadline=deadline, langs=langs, as_block=as_block)

    def keep(i: int, page: Page) -> None:
        if not keep_images:
            page.prepared = None
        pages[i] = page

    def collect(fut) -> None:
        try:
            i, page = fut.result()
        except TimeoutError:
            warnings.append("time limit reached during OCR; some pages were not read")
            return
        keep(i, page)

    try:
        if len(indexes) == 1:  # the common case: no thread hand-off
            img, dpi = render(indexes[0])
            try:
                keep(indexes[0], _ocr.ocr_page(img, indexes[0], dpi_hint=dpi, deadline=deadline, langs=langs,
                                               as_block=as_block))
            except TimeoutError:
                warnings.append("time limit reached during OCR; some pages were not read")
            return pages
        with ThreadPoolExecutor(max_workers=MAX_OCR_WORKERS) as pool:
            pending: deque = deque()
            for i in indexes:
                if time.monotonic() > deadline:
                    warnings.append("time limit reached; later pages were not read")
                    break
                img, dpi = render(i)
                pending.append(pool.submit(one, i, img, dpi))
                del img
                while len(pending) > MAX_OCR_WORKERS:
                    collect(pending.popleft())
            while pending:
                collect(pending.popleft())
    except _ocr.OcrUnavailable as exc:
        raise Rejected("ocr_unavailable", f"OCR is not available on this server: {exc}") from None
    return pages


def read_again_as_block(out: ReadOut, data: bytes, limits: Limits, deadline: float, langs: str) -> Document:
    """The image's pages read again, single-column ones as one block: from the images the first reading
    prepared (``ocr.read_as_block``), else from the file."""
    pages = out.doc.pages if out.doc is not None else []
    try:
        again = [_ocr.read_as_block(p, deadline, langs) for p in pages]
    except TimeoutError:
        raise Rejected("timeout", "Reading the image took longer than the time limit.") from None
    except _ocr.OcrUnavailable as exc:
        raise Rejected("ocr_unavailable", f"OCR is not available on this server: {exc}") from None
    if pages and all(p is not None for p in again):
        return Document(again, "ocr")
    return read_image(data, limits, deadline, langs, as_block=True).doc


def read_image(data: bytes, limits: Limits, deadline: float, langs: str, as_block: bool = False) -> ReadOut:
    """OCR every frame of an image; ``as_block``: read single-column pages as one block (``ocr.ocr_page``)."""
    source = open_image(data, limits)
    out = ReadOut(None, None, source.count)
    pages = _ocr_pages(list(range(source.count)), source.frame, deadline, langs, out.warnings, as_block,
                       keep_images=not as_block)  # a photographed receipt may be read again (``read_again_as_block``)
    if not pages:
        raise Rejected("timeout", "Reading the image took longer than the time limit.")
    out.doc = Document([pages[i] for i in sorted(pages)], "ocr")
    return out


_BLOCK_TAGS = re.compile(r"(?i)<\s*(?:br|/p|/div|/tr|/h\d|/li|/table|p|div|tr|h\d|li)\b[^>]*>")
_CELL_TAGS = re.compile(r"(?i)<\s*/?\s*t[dh]\b[^>]*>")


def read_text(data: bytes, mime: str) -> ReadOut:
    """Plain text or HTML (an invoice in an e-mail body): one row per line, cells as columns."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    if mime == "text/html":
        text = re.sub(r"(?is)<(script|style|head)\b.*?</\1\s*>", " ", text)
        text = _CELL_TAGS.sub("\t", text)
        text = _BLOCK_TAGS.sub("\n", text)
        text = html.unescape(re.sub(r"<[^>]+>", " ", text))
    words: list[Word] = []
    char_w, line_h = 6.0, 12.0
    for r, line in enumerate(l for l in text.splitlines() if l.strip()):
        line = line.replace("\t", "      ")
        for m in re.finditer(r"\S+", line):
            x0 = m.start() * char_w
            words.append(Word(m.group(0), x0, r * line_h, x0 + len(m.group(0)) * char_w, r * line_h + 10.0))
    width = max((w.x1 for w in words), default=595.0)
    height = max((w.y1 for w in words), default=842.0)
    page = Page(index=0, width=width, height=height, layer="text", words=words)
    return ReadOut(Document([page], "text"), None, 1)
