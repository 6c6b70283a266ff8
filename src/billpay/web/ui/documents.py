"""Page images of a bill's source document, so the review screen can draw boxes over them.

PDF pages are rendered with pypdfium2; images are served as PNG (TIFF and
other formats converted). Boxes from extraction are page fractions, so they
fit any rendering size.
"""
from __future__ import annotations

import io
import threading
from collections import OrderedDict

MAX_PAGES = 10
TARGET_WIDTH = 1100
_lock = threading.Lock()  # pdfium is not thread-safe
_cache: OrderedDict[tuple[str, int], bytes | None] = OrderedDict()
_CACHE_SIZE = 48


def page_count(data: bytes, mime: str) -> int:
    if mime == "application/pdf":
        import pypdfium2 as pdfium

        with _lock:
            try:
                pdf = pdfium.PdfDocument(data)
            except Exception:  # noqa: BLE001 - an unreadable PDF shows no pages, not an error
                return 0
            try:
                return min(len(pdf), MAX_PAGES)
            finally:
                pdf.close()
    return 1 if mime.startswith("image/") else 0


def page_png(sha256: str, data: bytes, mime: str, index: int) -> bytes | None:
    """PNG of page ``index`` (cached by file hash and page)."""
    key = (sha256, index)
    with _lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    png = _render(data, mime, index)
    with _lock:
        _cache[key] = png
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return png


def _render(data: bytes, mime: str, index: int) -> bytes | None:
    from PIL import Image

    if mime == "application/pdf":
        import pypdfium2 as pdfium

        with _lock:
            pdf = pdfium.PdfDocument(data)
            try:
                if not 0 <= index < min(len(pdf), MAX_PAGES):
                    return None
                page = pdf[index]
                width = page.get_width() or 612
                image = page.render(scale=min(3.0, TARGET_WIDTH / width)).to_pil()
            finally:
                pdf.close()
    elif mime.startswith("image/") and index == 0:
        image = Image.open(io.BytesIO(data))
        image.draft("RGB", (TARGET_WIDTH * 2, TARGET_WIDTH * 3))
        if image.width * image.height > 40_000_000:
            return None
        image = image.convert("RGB")
        if image.width > TARGET_WIDTH * 2:
            image.thumbnail((TARGET_WIDTH * 2, TARGET_WIDTH * 4))
    else:
        return None
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return out.getvalue()
