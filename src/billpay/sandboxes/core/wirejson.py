"""JSON for vendor wire formats: decimals in, decimals out, never floats.

``loads`` parses every JSON number with a fraction as ``Decimal``; ``dumps``
writes ``Decimal`` values as JSON numbers (not strings), as platform APIs do.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Callable

NumberFormat = Callable[[Decimal], str]


def plain_decimal(value: Decimal) -> str:
    """``Decimal`` as a JSON number literal without exponent notation."""
    if not value.is_finite():
        raise ValueError(f"cannot encode {value} as a JSON number")
    text = format(value, "f")
    return "0" if text in ("-0", "-0.0") else text


def loads(text: str | bytes) -> Any:
    return json.loads(text, parse_float=Decimal)


def dumps(value: Any, *, number: NumberFormat = plain_decimal) -> str:
    """Serialise ``value``; ``number`` renders each ``Decimal``."""
    parts: list[str] = []
    _write(value, parts, number)
    return "".join(parts)


def _write(value: Any, out: list[str], number: NumberFormat) -> None:
    if isinstance(value, Decimal):
        out.append(number(value))
    elif isinstance(value, dict):
        out.append("{")
        first = True
        for key, item in value.items():
            if not first:
                out.append(",")
            first = False
            out.append(json.dumps(str(key)))
            out.append(":")
            _write(item, out, number)
        out.append("}")
    elif isinstance(value, (list, tuple)):
        out.append("[")
        for index, item in enumerate(value):
            if index:
                out.append(",")
            _write(item, out, number)
        out.append("]")
    elif isinstance(value, (datetime, date)):
        out.append(json.dumps(value.isoformat()))
    elif isinstance(value, float):
        raise TypeError("floats are not allowed in wire payloads; use Decimal")
    else:
        out.append(json.dumps(value))
