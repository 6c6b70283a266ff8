"""Tesseract OCR of page images, with word boxes and orientation handling.

Tesseract runs as a subprocess per page (pytesseract). OpenMP threading inside
one Tesseract process made a page 8x slower on a 2-core machine (5 s instead of
0.6 s), so it is limited to one thread; pages run in parallel instead.
"""
from __future__ import annotations

import os
import time

from PIL import Image, ImageFilter

from .layout import Page, Word

os.environ.setdefault("OMP_THREAD_LIMIT", "1")

import pytesseract  # noqa: E402  (after OMP_THREAD_LIMIT, which its subprocesses inherit)

DEFAULT_LANGS = "eng+deu+fra"
TARGET_DPI = 300
_available: set[str] | None = None


class OcrUnavailable(RuntimeError):
    pass


def languages(wanted: str = DEFAULT_LANGS) -> str:
    """The subset of ``wanted`` language packs that are installed (``eng`` at least)."""
    global _available
    if _available is None:
        try:
            _available = set(pytesseract.get_languages(config=""))
        except (pytesseract.TesseractNotFoundError, OSError, RuntimeError) as exc:
            raise OcrUnavailable(str(exc)) from None
    langs = [l for l in wanted.split("+") if l in _available]
    return "+".join(langs) or ("eng" if "eng" in _available else next(iter(_available), "eng"))


def estimate_dpi(image: Image.Image, dpi_hint: float | None) -> float:
    if dpi_hint and 50 <= dpi_hint <= 1200:
        return float(dpi_hint)
    # No usable resolution: assume a portrait A4/Letter page (8.3 in wide) or a landscape one.
    w, h = image.size
    return max(min(w, h) / 8.3, 40.0)


def prepare(image: Image.Image, dpi: float, variant: str = "gray") -> tuple[Image.Image, float]:
    """Clean a page image for Tesseract; returns the image and the scale applied.

    ``gray``: specks removed with a 3x3 median, then resampled to about 300 dpi
    (in that order: upscaling first makes the specks too big for the median).
    ``binary``: the same, then thresholded (Otsu) so that shaded table cells and
    light rules disappear; it reads boxed totals that ``gray`` misses, and
    misses thin text that ``gray`` reads, so both are run and compared.
    """
    img = image if image.mode == "L" else image.convert("L")
    img = img.filter(ImageFilter.MedianFilter(3))
    scale = min(max(TARGET_DPI / dpi, 0.5), 3.0)
    if abs(scale - 1.0) > 0.1:
        img = img.resize((max(int(img.width * scale), 1), max(int(img.height * scale), 1)), Image.LANCZOS)
    else:
        scale = 1.0
    if variant == "binary":
        t = otsu(img)
        img = img.point(lambda p: 255 if p > t else 0)
    return img, scale


def otsu(img: Image.Image) -> int:
    hist = img.histogram()[:256]
    total = sum(hist)
    sum_all = sum(i * h for i, h in enumerate(hist))
    w_b = sum_b = 0.0
    best, best_t = -1.0, 128
    for t, h in enumerate(hist):
        w_b += h
        if w_b == 0:
            continue
        w_f = total - w_b
        if w_f == 0:
            break
        sum_b += t * h
        m_b, m_f = sum_b / w_b, (sum_all - sum_b) / w_f
        between = w_b * w_f * (m_b - m_f) ** 2
        if between > best:
            best, best_t = between, t
    return best_t


def _data(img: Image.Image, lang: str, psm: int, timeout: float) -> dict:
    if timeout <= 0.5:
        raise TimeoutError("no time left for OCR")
    try:
        return pytesseract.image_to_data(img, lang=lang, config=f"--psm {psm}",
                                         output_type=pytesseract.Output.DICT, timeout=max(int(timeout), 1))
    except RuntimeError as exc:  # pytesseract signals its timeout this way
        if "timeout" in str(exc).lower():
            raise TimeoutError("OCR timed out") from None
        raise


def _words(data: dict, factor: float) -> tuple[list[Word], float]:
    words = []
    confs = []
    for i, text in enumerate(data["text"]):
        text = (text or "").strip()
        conf = float(data["conf"][i])
        if not text or conf < 0:
            continue
        if conf < 20 and not any(c.isalnum() for c in text):
            continue  # specks read as punctuation
        x, y, w, h = data["left"][i], data["top"][i], data["width"][i], data["height"][i]
        words.append(Word(text, x * factor, y * factor, (x + w) * factor, (y + h) * factor, conf / 100.0))
        confs.append(conf / 100.0)
    mean = sum(confs) / len(confs) if confs else 0.0
    return words, mean


def _osd_rotation(img: Image.Image, timeout: float) -> int:
    try:
        osd = pytesseract.image_to_osd(img, config="--psm 0", output_type=pytesseract.Output.DICT,
                                       timeout=max(int(timeout), 1))
        if float(osd.get("orientation_conf", 0)) >= 1.0:
            return int(osd.get("rotate", 0)) % 360
    except (pytesseract.TesseractError, RuntimeError, ValueError):
        pass
    return 0


def ocr_page(image: Image.Image, index: int, *, dpi_hint: float | None = None, deadline: float,
             langs: str = DEFAULT_LANGS, variant: str = "gray") -> Page:
    """OCR one page image; coordinates in points (1/72 in) of the original page."""
    lang = languages(langs)
    dpi = estimate_dpi(image, dpi_hint)
    img, scale = prepare(image, dpi, variant)
    factor = 72.0 / (dpi * scale)
    data = _data(img, lang, 3, deadline - time.monotonic())
    words, mean = _words(data, factor)
    width, height = image.width * 72.0 / dpi, image.height * 72.0 / dpi
    # Poor result, or words standing on end: the page may be rotated. Ask the orientation
    # detector, try again if it says so (Tesseract reads sideways lines quite confidently).
    long_words = [w for w in words if len(w.text) >= 4]
    upright = sum(1 for w in long_words if (w.x1 - w.x0) > (w.y1 - w.y0))
    sideways = bool(long_words) and upright < 0.5 * len(long_words)
    if (mean < 0.6 or len(words) < 15 or sideways) and deadline - time.monotonic() > 2.0:
        angle = _osd_rotation(img, deadline - time.monotonic())
        if angle:
            rotated = img.rotate(-angle, expand=True)
            data2 = _data(rotated, lang, 3, deadline - time.monotonic())
            words2, mean2 = _words(data2, factor)
            if mean2 * len(words2) > mean * len(words):
                words, mean = words2, mean2
                if angle in (90, 270):
                    width, height = height, width
    page = Page(index=index, width=width, height=height, layer="ocr", words=words)
    page.quality = mean
    return page

