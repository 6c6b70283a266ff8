"""Confidence calibration: raw candidate scores mapped onto bands that mean what they say.

The engine scores each value from label weights, relations, checks that add
up and OCR word confidence ("raw" confidence). Those scores order values well
but are not probabilities. The maps below are fitted on held-back documents:
the evaluated parts of the benchmark sets, which no rule was tuned on
(``python -m bench.extraction`` fits them and reports them cross-validated by
vendor: each vendor's fields calibrated with maps fitted without that vendor).
Fitted on the tuning documents instead, the maps promised what only tuned
documents deliver. The aim:

* confidence >= 0.8 ("high") means right at least 98 % of the time on
  documents nobody tuned for, with a margin (the fit asks for 99 %);
* 0.5-0.8 ("medium") means right at least 90 % of the time;
* below 0.5 ("low") is everything else, to be checked by a person.

Each map is monotone (piecewise linear through the fitted knots), so a higher
raw score never gets a lower calibrated confidence. Values read by OCR and
values read from a PDF's text layer get a map each (``by_layer``): the same
raw score is worth less on a scan. A field with enough held-back values on a
layer gets a map of its own there (``by_field``): a vendor name read by OCR
earns "high" only where held-back vendor names read by OCR were right, however
well totals did at the same score; the other fields use their layer's map.
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


def load_field_knots(path: Path = _FILE, data: dict | None = None) -> dict[str, dict[str, tuple]]:
    """The maps fitted per layer and field (``by_field``: layer -> field -> knots); malformed ones are dropped."""
    data = _read(path) if data is None else data
    by_field = data.get("by_field")
    if not isinstance(by_field, dict):
        return {}
    out = {str(layer): load_layer_knots(data={"by_layer": fields}) for layer, fields in by_field.items()}
    return {layer: maps for layer, maps in out.items() if maps}


_SHIPPED = _read(_FILE)
KNOTS = load_knots(data=_SHIPPED)
LAYER_KNOTS = load_layer_knots(data=_SHIPPED)
FIELD_KNOTS = load_field_knots(data=_SHIPPED)


def calibrate(raw: float, knots=None, layer: str | None = None, field: str | None = None, *,
              maps: dict | None = None) -> float:
    """The calibrated confidence of a raw score (piecewise linear between knots, clamped to 0..0.99): with
    ``knots`` given, through them; else through the field's own map on the layer it was read from, else that
    layer's map, else the pooled one. ``maps`` (``fit_maps``'s answer) stands in for the shipped maps."""
    if knots is not None:
        return _through(raw, knots)
    pooled, layers, fields = ((KNOTS, LAYER_KNOTS, FIELD_KNOTS) if maps is None else
                              (maps["knots"], maps["by_layer"], maps["by_field"]))
    own = fields.get(layer or "", {}).get(field or "")
    return _through(raw, own or layers.get(layer or "", pooled))


def _through(raw: float, knots) -> float:
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
    """Knots from (raw score, was it right) pairs of held-back documents.

    ``t_high``: the lowest raw score above which at least ``high`` of the values
    were right (and at least ``min_count`` of them); it maps to 0.8. ``t_med``:
    the same with ``medium`` for the values below ``t_high``; it maps to 0.5.
    Scores at 0 map to 0, at 1 to 0.99; without a ``t_high`` nothing reaches
    0.8 (nor 0.5 without a ``t_med``).
    """
    def threshold(ranked: list, target: float) -> float | None:
        ok = n = 0
        best = None
        for i, (raw, right) in enumerate(ranked):
            n += 1
            ok += bool(right)
            tied = i + 1 < len(ranked) and ranked[i + 1][0] == raw  # a threshold takes every value at its score
            if not tied and n >= min_count and ok / n >= target:
                best = raw
        return best

    t_high = threshold(sorted(pairs, key=lambda p: -p[0]), high)
    # the medium band on its own: what is left below "high" (else "medium" would borrow the high band's record)
    t_med = threshold(sorted((p for p in pairs if t_high is None or p[0] < t_high), key=lambda p: -p[0]), medium)
    knots = [(0.0, 0.0)]
    if t_med is not None and (t_high is None or t_med < t_high) and 0.0 < t_med < 1.0:
        knots.append((t_med, 0.5))
    if t_high is None:  # no score earned "high" here: the top stays below it (and below medium without t_med)
        knots.append((1.0, 0.79 if len(knots) > 1 else 0.49))
    elif t_high >= 1.0:
        knots.append((1.0, 0.8))
    else:
        if t_high > 0.0:
            knots.append((t_high, 0.8))
        knots.append((1.0, 0.99))
    return tuple(knots)


def fit_maps(items, *, min_layer: int = 60, min_field: int = 20) -> dict:
    """The maps of held-back ``(raw, right, layer, field)`` values: the pooled one, one per layer with at least
    ``min_layer`` values, one per field of a layer with at least ``min_field`` of them there (a field's own map
    asks for ``min_field`` values above "high", where the others ask for 30)."""
    items = list(items)
    maps = {"knots": fit([(raw, ok) for raw, ok, _, _ in items]), "by_layer": {}, "by_field": {}}
    for layer in sorted({lay for _, _, lay, _ in items if lay}):
        mine = [(raw, ok, name) for raw, ok, lay, name in items if lay == layer]
        if len(mine) >= min_layer:
            maps["by_layer"][layer] = fit([(raw, ok) for raw, ok, _ in mine])
        for name in sorted({n for *_, n in mine}):
            pairs = [(raw, ok) for raw, ok, n in mine if n == name]
            if len(pairs) >= min_field:
                maps["by_field"].setdefault(layer, {})[name] = fit(pairs, min_count=min_field)
    return maps
