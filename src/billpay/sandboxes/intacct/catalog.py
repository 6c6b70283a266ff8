"""What a company's objects look like: the standard definitions plus its user-defined dimensions.

Typed values: ``parse_value`` turns request text into the stored Python value
of a field, ``render_value`` writes a stored value back as Intacct does, and
``get_value`` reads a (possibly dotted) field of a stored record.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal, InvalidOperation
from typing import Any

from ...connectors.base import xmlcodec
from . import schema
from .company import Company
from .errors import IntacctError, business, query_failed

LINE_OBJECTS = ("APBILLITEM",)


def object_def(company: Company, name: str) -> schema.ObjectDef | None:
    """The definition of ``name`` in this company (case-insensitive), or None."""
    upper = (name or "").strip().upper()
    if upper in company.udds:
        return schema.user_dimension(upper, company.udds[upper])
    found = schema.STANDARD.get(upper)
    if found is None:
        return None
    if upper in LINE_OBJECTS and company.udds:
        extra = tuple(schema.Field(f"GLDIM{u}", schema.TEXT, label) for u, label in company.udds.items())
        return replace(found, fields=found.fields + extra)
    return found


def require_object(company: Company, name: str, *, for_query: bool = False) -> schema.ObjectDef:
    found = object_def(company, name)
    if found is None:
        if for_query:
            raise query_failed(f"Object definition {name} not found")
        raise business("Invalid object", f"Object definition {name} not found",
                       "Check the object name; it is case sensitive in lists of objects.")
    return found


def line_def(company: Company, parent: schema.ObjectDef, collection: str) -> schema.ObjectDef:
    found = object_def(company, parent.lines[collection])
    assert found is not None
    return found


def get_value(record: dict, name: str) -> Any:
    """A stored field; ``DISPLAYCONTACT.EMAIL1`` reads the nested group."""
    if "." in name:
        group, _, leaf = name.partition(".")
        nested = record.get(group)
        return nested.get(leaf) if isinstance(nested, dict) else None
    return record.get(name)


def set_value(record: dict, name: str, value: Any) -> None:
    if "." in name:
        group, _, leaf = name.partition(".")
        record.setdefault(group, {})[leaf] = value
    else:
        record[name] = value


def parse_value(company: Company, f: schema.Field, text: str, *, obj: str = "") -> Any:
    """Request text -> the stored value; ``IntacctError`` naming the field when it does not parse."""
    text = text.strip()
    if text == "":
        return None
    try:
        if f.type == schema.INTEGER:
            return int(text)
        if f.type == schema.DECIMAL:
            value = Decimal(text)
            if not value.is_finite():
                raise InvalidOperation
            return value
        if f.type == schema.DATE:
            return dt.datetime.strptime(text, "%m/%d/%Y").date()
        if f.type == schema.TIMESTAMP:
            return company.parse_timestamp(text)
        if f.type == schema.BOOLEAN:
            lowered = text.lower()
            if lowered not in ("true", "false"):
                raise ValueError
            return lowered == "true"
    except (ValueError, InvalidOperation):
        raise _bad_value(f, text, obj) from None
    if f.values and f.type == schema.ENUM and text not in f.values:
        raise business("Invalid field value", f"'{text}' is not a valid value for {f.name}. Valid values are: "
                       f"{', '.join(f.values)}.", f"Use one of the valid values for {f.name}.")
    if f.max_length and len(text) > f.max_length:
        raise business("Field value too long", f"{f.name} allows at most {f.max_length} characters; '{text[:20]}…' "
                       f"has {len(text)}.", f"Shorten {f.name}.")
    return text


def _bad_value(f: schema.Field, text: str, obj: str) -> IntacctError:
    formats = {schema.DATE: "mm/dd/yyyy", schema.TIMESTAMP: "MM/DD/YYYY HH:MM:SS", schema.INTEGER: "a whole number",
               schema.DECIMAL: "a decimal number without thousands separators", schema.BOOLEAN: "true or false"}
    where = f" on {obj}" if obj else ""
    return business("Invalid field value", f"'{text}' is not a valid value for {f.name}{where}; use "
                    f"{formats.get(f.type, 'text')}.", f"Correct {f.name}.")


def render_value(company: Company, value: Any) -> str:
    """A stored value as Intacct writes it (timestamps on the company's clock)."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return company.timestamp_text(value)
    return xmlcodec.scalar(value)
