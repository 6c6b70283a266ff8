"""Tesseract OCR of page images: one pass per page, in process, with word boxes.

Tesseract is called through its C API (tesserocr): the language models are
loaded once per thread and kept, instead of a process (and a model load) per
pass. One pass per page, at a resolution chosen from the page itself: the
height of its text lines is measured before OCR and the image resampled so
that a line is about ``TARGET_LINE_PX`` pixels high, never above 300 dpi. A
600-dpi scan of small print (or an image whose header claims the wrong
resolution) is read the same as a 300-dpi one. Orientation detection runs only
when the first pass looks sideways or poor. On a page with table rules
(long straight lines), the text lines the first pass left out or read badly
are read again with the rules whitened (``_with_ruled_text``): Tesseract's
layout analysis takes a ruled table for a picture and drops or garbles the
text that touches it, often the line items and the totals. On a white page, the
lines printed in pale grey that the first pass did not read at all are read
again, darkened (``_with_faint_text``): labels such as "Grand Total" printed at
215-230 grey fall under Tesseract's single threshold once a scan blurs them.

OpenMP threading inside Tesseract made a page several times slower on a
2-core machine, so it is limited to one thread; pages run in parallel instead.
The despeckling median and the turn that levels a skewed page run in OpenCV
(one thread too): Pillow took 0.24 s and 0.25 s for them on a 300-dpi page,
OpenCV 2 ms and 45-80 ms, with the same median.
"""
from __future__ import annotations

import os
import re
import threading
import time
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image, ImageFilter

from .layout import Page, Word

os.environ.setdefault("OMP_THREAD_LIMIT", "1")

import tesserocr  # noqa: E402  (after OMP_THREAD_LIMIT, which the library reads when it loads)

cv2.setNumThreads(1)  # like Tesseract: a worker's cores go to its pages, not to one filter

DEFAULT_LANGS = "eng"
MAX_DPI = 300.0
#: pixel height of a line of body text (ink rows, ascenders to descenders) that Tesseract reads best
TARGET_LINE_PX = 34.0
#: lines lower than this many pixels are scaled up (by at most ``UPSCALE_MOST``)
UPSCALE_BELOW = 16.0
#: the most a page is scaled up: an invoice by 1.25 (a 200-dpi scan read at 250 dpi: as many fields right as at
#: 300 dpi on the tuned scans, a tenth faster), a till receipt's small print by 1.5 (at 1.25 it lost 6 of 124)
UPSCALE_MOST = {False: 1.25, True: 1.5}
#: Measured choices (docs/benchmarks.md, "OCR variants"); bench.ocr_engines switches them to compare.
TESS_VARIABLES: dict[str, str] = {}
PAGE_PSM = tesserocr.PSM.AUTO
#: the second reading of a till receipt, as one block, does not try each doubtful word inverted (white on black):
#: the first reading did, and its words stand where this one reads nothing better; a tenth less time for the
#: same fields on the tuned receipts
BLOCK_VARIABLES = {"tessedit_do_invert": "0"}
#: read single-column pages (till receipts) as one column (--psm 4)
RECEIPT_COLUMN = True
#: a 3x3 median before OCR (not on thin-printed receipts unless speckled)
DESPECKLE = True
#: on a page with table rules, read again (rules whitened) the lines the first pass missed or read badly
REMOVE_RULES = True
#: straighten a page skewed by at least this many degrees before OCR (0 turns it off)
DESKEW_MIN_DEG = 0.6
#: even out uneven light (a photo's shadow) before OCR when the page's background varies by more than this
#: many grey levels; evenly lit scans are left alone
UNEVEN_LIGHT = 40.0
#: OCR confidence below which a first-pass word does not keep its line from being read again
WEAK_WORD = 0.5
#: grey level below which a pixel may belong to a rule
RULE_INK = 232
#: text lines read again at most per page (``_missed_bands``)
MAX_BANDS = 8
#: on a white page, read again (darkened) the lines printed in pale grey that the first pass did not read
READ_FAINT = True
#: the paper level (``_paper_level``) from which a page counts as white
FAINT_PAPER = 235
#: pale print: at least this grey level, and at least ``FAINT_MARGIN`` levels under the paper
FAINT_DARKEST = 150
FAINT_MARGIN = 16
#: a line is pale print when its black pixels are at most this share of its pale ones (black text has grey
#: edges as wide as its strokes)
FAINT_DARK_SHARE = 0.25
#: the white point of the darkening curve, this many levels under the paper, and the curve's power
FAINT_WHITE_GAP = 8
FAINT_CURVE = 12.0
_TESSDATA_DIRS = ("/usr/share/tesseract-ocr/5/tessdata", "/usr/share/tesseract-ocr/4.00/tessdata",
                  "/usr/share/tessdata", "/usr/local/share/tessdata")


class OcrUnavailable(RuntimeError):
    pass


_local = threading.local()
_datapath: tuple[str, frozenset[str]] | None = None


def _tessdata() -> tuple[str, frozenset[str]]:
    """The tessdata folder (``TESSDATA_PREFIX`` or the Debian one) and its language packs."""
    global _datapath
    if _datapath is None:
        for d in [os.environ.get("TESSDATA_PREFIX", ""), *_TESSDATA_DIRS]:
            if d and os.path.isdir(d):
                path, langs = tesserocr.get_languages(d.rstrip("/") + "/")
                if langs:
                    _datapath = (path, frozenset(langs))
                    break
        else:
            raise OcrUnavailable("no Tesseract language data found (install tesseract-ocr-eng or set TESSDATA_PREFIX)")
    return _datapath


def languages(wanted: str = DEFAULT_LANGS) -> str:
    """The subset of ``wanted`` language packs that are installed (``eng`` at least)."""
    _, have = _tessdata()
    langs = [lang for lang in wanted.split("+") if lang in have]
    return "+".join(langs) or ("eng" if "eng" in have else sorted(have - {"osd"})[0])


def _api(lang: str, psm: int | None = None, extra: dict[str, str] | None = None) -> tesserocr.PyTessBaseAPI:
    """This thread's Tesseract instance for ``lang`` (models loaded once, then reused)."""
    apis = getattr(_local, "apis", None)
    if apis is None:
        apis = _local.apis = {}
    psm = PAGE_PSM if psm is None else psm
    variables = {**TESS_VARIABLES, **(extra or {})}
    key = (lang, psm, tuple(sorted(variables.items())))
    api = apis.get(key)
    if api is None:
        path, _ = _tessdata()
        try:
            api = tesserocr.PyTessBaseAPI(path=path, lang=lang, psm=psm)
        except RuntimeError as exc:
            raise OcrUnavailable(str(exc)) from None
        for name, value in variables.items():
            api.SetVariable(name, value)
        apis[key] = api
    return api


def estimate_dpi(image: Image.Image, dpi_hint: float | None) -> float:
    if dpi_hint and 50 <= dpi_hint <= 1200:
        return float(dpi_hint)
    # No usable resolution: assume a portrait A4/Letter page (8.3 in wide) or a landscape one.
    w, h = image.size
    return max(min(w, h) / 8.3, 40.0)


def line_height(image: Image.Image) -> float | None:
    """Median height in pixels of the text lines of a page, from row ink profiles; None if unsure.

    The page is cut into vertical strips (so that two columns do not blur each
    other's lines); in each strip a row is "ink" when it is darker than the
    background, and a run of ink rows is a line of text. Costs a few ms.
    """
    w, h = image.size
    if w < 40 or h < 40:
        return None
    strips = max(1, min(6, w // 300))
    runs: list[int] = []
    sw = w // strips
    for s in range(strips):
        col = image.crop((s * sw, 0, (s + 1) * sw, h)).resize((1, h), Image.BOX)
        prof = list(col.get_flattened_data())
        bright = sorted(prof)[int(0.9 * (len(prof) - 1))]
        if bright < 128:
            continue  # a dark strip (photo background, black border)
        thr = bright - max(4.0, 0.06 * bright)
        run = 0
        for v in prof:
            if v < thr:
                run += 1
            elif run:
                runs.append(run)
                run = 0
    runs = [r for r in runs if r >= 4]
    if len(runs) < 5:
        return None
    runs.sort()
    # the middle of the distribution: drop thin rules and merged blocks
    core = runs[len(runs) // 4: max(len(runs) * 3 // 4, len(runs) // 4 + 1)]
    return float(core[len(core) // 2])


def choose_scale(image: Image.Image, dpi: float, column: bool = False) -> float:
    """How much to resample a page before OCR, from the height of its text lines.

    Lines much taller than ``TARGET_LINE_PX`` (600-dpi scans, photos of small
    print taken close up) are scaled down to it; tiny lines (low-resolution
    images) are scaled up, by at most ``UPSCALE_MOST`` (measured: more costs time
    and reads no better); a page is never read above 300 dpi when its resolution
    is known.
    """
    cap = MAX_DPI / dpi  # the scale at which the page would be 300 dpi
    small = image
    shrink = 1.0
    if image.width > 1600:  # measure on a smaller copy: same answer, a fraction of the cost
        shrink = 1600 / image.width
        small = image.resize((1600, max(int(image.height * shrink), 1)), Image.BOX)
    lh = line_height(small)
    if lh is None:
        return min(1.0, cap)
    lh /= shrink
    if lh > 1.8 * TARGET_LINE_PX or (lh > 1.2 * TARGET_LINE_PX and image.width * image.height > 12_000_000):
        scale = TARGET_LINE_PX / lh
    elif lh < UPSCALE_BELOW:
        scale = min(UPSCALE_MOST[column], UPSCALE_BELOW * 1.4 / lh)
    else:
        scale = 1.0
    scale = max(min(scale, cap), 0.15)
    # within 12 % of the image as it is: keep it (resampling costs time and sharpness)
    return 1.0 if abs(scale - 1.0) < 0.12 else scale


def prepare(image: Image.Image, dpi: float) -> tuple[Image.Image, float, bool, int]:
    """Grayscale, turned upright when its lines run down the page, resampled to the chosen scale, specks
    removed.

    Returns the image, the scale, whether the page is one column (a till
    receipt), and the angle it was turned by (0, 90 or 270). A 3x3 median
    removes the specks of scans and JPEG artefacts (measured: +13 points of
    fields on degraded invoice scans, and faster); on thermal receipts it erases
    thin print, so there it runs only when the page is visibly speckled.
    """
    img = even_light(image if image.mode == "L" else image.convert("L"))
    turned = 0
    if looks_sideways(img):
        # a page photographed sideways: orientation detection says which way, before the one OCR pass (reading
        # it sideways first, then detecting, then reading again took three times one pass)
        angle = _osd_rotation(img, dpi)
        if angle in (90, 270):
            img, turned = img.rotate(angle, expand=True), angle
    column = is_single_column(img) and RECEIPT_COLUMN
    scale = choose_scale(img, dpi, column)
    if scale != 1.0:
        img = img.resize((max(int(img.width * scale), 1), max(int(img.height * scale), 1)),
                         Image.BOX if scale < 1.0 else Image.BICUBIC)
    if DESPECKLE and (not column or _speckled(img)):
        img = median3(img)
    # straightened last: turning a speckled page smears its specks into grey blots that the median no longer
    # removes and Tesseract then spends twice as long on
    return straighten(img), scale, column, turned


def _blank_gaps(profile: np.ndarray) -> tuple[float, int]:
    """Within the inked stretch of a profile: the share of blank positions, and how often ink and blank
    alternate."""
    inked = np.nonzero(profile)[0]
    if len(inked) < 2:
        return 0.0, 0
    blank = profile[inked[0]:inked[-1] + 1] == 0
    return float(blank.mean()), int((blank[1:] != blank[:-1]).sum())


def looks_sideways(img: Image.Image) -> bool:
    """Text lines that run down the page: the blank gaps between lines show across the columns (many of
    them) and not down the rows. An upright page shows them down the rows; a receipt's few columns alternate
    only a few times. Costs a few ms on a quarter-size copy."""
    if min(img.size) < 200:
        return False
    a = np.asarray(img.reduce(4), dtype=np.float32)
    ink = a < np.percentile(a, 90) - 40
    rows, cols = _blank_gaps(ink.sum(axis=1)), _blank_gaps(ink.sum(axis=0))
    return cols[0] >= 0.4 and cols[1] >= 16 and rows[0] < 0.1


def even_light(img: Image.Image) -> Image.Image:
    """A page photographed in uneven light, divided by its own background.

    Tesseract's single threshold turns a shadowed half of the page black (or its
    text white). The background is the brightest level within about a centimetre
    (a maximum filter on a 1/16 copy erases the text, and any bar thinner than
    that), smoothed; where it varies by less than ``UNEVEN_LIGHT`` grey levels the
    page is returned as it was.
    """
    if UNEVEN_LIGHT <= 0 or min(img.size) < 160:
        return img
    small = img.reduce(16)
    bg = small.filter(ImageFilter.MaxFilter(7)).filter(ImageFilter.GaussianBlur(3))
    level = np.asarray(bg, dtype=np.float32)
    lo, hi = np.percentile(level, [5, 95])
    if hi - lo < UNEVEN_LIGHT:
        return img
    full = np.asarray(bg.resize(img.size, Image.BILINEAR), dtype=np.float32)
    page = np.asarray(img, dtype=np.float32) * (255.0 / np.maximum(full, 16.0))
    return Image.fromarray(np.clip(page, 0, 255).astype(np.uint8), "L")


def skew_angle(img: Image.Image) -> float:
    """The angle (degrees, counter-clockwise) that makes the page's text lines level, from a small copy: the
    rotation whose row ink profile is sharpest. 0.0 when the page has too little text to tell."""
    small = img.reduce(max(1, img.width // 400))
    ink = (np.asarray(small) < 160).astype(np.uint8)
    if np.count_nonzero(ink) < 200:
        return 0.0
    h, w = ink.shape

    def sharpness(angle: float) -> float:
        turn = cv2.getRotationMatrix2D(((w - 1) / 2, (h - 1) / 2), float(angle), 1.0)
        level = cv2.warpAffine(ink, turn, (w, h), flags=cv2.INTER_NEAREST, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
        rows = level.sum(axis=1, dtype=np.float32)
        return float(np.sum(np.diff(rows) ** 2))

    coarse = max(np.arange(-6.0, 6.01, 1.0), key=sharpness)
    best = max(np.arange(coarse - 0.8, coarse + 0.81, 0.4), key=sharpness)
    return float(max(np.arange(best - 0.3, best + 0.31, 0.1), key=sharpness))


def straighten(img: Image.Image) -> Image.Image:
    """A page scanned or photographed askew, turned level (same size: the text of an upright page stays in the
    frame). Tesseract reads skewed lines well enough but drops and splits words at 2 degrees and more."""
    if DESKEW_MIN_DEG <= 0 or min(img.size) < 200:
        return img
    angle = skew_angle(img)
    if abs(angle) < DESKEW_MIN_DEG:
        return img
    h, w = img.height, img.width
    turn = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)  # counter-clockwise, as ``Image.rotate``
    level = cv2.warpAffine(np.asarray(img), turn, (w, h), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_CONSTANT,
                           borderValue=255)
    return Image.fromarray(level, "L")


def median3(img: Image.Image) -> Image.Image:
    """A 3x3 median of a grayscale page: the specks of a scan and its JPEG artefacts removed."""
    return Image.fromarray(cv2.medianBlur(np.asarray(img), 3), "L")


def _runs_at_least(ink: np.ndarray, n: int, axis: int) -> np.ndarray:
    """Mask of the ink in runs of at least ``n`` along ``axis`` (1: along each row, 0: down each column).

    An erosion by a line of ``n`` pixels anchored at its first pixel marks where ``n`` inked pixels begin; a
    dilation by the same line anchored at its last pixel spreads each mark back over its ``n`` pixels (outside
    the page counts as blank). Following each run in Python cost a second on a page with many."""
    if n <= 1:
        return ink.copy()
    if n > ink.shape[axis]:
        return np.zeros(ink.shape, dtype=bool)
    line = np.ones((1, n) if axis == 1 else (n, 1), np.uint8)
    first, last = (0, 0), ((n - 1, 0) if axis == 1 else (0, n - 1))
    start = cv2.erode(_as_bytes(ink), line, anchor=first, borderType=cv2.BORDER_CONSTANT, borderValue=0)
    return cv2.dilate(start, line, anchor=last, borderType=cv2.BORDER_CONSTANT, borderValue=0).view(bool)


def _as_bytes(mask: np.ndarray) -> np.ndarray:
    """A boolean mask as the 0/1 bytes OpenCV works on: a view, not a copy, when it is already contiguous (a
    bool is one byte holding 0 or 1, and OpenCV's erosion and dilation of 0/1 give 0/1, viewed back as bool)."""
    return np.ascontiguousarray(mask).view(np.uint8)


def _long_runs(ink: np.ndarray, min_len: int) -> np.ndarray:
    """Mask of the runs of True along each row of ``ink`` at least ``min_len`` long."""
    return _runs_at_least(ink, min_len, 1)


def _thin(ink: np.ndarray, most: int = 6) -> np.ndarray:
    """The ink that is at most ``most`` pixels thick down its column: rules and the flat strokes of letters,
    not the letters' stems."""
    return ink & ~_runs_at_least(ink, most + 1, 0)


def _spread(ink: np.ndarray, axis: int) -> np.ndarray:
    """``ink`` spread two pixels each way across ``axis`` (0: up and down): a band five pixels thick."""
    band = np.ones((5, 1) if axis == 0 else (1, 5), np.uint8)
    return cv2.dilate(_as_bytes(ink), band, borderType=cv2.BORDER_CONSTANT, borderValue=0).view(bool)


def remove_rules(img: Image.Image, min_len: int | None = None) -> Image.Image:
    """Whiten horizontal and vertical rules: ink running straight for ``min_len`` pixels or more.

    A letter is at most a line height wide (about ``TARGET_LINE_PX`` after ``choose_scale``), so a run four
    times that long is a rule. A scan is a little skewed: a rule drifts by a pixel every few dozen, so runs
    are looked for in bands five pixels thick (the ink of the band is what is whitened); the pieces of a
    skewed rule shorter than that are found among thin ink only (no letter has a flat stroke two line
    heights long). Text touching a rule loses at most the pixels on it.
    """
    a = np.asarray(img)
    ink = a < RULE_INK  # a thin rule, blurred by the scan, is light grey in places
    min_len = min_len or max(100, int(4 * TARGET_LINE_PX), img.width // 16)
    short = max(40, int(2 * TARGET_LINE_PX))
    mask = _long_runs(_spread(ink, 0), min_len)
    mask |= _long_runs(_spread(_thin(ink), 0), short)
    mask |= _runs_at_least(_spread(ink, 1), min_len, 0)  # vertical rules, down each column
    if not mask.any():
        return img
    out = a.copy()
    out[mask & ink] = 255
    return Image.fromarray(out)


def _speckled(img: Image.Image) -> bool:
    """Salt-and-pepper noise: isolated dark pixels that a 3x3 minimum would not explain."""
    sample = img.crop((0, 0, min(img.width, 600), min(img.height, 600)))
    med = median3(sample)
    hist_a = sample.point(lambda p: 255 if p < 96 else 0).histogram()[255]
    hist_b = med.point(lambda p: 255 if p < 96 else 0).histogram()[255]
    return hist_a > 0 and (hist_a - hist_b) > 0.35 * hist_a


def _ink_span(profile: list[float]) -> int:
    """Length of the stretch of a row/column profile that holds ink (2 % cut at each end)."""
    ordered = sorted(profile)
    bright, dark = ordered[int(0.95 * (len(ordered) - 1))], ordered[0]
    ink = [i for i, v in enumerate(profile) if v < bright - max(0.6, 0.1 * (bright - dark))]
    if len(ink) < 2:
        return 0
    cut = len(ink) // 50
    return ink[len(ink) - 1 - cut] - ink[cut] + 1


def is_single_column(img: Image.Image) -> bool:
    """A till receipt (or any tall, narrow run of text): its ink is far taller than wide.

    Such pages read better as one column of lines (``--psm 4``); Tesseract's
    full layout analysis (``--psm 3``) cuts receipts into blocks and mixes
    their amounts up, while invoices need it for their columns.
    """
    small = img.resize((max(img.width // 4, 1), max(img.height // 4, 1)), Image.BOX)
    cols = list(small.resize((small.width, 1), Image.BOX).get_flattened_data())
    rows = list(small.resize((1, small.height), Image.BOX).get_flattened_data())
    w, h = _ink_span(cols), _ink_span(rows)
    return w > 0 and h / w > 1.7


def _recognize(img: Image.Image, lang: str, deadline: float, factor: float,
               column: bool = False, psm: int | None = None, as_block: bool = False) -> tuple[list[Word], float]:
    left = deadline - time.monotonic()
    if left <= 0.5:
        raise TimeoutError("no time left for OCR")
    extra = None
    if psm is None and column:
        psm = tesserocr.PSM.SINGLE_BLOCK if as_block else tesserocr.PSM.SINGLE_COLUMN
        extra = BLOCK_VARIABLES if as_block else None
    api = _api(lang, psm, extra)
    api.SetImage(img)
    api.SetSourceResolution(300)
    if not api.Recognize(timeout=int(left * 1000)):
        raise TimeoutError("OCR timed out")
    words: list[Word] = []
    confs: list[float] = []
    it = api.GetIterator()
    level = tesserocr.RIL.WORD
    if it is not None:
        for w in tesserocr.iterate_level(it, level):
            try:
                text = (w.GetUTF8Text(level) or "").strip()
            except RuntimeError:  # tesserocr raises on a word that has no text (a speck read as a word)
                continue
            box = w.BoundingBox(level)
            conf = w.Confidence(level)
            if not text or box is None or conf < 0:
                continue
            if conf < 20 and not any(c.isalnum() for c in text):
                continue  # specks read as punctuation
            text = digit_letters(strip_rule_marks(text))
            if not text:
                continue
            x0, y0, x1, y1 = box
            words.append(Word(text, x0 * factor, y0 * factor, x1 * factor, y1 * factor, conf / 100.0))
            confs.append(conf / 100.0)
    api.Clear()
    return words, (sum(confs) / len(confs) if confs else 0.0)


def _overlaps(a: Word, b: Word) -> bool:
    ix = min(a.x1, b.x1) - max(a.x0, b.x0)
    iy = min(a.y1, b.y1) - max(a.y0, b.y0)
    return ix > 0 and iy > 0 and ix * iy > 0.3 * min((a.x1 - a.x0) * (a.y1 - a.y0), (b.x1 - b.x0) * (b.y1 - b.y0))


def _missed_bands(ink: np.ndarray, words: list[Word], factor: float,
                  weak: float = WEAK_WORD) -> list[tuple[int, int, int, int]]:
    """Boxes (pixels) of text lines with ink that no word of the first pass read with at least ``weak``
    confidence covers, at most ``MAX_BANDS``.

    A band is a run of rows whose uncovered ink is a text line high (half to two and a half times the
    median word height): a logo or a photo, taller, is not read again."""
    heights = sorted((w.y1 - w.y0) / factor for w in words if len(w.text) >= 3)
    if not heights:
        return []
    lh = heights[len(heights) // 2]
    free = ink.copy()
    pad = max(2, int(lh * 0.25))
    for w in words:
        if w.conf < weak:
            continue  # a word read this badly (a table row garbled by its rules) is read again
        x0, y0 = int(w.x0 / factor) - pad, int(w.y0 / factor) - pad
        x1, y1 = int(w.x1 / factor) + pad, int(w.y1 / factor) + pad
        free[max(y0, 0):max(y1, 0), max(x0, 0):max(x1, 0)] = False
    rows = free.sum(axis=1) >= 3
    bands: list[tuple[int, int, int, int]] = []
    y, h = 0, len(rows)
    while y < h:
        if not rows[y]:
            y += 1
            continue
        top = y
        while y < h and rows[y]:
            y += 1
        if 0.5 * lh <= y - top <= 2.5 * lh:
            cols = np.nonzero(free[top:y].sum(axis=0))[0]
            if len(cols) and cols[-1] - cols[0] >= 2 * lh:
                m = int(lh * 0.4)
                bands.append((max(int(cols[0]) - m, 0), max(top - m, 0), int(cols[-1]) + m, y + m))
    return bands[:MAX_BANDS]


def _with_ruled_text(img: Image.Image, words: list[Word], lang: str, deadline: float, factor: float) -> list[Word]:
    """On a page with table rules, read again, with the rules whitened, the text lines the first pass left out
    or read badly.

    Tesseract's layout analysis takes a ruled table for a picture: it drops the text touching the rules (often
    the totals line) and garbles the rows (the line items). Whitening the rules for the whole page made it drop
    other blocks instead, so only the lines with ink and no confident word (``_missed_bands``) are read again,
    each as a block of its own; a word read again replaces the first pass's words it covers where it reads with
    more confidence. A page read well costs the rule finding only."""
    cleaned = remove_rules(img)
    if cleaned is img:
        return words
    return _read_bands_again(cleaned, _missed_bands(np.asarray(cleaned) < 160, words, factor), words, lang,
                             deadline, factor)


def _read_bands_again(img: Image.Image, bands: list[tuple[int, int, int, int]], words: list[Word], lang: str,
                      deadline: float, factor: float, darken: float | None = None) -> list[Word]:
    """Each band of ``img`` read again as a block of its own (``darken``: with its grey levels darkened
    towards that white point first, ``_darkened``); a word read again replaces the first pass's words it
    covers where it reads with more confidence, and is added where the first pass had none."""
    added: list[Word] = []
    replaced: set[int] = set()
    for x0, y0, x1, y1 in bands:
        if deadline - time.monotonic() <= 1.0:
            break
        crop = img.crop((x0, y0, min(x1, img.width), min(y1, img.height)))
        if darken is not None:
            crop = _darkened(crop, darken)
        try:
            more, _mean = _recognize(crop, lang, deadline, factor, psm=tesserocr.PSM.SINGLE_BLOCK)
        except TimeoutError:
            break
        got = []
        for w in more:
            digits = sum(c.isdigit() for c in w.text)
            if w.conf < (0.3 if digits >= 3 else 0.6) or sum(c.isalnum() for c in w.text) < max(1, len(w.text) // 2):
                continue  # what is left of a rule, read as letters (a label glued to its amount reads low)
            got.append(Word(w.text, w.x0 + x0 * factor, w.y0 + y0 * factor, w.x1 + x0 * factor, w.y1 + y0 * factor,
                            w.conf))
        for g in got:
            under = [i for i, w in enumerate(words) if i not in replaced and _overlaps(g, w)]
            if under and g.conf <= max(words[i].conf for i in under):
                continue
            replaced.update(under)
            added.append(g)
    return [w for i, w in enumerate(words) if i not in replaced] + added


def _paper_level(a: np.ndarray) -> int:
    """The grey level of the paper: nine pixels in ten are darker or as dark (a page is mostly paper)."""
    counts = np.cumsum(cv2.calcHist([np.ascontiguousarray(a)], [0], None, [256], [0, 256]).ravel())
    return int(np.searchsorted(counts, 0.9 * counts[-1]))


def _darkened(img: Image.Image, white: float) -> Image.Image:
    """Grey levels pushed towards black under the white point ``white`` (a steep power curve): pale grey text
    becomes dark enough for Tesseract's threshold, black stays black and the paper white."""
    a = np.asarray(img, dtype=np.float32)
    out = np.clip(a / max(white, 1.0), 0.0, 1.0) ** FAINT_CURVE * 255.0
    return Image.fromarray(out.astype(np.uint8), "L")


def _pale(a: np.ndarray, paper: int) -> np.ndarray:
    """Mask of the pale ink: at least ``FAINT_DARKEST`` and at least ``FAINT_MARGIN`` levels under the paper."""
    return (a >= FAINT_DARKEST) & (a < paper - FAINT_MARGIN)


def _with_faint_text(img: Image.Image, words: list[Word], lang: str, deadline: float, factor: float) -> list[Word]:
    """On a white page, read again, darkened, the text lines printed in pale grey that the first pass did not
    read at all.

    Invoices print labels in pale grey ("Grand Total", "Room Charges" at 215-230 on 250 paper, after a
    scan's blur): Tesseract's single threshold falls between the black text and them, and the whole label
    column disappears, so an amount loses its label. The pale strokes are found as ink between
    ``FAINT_DARKEST`` and ``FAINT_MARGIN`` levels under the paper, outside every word the first pass read,
    without pale table rules (long runs), and only their lines are read again. A page without such lines
    costs the mask only."""
    a = np.asarray(img)
    h, w = a.shape[0] // 2 * 2, a.shape[1] // 2 * 2
    # the darkest pixel of each 2x2 (a pale stroke stays as dark as it is): a quarter of the work
    half = np.minimum(np.minimum(a[0:h:2, 0:w:2], a[1:h:2, 0:w:2]), np.minimum(a[0:h:2, 1:w:2], a[1:h:2, 1:w:2]))
    paper = _paper_level(half)
    if paper < FAINT_PAPER:
        return words  # a grey page (a photo, a thermal receipt): its grey is not pale print
    pale = _pale(half, paper)
    rule = max(int(TARGET_LINE_PX * 1.5), 4)  # three line heights: TARGET_LINE_PX is a full-size line
    pale &= ~(_runs_at_least(pale, rule, 1) | _runs_at_least(pale, rule, 0))
    pale = cv2.morphologyEx(_as_bytes(pale), cv2.MORPH_OPEN, np.ones((2, 2), np.uint8)).view(bool)
    bands = []
    for x0, y0, x1, y1 in _missed_bands(pale, words, 2 * factor, weak=0.0):
        band = half[y0:y1, x0:x1]
        light = np.count_nonzero(_pale(band, paper))
        if np.count_nonzero(band < FAINT_DARKEST) <= FAINT_DARK_SHARE * light:
            bands.append((2 * x0, 2 * y0, 2 * x1, 2 * y1))
        # else: black text the first pass did not read (a logo, words it could not make out): its grey edges
        # are not pale print, and darkening it reads nothing new
    if not bands:
        return words
    return _read_bands_again(img, bands, words, lang, deadline, factor, darken=paper - FAINT_WHITE_GAP)


_RULE_MARKS = re.compile(r"^[|\[\]_—–]+(?=[\w€$£(])|(?<=[\w€$£%.,:)])[|\[\]_—–]+$")


def strip_rule_marks(text: str) -> str:
    """A table rule read as a bar, bracket or underscore glued to the word beside it ("[200.00", "_|Luftballon",
    "158,00€|") is not part of the word."""
    return _RULE_MARKS.sub("", text) if any(c in text for c in "|[]_—–") else text


_O_IN_NUMBER = re.compile(r"(?<=\d)[Oo]|[Oo](?=\d)")


#: an amount with cents in which OCR read a section sign for a 5 ("§.518,10", "§42,16"; a currency sign may cling)
_SECTION_IN_AMOUNT = re.compile(r"[€$£]?[\d§][\d§.,]*[.,]\d\d[€$£]?")


def digit_letters(text: str) -> str:
    """An O read for a zero inside a number ("571,O4", "1O0.00") becomes 0; words that are mostly letters
    ("CO2", "Oak") are left alone. A section sign in an amount with cents is a 5 that OCR misread (Tesseract
    does so in several common typefaces); in a law's reference ("§19 UStG") it stays."""
    if "§" in text and _SECTION_IN_AMOUNT.fullmatch(text) and sum(c.isdigit() for c in text) >= 3:
        text = text.replace("§", "5")
    if "O" not in text and "o" not in text:
        return text
    digits = sum(c.isdigit() for c in text)
    letters = sum(c.isalpha() for c in text)
    if digits == 0 or digits < letters:
        return text
    return _O_IN_NUMBER.sub("0", text)


def _osd_rotation(img: Image.Image, dpi: float | None = None) -> int:
    """The angle (0, 90, 180, 270) that turns the page upright, by Tesseract's orientation detection.

    ``dpi``: detect on a copy of about 150 dpi, in a third to half the time. It told 90 from 270 on every
    sideways page measured, but took an upside-down page for an upright one, so it is used only where a
    wrong answer costs time and not the reading (``prepare``: a page still read sideways is detected again,
    at full size, after its first pass)."""
    k = max(1, round(dpi / 150)) if dpi else 1
    api = _api("osd", tesserocr.PSM.OSD_ONLY)
    api.SetImage(img.reduce(k) if k > 1 else img)
    try:
        osd = api.DetectOrientationScript()
    finally:
        api.Clear()
    if osd and float(osd.get("orient_conf", 0)) >= 1.0:
        return int(osd.get("orient_deg", 0)) % 360
    return 0


@dataclass
class Prepared:
    """A single-column page's image as OCR read it: prepared (``prepare``) and turned upright."""
    image: Image.Image
    #: points per pixel of ``image``
    factor: float


def ocr_page(image: Image.Image, index: int, *, dpi_hint: float | None = None, deadline: float,
             langs: str = DEFAULT_LANGS, as_block: bool = False) -> Page:
    """OCR one page image; coordinates in points (1/72 in) of the original page.

    ``as_block``: a single-column page (a till receipt) is read as one uniform block of text (``--psm 6``)
    instead of a column of lines: the second reading of a receipt whose total is in doubt (``engine``).
    Tesseract's line finding drops the amounts of a receipt's right edge, or misreads its dot-matrix digits,
    in one mode and not in the other."""
    lang = languages(langs)
    dpi = estimate_dpi(image, dpi_hint)
    img, scale, column, turned = prepare(image, dpi)
    factor = 72.0 / (dpi * scale)
    words, mean = _recognize(img, lang, deadline, factor, column, as_block=as_block)
    width, height = image.width * 72.0 / dpi, image.height * 72.0 / dpi
    if turned:
        width, height = height, width
    # Poor result, or words standing on end: the page may be rotated. Ask the orientation
    # detector, read again if it says so (Tesseract reads sideways lines quite confidently).
    long_words = [w for w in words if len(w.text) >= 4]
    upright = sum(1 for w in long_words if (w.x1 - w.x0) > (w.y1 - w.y0))
    sideways = bool(long_words) and upright < 0.5 * len(long_words)
    if (mean < 0.55 or len(words) < 12 or sideways) and deadline - time.monotonic() > 2.0:
        angle = _osd_rotation(img)
        if angle:
            upright = img.rotate(angle, expand=True)
            words2, mean2 = _recognize(upright, lang, deadline, factor, is_single_column(upright), as_block=as_block)
            # Tesseract may read a sideways page's words well and give their boxes on end: rows can't be
            # built from those, so the turned page's reading wins unless it is clearly worse
            if mean2 * len(words2) > mean * len(words) * (0.9 if sideways else 1.0):
                words, mean = words2, mean2
                img, column = upright, is_single_column(upright)
                if angle in (90, 270):
                    width, height = height, width
    # the lines the reading missed are read again on the page as it was finally read (upright): on a page
    # turned after its first pass, lines read again before the turn were thrown away with that pass
    if REMOVE_RULES and not column and deadline - time.monotonic() > 2.0:
        words = _with_ruled_text(img, words, lang, deadline, factor)
    if READ_FAINT and not column and deadline - time.monotonic() > 2.0:
        words = _with_faint_text(img, words, lang, deadline, factor)
    page = Page(index=index, width=width, height=height, layer="ocr", words=words)
    page.quality = mean
    page.single_column = column
    # kept for a second reading as one block (``read_as_block``), which only a single-column page (a till
    # receipt) can get; the reader lets go of the images it will not read again (``_ocr_pages``' keep_images)
    page.prepared = Prepared(img, factor) if column else None
    return page


def read_as_block(page: Page, deadline: float, langs: str = DEFAULT_LANGS) -> Page | None:
    """A single-column page read again as one block of text (``ocr_page``'s ``as_block``), from the image its
    first reading prepared and turned upright: none of that is done twice (measured on the dev receipts read
    twice: about 50 ms a page, and the orientation check a poor block reading set off, 0.4 s). None when the
    page has no prepared image (it was not read by ``ocr_page``, or it was released)."""
    prep = page.prepared
    if not isinstance(prep, Prepared):
        return None
    words, mean = _recognize(prep.image, languages(langs), deadline, prep.factor, column=True, as_block=True)
    again = Page(index=page.index, width=page.width, height=page.height, layer="ocr", words=words)
    again.quality = mean
    again.single_column = True
    return again
