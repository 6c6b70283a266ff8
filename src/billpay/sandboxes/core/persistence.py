"""Saving sandbox state as JSON that keeps Decimal and datetime types."""

from __future__ import annotations

import json
import os
import tempfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

_DECIMAL = "$decimal"
_DATETIME = "$datetime"
_DATE = "$date"


def encode(value: Any) -> str:
    """JSON text for ``value``; Decimal, datetime and date survive a round trip."""
    return json.dumps(_tag(value), separators=(",", ":"), sort_keys=False)


def decode(text: str) -> Any:
    return json.loads(text, object_hook=_untag)


def _tag(value: Any) -> Any:
    if isinstance(value, Decimal):
        return {_DECIMAL: str(value)}
    if isinstance(value, datetime):
        return {_DATETIME: value.isoformat()}
    if isinstance(value, date):
        return {_DATE: value.isoformat()}
    if isinstance(value, dict):
        return {str(k): _tag(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_tag(v) for v in value]
    return value


def _untag(obj: dict) -> Any:
    if len(obj) == 1:
        if _DECIMAL in obj:
            return Decimal(obj[_DECIMAL])
        if _DATETIME in obj:
            return datetime.fromisoformat(obj[_DATETIME])
        if _DATE in obj:
            return date.fromisoformat(obj[_DATE])
    return obj


def save_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so a crash never leaves a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=str(path.parent))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def load_if_present(path: Path) -> Any | None:
    if not path.exists() or path.stat().st_size == 0:
        return None
    return decode(path.read_text(encoding="utf-8"))
