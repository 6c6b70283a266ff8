"""Indexes for the lookups clients make by key (``vendorInvoiceNumber eq 'X'``, ``startswith(documentNumber,
'BP…')``), so that a company of thousands of documents answers them without scanning every row.

An index covers one property of one table and is rebuilt lazily when the table has changed since it was
built (``Company.versions``). It only narrows the candidates: the full ``$filter`` still decides, so an
index can never make a record appear that does not match. Only properties that change through ``touch``
(which moves the table's version) are indexed.
"""

from __future__ import annotations

import bisect
from typing import Any

from .company import Company
from .odata import index_hints, normalizer_of
from .schema import Entity

INDEXED = frozenset({"id", "number", "code", "vendorId", "vendorInvoiceNumber", "documentNumber",
                     "externalDocumentNumber", "invoiceId", "journalId", "documentId"})


def candidates(c: Company, table: str, entity: Entity, filter_text: str | None) -> list[dict] | None:
    """The rows that may match ``filter_text`` (in insertion order), or None when no index helps."""
    if not filter_text:
        return None
    best: list[str] | None = None
    for kind, name, value in index_hints(filter_text, entity):
        if name not in INDEXED:
            continue
        keys = _eq(c, table, entity, name, value) if kind == "eq" else _prefix(c, table, entity, name, value)
        if best is None or len(keys) < len(best):
            best = keys
    if best is None:
        return None
    rows = c.tables[table]
    found = [rows[k] for k in best if k in rows]
    return sorted(found, key=lambda r: r["_seq"])


def _built(c: Company, table: str, name: str, kind: str, build: Any) -> Any:
    cached = c.lookup_indexes.get((table, name, kind))
    if cached is not None and cached[0] == c.versions[table]:
        return cached[1]
    value = build()
    c.lookup_indexes[(table, name, kind)] = (c.versions[table], value)
    return value


def _eq(c: Company, table: str, entity: Entity, name: str, value: str) -> list[str]:
    norm = normalizer_of(entity, name)

    def build() -> dict[Any, list[str]]:
        index: dict[Any, list[str]] = {}
        for key, record in c.tables[table].items():
            index.setdefault(norm(record.get(name)), []).append(key)
        return index

    return _built(c, table, name, "eq", build).get(value, [])


def _prefix(c: Company, table: str, entity: Entity, name: str, prefix: str) -> list[str]:
    def build() -> list[tuple[str, str]]:
        return sorted((str(record.get(name) or "").lower(), key) for key, record in c.tables[table].items())

    ordered = _built(c, table, name, "prefix", build)
    start = bisect.bisect_left(ordered, (prefix, ""))
    out = []
    for value, key in ordered[start:]:
        if not value.startswith(prefix):
            break
        out.append(key)
    return out
