"""One Business Central company's records, with no HTTP in it.

Records are dicts keyed by the API's property names with typed values (``Decimal``, ``date``,
``datetime``); keys starting with ``_`` are the sandbox's own bookkeeping (row version,
insertion sequence, posting facts) and never leave the sandbox. Every table is an ordered dict
``id -> record``; child tables (lines, dimension set lines, dimension values, journal lines) keep
an index by parent id. Every write moves the record's row version (its ``@odata.etag``) and its
``lastModifiedDateTime``.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from datetime import datetime
from typing import Any, Iterable

from . import errors
from .schema import DATE, DATETIME, ENTITIES, Entity, wire_value

#: Stored tables; API entity sets that are views of them are mapped in ``TABLE_OF``.
TABLES = (
    "vendors", "accounts", "dimensions", "dimensionValues", "paymentTerms", "currencies", "bankAccounts",
    "purchaseInvoices", "purchaseInvoiceLines", "purchaseCreditMemos", "purchaseCreditMemoLines",
    "dimensionSetLines", "journals", "vendorPayments", "generalLedgerEntries", "vendorLedgerEntries",
)
TABLE_OF = {"vendorPaymentJournals": "journals"}
#: child table -> the field naming its parent
PARENT_FIELD = {
    "purchaseInvoiceLines": "documentId", "purchaseCreditMemoLines": "documentId", "dimensionSetLines": "parentId",
    "dimensionValues": "dimensionId", "vendorPayments": "journalId",
}
#: parent table -> child tables deleted with it
CHILDREN = {
    "purchaseInvoices": ("purchaseInvoiceLines", "dimensionSetLines"),
    "purchaseInvoiceLines": ("dimensionSetLines",),
    "purchaseCreditMemos": ("purchaseCreditMemoLines", "dimensionSetLines"),
    "purchaseCreditMemoLines": ("dimensionSetLines",),
    "vendorPayments": ("dimensionSetLines",),
    "journals": ("vendorPayments",),
}
#: What BC calls the table behind an entity, for "The X does not exist" errors.
TABLE_CAPTIONS = {
    "vendors": "Vendor", "accounts": "G/L Account", "dimensions": "Dimension", "dimensionValues": "Dimension Value",
    "paymentTerms": "Payment Terms", "currencies": "Currency", "bankAccounts": "Bank Account",
    "purchaseInvoices": "Purch. Inv. Entity Aggregate", "purchaseInvoiceLines": "Purch. Inv. Line Aggregate",
    "purchaseCreditMemos": "Purch. Cr. Memo Entity Buffer", "purchaseCreditMemoLines": "Purch. Cr. Memo Line Aggregate",
    "dimensionSetLines": "Dimension Set Entry Buffer", "journals": "Gen. Journal Batch",
    "vendorPaymentJournals": "Gen. Journal Batch", "vendorPayments": "Gen. Journal Line",
    "generalLedgerEntries": "G/L Entry",
}


_TIME_TYPES = (DATE, DATETIME)


def new_guid() -> str:
    return str(uuid.uuid4())


class Company:
    """Tables of one company plus its number series and settings."""

    def __init__(self, company_id: str, name: str, environment: str, created: datetime) -> None:
        self.id = company_id
        self.name = name
        self.environment = environment
        self.created = created
        self.tables: dict[str, dict[str, dict]] = {t: {} for t in TABLES}
        self.index: dict[str, dict[str, list[str]]] = {t: {} for t in PARENT_FIELD}
        self.counters: dict[str, int] = {}
        self.info: dict[str, Any] = {}
        #: Allowed posting dates (General Ledger Setup "Allow Posting From/To"); None is open.
        self.settings: dict[str, Any] = {"allow_posting_from": None, "allow_posting_to": None}
        #: (vendor id, vendor invoice number) -> the posted, not cancelled invoice that has it.
        self.posted_numbers: dict[tuple[str, str], str] = {}
        #: table -> how often it changed (inserts, saves, deletes): lookup indexes are rebuilt when it moves.
        self.versions: dict[str, int] = {t: 0 for t in TABLES}
        self.lookup_indexes: dict[tuple, tuple[int, Any]] = {}
        self._seq = 0

    # -- numbering ---------------------------------------------------------------------------------
    def next_number(self, series: str, start: int) -> int:
        value = self.counters.get(series, start - 1) + 1
        self.counters[series] = value
        return value

    # -- rows -------------------------------------------------------------------------------------------
    def insert(self, table: str, record: dict, now: datetime, *, key: str | None = None) -> dict:
        record.setdefault("id", new_guid())
        key = key or record["id"]
        rows = self.tables[table]
        if key in rows:
            raise errors.BCError(409, "Internal_EntityWithSameKeyExists",
                                 f"The record in table {TABLE_CAPTIONS.get(table, table)} already exists.")
        self._seq += 1
        record["_seq"] = self._seq
        record["_key"] = key
        record["_v"] = 1
        self.versions[table] += 1
        if "lastModifiedDateTime" in ENTITIES.get(table, _NO_ENTITY).fields or table == "vendorLedgerEntries":
            record["lastModifiedDateTime"] = now
        rows[key] = record
        parent_field = PARENT_FIELD.get(table)
        if parent_field:
            self.index[table].setdefault(record[parent_field], []).append(key)
        return record

    def touch(self, table: str, key: str, now: datetime) -> dict:
        record = self.tables[table][key]
        record["_v"] += 1
        self.versions[table] += 1
        if "lastModifiedDateTime" in record:
            record["lastModifiedDateTime"] = now
        return record

    def get(self, table: str, key: str | None) -> dict | None:
        if key is None:
            return None
        return self.tables[table].get(str(key).lower())

    def require(self, table: str, key: str, *, caption: str | None = None) -> dict:
        found = self.get(table, key)
        if found is None:
            raise errors.record_not_found(caption or TABLE_CAPTIONS.get(table, table), f"Id='{key}'")
        return found

    def delete(self, table: str, key: str) -> None:
        record = self.tables[table].pop(key)
        self.versions[table] += 1
        parent_field = PARENT_FIELD.get(table)
        if parent_field:
            siblings = self.index[table].get(record[parent_field], [])
            if key in siblings:
                siblings.remove(key)
        for child_table in CHILDREN.get(table, ()):
            for child_key in list(self.index[child_table].get(record["id"], [])):
                if child_key in self.tables[child_table]:
                    self.delete(child_table, child_key)

    def children(self, table: str, parent_id: str) -> list[dict]:
        rows = self.tables[table]
        return [rows[k] for k in self.index[table].get(parent_id, []) if k in rows]

    def rows(self, table: str) -> Iterable[dict]:
        return self.tables[table].values()

    def find(self, table: str, **where: Any) -> dict | None:
        return next((r for r in self.tables[table].values() if all(r.get(k) == v for k, v in where.items())), None)

    # -- wire -----------------------------------------------------------------------------------
    def etag(self, record: dict) -> str:
        digest = hashlib.sha1(f"{record['_key']}:{record['_v']}".encode()).hexdigest()[:16].upper()
        token = base64.b64encode(f"'36;{digest}{record['_v']};00;'".encode()).decode("ascii")
        return f'W/"{token}"'

    def render(self, entity: Entity, record: dict, select: list[str] | None = None) -> dict:
        out: dict[str, Any] = {"@odata.etag": self.etag(record)}
        fields = entity.fields.values() if select is None else [entity.require(name) for name in select]
        for f in fields:
            value = record.get(f.name)
            out[f.name] = value if value is not None and f.type not in _TIME_TYPES else wire_value(f, value)
        return out

    # -- persistence ------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        return {"id": self.id, "name": self.name, "environment": self.environment, "created": self.created,
                "tables": {t: list(rows.values()) for t, rows in self.tables.items()},
                "counters": self.counters, "info": self.info, "settings": self.settings, "seq": self._seq}

    @classmethod
    def from_dict(cls, data: dict) -> "Company":
        company = cls(data["id"], data["name"], data["environment"], data["created"])
        company.counters = dict(data.get("counters", {}))
        company.info = dict(data.get("info", {}))
        company.settings.update(data.get("settings", {}))
        for table, rows in data.get("tables", {}).items():
            for record in rows:
                company.tables[table][record["_key"]] = record
                parent_field = PARENT_FIELD.get(table)
                if parent_field:
                    company.index[table].setdefault(record[parent_field], []).append(record["_key"])
        company._seq = int(data.get("seq", 0))
        for invoice in company.tables["purchaseInvoices"].values():
            if invoice.get("_posted") and invoice.get("status") != "Canceled":
                company.posted_numbers[(invoice["vendorId"], invoice["vendorInvoiceNumber"])] = invoice["id"]
        return company


_NO_ENTITY = Entity("", "", {})
