"""The SuiteQL billpay sends, and the shapes of NetSuite's answers it reads.

Dates and times are written and read with ``TO_CHAR``/``TO_DATE``/``TO_TIMESTAMP``
in fixed formats, never in the user's date preference; times are in the
integration user's time zone, which the integration guide sets to GMT.

``BILLS`` reads bills and their expense lines in one query (one row per expense
line; the main line is left out), so pulling 10,000 one-line bills takes ten
pages. ``CHANGES`` adds the bills deleted since the bookmark
(``deletedrecord``) with ``UNION ALL``, so an incremental pull with nothing
changed is one request.
"""
from __future__ import annotations

import datetime as dt
import re

TIMESTAMP_FORMAT = "YYYY-MM-DD HH24:MI:SS"
_SAFE_ID = re.compile(r"[^A-Za-z0-9_-]")

REFERENCE_QUERIES = {
    "vendors": "SELECT v.id, v.entityid, v.companyname, v.email, v.isinactive, v.subsidiary, c.symbol AS currency "
               "FROM vendor v LEFT JOIN currency c ON c.id = v.currency ORDER BY v.id",
    "accounts": "SELECT a.id, a.acctnumber, a.acctname, a.accttype, a.isinactive, a.subsidiary, "
                "c.symbol AS currency FROM account a LEFT JOIN currency c ON c.id = a.currency ORDER BY a.id",
    "terms": "SELECT id, name, daysuntilnetdue, isinactive FROM term ORDER BY id",
    "subsidiaries": "SELECT s.id, s.name, s.isinactive, c.symbol AS currency FROM subsidiary s "
                    "LEFT JOIN currency c ON c.id = s.currency ORDER BY s.id",
    "departments": "SELECT id, name, isinactive, subsidiary FROM department ORDER BY id",
    "classes": "SELECT id, name, isinactive, subsidiary FROM classification ORDER BY id",
    "locations": "SELECT id, name, isinactive, subsidiary FROM location ORDER BY id",
}
CURRENCIES = "SELECT id, symbol, isbasecurrency, isinactive FROM currency ORDER BY id"

_BILL_COLUMNS = (
    "t.id AS id, 'bill' AS kind, t.tranid AS tranid, TO_CHAR(t.trandate, 'YYYY-MM-DD') AS trandate, "
    "TO_CHAR(t.duedate, 'YYYY-MM-DD') AS duedate, t.entity AS entity, t.status AS status, "
    "BUILTIN.DF(t.status) AS statustext, c.symbol AS currency, t.foreigntotal AS total, "
    "t.foreignamountunpaid AS remaining, t.memo AS memo, t.terms AS terms, t.externalid AS externalid, "
    f"TO_CHAR(t.lastmodifieddate, '{TIMESTAMP_FORMAT}') AS modified, tl.subsidiary AS subsidiary, "
    "tl.linesequencenumber AS line, tl.expenseaccount AS lineaccount, tl.foreignamount AS lineamount, "
    "tl.memo AS linememo, tl.department AS department, tl.class AS class, tl.location AS location"
)
_BILL_FROM = ("FROM transaction t INNER JOIN transactionline tl ON tl.transaction = t.id "
              "INNER JOIN currency c ON c.id = t.currency "
              "WHERE t.type = 'VendBill' AND tl.mainline = 'F'")
_DELETED_COLUMNS = (
    "d.recordid AS id, 'deleted' AS kind, NULL AS tranid, NULL AS trandate, NULL AS duedate, NULL AS entity, "
    "NULL AS status, NULL AS statustext, NULL AS currency, NULL AS total, NULL AS remaining, NULL AS memo, "
    "NULL AS terms, NULL AS externalid, "
    f"TO_CHAR(d.deleteddate, '{TIMESTAMP_FORMAT}') AS modified, NULL AS subsidiary, NULL AS line, "
    "NULL AS lineaccount, NULL AS lineamount, NULL AS linememo, NULL AS department, NULL AS class, "
    "NULL AS location"
)


def date_literal(value: dt.date) -> str:
    return f"TO_DATE('{value.isoformat()}', 'YYYY-MM-DD')"


def timestamp_literal(value: dt.datetime) -> str:
    utc = value.astimezone(dt.timezone.utc)
    return f"TO_TIMESTAMP('{utc.strftime('%Y-%m-%d %H:%M:%S')}', '{TIMESTAMP_FORMAT}')"


def bills_query(start: dt.date, since: dt.datetime | None) -> str:
    """Bills (one row per expense line) with invoice date >= ``start``, changed since ``since`` when given,
    plus the bills deleted since then."""
    where = f"{_BILL_FROM} AND t.trandate >= {date_literal(start)}"
    if since is None:
        return f"SELECT {_BILL_COLUMNS} {where} ORDER BY id, line"
    changed = f"SELECT {_BILL_COLUMNS} {where} AND t.lastmodifieddate >= {timestamp_literal(since)}"
    deleted = (f"SELECT {_DELETED_COLUMNS} FROM deletedrecord d WHERE d.type = 'vendorbill' "
               f"AND d.deleteddate >= {timestamp_literal(since)}")
    return f"{changed} UNION ALL {deleted} ORDER BY id, line"


def bills_by_id_query(ids: list[str]) -> str:
    listed = ", ".join(str(int(i)) for i in ids)
    return (f"SELECT t.id AS id, t.entity AS entity, t.status AS status, c.symbol AS currency, "
            f"t.foreigntotal AS total, t.foreignamountunpaid AS remaining, tl.subsidiary AS subsidiary, "
            f"t.tranid AS tranid FROM transaction t INNER JOIN transactionline tl ON tl.transaction = t.id "
            f"INNER JOIN currency c ON c.id = t.currency "
            f"WHERE t.type = 'VendBill' AND tl.mainline = 'T' AND t.id IN ({listed}) ORDER BY id")


def vendors_by_id_query(ids: list[str]) -> str:
    listed = ", ".join(str(int(i)) for i in ids)
    return f"SELECT id, subsidiary, currency, isinactive FROM vendor WHERE id IN ({listed}) ORDER BY id"


def external_id(idempotency_key: str) -> str:
    """The external id billpay writes for one record: ``billpay-<record>-<generation>``.

    Derived from the idempotency key ``<record>:<action>#<generation>``, so a retry of
    the same create upserts the same record and a new generation is a new record.
    Only letters, digits, ``_`` and ``-`` (what ``eid:`` URLs allow).
    """
    record, _, rest = idempotency_key.rpartition(":")
    generation = rest.rpartition("#")[2] if "#" in rest else "0"
    if not record:
        record = rest.partition("#")[0]
    return _SAFE_ID.sub("_", f"billpay-{record}-{generation}")[:240]


def parse_timestamp(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        return dt.datetime.strptime(value, "%Y-%m-%d %H:%M:%S").replace(tzinfo=dt.timezone.utc)
    except ValueError:
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)


def format_timestamp(value: dt.datetime) -> str:
    return value.astimezone(dt.timezone.utc).isoformat()
