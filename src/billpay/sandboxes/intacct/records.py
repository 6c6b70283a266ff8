"""Writes: ``create``, ``update`` and ``delete`` of one object, with Intacct's validation.

``read_fields`` turns an object element of a request into typed values and
refuses unknown, read-only and malformed fields. Dimension-like objects
(vendors, accounts, departments, locations, classes, projects, terms, bank
accounts, user-defined dimensions) share one set of rules here; AP bills and
AP payments have their own in ``bills.py``.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from ...connectors.base import xmlcodec
from . import schema
from .catalog import line_def, parse_value, set_value
from .company import Company
from .errors import IntacctError, business, could_not


@dataclass
class WriteContext:
    company: Company
    now: dt.datetime
    user: str
    #: The entity of the session (None at the top level).
    entity: str | None
    base_url: str = ""

    @property
    def today(self) -> dt.date:
        return self.company.local(self.now).date()

    def entity_fields(self, entity: str | None) -> dict:
        known = self.company.entities.get(entity or "")
        return {"MEGAENTITYID": entity or None, "MEGAENTITYKEY": known.recordno if known else None,
                "MEGAENTITYNAME": known.name if known else None}


def read_fields(ctx: WriteContext, obj: schema.ObjectDef, element: xmlcodec.Element, *,
                allow: tuple[str, ...] = ()) -> tuple[dict, dict[str, list[dict]]]:
    """(header values, line collections) of an object element; ``allow`` names read-only fields accepted
    (``RECORDNO`` on update)."""
    values: dict[str, Any] = {}
    lines: dict[str, list[dict]] = {}
    for child in xmlcodec.children(element):
        tag = child.tag
        if tag in obj.lines:
            item = line_def(ctx.company, obj, tag)
            lines[tag] = [read_fields(ctx, item, entry)[0] for entry in xmlcodec.children(child)
                          if _check_line_tag(entry, obj.lines[tag], obj)]
            continue
        nested = xmlcodec.children(child)
        if nested:
            for leaf in nested:
                _read_one(ctx, obj, f"{tag}.{leaf.tag}", xmlcodec.text(leaf) or "", values, allow)
            continue
        _read_one(ctx, obj, tag, xmlcodec.text(child) or "", values, allow)
    return values, lines


def _check_line_tag(entry: xmlcodec.Element, expected: str, obj: schema.ObjectDef) -> bool:
    if entry.tag != expected:
        raise business("Invalid line", f"{entry.tag} is not a line of {obj.name}; lines are <{expected}>.",
                       f"Send each line as <{expected}>.")
    return True


def _read_one(ctx: WriteContext, obj: schema.ObjectDef, name: str, text: str, values: dict,
              allow: tuple[str, ...]) -> None:
    f = obj.field(name)
    if f is None:
        raise business("Invalid field", f"{name} is not a field of {obj.name}.",
                       f"Remove {name}, or check the spelling (field names are upper case).",
                       follow_up=could_not("save", obj.label))
    if f.readonly and f.name not in allow:
        raise business("Read-only field", f"{f.name} of {obj.name} is set by Sage Intacct and cannot be written.",
                       f"Remove {f.name} from the request.")
    values[f.name] = parse_value(ctx.company, f, text, obj=obj.name)


def active(record: dict | None) -> bool:
    return record is not None and record.get("STATUS", "active") != "inactive"


def reference(ctx: WriteContext, obj: str, key: str | None, label: str, *, what: str) -> dict:
    """A referenced record the session may use (exists, visible, active) or the error Intacct gives."""
    record = ctx.company.by_key(obj, key)
    if record is None or not ctx.company.visible(record, ctx.entity):
        raise business(f"Invalid {label}", f"{label} '{key}': '{key}' specified is not valid.",
                       f"Use an existing {label.lower()}.", follow_up=could_not("create", what))
    if not active(record):
        raise business(f"Invalid {label}", f"The {label.lower()} '{key}' is inactive.",
                       f"Use an active {label.lower()}, or make '{key}' active first.",
                       follow_up=could_not("create", what))
    return record


# -- dimension-like objects --------------------------------------------------------------------------


def create_simple(ctx: WriteContext, obj: schema.ObjectDef, values: dict) -> dict:
    key = obj.key
    for f in obj.fields:
        if f.required and values.get(f.name) in (None, "") and f.name != key:
            raise business("Required field missing", f"{f.name} is required to create a {obj.label}.",
                           f"Provide {f.name}.", follow_up=could_not("create", obj.label))
    if values.get(key) in (None, ""):
        raise business("Required field missing", f"{key} is required to create a {obj.label}.", f"Provide {key}.",
                       follow_up=could_not("create", obj.label))
    if ctx.company.by_key(obj.name, values[key]) is not None:
        raise business(f"Duplicate {obj.label.lower()} ID",
                       f"The {obj.label.lower()} ID '{values[key]}' already exists.",
                       f"Enter a unique {obj.label.lower()} ID.", follow_up=could_not("create", obj.label))
    record: dict[str, Any] = {"STATUS": "active"}
    for name, value in values.items():
        set_value(record, name, value)
    record.update(WHENCREATED=ctx.now, WHENMODIFIED=ctx.now, CREATEDBY=1, MODIFIEDBY=1)
    entity = None if obj.name in schema.SHARED_BY_DEFAULT and ctx.entity is None else ctx.entity
    if obj.name == "LOCATION":
        parent = values.get("PARENTID")
        if parent and ctx.company.by_key("LOCATION", parent) is None:
            raise business("Invalid parent", f"Parent location '{parent}' does not exist.", "Use an existing parent.")
        record["ENTITY"] = ctx.company.entity_of_location(parent) if parent else None
        entity = record["ENTITY"] or ctx.entity
    if obj.name == "CHECKINGACCOUNT":
        reference(ctx, "GLACCOUNT", values.get("GLACCOUNTNO"), "GL account", what=obj.label)
        entity = ctx.company.entity_of_location(values.get("LOCATIONID")) or ctx.entity
        record.setdefault("CURRENCY", ctx.company.base_currency_of(entity))
    record.update(ctx.entity_fields(entity))
    return ctx.company.insert(obj.name, record, ctx.now, ctx.user)


def find_for_update(ctx: WriteContext, obj: schema.ObjectDef, values: dict) -> dict:
    record = None
    if values.get("RECORDNO") is not None:
        record = ctx.company.get(obj.name, values["RECORDNO"])
    elif obj.key != "RECORDNO" and values.get(obj.key):
        record = ctx.company.by_key(obj.name, values[obj.key])
    else:
        raise business("Required field missing", f"RECORDNO or {obj.key} is required to update a {obj.label}.",
                       "Provide the key of the record to update.", follow_up=could_not("update", obj.label))
    if record is None or not ctx.company.visible(record, ctx.entity):
        key = values.get("RECORDNO") or values.get(obj.key)
        raise business(f"Invalid {obj.label}", f"The {obj.label} with key '{key}' does not exist.",
                       "Check the record number.", follow_up=could_not("update", obj.label))
    return record


def update_simple(ctx: WriteContext, obj: schema.ObjectDef, values: dict) -> dict:
    record = dict(find_for_update(ctx, obj, values))
    for name, value in values.items():
        if name == "RECORDNO":
            continue
        if name == obj.key and value != record.get(obj.key):
            raise business("Invalid update", f"{obj.key} cannot be changed by an update.",
                           f"Create a new {obj.label} instead.")
        set_value(record, name, value)
    record["WHENMODIFIED"], record["MODIFIEDBY"] = modified_at(record.get("WHENMODIFIED"), ctx.now), 1
    return ctx.company.replace(obj.name, record, ctx.now, ctx.user)


def modified_at(previous: Any, now: Any) -> Any:
    """WHENMODIFIED of a record saved again: never the value it had (Intacct stamps every save; the sandbox's
    clock may stand still in a test, so a save in the same second moves the stamp one second on)."""
    if previous is not None and now is not None and previous >= now:
        return previous + dt.timedelta(seconds=1)
    return now


def delete_simple(ctx: WriteContext, obj: schema.ObjectDef, recordno: int) -> dict:
    record = ctx.company.get(obj.name, recordno)
    if record is None or not ctx.company.visible(record, ctx.entity):
        raise business(f"Invalid {obj.label}", f"The {obj.label} with record number '{recordno}' does not exist.",
                       "Check the record number.", follow_up=could_not("delete", obj.label))
    if obj.name == "VENDOR" and any(b.get("VENDORID") == record.get("VENDORID")
                                    for b in ctx.company.values("APBILL")):
        raise business("Cannot delete vendor", f"Vendor '{record.get('VENDORID')}' has transactions and cannot "
                       "be deleted.", "Make the vendor inactive instead.", follow_up=could_not("delete", obj.label))
    return ctx.company.remove(obj.name, int(record["RECORDNO"]), ctx.now, ctx.user)


def key_error(obj: schema.ObjectDef, text: str) -> IntacctError:
    return business("Invalid key", f"'{text}' is not a valid record number of {obj.name}.",
                    "Keys are record numbers (RECORDNO) separated by commas.")
