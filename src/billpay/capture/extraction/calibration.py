"""Confidence calibration: raw candidate scores mapped onto bands that mean what they say.

The engine scores each value from label weights, relations, checks that add
up and OCR word confidence ("raw" confidence). Those scores order values well
but are not probabilities. The map below is fitted on the tuning documents
only (``python -m bench.extraction`` fits it and reports how it holds on the
evaluation documents) so that

* confidence >= 0.8 ("high") means right at least 98 % of the time on the
  fitting data, with a margin (the fit asks for 99 %);
* 0.5-0.8 ("medium") means right at least 90 % of the time;
* below 0.5 ("low") is everything else, to be checked by a person.

The map is monotone (piecewise linear through the fitted knots), so a higher
raw score never gets a lower calibrated confidence. Values read by OCR and
values read from a PDF's text layer get a map each (``by_layer``): the same
raw score is worth less on a scan, and one map for both let scans' errors
into the high band.
"""
from __future__ import annotations

import json
from bisect import bisect_right
from pathlib import Path

_FILE = Path(__file__).with_name("calibration.json")
#: knots (raw, calibrated), raw ascending; the identity when no fit is shipped
_IDENTITY = ((0.0, 0.0), (1.0, 1.0))


def _read(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _knots(raw) -> tuple[tuple[float, float], ...] | None:
    try:
        knots = tuple((float(r), float(c)) for r, c in raw)
    except (ValueError, TypeError):
        return None
    return knots if is_monotone(knots) else None


def is_monotone(knots) -> bool:
    return len(knots) >= 2 and all(a[0] < b[0] and a[1] <= b[1] for a, b in zip(knots, knots[1:]))


def load_knots(path: Path = _FILE, data: dict | None = None) -> tuple[tuple[float, float], ...]:
    """The pooled map (every layer's tuned fields); the identity when none is shipped or it is malformed."""
    data = _read(path) if data is None else data
    return _knots(data.get("knots")) or _IDENTITY


def load_layer_knots(path: Path = _FILE, data: dict | None = None) -> dict[str, tuple[tuple[float, float], ...]]:
    """The maps fitted per reading layer (``ocr``, ``text``); layers without one use ``KNOTS``."""
    data = _read(path) if data is None else data
    by_layer = data.get("by_layer")
    if not isinstance(by_layer, dict):
        return {}
    out = {str(layer): _knots(knots) for layer, knots in by_layer.items()}
    return {layer: knots for layer, knots in out.items() if knots}


_SHIPPED = _read(_FILE)
KNOTS = load_knots(data=_SHIPPED)
LAYER_KNOTS = load_layer_knots(data=_SHIPPED)


def calibrate(raw: float, knots=None, layer: str | None = None) -> float:
    """The calibrated confidence of a raw score (piecewise linear between knots, clamped to 0..0.99), with the
    map of the layer the value was read from when one was fitted."""
    if knots is None:
        knots = LAYER_KNOTS.get(layer or "", KNOTS)
    xs = [k[0] for k in knots]
    if raw <= xs[0]:
        return max(0.0, min(knots[0][1], 0.99))
    if raw >= xs[-1]:
        return max(0.0, min(knots[-1][1], 0.99))
    i = bisect_right(xs, raw) - 1
    (x0, y0), (x1, y1) = knots[i], knots[i + 1]
    return max(0.0, min(y0 + (y1 - y0) * (raw - x0) / (x1 - x0), 0.99))


def fit(pairs: list[tuple[float, bool]], high: float = 0.99, medium: float = 0.9,
        min_count: int = 30) -> tuple[tuple[float, float], ...]:
    """Knots from (raw score, was it right) pairs of the tuning documents.

    ``t_high``: the lowest raw score above which at least ``high`` of the values
    were right (and at least ``min_count`` of them); it maps to 0.8. ``t_med``:
    the same with ``medium``; it maps to 0.5. Scores at 0 map to 0, at 1 to 0.99.
    """
    ranked = sorted(pairs, key=lambda p: -p[0])

    def threshold(target: float) -> float | None:
        ok = n = 0
        best = None
        for raw, right in ranked:
            n += 1
            ok += bool(right)
            if n >= min_count and ok / n >= target:
                best = raw
        return best

    t_high = threshold(high)
    t_med = threshold(medium)
    knots = [(0.0, 0.0)]
    if t_med is not None and (t_high is None or t_med < t_high) and 0.0 < t_med < 1.0:
        knots.append((t_med, 0.5))
    if t_high is not None and 0.0 < t_high < 1.0:
        knots.append((t_high, 0.8))
    knots.append((1.0, 0.99))
    return tuple(knots)
