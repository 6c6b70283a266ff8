"""Words with positions, grouped into rows and phrase segments.

Every layer (PDF text, OCR) produces ``Word`` objects in page points with y
growing downwards; the rest of the engine only sees ``Page``/``Segment``.

A *row* is a visual line across the whole page; a *segment* is a run of words
in a row separated by ordinary word spacing. Column gaps split segments, so a
label and its value in the next column are two segments of one row, and a
table header cell sits above the cell it names.
"""
from __future__ import annotations

import re
import statistics
import unicodedata
from bisect import bisect_left, bisect_right, insort
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from .lexicon import MONTH_WORDS
from .model import Layer, Source


@dataclass
class Word:
    text: str
    x0: float
    y0: float
    x1: float
    y1: float
    conf: float = 1.0

    @property
    def h(self) -> float:
        return max(self.y1 - self.y0, 0.1)

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2


_SPECIAL = {"\u2019": "'", "\u2018": "'", "\u00ba": "o", "\u00b0": "o", "\u00a0": " ", "\u202f": " ", "\t": " "}


@lru_cache(maxsize=8192)
def _fold_char(c: str) -> str:
    if c in _SPECIAL:
        return _SPECIAL[c]
    f = "".join(x for x in unicodedata.normalize("NFKD", c) if not unicodedata.combining(x)).lower()
    if len(f) == 1:
        return f
    low = c.lower()
    return low if len(low) == 1 else c


def fold(text: str) -> str:
    """Lower-case without accents, one character per character of ``text``.

    Labels are matched on this form; keeping the length lets a match be mapped
    back to the printed text and its word boxes.
    """
    return "".join(_fold_char(c) for c in text)


@dataclass(eq=False)
class Segment:
    words: list[Word]
    page: int
    row: int = -1
    col: int = -1
    text: str = ""
    norm: str = ""
    x0: float = 0.0
    y0: float = 0.0
    x1: float = 0.0
    y1: float = 0.0
    # start offset of each word inside ``text`` (for boxes of sub-matches)
    offsets: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        parts, pos = [], 0
        for w in self.words:
            self.offsets.append(pos)
            parts.append(w.text)
            pos += len(w.text) + 1
        self.text = " ".join(parts)
        self.norm = fold(self.text)
        self.x0 = min(w.x0 for w in self.words)
        self.y0 = min(w.y0 for w in self.words)
        self.x1 = max(w.x1 for w in self.words)
        self.y1 = max(w.y1 for w in self.words)

    @property
    def h(self) -> float:
        return statistics.median(w.h for w in self.words)

    @property
    def conf(self) -> float:
        return min(w.conf for w in self.words)

    def span_box(self, start: int, end: int) -> tuple[float, float, float, float]:
        """Box of the words overlapping text[start:end]."""
        ws = [w for w, off in zip(self.words, self.offsets) if off < end and off + len(w.text) > start]
        ws = ws or self.words
        return (min(w.x0 for w in ws), min(w.y0 for w in ws), max(w.x1 for w in ws), max(w.y1 for w in ws))

    def span_conf(self, start: int, end: int) -> float:
        ws = [w for w, off in zip(self.words, self.offsets) if off < end and off + len(w.text) > start]
        return min((w.conf for w in ws), default=self.conf)


@dataclass
class Page:
    index: int
    width: float
    height: float
    layer: Layer
    words: list[Word]
    rows: list[list[Segment]] = field(default_factory=list)
    #: mean OCR word confidence (1.0 for a text layer)
    quality: float = 1.0
    #: an OCR page read as one column of lines (a till receipt, ``ocr.is_single_column``)
    single_column: bool = False
    #: an OCR page's image as it was read (``ocr.Prepared``), kept while the document is being read so that a
    #: second reading of the page does not prepare it again; the reader releases it (``ReadOut.release``)
    prepared: Any = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.rows:
            self.rows = build_rows(self.words, self.index)

    @property
    def segments(self) -> list[Segment]:
        return [s for row in self.rows for s in row]

    def rebuild(self) -> None:
        """Regroup rows after words were added (e.g. OCR of an image on a text page)."""
        self.rows = build_rows(self.words, self.index)

    def source(self, box: tuple[float, float, float, float]) -> Source:
        x0, y0, x1, y1 = box
        w, h = self.width or 1.0, self.height or 1.0
        clamp = lambda v: min(max(v, 0.0), 1.0)  # noqa: E731
        return Source(self.index, (clamp(x0 / w), clamp(y0 / h), clamp(x1 / w), clamp(y1 / h)), self.layer)


@dataclass
class Document:
    pages: list[Page]
    layer: Layer

    def segments(self) -> list[Segment]:
        return [s for p in self.pages for s in p.segments]

    def text(self) -> str:
        return "\n".join("  ".join(s.text for s in row) for p in self.pages for row in p.rows)


def _v_overlap(a: Word, b: Word, slope: float = 0.0) -> float:
    """How much of the smaller word's height ``b`` shares with ``a``, ``a`` carried along the page's slope."""
    drift = slope * (b.cx - a.cx)
    inter = min(a.y1 + drift, b.y1) - max(a.y0 + drift, b.y0)
    return inter / min(a.h, b.h)


# A scan is rarely straight: at 1.5 degrees a total 400 px right of its label sits 10 px lower, more than a
# line's height. Rows are chained along the page's slope, measured on the lines themselves.
MIN_SKEW = 0.003  # below this (0.17 degrees) a page is read as straight: PDF text layers stay untouched
MAX_SKEW = 0.09  # 5 degrees: beyond, the OCR's own deskew went wrong and a guess would do harm


#: marks printed between a footer's or a reference line's parts
_PARTING = frozenset("-\u2013\u2014\u00b7\u2022|")


def _inked(w: Word) -> bool:
    """A word with a letter or digit. OCR boxes punctuation (":", "-", ".") to its ink alone: a colon half a point
    high or a dash far below a line's middle says nothing about the line's height or level."""
    return any(c.isalnum() for c in w.text)


def _chain(words: list[Word], slope: float) -> list[list[Word]]:
    """Each word, left to right, joins the line whose last word it best continues (close, level with it along
    the slope, of a like size), else starts a line.

    Only lines whose last word sits within reach of the word's level are looked at (``levels``, sorted): a word
    shares half the smaller height with a word whose deskewed centre is at most half the larger height away,
    and the larger is at most 2.2 times the smaller. On a dense page that is a handful of lines, not all of
    them (a full comparison cost 170 ms on a 3,000-word e-invoice page).

    A line's level and size are its last word with a letter or digit (``_inked``): punctuation joins the line
    it sits in without being measured, and the next word is measured against the word before it."""
    lines: list[list[Word]] = []
    refs: list[Word] = []  # per line: the word its level and size are measured on
    levels: list[tuple[float, int]] = []  # (deskewed centre of the line's reference word, line index), sorted
    for w in sorted(words, key=lambda w: (w.x0, w.y0)):
        here = w.cy - slope * w.cx
        inked = _inked(w)
        reach = 1.2 * w.h + 1.0
        lo, hi = bisect_left(levels, (here - reach, -1)), bisect_right(levels, (here + reach, len(lines)))
        best, best_key = None, None
        for _, i in levels[lo:hi]:
            last, ref = lines[i][-1], refs[i]
            if last.x1 > w.x0 + 0.6 * min(ref.h, w.h):
                continue
            ov = _v_overlap(ref, w, slope)
            if ov < 0.5:
                continue
            # size changes a lot between a label and a heading: don't glue them
            if inked and max(ref.h, w.h) > 2.2 * min(ref.h, w.h):
                continue
            key = ((w.x0 - last.x1) - ov * 5 * w.h, i)  # equal keys: the line begun first
            if best_key is None or key < best_key:
                best, best_key = i, key
        if best is None:
            lines.append([w])
            refs.append(w)
            insort(levels, (here, len(lines) - 1))
        else:
            lines[best].append(w)
            if inked or not _inked(refs[best]):
                ref = refs[best]
                del levels[bisect_left(levels, (ref.cy - slope * ref.cx, best))]
                refs[best] = w
                insort(levels, (here, best))
    return lines


def page_skew(lines: list[list[Word]]) -> float:
    """The page's slope (dy/dx), the median over lines long enough to show it; 0 when too few do."""
    slopes = []
    for ln in lines:
        if len(ln) < 3:
            continue
        h = statistics.median(w.h for w in ln)
        xs, ys = [w.cx for w in ln], [w.cy for w in ln]
        if xs[-1] - xs[0] < 12 * h:
            continue
        mx, my = statistics.fmean(xs), statistics.fmean(ys)
        den = sum((x - mx) ** 2 for x in xs)
        slopes.append(sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / den)
    if len(slopes) < 3:
        return 0.0
    slope = statistics.median(slopes)
    return slope if MIN_SKEW <= abs(slope) <= MAX_SKEW else 0.0


def build_rows(words: list[Word], page_index: int) -> list[list[Segment]]:
    """Chain words left to right into rows, then cut rows into segments at column gaps.

    Chaining on the neighbouring word (not a global y band) keeps a slightly
    skewed scan's lines together across the page; a column gap is bridged along
    the page's measured slope.
    """
    words = [w for w in words if w.text.strip()]
    if not words:
        return []
    lines = _chain(words, 0.0)
    slope = page_skew(lines)
    if slope:
        lines = _chain(words, slope)

    def level(ln: list[Word]) -> float:  # where the line meets the page's left edge, deskewed
        return statistics.median(w.cy - slope * w.cx for w in ln)

    lines.sort(key=level)
    # Merge fragments of one visual line that chaining split (a gap wider than
    # a column break still belongs to the same row for "same row" relations).
    rows: list[list[Word]] = []
    for ln in lines:
        cy = level(ln)
        h = statistics.median(w.h for w in ln)
        # the nearest of the last few rows (a short line between two fragments, such as a lone speck's, must
        # not keep them apart)
        for prev in sorted(rows[-3:], key=lambda r: abs(level(r) - cy)):
            ph = statistics.median(w.h for w in prev)
            if abs(cy - level(prev)) < 0.4 * min(h, ph) and not _x_overlaps(prev, ln):
                prev.extend(ln)
                prev.sort(key=lambda w: w.x0)
                break
        else:
            rows.append(sorted(ln, key=lambda w: w.x0))
    split = _column_gap(rows)
    out: list[list[Segment]] = []
    for r, row in enumerate(rows):
        segs: list[Segment] = []
        cur = [row[0]]
        for w in row[1:]:
            prev = cur[-1]
            # measured on words with ink of a line's height: a colon's box is a point high. A lone dash or dot
            # between words stays a cut ("Nord Logistik - Vertexstraße"): it parts a footer's cells.
            h = statistics.median([x.h for x in cur if _inked(x)] or [x.h for x in cur])
            if _inked(w) or w.text in _PARTING:
                h = min(h, w.h * 1.5)
            gap = w.x0 - prev.x1
            if 0 <= gap <= CUT_GAP * h and one_amount(prev.text, w.text):
                cur[-1] = Word(prev.text + w.text, prev.x0, min(prev.y0, w.y0), w.x1, max(prev.y1, w.y1),
                               min(prev.conf, w.conf))
                continue
            if gap > split * h and not (gap <= CUT_GAP * h and cut_value(prev.text, w.text)):
                segs.append(Segment(cur, page_index))
                cur = [w]
            else:
                cur.append(w)
        segs.append(Segment(cur, page_index))
        for c, s in enumerate(segs):
            s.row, s.col = r, c
        out.append(segs)
    return out


def _column_gap(rows: list[list[Word]]) -> float:
    """Gap (in word heights) that separates columns rather than words on this page.

    Word spacing differs between generators and OCR boxes; the typical gap is
    the lower part of the gap distribution, a column gap is several times it.
    """
    gaps = sorted(
        (b.x0 - a.x1) / min(a.h, b.h)
        for row in rows for a, b in zip(row, row[1:]) if b.x0 > a.x1 and _inked(a) and _inked(b)
    )
    if len(gaps) < 10:
        return 0.8
    typical = gaps[len(gaps) * 3 // 10]
    # capped at 1.2 word heights. A degraded scan spaces its words up to 1.4 heights apart, so "May 19, | 2023"
    # falls into two cells there; a cap of 1.6 mended that on the tuned scans (+12 fields) but glued vendor
    # names to their neighbours on held-back ones (3 of 47 vendor names lost, nothing gained)
    return min(max(3.0 * typical, 0.5), 1.2)


#: a gap (in word heights) wider than the page's column gap but narrow enough to be a scan's widened word
#: space; only a value cut in two (``cut_value``) is joined across it
CUT_GAP = 1.6
#: an amount's leading group and the rest, with its grouping mark on one side of the gap or on neither
#: ("16 | 376,86", "€6 | ,698.80", "€1, | 712.35")
_GROUP_HEAD = re.compile(r"^[(\-\u2212]?(?:[$\u20ac\u00a3]|[A-Z]{3})?\d{1,3}(?P<g>[.,'\u2019])?$")
_GROUP_TAIL = re.compile(r"^(?P<g>[.,'\u2019])?\d{3}(?:[.,'\u2019]\d{3})*(?P<d>[.,])\d{2}(?!\d)")
_DAY_HEAD = re.compile(r"^\d{1,2}(?:[.,/\-]|(?:st|nd|rd|th)\.?,?)?$", re.I)
_DAY_TAIL = re.compile(r"^\d{1,2}(?:st|nd|rd|th)?[.,]?$", re.I)
_YEAR_TAIL = re.compile(r"^(?:19|20)\d{2}(?!\d)")
_NET = {"net", "netto", "netto:"}
_COUNT = re.compile(r"^\d{1,3}$")
_DAYS = {"days", "jours", "tage", "tagen", "dagen", "giorni", "dias"}


def _amount_cut(left: str, right: str) -> int | None:
    """How many grouping marks stand at the gap between two words that are one amount cut at its thousands
    group (0: "16 | 376,86", 1: "€6 | ,698.80"); None where they are not. The decimal mark must be the other
    mark and the cents printed: "€191. | 33" and "1, | 712,35" are no amount."""
    head, tail = _GROUP_HEAD.match(left), _GROUP_TAIL.match(right)
    if head is None or tail is None:
        return None
    marks = [g for g in (head["g"], tail["g"]) if g]
    if len(marks) > 1 or (marks and marks[0] == tail["d"]):
        return None
    return len(marks)


def one_amount(left: str, right: str) -> bool:
    """Two words of one row that are one amount OCR cut beside its grouping mark ("€6 | ,698.80": a blur widened
    the gap there): ``build_rows`` makes them one word, so that the mark joins the groups again."""
    return _amount_cut(left, right) == 1


def cut_value(left: str, right: str) -> bool:
    """Two words a scan spaced apart that belong to one value: an amount's thousands group ("16 | 376,86"),
    a date's day, month or year ("May | 19,", "19, | 2023", "21 | mars | 2022") or terms' days ("Net | 30", "45 | jours")."""
    if _amount_cut(left, right) == 0:
        return True
    if _DAY_HEAD.match(left) and (_YEAR_TAIL.match(right) or fold(right).rstrip(".,") in MONTH_WORDS):
        return True
    word = fold(left).rstrip(".")
    if word in MONTH_WORDS and _YEAR_TAIL.match(right):
        return True
    if _COUNT.match(left) and fold(right).rstrip(".,") in _DAYS:
        return True
    return bool(_DAY_TAIL.match(right)) and (word in MONTH_WORDS or word in _NET)


def _x_overlaps(a: list[Word], b: list[Word]) -> bool:
    for w in b:
        for v in a:
            if w.x0 < v.x1 and v.x0 < w.x1:
                return True
    return False
