"""The Intacct XML envelope, function builders and response parsing (no HTTP here).

A request is ``<request><control>…</control><operation><authentication>…</authentication>
<content><function controlid="…">…</function>…</content></operation></request>``. A response has
three status levels — ``control/status``, ``operation/authentication/status`` and one
``result/status`` per function — and errors in ``<errormessage><error>`` at whichever level failed.

Dates are ``mm/dd/yyyy``; timestamps ``MM/DD/YYYY HH:MM:SS`` on the company's clock (no zone).
"""
from __future__ import annotations

import copy
import datetime as dt
import uuid
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Iterable, Sequence

from billpay.connectors.base import xmlcodec

GATEWAY_PATH = "/ia/xml/xmlgw.phtml"
OFFICIAL_ENDPOINT = "https://api.intacct.com" + GATEWAY_PATH
#: Functions one request carries at most.
MAX_FUNCTIONS = 100
#: ``query`` page size limit, and values one ``in`` filter may hold.
QUERY_PAGE = 2000
MAX_IN = 1000
TIMESTAMP_FORMAT = "%m/%d/%Y %H:%M:%S"


@dataclass
class Function:
    """One ``<function>``; ``control_id=None`` gets a fresh id on every send (reads inside write requests,
    which must never be refused as a repeat when the request is retried)."""

    body: xmlcodec.Element
    control_id: str | None = None

    @property
    def name(self) -> str:
        return self.body.tag


def envelope(*, sender_id: str, sender_password: str, auth: xmlcodec.Element, functions: Sequence[Function],
             unique: bool, transaction: bool = False) -> tuple[bytes, list[str]]:
    """The request document and the control ids its functions were sent with."""
    root = xmlcodec.build("request", {"control": {
        "senderid": sender_id, "password": sender_password, "controlid": f"billpay-{uuid.uuid4()}",
        "uniqueid": unique, "dtdversion": "3.0", "includewhitespace": False}})
    operation = xmlcodec.append(root, "operation", {"@transaction": transaction})
    operation.append(auth)
    content = xmlcodec.append(operation, "content")
    ids = []
    for function in functions:
        control_id = function.control_id or f"read-{uuid.uuid4()}"
        ids.append(control_id)
        holder = xmlcodec.append(content, "function", {"@controlid": control_id})
        holder.append(copy.deepcopy(function.body))
    return xmlcodec.to_bytes(root), ids


def login_auth(user_id: str, company_id: str, password: str, entity_id: str | None) -> xmlcodec.Element:
    return xmlcodec.build("authentication", {"login": {"userid": user_id, "companyid": company_id,
                                                       "password": password, "locationid": entity_id or ""}})


def session_auth(session_id: str) -> xmlcodec.Element:
    return xmlcodec.build("authentication", {"sessionid": session_id})


# -- function builders ------------------------------------------------------------------------------------


def get_api_session() -> xmlcodec.Element:
    return xmlcodec.build("getAPISession")


def query(obj: str, fields: Iterable[str], *, where: xmlcodec.Element | None = None, order_by: str = "RECORDNO",
          pagesize: int = QUERY_PAGE, offset: int = 0) -> xmlcodec.Element:
    node = xmlcodec.build("query", {"object": obj, "select": {"field": list(fields)}})
    if where is not None:
        xmlcodec.append(node, "filter").append(where)
    if order_by:
        xmlcodec.append(node, "orderby", {"order": {"field": order_by, "ascending": None}})
    xmlcodec.append(node, "options", {"showprivate": True})
    xmlcodec.append(node, "pagesize", pagesize)
    xmlcodec.append(node, "offset", offset)
    return node


def condition(operator: str, name: str, *values: Any) -> xmlcodec.Element:
    return xmlcodec.build(operator, {"field": name, "value": [xmlcodec.scalar(v) for v in values]})


def all_of(*conditions: xmlcodec.Element | None) -> xmlcodec.Element | None:
    kept = [c for c in conditions if c is not None]
    if not kept:
        return None
    if len(kept) == 1:
        return kept[0]
    node = xmlcodec.build("and")
    for c in kept:
        node.append(c)
    return node


def any_of(*conditions: xmlcodec.Element) -> xmlcodec.Element:
    if len(conditions) == 1:
        return conditions[0]
    node = xmlcodec.build("or")
    for c in conditions:
        node.append(c)
    return node


def read(obj: str, keys: Iterable[str], fields: str = "*") -> xmlcodec.Element:
    return xmlcodec.build("read", {"object": obj, "keys": ",".join(keys), "fields": fields})


def create(obj: str, values: dict) -> xmlcodec.Element:
    return xmlcodec.build("create", {obj: values})


def update(obj: str, values: dict) -> xmlcodec.Element:
    return xmlcodec.build("update", {obj: values})


def delete(obj: str, keys: Iterable[str]) -> xmlcodec.Element:
    return xmlcodec.build("delete", {"object": obj, "keys": ",".join(keys)})


def get_dimensions() -> xmlcodec.Element:
    return xmlcodec.build("getDimensions")


# -- responses --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ErrorInfo:
    errorno: str
    description: str = ""
    description2: str = ""
    correction: str = ""

    @property
    def text(self) -> str:
        return " ".join(p for p in (self.description, self.description2, self.correction) if p)

    def raw(self) -> dict:
        return {"errorno": self.errorno, "description": self.description, "description2": self.description2,
                "correction": self.correction}


@dataclass
class Result:
    function: str
    control_id: str
    status: str
    data: xmlcodec.Element | None = None
    errors: list[ErrorInfo] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == "success"

    def records(self) -> list[dict]:
        """The records of ``<data>`` as dicts of stripped text (nested groups and line collections as dicts)."""
        return [xmlcodec.to_python(child) for child in xmlcodec.children(self.data)]

    def attr(self, name: str, default: int = 0) -> int:
        try:
            return int(self.data.get(name, default)) if self.data is not None else default
        except ValueError:
            return default


@dataclass
class Response:
    control_status: str
    control_errors: list[ErrorInfo]
    auth_status: str | None = None
    auth_errors: list[ErrorInfo] = field(default_factory=list)
    session_timestamp: str | None = None
    session_timeout: str | None = None
    results: list[Result] = field(default_factory=list)


def errors_in(holder: xmlcodec.Element | None) -> list[ErrorInfo]:
    if holder is None:
        return []
    return [ErrorInfo(xmlcodec.text(e, "errorno") or "", xmlcodec.text(e, "description") or "",
                      xmlcodec.text(e, "description2") or "", xmlcodec.text(e, "correction") or "")
            for e in holder.findall("error")]


def parse_response(body: bytes) -> Response:
    """The response's status levels, errors and results; ``XMLFormatError`` when it is not XML,
    ``ValueError`` when it is not an Intacct response."""
    root = xmlcodec.parse(body)
    if root.tag != "response":
        raise ValueError(f"not an Intacct response: <{root.tag}>")
    response = Response(xmlcodec.text(root, "control/status") or "", errors_in(root.find("errormessage")))
    operation = root.find("operation")
    if operation is None:
        return response
    auth = operation.find("authentication")
    response.auth_status = xmlcodec.text(auth, "status")
    response.auth_errors = errors_in(operation.find("errormessage"))
    response.session_timestamp = xmlcodec.text(auth, "sessiontimestamp")
    response.session_timeout = xmlcodec.text(auth, "sessiontimeout")
    for node in operation.findall("result"):
        response.results.append(Result(xmlcodec.text(node, "function") or "", xmlcodec.text(node, "controlid") or "",
                                       xmlcodec.text(node, "status") or "", node.find("data"),
                                       errors_in(node.find("errormessage"))))
    return response


# -- values ---------------------------------------------------------------------------------------------------


def parse_date(text: Any) -> dt.date | None:
    if not isinstance(text, str) or not text.strip():
        return None
    try:
        return dt.datetime.strptime(text.strip(), "%m/%d/%Y").date()
    except ValueError:
        return None


def parse_timestamp(text: Any) -> dt.datetime | None:
    """``MM/DD/YYYY HH:MM:SS`` -> a naive datetime on the company's clock."""
    if not isinstance(text, str) or not text.strip():
        return None
    try:
        return dt.datetime.strptime(text.strip(), TIMESTAMP_FORMAT)
    except ValueError:
        return None


def format_timestamp(moment: dt.datetime) -> str:
    return moment.strftime(TIMESTAMP_FORMAT)


def parse_instant(text: str | None) -> dt.datetime | None:
    """An ISO 8601 time with an offset (``sessiontimestamp``/``sessiontimeout``)."""
    if not text:
        return None
    try:
        value = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return value if value.tzinfo is not None else None


def parse_amount(text: Any) -> Decimal | None:
    if not isinstance(text, str) or not text.strip():
        return None
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        return None
    return value if value.is_finite() else None
