"""One XML request through the gateway, with no HTTP in it: parse, check the control block,
authenticate, run every function, build the response.

``parse_request`` reads the envelope (``<request><control>…<operation><authentication>…<content>``)
and raises ``ControlFault`` for what the request schema does not allow.
``run_functions`` executes the functions of an authenticated operation:

- each function is atomic; with ``<operation transaction="true">`` they are one
  transaction, and one failure rolls every function back (``aborted`` +
  XL03000009 on each result);
- with ``<uniqueid>true</uniqueid>`` (the default) a function whose
  ``controlid`` already completed for this sender and company is refused with
  "A successful transaction has already been recorded…" and writes nothing.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Callable

from ...connectors.base import xmlcodec
from . import bills, reads, records, schema
from .catalog import require_object
from .company import Company
from .errors import (
    ErrorDetail,
    IntacctError,
    already_recorded,
    business,
    errormessage,
    rolled_back,
    schema_error,
)

MAX_FUNCTIONS = 100
MAX_CONTROL_ID = 256
WRITES = ("create", "update", "delete")
READS = ("query", "readByQuery", "readMore", "read", "readByName", "lookup", "inspect", "getDimensions")
SESSION_FUNCTION = "getAPISession"


@dataclass
class Control:
    sender_id: str
    password: str
    control_id: str
    unique: bool
    dtd_version: str
    include_whitespace: bool


@dataclass
class Login:
    user_id: str
    company_id: str
    password: str
    location_id: str | None


@dataclass
class ParsedRequest:
    control: Control
    login: Login | None
    session_id: str | None
    transaction: bool
    functions: list[tuple[str, xmlcodec.Element]]

    @property
    def names(self) -> list[str]:
        return [operation.tag for _, operation in self.functions]


@dataclass
class Outcome:
    """What ``run_functions`` did: the ``<result>`` elements and facts for the request log and faults."""

    results: list[xmlcodec.Element] = field(default_factory=list)
    committed_writes: int = 0
    refused_repeats: int = 0


def _required(parent: xmlcodec.Element, name: str, where: str) -> str:
    node = parent.find(name)
    if node is None:
        raise schema_error(f"Element '{name}' is required in <{where}>.")
    return xmlcodec.text(node) or ""


def parse_request(body: bytes) -> ParsedRequest:
    try:
        root = xmlcodec.parse(body)
    except xmlcodec.XMLFormatError as exc:
        where = f" Line: {exc.line}, column: {exc.column}." if exc.line else ""
        raise schema_error(f"Fatal Error: {exc}.{where}") from None
    if root.tag != "request":
        raise schema_error(f"The root element must be <request>, not <{root.tag}>.")
    control = root.find("control")
    if control is None:
        raise schema_error("Element 'control' is required in <request>.")
    unique_text = (xmlcodec.text(control, "uniqueid") or "true").lower()
    whitespace = (xmlcodec.text(control, "includewhitespace") or "true").lower()
    parsed_control = Control(
        sender_id=_required(control, "senderid", "control"), password=_required(control, "password", "control"),
        control_id=_required(control, "controlid", "control"), unique=unique_text != "false",
        dtd_version=_required(control, "dtdversion", "control"), include_whitespace=whitespace != "false")
    if not 1 <= len(parsed_control.control_id) <= MAX_CONTROL_ID:
        raise schema_error(f"controlid must be 1 to {MAX_CONTROL_ID} characters.")
    if parsed_control.dtd_version not in ("3.0", "3"):
        raise schema_error(f"dtdversion '{parsed_control.dtd_version}' is not supported; this gateway speaks 3.0.")
    operations = root.findall("operation")
    if len(operations) != 1:
        raise schema_error("A request holds exactly one <operation>.")
    operation = operations[0]
    auth = operation.find("authentication")
    if auth is None:
        raise schema_error("Element 'authentication' is required in <operation>.")
    login_el, session_el = auth.find("login"), auth.find("sessionid")
    if (login_el is None) == (session_el is None):
        raise schema_error("<authentication> holds either <login> or <sessionid>.")
    login = None
    if login_el is not None:
        login = Login(user_id=_required(login_el, "userid", "login"),
                      company_id=_required(login_el, "companyid", "login"),
                      password=_required(login_el, "password", "login"),
                      location_id=xmlcodec.text(login_el, "locationid") or None)
    content = operation.find("content")
    if content is None:
        raise schema_error("Element 'content' is required in <operation>.")
    functions = []
    for function in xmlcodec.children(content):
        if function.tag != "function":
            raise schema_error(f"<content> holds <function> elements, not <{function.tag}>.")
        control_id = function.get("controlid")
        if not control_id or len(control_id) > MAX_CONTROL_ID:
            raise schema_error(f"Every <function> needs a controlid attribute of 1 to {MAX_CONTROL_ID} characters.")
        inner = xmlcodec.children(function)
        if len(inner) != 1:
            raise schema_error("A <function> holds exactly one operation element.")
        functions.append((control_id, inner[0]))
    if len(functions) > MAX_FUNCTIONS:
        raise schema_error(f"The request holds {len(functions)} functions; at most {MAX_FUNCTIONS} are allowed.")
    transaction = (operation.get("transaction") or "false").lower() == "true"
    return ParsedRequest(parsed_control, login, xmlcodec.text(session_el) if session_el is not None else None,
                         transaction, functions)


def control_block(control: Control | None, status: str) -> xmlcodec.Element:
    block = xmlcodec.build("control", {"status": status})
    if control is not None:
        xmlcodec.append(block, "senderid", control.sender_id)
        xmlcodec.append(block, "controlid", control.control_id)
        xmlcodec.append(block, "uniqueid", control.unique)
        xmlcodec.append(block, "dtdversion", control.dtd_version)
    return block


def result_element(function: str, control_id: str, status: str, data: xmlcodec.Element | None = None,
                   errors: list[ErrorDetail] | None = None) -> xmlcodec.Element:
    result = xmlcodec.build("result", {"status": status, "function": function, "controlid": control_id})
    if data is not None:
        result.append(data)
    if errors:
        result.append(errormessage(errors))
    return result


@dataclass
class FunctionContext:
    """Everything a function may touch: the company, the session, where the client reached us."""

    company: Company
    user_id: str
    entity: str | None
    now: dt.datetime
    base_url: str
    session_id: str
    results: dict[str, reads.ResultSet]

    def read_ctx(self) -> reads.ReadContext:
        return reads.ReadContext(self.company, self.entity, self.now, self.base_url, self.session_id)

    def write_ctx(self) -> records.WriteContext:
        return records.WriteContext(self.company, self.now, self.user_id, self.entity, self.base_url)


def run_functions(request: ParsedRequest, fctx: FunctionContext,
                  api_session: Callable[[xmlcodec.Element], xmlcodec.Element]) -> Outcome:
    """Execute the request's functions; ``api_session(node)`` answers a ``getAPISession`` with its ``<data>``."""
    company, outcome = fctx.company, Outcome()
    sender = request.control.sender_id
    if request.transaction:
        company.begin()
    failed = False
    for control_id, node in request.functions:
        name = node.tag
        key = f"{sender}|{control_id}"
        if not request.transaction:
            company.begin()
        try:
            if request.control.unique and key in company.controls:
                outcome.refused_repeats += 1
                raise already_recorded(control_id)
            data = api_session(node) if name == SESSION_FUNCTION else execute(fctx, node)
            if request.control.unique:
                company.record_control(key)
        except IntacctError as error:
            if not request.transaction:
                company.rollback()
            outcome.results.append(result_element(name, control_id, "failure", errors=error.details))
            failed = True
            continue
        if not request.transaction:
            company.commit()
        if name in WRITES:
            outcome.committed_writes += 1
        outcome.results.append(result_element(name, control_id, "success", data))
    if request.transaction:
        if failed:
            company.rollback()
            outcome.committed_writes = 0
            for result in outcome.results:
                result.find("status").text = "aborted"
                holder = result.find("errormessage")
                if holder is None:
                    holder = xmlcodec.append(result, "errormessage")
                holder.append(rolled_back().element())
        else:
            company.commit()
    return outcome


def execute(fctx: FunctionContext, node: xmlcodec.Element) -> xmlcodec.Element | None:
    name = node.tag
    if name == "query":
        return reads.query(fctx.read_ctx(), node)
    if name == "readByQuery":
        return reads.read_by_query(fctx.read_ctx(), node, fctx.results)
    if name == "readMore":
        return reads.read_more(fctx.read_ctx(), node, fctx.results)
    if name in ("read", "readByName"):
        return reads.read(fctx.read_ctx(), node, by_name=name == "readByName")
    if name == "lookup":
        return reads.lookup(fctx.read_ctx(), node)
    if name == "inspect":
        return reads.inspect(fctx.read_ctx(), node)
    if name == "getDimensions":
        return reads.get_dimensions(fctx.read_ctx(), node)
    if name in ("create", "update"):
        return _write(fctx, node, name)
    if name == "delete":
        return _delete(fctx, node)
    raise business("Unknown function", f"The function '{name}' is not supported by this gateway.",
                   "Use one of: " + ", ".join((SESSION_FUNCTION, *READS, *WRITES)) + ".")


def _write(fctx: FunctionContext, node: xmlcodec.Element, action: str) -> xmlcodec.Element:
    objects = xmlcodec.children(node)
    if not objects:
        raise business("Missing object", f"<{action}> needs at least one object element.", "Add the object.")
    ctx = fctx.write_ctx()
    saved: list[tuple[schema.ObjectDef, dict]] = []
    for element in objects:
        obj = require_object(fctx.company, element.tag)
        if element.tag != obj.name:
            raise business("Invalid object", f"Object names are upper case: use <{obj.name}>, not <{element.tag}>.",
                           f"Use <{obj.name}>.")
        if not obj.writable:
            raise business("Invalid operation", f"{obj.name} records cannot be written through the API.",
                           "Read this object only.")
        values, lines = records.read_fields(ctx, obj, element, allow=("RECORDNO",) if action == "update" else ())
        if action == "create" and values.get("RECORDNO") is not None:
            raise business("Read-only field", "RECORDNO is assigned by Sage Intacct.", "Remove RECORDNO.")
        if obj.name == "APBILL":
            record = bills.create_bill(ctx, values, lines) if action == "create" else bills.update_bill(ctx, values,
                                                                                                       lines)
        elif obj.name == "APPYMT":
            if action == "update":
                raise business("Invalid operation", "Posted AP payments cannot be updated; only drafts can, and "
                               "this gateway keeps payments posted.", "Reverse the payment and create a new one.")
            record = bills.create_payment(ctx, values, lines)
        elif lines:
            raise business("Invalid field", f"{obj.name} has no line collection {next(iter(lines))}.",
                           "Remove the lines.")
        elif action == "create":
            record = records.create_simple(ctx, obj, values)
        else:
            record = records.update_simple(ctx, obj, values)
        saved.append((obj, record))
    data = xmlcodec.build("data", {"@listtype": "objects", "@count": len(saved)})
    read_ctx = fctx.read_ctx()
    for obj, record in saved:
        names = ["RECORDNO"] + ([obj.key] if obj.key != "RECORDNO" else ["RECORD_URL"])
        data.append(reads.render(read_ctx, obj, record, obj.name.lower(), names, dotted=True))
    return data


def _delete(fctx: FunctionContext, node: xmlcodec.Element) -> xmlcodec.Element:
    obj = require_object(fctx.company, xmlcodec.text(node, "object") or "")
    if not obj.deletable:
        raise business("Invalid operation", f"{obj.name} records cannot be deleted through the API.", "")
    keys = [k.strip() for k in (xmlcodec.text(node, "keys") or "").split(",") if k.strip()]
    if not keys:
        raise business("Required field missing", "keys (record numbers) is required to delete.", "Provide keys.")
    ctx = fctx.write_ctx()
    data = xmlcodec.build("data", {"@listtype": "objects", "@count": len(keys)})
    for key in keys:
        if not key.isdigit():
            raise records.key_error(obj, key)
        if obj.name == "APBILL":
            bills.delete_bill(ctx, int(key))
        elif obj.name == "APPYMT":
            bills.delete_payment(ctx, int(key))
        else:
            records.delete_simple(ctx, obj, int(key))
        xmlcodec.append(data, obj.name.lower(), {"RECORDNO": key})
    return data
