"""The API v2.0 resource tree: resolve an OData path, run the method on the company's records.

Paths are relative to ``/v2.0/[{tenant}/]{environment}/api/v2.0/``:

- ``companies``, ``companies({id})``;
- ``companies({id})/{entitySet}[({id})]`` for every entity set in ``schema.ENTITIES``, and
  navigations below a keyed record (``purchaseInvoices({id})/purchaseInvoiceLines``,
  ``purchaseInvoiceLines({id})/dimensionSetLines``, ``dimensions({id})/dimensionValues``,
  ``vendorPaymentJournals({id})/vendorPayments`` …);
- ``…/$count`` (a plain-text integer) and bound actions ``…({id})/Microsoft.NAV.post``.

Without ``companies({id})`` the company comes from the ``company`` query parameter or the
``Company``/``CompanyId`` header (id or name), as ``$batch`` clients send it.

Writes follow BC: POST answers 201 with the entity (and ``Location``), or 204 with
``Prefer: return=minimal``; PATCH needs ``If-Match`` (``*`` or the current ``@odata.etag``;
missing -> 400 ``BadRequest_InvalidToken``, stale -> 409 ``Request_EntityChanged``) and answers 200;
DELETE and actions check ``If-Match`` only when it is sent, and answer 204.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable

from . import documents as docs
from . import errors, ledger, lookup, odata, render
from .company import PARENT_FIELD, TABLE_CAPTIONS, TABLE_OF, Company
from .schema import ENTITIES, Entity, parse_guid, wire_value

_SEGMENT = re.compile(r"^([A-Za-z$][A-Za-z0-9_.$]*)(?:\((.*)\))?$")
WRITE_METHODS = ("POST", "PATCH", "PUT", "DELETE")
#: Top-level reads BC refuses without a parent filter.
NEEDS_PARENT = {
    "purchaseInvoiceLines": ("documentId", "You must specify an Id or a Document Id to get the lines."),
    "purchaseCreditMemoLines": ("documentId", "You must specify an Id or a Document Id to get the lines."),
    "vendorPayments": ("journalId", "You must specify a journal batch ID or a journal ID to get a journal line."),
    "dimensionSetLines": ("parentId", "You must specify a parent Id to get the dimension set lines."),
}


@dataclass
class ApiRequest:
    method: str
    path: str                                  # relative to .../api/v2.0/
    params: list[tuple[str, str]] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    body: Any = None
    root: str = ""                             # absolute URL of .../api/v2.0 as the client addressed it


@dataclass
class ApiResponse:
    status: int
    body: Any = None                           # dict (JSON), str (text/plain or XML), or None
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json; odata.metadata=minimal"
    location: str | None = None                # the created entity's path (for $batch references)


@dataclass
class Target:
    company: Company | None
    set_name: str = "companies"
    record: dict | None = None
    parent_set: str | None = None
    parent: dict | None = None
    action: str | None = None
    count: bool = False
    path: str = ""

    @property
    def entity(self) -> Entity:
        return ENTITIES[self.set_name]

    @property
    def table(self) -> str:
        return TABLE_OF.get(self.set_name, self.set_name)


class Api:
    """Dispatch for one environment; ``companies`` is the environment's company map."""

    def __init__(self, companies: dict[str, Company], *, now: Callable, today: Callable, page_size: int,
                 take_stale: Callable[[], bool]) -> None:
        self.companies = companies
        self.now, self.today = now, today
        self.page_size = page_size
        self.take_stale = take_stale

    # -- resolution ---------------------------------------------------------------------------------
    def resolve(self, req: ApiRequest) -> Target:
        raw = [s for s in req.path.strip("/").split("/") if s]
        segments = []
        for text in raw:
            match = _SEGMENT.match(text)
            if match is None:
                raise errors.no_resource(f"{req.root}/{req.path}")
            key = match.group(2)
            if key is not None:
                key = key.strip().strip("'")
                if key.lower().startswith("id="):
                    key = key[3:].strip().strip("'")
            segments.append((match.group(1), key))
        if not segments:
            raise errors.no_resource(f"{req.root}/")
        company = None
        if segments[0][0] == "companies":
            name, key = segments.pop(0)
            if key is None:
                if segments:
                    raise errors.no_resource(f"{req.root}/{req.path}")
                return Target(None, path="companies")
            company = self.companies.get(_guid(key))
            if company is None:
                raise errors.company_not_found(key)
            if not segments:
                return Target(company, record=None, path="companies({id})")
        else:
            company = self._hinted_company(req)
        name, key = segments.pop(0)
        if name not in ENTITIES or name == "companies":
            raise errors.no_resource(f"{req.root}/{req.path}")
        target = Target(company, name, path=f"{name}" + ("({id})" if key else ""))
        if key is not None:
            target.record = self._lookup(target, key)
        for name, key in segments:
            if target.count or target.action:
                raise errors.no_resource(f"{req.root}/{req.path}")
            if name == "$count":
                target.count = True
                target.path += "/$count"
                continue
            if name.startswith("Microsoft.NAV."):
                action = name[len("Microsoft.NAV."):]
                if target.record is None or action not in target.entity.actions:
                    raise errors.no_resource(f"{req.root}/{req.path}")
                target.action = action
                target.path += f"/{name}"
                continue
            nav_target = target.entity.navigations.get(name)
            if nav_target is None or target.record is None:
                raise errors.no_resource(f"{req.root}/{req.path}")
            target = Target(company, nav_target, parent_set=target.set_name, parent=target.record,
                            path=target.path + f"/{name}" + ("({id})" if key else ""))
            if key is not None:
                target.record = self._lookup(target, key)
        return target

    def _hinted_company(self, req: ApiRequest) -> Company:
        hint = dict(req.params).get("company") or req.headers.get("company") or req.headers.get("companyid")
        if not hint:
            raise errors.no_resource(f"{req.root}/{req.path}")
        for company in self.companies.values():
            if company.id == hint.lower() or company.name == hint:
                return company
        raise errors.company_not_found(hint)

    def _lookup(self, target: Target, key: str) -> dict:
        c = target.company
        assert c is not None
        key = _guid(key)
        if target.set_name == "companyInformation":
            if key != c.id:
                raise errors.record_not_found("Company Information", f"Id='{key}'")
            return c.info
        if target.set_name == "dimensionSetLines":
            if target.parent is None:
                raise errors.dialog("You must get to the parent first to get a dimension set line.")
            record = c.get("dimensionSetLines", f"{target.parent['id']}:{key}")
        else:
            record = c.get(target.table, key)
            if record is not None and target.parent is not None:
                parent_field = target.entity.parent_field
                if parent_field and record.get(parent_field) != target.parent["id"]:
                    record = None
            if record is not None and target.set_name == "vendorPaymentJournals" and record.get("_template") != "PAYMENT":
                record = None
        if record is None:
            raise errors.record_not_found(TABLE_CAPTIONS.get(target.set_name, target.set_name), f"Id='{key}'")
        return record

    # -- dispatch -----------------------------------------------------------------------------------
    def handle(self, req: ApiRequest) -> ApiResponse:
        target = self.resolve(req)
        method = req.method.upper()
        if target.company is None or (target.set_name == "companies" and target.record is None):
            if method != "GET":
                raise errors.method_not_allowed(method, "companies")
            return self._companies(req, target)
        if target.action:
            if method != "POST":
                raise errors.method_not_allowed(method, target.action)
            return self._action(req, target)
        if method == "GET":
            return self._get(req, target)
        if not target.entity.writable:
            raise errors.method_not_allowed(method, target.set_name)
        if method == "POST":
            if target.record is not None:
                raise errors.method_not_allowed(method, target.set_name)
            return self._create(req, target)
        if target.record is None:
            raise errors.method_not_allowed(method, f"Collection({target.entity.type_name})")
        if method in ("PATCH", "PUT"):
            return self._patch(req, target)
        if method == "DELETE":
            return self._delete(req, target)
        raise errors.method_not_allowed(method, target.set_name)

    def _rows(self, target: Target, options: odata.QueryOptions) -> list[dict]:
        c = target.company
        assert c is not None
        if target.set_name == "companyInformation":
            return [c.info]
        if target.parent is not None:
            return c.children(target.table, target.parent["id"])
        need = NEEDS_PARENT.get(target.set_name)
        if need and need[0] not in (options.filter or ""):
            raise errors.dialog(need[1])
        narrowed = lookup.candidates(c, target.table, target.entity, options.filter)
        rows = narrowed if narrowed is not None else list(c.rows(target.table))
        if target.set_name == "vendorPaymentJournals":
            rows = [r for r in rows if r.get("_template") == "PAYMENT"]
        return rows

    def children(self, c: Company) -> render.Children:
        def of(navigation: str, record: dict) -> list:
            table = TABLE_OF.get(navigation, navigation)
            return c.children(table, record["id"]) if table in PARENT_FIELD else []
        return of

    def _context(self, req: ApiRequest, target: Target, single: bool) -> str:
        prefix = f"companies({target.company.id})/" if target.company else ""
        path = prefix + re.sub(r"\(\{id\}\)", "", target.path)
        return f"{req.root}/$metadata#{path}" + ("/$entity" if single else "")

    def _get(self, req: ApiRequest, target: Target) -> ApiResponse:
        params = dict(req.params)
        options = odata.parse_options(params)
        c = target.company
        assert c is not None
        if target.record is not None:
            body = {"@odata.context": self._context(req, target, True),
                    **render.render_record(c, target.entity, target.record, options, self.children(c))}
            return ApiResponse(200, body, {"ETag": c.etag(target.record)})
        rows = self._rows(target, options)
        if target.count:
            return ApiResponse(200, str(len(render.query(target.entity, rows, options))), content_type="text/plain")
        size, applied = render.prefer_page_size(req.headers.get("prefer"), self.page_size)
        url = f"{req.root}/{req.path.strip('/')}"
        page = render.collection(c, target.entity, rows, options, context=self._context(req, target, False),
                                 children=self.children(c), page_size=size, url=url, params=req.params)
        return ApiResponse(200, page.body, {"Preference-Applied": applied} if applied else {})

    def _companies(self, req: ApiRequest, target: Target) -> ApiResponse:
        entity = ENTITIES["companies"]
        options = odata.parse_options(dict(req.params))
        records = [_company_record(c) for c in self.companies.values()]
        if target.company is not None:
            record = _company_record(target.company)
            body = {"@odata.context": f"{req.root}/$metadata#companies/$entity",
                    **_render_plain(entity, record, render.select_names(entity, options))}
            return ApiResponse(200, body)
        rows = render.query(entity, records, options)
        return ApiResponse(200, {"@odata.context": f"{req.root}/$metadata#companies", "value": [
            _render_plain(entity, r, render.select_names(entity, options)) for r in rows]})

    # -- writes ---------------------------------------------------------------------------------------
    def _create(self, req: ApiRequest, target: Target) -> ApiResponse:
        c, now, today = target.company, self.now(), self.today()
        assert c is not None
        body, name = req.body, target.set_name
        if name in ("purchaseInvoices", "purchaseCreditMemos"):
            record = docs.create_document(c, name, body, now, today)
        elif name in ("purchaseInvoiceLines", "purchaseCreditMemoLines"):
            record = docs.create_line(c, name, target.parent, body, now)
        elif name == "dimensionSetLines":
            record = docs.create_dimension(c, target.parent_set, target.parent, body, now)
        elif name == "vendorPayments":
            record = ledger.create_payment(c, target.parent, body, now, today)
        elif name == "vendors":
            record = _create_vendor(c, body, now)
        elif name == "vendorPaymentJournals":
            record = _create_journal(c, body, now)
        else:
            raise errors.method_not_allowed("POST", name)
        key = record["id"]
        location = f"companies({c.id})/{target.path}({key})"
        return self._entity_answer(req, target, record, 201, location)

    def _entity_answer(self, req: ApiRequest, target: Target, record: dict, status: int,
                       location: str | None = None) -> ApiResponse:
        c = target.company
        assert c is not None
        headers = {"ETag": c.etag(record)}
        if location:
            headers["Location"] = f"{req.root}/{location}"
        if "return=minimal" in req.headers.get("prefer", "") or "return-no-content" in req.headers.get("prefer", ""):
            return ApiResponse(204, None, {**headers, "Preference-Applied": "return=minimal"}, location=location)
        options = odata.parse_options(dict(req.params))
        single = Target(c, target.set_name, record, target.parent_set, target.parent, path=target.path)
        body = {"@odata.context": self._context(req, single, True),
                **render.render_record(c, target.entity, record, options, self.children(c))}
        return ApiResponse(status, body, headers, location=location)

    def _check_if_match(self, req: ApiRequest, target: Target, *, required: bool) -> None:
        c, record = target.company, target.record
        assert c is not None and record is not None
        sent = req.headers.get("if-match")
        if sent is None:
            if required:
                raise errors.missing_if_match()
            return
        if self.take_stale():  # fault "stale_next": another user saved the record just before
            c.touch(target.table, record["_key"], self.now())
        if sent.strip() == "*":
            return
        if sent.strip() != c.etag(record):
            raise errors.entity_changed()

    def _patch(self, req: ApiRequest, target: Target) -> ApiResponse:
        self._check_if_match(req, target, required=True)
        c, now, name, record = target.company, self.now(), target.set_name, target.record
        assert c is not None and record is not None
        if name in ("purchaseInvoices", "purchaseCreditMemos"):
            docs.patch_document(c, name, record, req.body, now)
        elif name in ("purchaseInvoiceLines", "purchaseCreditMemoLines"):
            docs.patch_line(c, name, record, req.body, now)
        elif name == "dimensionSetLines":
            docs.patch_dimension(c, target.parent_set or "", target.parent or {}, record, req.body, now)
        elif name == "vendorPayments":
            ledger.patch_payment(c, record, req.body, now)
        else:
            values, _ = docs.typed_body(name, req.body, creating=False)
            record.update(values)
            c.touch(target.table, record["_key"], now)
        return self._entity_answer(req, target, record, 200)

    def _delete(self, req: ApiRequest, target: Target) -> ApiResponse:
        self._check_if_match(req, target, required=False)
        c, now, name, record = target.company, self.now(), target.set_name, target.record
        assert c is not None and record is not None
        if name in ("purchaseInvoices", "purchaseCreditMemos"):
            docs.delete_document(c, name, record)
        elif name in ("purchaseInvoiceLines", "purchaseCreditMemoLines"):
            docs.delete_line(c, name, record, now)
        elif name == "dimensionSetLines":
            docs.delete_dimension(c, target.parent_set or "", target.parent or {}, record, now)
        elif name in ("vendorPayments", "vendors", "vendorPaymentJournals"):
            if name == "vendors" and any(e["vendorId"] == record["id"] for e in c.rows("vendorLedgerEntries")):
                raise errors.dialog(f"You cannot delete Vendor {record['number']} because there are ledger entries.")
            c.delete(target.table, record["_key"])
        else:
            raise errors.method_not_allowed("DELETE", name)
        return ApiResponse(204)

    def _action(self, req: ApiRequest, target: Target) -> ApiResponse:
        self._check_if_match(req, target, required=False)
        c, now, record = target.company, self.now(), target.record
        assert c is not None and record is not None
        if target.set_name == "purchaseInvoices":
            ledger.post_invoice(c, record, now)
        elif target.set_name == "purchaseCreditMemos":
            ledger.post_credit_memo(c, record, now)
        elif target.set_name == "journals":
            ledger.post_journal(c, record, now)
        else:
            raise errors.no_resource(f"{req.root}/{req.path}")
        return ApiResponse(204)


def _guid(key: str) -> str:
    return parse_guid(key)


def _company_record(c: Company) -> dict:
    return {"id": c.id, "systemVersion": "24.0.16410.18040", "timestamp": 0, "name": c.name[:30],
            "displayName": c.name, "businessProfileId": "", "systemCreatedAt": c.created,
            "systemCreatedBy": None, "systemModifiedAt": c.created, "systemModifiedBy": None}


def _render_plain(entity: Entity, record: dict, select: list[str] | None) -> dict:
    return {name: wire_value(entity.require(name), record.get(name)) for name in (select or list(entity.fields))}


def _create_vendor(c: Company, body: Any, now: Any) -> dict:
    values, _ = docs.typed_body("vendors", body, creating=True)
    if not values.get("number"):
        values["number"] = f"V{c.next_number('vendor', 10000) * 10:06d}"
    if c.find("vendors", number=values["number"]) is not None:
        raise errors.BCError(409, "Internal_EntityWithSameKeyExists",
                             f"The record in table Vendor already exists. Identification fields and values: "
                             f"No.='{values['number']}'")
    values.setdefault("blocked", " ")
    values.setdefault("balance", Decimal(0))
    return c.insert("vendors", values, now)


def _create_journal(c: Company, body: Any, now: Any) -> dict:
    values, _ = docs.typed_body("vendorPaymentJournals", body, creating=True)
    if not values.get("code"):
        raise errors.dialog("Name must have a value in Gen. Journal Batch. It cannot be zero or empty.")
    account = c.get("accounts", values.get("balancingAccountId"))
    values.update(_template="PAYMENT", templateDisplayName="PAYMENT",
                  balancingAccountNumber=account["number"] if account else "")
    return c.insert("journals", values, now)
