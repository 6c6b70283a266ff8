"""Reads: ``query``, ``readByQuery``/``readMore``, ``read``, ``readByName``, ``lookup``, ``inspect``,
``getDimensions``.

Result shapes follow the documentation and what clients parse:

- ``query``: ``<data listtype="APBILL" totalcount offset count numremaining>`` with children tagged
  exactly as the object (``<APBILL>``) holding the selected fields only;
- ``readByQuery``/``readMore``/``read``/``readByName``: ``<data listtype="apbill" …>`` with lower-case
  children; ``readByQuery`` pages carry ``resultId`` while rows remain;
- ``read`` of an AP bill or payment includes its lines (``<APBILLITEMS><apbillitem>``).
"""
from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field
from typing import Any, Iterator

from ...connectors.base import xmlcodec
from . import schema
from .catalog import get_value, render_value, require_object
from .company import Company
from .errors import business, query_failed
from .filters import Compiler, sort_key

QUERY_MAX_PAGE, QUERY_DEFAULT_PAGE = 2000, 100
READ_MAX_PAGE, READ_DEFAULT_PAGE = 1000, 100
LINE_PARENTS = {"APBILLITEM": ("APBILL", "APBILLITEMS"), "APPYMTDETAIL": ("APPYMT", "APPYMTDETAILS")}


@dataclass
class ReadContext:
    company: Company
    entity: str | None
    now: dt.datetime
    base_url: str
    session_id: str


@dataclass
class ResultSet:
    """What ``readMore`` continues: the rows of one ``readByQuery``, the fields, where it stopped."""

    result_id: str
    company_id: str
    session_id: str
    obj: str
    fields: list[str] | None
    rows: list[dict]
    position: int
    pagesize: int
    created_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc))


def rows_of(ctx: ReadContext, obj: schema.ObjectDef) -> Iterator[dict]:
    """The records of ``obj`` the session may see (lines of bills and payments included as rows)."""
    company = ctx.company
    if obj.name in LINE_PARENTS:
        parent, collection = LINE_PARENTS[obj.name]
        for record in company.values(parent):
            if company.visible(record, ctx.entity):
                for line in record.get(collection, []):
                    yield {**line, "MEGAENTITYID": record.get("MEGAENTITYID")}
        return
    if obj.name == "LOCATIONENTITY":
        for entity in company.entities.values():
            if ctx.entity in (None, entity.id):
                yield {"RECORDNO": entity.recordno, "LOCATIONID": entity.id, "NAME": entity.name,
                       "REPORTPRINTAS": entity.name, "CURRENCY": entity.currency, "STATUS": "active"}
        return
    for record in company.values(obj.name):
        if company.visible(record, ctx.entity):
            yield record


def computed(ctx: ReadContext, obj: schema.ObjectDef, record: dict, name: str) -> Any:
    if name == "RECORD_URL" and obj.name in ("APBILL", "APPYMT", "CLASS"):
        return f"{ctx.base_url}/ia/acct/ur.phtml?.r={obj.name.lower()}-{record.get('RECORDNO')}"
    if name == "DUE_IN_DAYS" and record.get("WHENDUE"):
        return (record["WHENDUE"] - ctx.company.local(ctx.now).date()).days
    return get_value(record, name)


def render(ctx: ReadContext, obj: schema.ObjectDef, record: dict, tag: str, fields: list[str] | None, *,
           dotted: bool, lines: bool = False) -> xmlcodec.Element:
    """One record as an element named ``tag``; ``fields`` None means every field."""
    element = xmlcodec.build(tag)
    names = fields if fields is not None else obj.field_names
    groups: dict[str, xmlcodec.Element] = {}
    for name in names:
        value = render_value(ctx.company, computed(ctx, obj, record, name))
        if "." in name and not dotted:
            group, _, leaf = name.partition(".")
            if group not in groups:
                groups[group] = xmlcodec.append(element, group)
            xmlcodec.append(groups[group], leaf, value)
        else:
            xmlcodec.append(element, name, value)
    if lines:
        for collection, item_name in obj.lines.items():
            item_def = require_object(ctx.company, item_name)
            holder = xmlcodec.append(element, collection)
            for line in record.get(collection, []):
                holder.append(render(ctx, item_def, line, item_name.lower(), None, dotted=False))
    return element


def _select(obj: schema.ObjectDef, names: list[str]) -> list[str]:
    out = []
    for name in names:
        f = obj.field(name)
        if f is None or f.write_only:
            raise query_failed(f"Invalid field '{name}' for object {obj.name}: the field is not defined")
        out.append(f.name)
    return out


def _pagesize(text: str | None, default: int, maximum: int) -> int:
    if text in (None, ""):
        return default
    try:
        size = int(text)
    except ValueError:
        raise query_failed(f"pagesize '{text}' is not a number") from None
    if not 1 <= size <= maximum:
        raise query_failed(f"pagesize must be between 1 and {maximum}")
    return size


# -- query ----------------------------------------------------------------------------------------------


def query(ctx: ReadContext, node: xmlcodec.Element) -> xmlcodec.Element:
    obj = require_object(ctx.company, xmlcodec.text(node, "object") or "", for_query=True)
    select = node.find("select")
    if select is None or not xmlcodec.children(select):
        raise query_failed("The select element with at least one field is required; returning all fields is not "
                           "supported")
    aggregates = [c.tag for c in xmlcodec.children(select) if c.tag != "field"]
    if aggregates:
        raise query_failed(f"Aggregate functions ({', '.join(aggregates)}) are not supported by this sandbox")
    fields = _select(obj, [xmlcodec.text(c) or "" for c in xmlcodec.children(select)])
    options = node.find("options")
    case_insensitive = (xmlcodec.text(options, "caseinsensitive") or "").lower() == "true"
    fmt = (xmlcodec.text(options, "returnformat") or "xml").lower()
    if fmt != "xml":
        raise query_failed(f"returnformat {fmt} is not supported by this sandbox; use xml")
    compiler = Compiler(ctx.company, obj, case_insensitive=case_insensitive)
    rows = list(rows_of(ctx, obj))
    filter_node = node.find("filter")
    if filter_node is not None:
        conditions = xmlcodec.children(filter_node)
        if len(conditions) != 1:
            raise query_failed("The filter element holds exactly one condition (combine several with and/or)")
        predicate = compiler.element(conditions[0])
        rows = [r for r in rows if predicate(r)]
    orders = node.findall("orderby/order")
    if not orders:
        rows.sort(key=lambda r: r.get("RECORDNO") or 0)
    for order in reversed(orders):
        f = compiler.field(xmlcodec.text(order, "field") or "")
        rows.sort(key=sort_key(compiler, f), reverse=order.find("descending") is not None)
    pagesize = _pagesize(xmlcodec.text(node, "pagesize"), QUERY_DEFAULT_PAGE, QUERY_MAX_PAGE)
    try:
        offset = int(xmlcodec.text(node, "offset") or 0)
    except ValueError:
        raise query_failed("offset must be a number") from None
    if offset < 0:
        raise query_failed("offset must not be negative")
    page = rows[offset:offset + pagesize]
    data = xmlcodec.build("data", {"@listtype": obj.name, "@totalcount": len(rows), "@offset": offset,
                                   "@count": len(page), "@numremaining": max(len(rows) - offset - len(page), 0)})
    for record in page:
        data.append(render(ctx, obj, record, obj.name, fields, dotted=True))
    return data


# -- readByQuery / readMore -------------------------------------------------------------------------------


def read_by_query(ctx: ReadContext, node: xmlcodec.Element, results: dict[str, ResultSet]) -> xmlcodec.Element:
    obj = require_object(ctx.company, xmlcodec.text(node, "object") or "", for_query=True)
    fmt = (xmlcodec.text(node, "returnFormat") or "xml").lower()
    if fmt != "xml":
        raise query_failed(f"returnFormat {fmt} is not supported by this sandbox; use xml")
    fields = _fields_list(obj, xmlcodec.text(node, "fields"))
    predicate = Compiler(ctx.company, obj).text(xmlcodec.text(node, "query") or "")
    rows = sorted((r for r in rows_of(ctx, obj) if predicate(r)), key=lambda r: r.get("RECORDNO") or 0)
    pagesize = _pagesize(xmlcodec.text(node, "pagesize"), READ_DEFAULT_PAGE, READ_MAX_PAGE)
    result = ResultSet(_result_id(), ctx.company.company_id, ctx.session_id, obj.name, fields, rows, 0, pagesize)
    return _page(ctx, obj, result, results)


def read_more(ctx: ReadContext, node: xmlcodec.Element, results: dict[str, ResultSet]) -> xmlcodec.Element:
    result_id = xmlcodec.text(node, "resultId")
    found = None
    if result_id:
        found = results.get(result_id)
    else:
        wanted = (xmlcodec.text(node, "object") or "").upper()
        candidates = [r for r in results.values() if r.obj == wanted and r.session_id == ctx.session_id]
        found = candidates[-1] if candidates else None
    if found is None or found.company_id != ctx.company.company_id:
        raise business("Invalid resultId", f"There is no result set '{result_id or ''}' to read more from; it was "
                       "read to the end or has expired.", "Run readByQuery again.")
    results.pop(found.result_id, None)
    return _page(ctx, require_object(ctx.company, found.obj), found, results)


def _page(ctx: ReadContext, obj: schema.ObjectDef, result: ResultSet, results: dict[str, ResultSet]
          ) -> xmlcodec.Element:
    page = result.rows[result.position:result.position + result.pagesize]
    result.position += len(page)
    remaining = len(result.rows) - result.position
    if remaining > 0:
        results[result.result_id] = result
    data = xmlcodec.build("data", {"@listtype": obj.name.lower(), "@count": len(page),
                                   "@totalcount": len(result.rows), "@numremaining": remaining,
                                   "@resultId": result.result_id if remaining > 0 else ""})
    for record in page:
        data.append(render(ctx, obj, record, obj.name.lower(), result.fields, dotted=False))
    return data


def _fields_list(obj: schema.ObjectDef, text: str | None) -> list[str] | None:
    if text in (None, "", "*"):
        return None
    return _select(obj, [part.strip() for part in text.split(",") if part.strip()])


def _result_id() -> str:
    return secrets.token_hex(6).upper() + secrets.token_urlsafe(16)


# -- read / readByName ----------------------------------------------------------------------------------


def read(ctx: ReadContext, node: xmlcodec.Element, *, by_name: bool = False) -> xmlcodec.Element:
    obj = require_object(ctx.company, xmlcodec.text(node, "object") or "")
    fmt = (xmlcodec.text(node, "returnFormat") or "xml").lower()
    if fmt != "xml":
        raise query_failed(f"returnFormat {fmt} is not supported by this sandbox; use xml")
    fields = _fields_list(obj, xmlcodec.text(node, "fields"))
    keys = [k.strip() for k in (xmlcodec.text(node, "keys") or "").split(",") if k.strip()]
    if by_name and obj.key == "RECORDNO":
        raise business("Invalid object", f"{obj.name} has no name to read by; use read with record numbers.",
                       "Use read.")
    found = []
    for key in keys:
        if by_name:
            record = ctx.company.by_key(obj.name, key)
        else:
            record = next((r for r in rows_of(ctx, obj) if str(r.get("RECORDNO")) == key), None) \
                if obj.name in LINE_PARENTS or obj.name == "LOCATIONENTITY" else ctx.company.get(obj.name, key)
        if record is not None and ctx.company.visible(record, ctx.entity):
            found.append(record)
    data = xmlcodec.build("data", {"@listtype": obj.name.lower(), "@count": len(found)})
    for record in found:
        data.append(render(ctx, obj, record, obj.name.lower(), fields, dotted=False,
                           lines=fields is None and bool(obj.lines)))
    return data


# -- lookup / inspect / getDimensions ----------------------------------------------------------------------


def lookup(ctx: ReadContext, node: xmlcodec.Element) -> xmlcodec.Element:
    obj = require_object(ctx.company, xmlcodec.text(node, "object") or "")
    data = xmlcodec.build("data", {"@listtype": "All", "@count": 1})
    holder = xmlcodec.append(data, "Type", {"@Name": obj.name, "@DocumentType": ""})
    fields = xmlcodec.append(holder, "Fields")
    for f in obj.fields:
        if f.write_only:
            continue
        values = f.values or (schema.BILL_STATES if f.name == "STATE" and obj.name == "APBILL" else ())
        entry: dict[str, Any] = {"ID": f.name, "LABEL": f.display, "DESCRIPTION": f.display,
                                 "REQUIRED": f.required, "READONLY": f.readonly, "DATATYPE": f.type, "ISCUSTOM": False}
        if values:
            entry["VALIDVALUES"] = {"VALIDVALUE": list(values)}
        xmlcodec.append(fields, "Field", entry)
    relationships = xmlcodec.append(holder, "Relationships")
    for collection, item in obj.lines.items():
        xmlcodec.append(relationships, "Relationship", {"OBJECTPATH": collection, "OBJECTNAME": item,
                                                        "LABEL": item, "RELATIONSHIPTYPE": "ONE2MANY"})
    return data


def inspect(ctx: ReadContext, node: xmlcodec.Element) -> xmlcodec.Element:
    obj = require_object(ctx.company, xmlcodec.text(node, "object") or "")
    detail = node.get("detail") == "1"
    data = xmlcodec.build("data", {"@listtype": "All", "@count": 1})
    holder = xmlcodec.append(data, "Type", {"@Name": obj.name})
    fields = xmlcodec.append(holder, "Fields")
    for number, f in enumerate(obj.fields, start=1):
        if detail:
            xmlcodec.append(fields, "Field", {
                "Name": f.name, "GroupName": "", "dataName": f.name.lower(), "externalDataName": f.name,
                "isRequired": f.required, "isReadOnly": f.readonly, "maxLength": f.max_length or "",
                "DisplayLabel": f.display, "Description": f.display, "id": number, "relatedObjects": None})
        else:
            xmlcodec.append(fields, "Field", f.name)
    return data


def get_dimensions(ctx: ReadContext, node: xmlcodec.Element) -> xmlcodec.Element:
    data = xmlcodec.build("data")
    holder = xmlcodec.append(data, "dimensions")
    for name, label, _ in schema.STANDARD_DIMENSIONS:
        xmlcodec.append(holder, "dimension", {"objectName": name, "objectLabel": label, "termLabel": label,
                                              "userDefinedDimension": False, "enabledInGL": True})
    for name, label in ctx.company.udds.items():
        xmlcodec.append(holder, "dimension", {"objectName": name, "objectLabel": label, "termLabel": label,
                                              "userDefinedDimension": True, "enabledInGL": True})
    return data
