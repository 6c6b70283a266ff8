"""One NetSuite account (a OneWorld company): its records, ids, external ids and deletion log.

Plain data plus bookkeeping; what makes a valid bill or payment lives in
``transactions.py``, the SuiteQL view of the data in ``tables.py``. Callers
hold the state lock.

Internal ids are numeric strings; transactions share one sequence, as
NetSuite's transaction ids do. Every write stamps ``lastModifiedDate`` with the
sandbox clock (to the microsecond, so a bookmark taken in the same second never
hides a change); a delete leaves a ``deletedrecord`` row.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from . import errors
from .records import SCHEMAS, TRANSACTIONS, Body

_SEQUENCE = {"vendorBill": "transaction", "vendorPayment": "transaction"}
_SEQUENCE_START = {"transaction": 1000, "vendor": 100, "account": 50}


@dataclass
class Account:
    account_id: str
    name: str
    created_at: datetime
    records: dict[str, dict[str, dict]] = field(default_factory=lambda: {t: {} for t in SCHEMAS})
    external: dict[str, dict[str, str]] = field(default_factory=lambda: {t: {} for t in SCHEMAS})
    sequences: dict[str, int] = field(default_factory=dict)
    #: bill id -> payment id -> amount applied
    applied: dict[str, dict[str, Decimal]] = field(default_factory=dict)
    deleted: list[dict] = field(default_factory=list)
    #: Bumped by every change, so derived views (SuiteQL result pages) know when to recompute.
    version: int = 0

    # -- reading ---------------------------------------------------------------------------------------
    def get(self, rtype: str, rid: str) -> dict | None:
        return self.records[rtype].get(str(rid))

    def require(self, rtype: str, rid: str) -> dict:
        record = self.get(rtype, rid)
        if record is None:
            raise errors.nonexistent(rtype, str(rid))
        return record

    def by_external_id(self, rtype: str, external_id: str) -> dict | None:
        rid = self.external[rtype].get(external_id)
        return None if rid is None else self.get(rtype, rid)

    def locate(self, rtype: str, key: str) -> dict:
        """A record by internal id or ``eid:<external id>`` (the path forms REST accepts)."""
        if key.lower().startswith("eid:"):
            record = self.by_external_id(rtype, key[4:])
            if record is None:
                raise errors.nonexistent(rtype, key)
            return record
        if not key.isdigit():
            raise errors.invalid_request(f"Invalid record instance identifier '{key}'. Provide a valid record "
                                         "instance ID or an external ID prefixed with eid:.")
        return self.require(rtype, key)

    def values(self, rtype: str) -> list[dict]:
        return list(self.records[rtype].values())

    def resolve(self, rtype: str, ref: dict) -> str:
        """``{"externalId": "x"}`` -> the internal id (write bodies may reference records either way)."""
        external_id = str(ref.get("externalId"))
        rid = self.external[rtype].get(external_id)
        if rid is None:
            raise errors.invalid_reference(rtype, f"eid:{external_id}")
        return rid

    def name_of(self, rtype: str, rid: str) -> str | None:
        record = self.get(rtype, rid)
        if record is None:
            return None
        if rtype == "vendor":
            return record.get("companyName") or record.get("entityId")
        if rtype == "account":
            return " ".join(p for p in (record.get("acctNumber"), record.get("acctName")) if p)
        if rtype == "currency":
            return record.get("symbol")
        if rtype in TRANSACTIONS:
            label = "Bill" if rtype == "vendorBill" else "Bill Payment"
            return f"{label} #{record.get('tranId') or record.get('transactionNumber')}"
        return record.get("name")

    def base_currency(self) -> dict:
        return next(c for c in self.values("currency") if c.get("isBaseCurrency"))

    # -- writing ---------------------------------------------------------------------------------------
    def next_id(self, rtype: str) -> str:
        sequence = _SEQUENCE.get(rtype, rtype)
        value = self.sequences.get(sequence, _SEQUENCE_START.get(sequence, 1))
        self.sequences[sequence] = value + 1
        return str(value)

    def store(self, rtype: str, record: dict, now: datetime) -> dict:
        """Insert or replace ``record`` (it carries its ``id``), keeping the external-id index."""
        rid = record["id"]
        old = self.records[rtype].get(rid)
        if old is not None and old.get("externalId") and old.get("externalId") != record.get("externalId"):
            self.external[rtype].pop(old["externalId"], None)
        external_id = record.get("externalId")
        if external_id:
            holder = self.external[rtype].get(external_id)
            if holder is not None and holder != rid:
                raise errors.NsError(400, "DUP_RCRD", f"A {rtype} record with external ID {external_id} "
                                     "already exists.", path="externalId")
            self.external[rtype][external_id] = rid
        record.setdefault("createdDate", now)
        record["lastModifiedDate"] = now
        self.version += 1
        self.records[rtype][rid] = record
        return record

    def merged(self, rtype: str, current: dict | None, body: Body, replace: set[str]) -> dict:
        """``current`` with a PATCH body applied: body fields overwrite, ``null`` clears, sublists merge
        (keyed ``apply`` by ``doc``, the un-keyed ``expense`` appends) unless named in ``replace``."""
        result = copy.deepcopy(current) if current else {}
        for name, value in body.fields.items():
            kind = SCHEMAS[rtype].get(name, "")
            if value is None:
                if kind.startswith("sublist:"):
                    result[name] = []
                else:
                    result.pop(name, None)
            elif kind.startswith("sublist:") and name.lower() not in replace and result.get(name):
                result[name] = _merge_lines(name, result[name], value)
            else:
                result[name] = value
        return result

    def delete(self, rtype: str, rid: str, now: datetime) -> dict:
        record = self.records[rtype].pop(rid)
        self.version += 1
        if record.get("externalId"):
            self.external[rtype].pop(record["externalId"], None)
        self.deleted.append({"recordid": rid, "type": rtype.lower(), "recordtypeid": rtype.lower(),
                             "name": self.name_of_deleted(rtype, record), "deleteddate": now,
                             "context": "WEBSERVICES"})
        return record

    @staticmethod
    def name_of_deleted(rtype: str, record: dict) -> str:
        return str(record.get("tranId") or record.get("companyName") or record.get("name") or record["id"])

    def touch(self, rtype: str, rid: str, now: datetime) -> dict:
        record = self.require(rtype, rid)
        record["lastModifiedDate"] = now
        self.version += 1
        return record

    # -- collection listing (GET /record/v1/{type}?q=) ---------------------------------------------------
    def list_ids(self, rtype: str, q: str | None) -> list[str]:
        records = self.values(rtype)
        if q:
            test = _parse_q(q)
            records = [r for r in records if test(r)]
        return sorted((r["id"] for r in records), key=lambda v: (len(v), v))

    # -- persistence -------------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        return {"account_id": self.account_id, "name": self.name, "created_at": self.created_at,
                "records": self.records, "sequences": self.sequences, "deleted": self.deleted,
                "applied": self.applied}

    @classmethod
    def from_dict(cls, data: dict) -> Account:
        account = cls(data["account_id"], data["name"], data["created_at"])
        account.records.update(data.get("records", {}))
        account.sequences = dict(data.get("sequences", {}))
        account.deleted = list(data.get("deleted", []))
        account.applied = {k: dict(v) for k, v in data.get("applied", {}).items()}
        for rtype, records in account.records.items():
            for rid, record in records.items():
                if record.get("externalId"):
                    account.external[rtype][record["externalId"]] = rid
        return account


def _merge_lines(name: str, current: list[dict], new: list[dict]) -> list[dict]:
    if name != "apply":
        return [*current, *new]
    by_doc = {line.get("doc"): dict(line) for line in current}
    for line in new:
        by_doc[line.get("doc")] = {**by_doc.get(line.get("doc"), {}), **line}
    return list(by_doc.values())


# --- the REST collection filter: ``field OPERATOR value [AND|OR ...]`` ----------------------------------

_CONDITION = re.compile(r'\s*(?P<field>[A-Za-z_.]+)\s+(?P<op>[A-Z_]+)\s*(?P<value>"[^"]*"|\[[^\]]*\]|[^\s()]+)?\s*')
_UNARY = {"EMPTY", "EMPTY_NOT"}


def _parse_q(q: str):  # noqa: ANN202 - returns a predicate
    parts = re.split(r"\s+(AND|OR)\s+", q.strip())
    tests, joins = [], []
    for index, part in enumerate(parts):
        if index % 2:
            joins.append(part)
            continue
        m = _CONDITION.fullmatch(part.strip("() "))
        if m is None or (m.group("value") is None and m.group("op") not in _UNARY):
            raise errors.invalid_request(f"Invalid query: {part!r}. Use: field OPERATOR value.",
                                         query_param="q")
        tests.append(_condition(m.group("field"), m.group("op"), m.group("value")))

    def test(record: dict) -> bool:
        result = tests[0](record)
        for join, nxt in zip(joins, tests[1:]):
            result = (result and nxt(record)) if join == "AND" else (result or nxt(record))
        return result

    return test


def _condition(name: str, op: str, raw: str | None):  # noqa: ANN202
    values = []
    if raw:
        raw = raw.strip()
        if raw.startswith("["):
            values = [v.strip().strip('"') for v in raw[1:-1].split(",") if v.strip()]
        else:
            values = [raw.strip('"')]
    lowered = name.lower()

    def get(record: dict) -> Any:
        for key, value in record.items():
            if key.lower() == lowered:
                return value
        return None

    def text(value: Any) -> str:
        if value is True:
            return "true"
        if value is False:
            return "false"
        return "" if value is None else str(value)

    def compare(record: dict) -> bool:
        value = get(record)
        if op in ("EMPTY", "EMPTY_NOT"):
            return (value in (None, "", [])) == (op == "EMPTY")
        if op in ("IS", "EQUAL", "ANY_OF"):
            return text(value).lower() in {v.lower() for v in values}
        if op in ("IS_NOT", "NOT_EQUAL", "NONE_OF"):
            return text(value).lower() not in {v.lower() for v in values}
        if op == "START_WITH":
            return text(value).lower().startswith(values[0].lower())
        if op == "CONTAIN":
            return values[0].lower() in text(value).lower()
        if op in ("GREATER", "GREATER_OR_EQUAL", "LESS", "LESS_OR_EQUAL", "AFTER", "BEFORE", "ON_OR_AFTER",
                  "ON_OR_BEFORE", "ON"):
            if value is None:
                return False
            a, b = _ordered(value, values[0])
            return {"GREATER": a > b, "AFTER": a > b, "GREATER_OR_EQUAL": a >= b, "ON_OR_AFTER": a >= b,
                    "LESS": a < b, "BEFORE": a < b, "LESS_OR_EQUAL": a <= b, "ON_OR_BEFORE": a <= b,
                    "ON": a == b}[op]
        raise errors.invalid_request(f"Unknown operator {op}.", query_param="q")

    return compare


def _ordered(value: Any, other: str) -> tuple[Any, Any]:
    if isinstance(value, Decimal) or str(value).replace(".", "", 1).lstrip("-").isdigit():
        return Decimal(str(value)), Decimal(other)
    if isinstance(value, datetime):
        value = value.date().isoformat()
    m = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", other)
    if m:
        other = f"{m.group(3)}-{int(m.group(1)):02d}-{int(m.group(2)):02d}"
    return str(value)[:10], other[:10]
