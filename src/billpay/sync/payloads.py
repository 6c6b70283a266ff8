"""Payloads as JSON and back, exactly: what a create sent is kept with its attempt and replayed as sent.

Decimals travel as strings, dates as ISO text; nested line payloads and mappings come back as the
dataclasses they were. Works for every frozen payload dataclass of ``sync.ports``.
"""
from __future__ import annotations

import collections.abc
import dataclasses
import datetime as dt
import types
import typing
from decimal import Decimal
from typing import Any

from . import ports

KINDS: dict[str, type] = {"bill": ports.BillPayload, "payment": ports.BillPaymentPayload,
                          "vendor_credit": ports.VendorCreditPayload, "vendor": ports.VendorPayload}


def encode(payload: Any) -> dict:
    out = {}
    for f in dataclasses.fields(payload):
        out[f.name] = _plain(getattr(payload, f.name))
    return out


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value):
        return encode(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, typing.Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def decode(cls: type, data: dict) -> Any:
    hints = typing.get_type_hints(cls)
    kwargs = {}
    for f in dataclasses.fields(cls):
        if f.name in data:
            kwargs[f.name] = _typed(hints[f.name], data[f.name])
    return cls(**kwargs)


def _typed(hint: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is typing.Union or origin is types.UnionType:
        inner = [a for a in args if a is not type(None)]
        return _typed(inner[0], value) if inner else value
    if hint is Decimal:
        return Decimal(str(value))
    if hint is dt.date:
        return dt.date.fromisoformat(value)
    if hint is dt.datetime:
        return dt.datetime.fromisoformat(value)
    if dataclasses.is_dataclass(hint):
        return decode(hint, value)
    if origin in (list, tuple, collections.abc.Sequence):
        item = args[0] if args else Any
        return [_typed(item, v) for v in value]
    if origin in (dict, collections.abc.Mapping):
        return dict(value)
    return value
