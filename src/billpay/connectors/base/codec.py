"""JSON in and out without ever turning money into a float.

``loads`` parses every JSON number with a fraction as ``Decimal``; ``dumps``
writes ``Decimal`` as a plain JSON number (``200.00``, never ``2E+2``).
The standard library's encoder cannot emit a raw number for a custom type,
so the encoder here is a small recursive one; strings go through
``json.dumps`` for correct escaping.
"""
from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any, Callable


def loads(data: bytes | str) -> Any:
    """Parse JSON; numbers with a fraction or exponent become ``Decimal``."""
    return json.loads(data, parse_float=Decimal)


def decimal_literal(amount: Decimal) -> str:
    """``Decimal`` as a JSON number literal in fixed-point notation (negative zero written as zero)."""
    if not amount.is_finite():
        raise ValueError(f"cannot encode non-finite amount {amount!r}")
    text = format(amount, "f")
    return "0" if text in ("-0", "-0.0", "") else text


def dumps(value: Any, *, number: Callable[[Decimal], str] = decimal_literal) -> str:
    """Serialise ``value`` to compact JSON; ``number`` writes each ``Decimal`` (exactly, by default)."""
    parts: list[str] = []
    _encode(value, parts, number)
    return "".join(parts)


def _encode(value: Any, out: list[str], number: Callable[[Decimal], str] = decimal_literal) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, Decimal):
        out.append(number(value))
    elif isinstance(value, int):
        out.append(str(value))
    elif isinstance(value, float):
        # Floats are refused on purpose: money must arrive here as Decimal.
        raise TypeError("floats are not allowed in platform payloads; use Decimal")
    elif isinstance(value, str):
        out.append(json.dumps(value, ensure_ascii=False))
    elif isinstance(value, (dt.date, dt.datetime)):
        out.append(json.dumps(value.isoformat()))
    elif isinstance(value, dict):
        out.append("{")
        for index, (key, item) in enumerate(value.items()):
            if index:
                out.append(",")
            out.append(json.dumps(str(key), ensure_ascii=False))
            out.append(":")
            _encode(item, out, number)
        out.append("}")
    elif isinstance(value, (list, tuple)):
        out.append("[")
        for index, item in enumerate(value):
            if index:
                out.append(",")
            _encode(item, out, number)
        out.append("]")
    else:
        raise TypeError(f"cannot encode {type(value).__name__} as JSON")
