"""JSON for vendor wire formats: decimals in, decimals out, never floats.

The sandboxes speak the same JSON as the connectors (numbers with a fraction
parsed as ``Decimal``, ``Decimal`` written as a JSON number, floats refused),
so they share the connectors' codec; ``dumps(..., number=...)`` lets a
platform render numbers its own way.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Callable

from ...connectors.base.codec import decimal_literal as plain_decimal
from ...connectors.base.codec import dumps, loads

NumberFormat = Callable[[Decimal], str]

__all__ = ["NumberFormat", "dumps", "loads", "plain_decimal"]
