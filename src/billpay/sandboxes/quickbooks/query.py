"""The QuickBooks query language: parser and evaluator.

``SELECT * | COUNT(*) FROM Entity [WHERE f op v [AND ...]] [ORDERBY f [ASC|DESC][, ...]]
[STARTPOSITION n] [MAXRESULTS m]`` with ``=, <, >, <=, >=, IN (...), LIKE``.
Keywords are case-insensitive; ``OR``, ``GROUP BY`` and joins are not part of
the language and fail to parse, as in QuickBooks.

Behaviour worth knowing (all as QuickBooks does it):

- Only the properties QuickBooks marks filterable can be used in WHERE and
  ORDERBY (see ``QUERYABLE``); others fail with 4001 ``QueryValidationError``.
- Name lists (Vendor, Account, Class, Department, Term) return active records
  only unless the WHERE clause mentions ``Active`` (``Active IN (true, false)``).
- Ref properties (``VendorRef``...) compare on the referenced id; string
  comparisons and ``LIKE`` ignore case; ``%`` is the only wildcard.
- ``STARTPOSITION`` is 1-based; ``MAXRESULTS`` defaults to 100 and is capped at
  1000. An empty page is ``{}`` (no entity key, no ``maxResults``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from . import errors, timefmt
from .company import NAME_LISTS, Company

DEFAULT_MAX_RESULTS = 100
MAX_RESULTS_CAP = 1000

_META = {"MetaData.CreateTime": "datetime", "MetaData.LastUpdatedTime": "datetime"}
QUERYABLE: dict[str, dict[str, str]] = {
    "Vendor": {
        "Id": "id",
        "DisplayName": "string",
        "GivenName": "string",
        "MiddleName": "string",
        "FamilyName": "string",
        "CompanyName": "string",
        "PrintOnCheckName": "string",
        "PrimaryEmailAddr": "email",
        "Active": "bool",
        "Balance": "money",
        "AcctNum": "string",
        "Vendor1099": "bool",
        **_META,
    },
    "Account": {
        "Id": "id",
        "Name": "string",
        "SubAccount": "bool",
        "ParentRef": "ref",
        "FullyQualifiedName": "string",
        "Active": "bool",
        "Classification": "string",
        "AccountType": "string",
        "AccountSubType": "string",
        "AcctNum": "string",
        "CurrentBalance": "money",
        "CurrentBalanceWithSubAccounts": "money",
        **_META,
    },
    "Class": {
        "Id": "id",
        "Name": "string",
        "SubClass": "bool",
        "ParentRef": "ref",
        "FullyQualifiedName": "string",
        "Active": "bool",
        **_META,
    },
    "Department": {
        "Id": "id",
        "Name": "string",
        "SubDepartment": "bool",
        "ParentRef": "ref",
        "FullyQualifiedName": "string",
        "Active": "bool",
        **_META,
    },
    "Term": {"Id": "id", "Name": "string", "Active": "bool", "DueDays": "int", **_META},
    "Bill": {
        "Id": "id",
        "VendorRef": "ref",
        "TxnDate": "date",
        "DueDate": "date",
        "DocNumber": "string",
        "Balance": "money",
        "TotalAmt": "money",
        "SalesTermRef": "ref",
        "APAccountRef": "ref",
        "DepartmentRef": "ref",
        "CurrencyRef": "ref",
        **_META,
    },
    "BillPayment": {
        "Id": "id",
        "VendorRef": "ref",
        "TxnDate": "date",
        "DocNumber": "string",
        "TotalAmt": "money",
        "PayType": "string",
        "APAccountRef": "ref",
        "DepartmentRef": "ref",
        "CurrencyRef": "ref",
        **_META,
    },
    "VendorCredit": {
        "Id": "id",
        "VendorRef": "ref",
        "TxnDate": "date",
        "DocNumber": "string",
        "Balance": "money",
        "TotalAmt": "money",
        "APAccountRef": "ref",
        "CurrencyRef": "ref",
        **_META,
    },
    "CompanyInfo": {"Id": "id", **_META},
    "Preferences": {"Id": "id", **_META},
}
_ENTITY_BY_LOWER = {name.lower(): name for name in QUERYABLE}

_KEYWORDS = {
    "select",
    "from",
    "where",
    "and",
    "or",
    "orderby",
    "order",
    "by",
    "asc",
    "desc",
    "startposition",
    "maxresults",
    "in",
    "like",
    "count",
    "true",
    "false",
    "not",
    "group",
    "join",
}
_TOKEN_RE = re.compile(
    r"""(?P<ws>\s+)
      | (?P<string>'(?:\\.|''|[^'\\])*')
      | (?P<number>-?\d+(?:\.\d+)?)
      | (?P<op><=|>=|!=|<>|=|<|>)
      | (?P<punct>[(),*])
      | (?P<ident>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
    """,
    re.VERBOSE,
)


@dataclass
class Token:
    kind: str  # keyword | ident | string | number | op | punct | eof
    text: str
    column: int
    value: Any = None


@dataclass
class Condition:
    field: str
    op: str  # = < > <= >= in like
    value: Any  # a literal, or a list of literals for IN


@dataclass
class Query:
    entity: str
    count: bool = False
    conditions: list[Condition] = field(default_factory=list)
    order: list[tuple[str, bool]] = field(default_factory=list)  # (field, descending)
    start: int = 1
    max_results: int = DEFAULT_MAX_RESULTS


# --- parsing -------------------------------------------------------------------


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN_RE.match(text, pos)
        if not match:
            raise errors.query_parse_error(
                f'Lexical error at line 1, column {pos + 1}.  Encountered: "{text[pos]}"'
            )
        kind = match.lastgroup or ""
        chunk = match.group()
        if kind == "string":
            inner = chunk[1:-1]
            value = re.sub(r"\\(.)|''", lambda m: m.group(1) or "'", inner)
            tokens.append(Token("string", chunk, pos + 1, value))
        elif kind == "ident" and chunk.lower() in _KEYWORDS:
            tokens.append(Token("keyword", chunk, pos + 1, chunk.lower()))
        elif kind != "ws":
            tokens.append(Token(kind, chunk, pos + 1, chunk))
        pos = match.end()
    tokens.append(Token("eof", "", len(text) + 1))
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.pos = 0

    @property
    def peek(self) -> Token:
        return self.tokens[self.pos]

    def take(self) -> Token:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def fail(self, token: Token | None = None) -> errors.QBOFault:
        token = token or self.peek
        if token.kind == "eof":
            return errors.query_parse_error(f'Encountered "<EOF>" at line 1, column {token.column}.')
        label = {"ident": "<IDENTIFIER>", "string": "<STRING>", "number": "<INTEGER>"}.get(
            token.kind, f'"{token.text.lower()}"'
        )
        return errors.query_parse_error(
            f'Encountered " {label} "{token.text} "" at line 1, column {token.column}.'
        )

    def keyword(self, *words: str) -> str | None:
        token = self.peek
        if token.kind == "keyword" and token.value in words:
            self.pos += 1
            return token.value
        return None

    def expect_keyword(self, word: str) -> None:
        if not self.keyword(word):
            raise self.fail()

    def expect(self, kind: str, text: str | None = None) -> Token:
        token = self.peek
        if token.kind != kind or (text is not None and token.text != text):
            raise self.fail()
        return self.take()

    def parse(self) -> Query:
        self.expect_keyword("select")
        count = self._projection()
        self.expect_keyword("from")
        entity_token = self.expect("ident")
        query = Query(entity=entity_token.text, count=count)
        if self.keyword("where"):
            query.conditions.append(self._condition())
            while self.keyword("and"):
                query.conditions.append(self._condition())
        if self.keyword("orderby") or (self.keyword("order") and self._by()):
            query.order.append(self._order_item())
            while self.peek.kind == "punct" and self.peek.text == ",":
                self.take()
                query.order.append(self._order_item())
        seen: set[str] = set()
        while (
            self.peek.kind == "keyword"
            and self.peek.value in ("startposition", "maxresults")
            and self.peek.value not in seen
        ):
            word = self.take().value
            seen.add(word)
            number = self.expect("number")
            if "." in number.text or number.text.startswith("-"):
                raise self.fail(number)
            if word == "startposition":
                query.start = max(1, int(number.text))
            else:
                query.max_results = min(int(number.text), MAX_RESULTS_CAP)
        if self.peek.kind != "eof":
            raise self.fail()
        return query

    def _by(self) -> bool:
        self.expect_keyword("by")
        return True

    def _projection(self) -> bool:
        if self.keyword("count"):
            self.expect("punct", "(")
            self.expect("punct", "*")
            self.expect("punct", ")")
            return True
        if self.peek.kind == "punct" and self.peek.text == "*":
            self.take()
        else:
            self.expect("ident")
        while self.peek.kind == "punct" and self.peek.text == ",":
            self.take()
            self.expect("ident")
        return False

    def _condition(self) -> Condition:
        name = self.expect("ident").text
        if self.keyword("in"):
            self.expect("punct", "(")
            values = [self._literal()]
            while self.peek.kind == "punct" and self.peek.text == ",":
                self.take()
                values.append(self._literal())
            self.expect("punct", ")")
            return Condition(name, "in", values)
        if self.keyword("like"):
            return Condition(name, "like", self.expect("string").value)
        token = self.peek
        if token.kind != "op" or token.text in ("!=", "<>"):
            raise self.fail()
        self.take()
        return Condition(name, token.text, self._literal())

    def _literal(self) -> Any:
        token = self.peek
        if token.kind in ("string", "number"):
            return self.take().value
        if token.kind == "keyword" and token.value in ("true", "false"):
            return self.take().value
        raise self.fail()

    def _order_item(self) -> tuple[str, bool]:
        name = self.expect("ident").text
        direction = self.keyword("asc", "desc")
        return name, direction == "desc"


def parse(text: str) -> Query:
    """Parse a query; raises the 4000 ``QueryParserError`` fault on bad syntax."""
    if not isinstance(text, str) or not text.strip():
        raise errors.query_parse_error('Encountered "<EOF>" at line 1, column 1.')
    return _Parser(text).parse()


# --- evaluation ------------------------------------------------------------------


def run(company: Company, text: str) -> dict:
    """The ``QueryResponse`` object for ``text`` against ``company``."""
    query = parse(text)
    entity = _ENTITY_BY_LOWER.get(query.entity.lower())
    if entity is None:
        raise errors.query_validation_error(f"Entity {query.entity} is not supported")
    fields = QUERYABLE[entity]
    conditions = [_resolve_condition(company, entity, fields, c) for c in query.conditions]
    order = [(_field_name(company, entity, fields, name), desc) for name, desc in query.order]
    records = _source(company, entity)
    if entity in NAME_LISTS and not any(c.field == "Active" for c in conditions):
        records = [r for r in records if r.get("Active", True)]
    matches = [r for r in records if all(_matches(company, entity, fields, r, c) for c in conditions)]
    if query.count:
        return {"totalCount": len(matches)}
    matches.sort(key=lambda r: _id_sort(r.get("Id", "")))
    for name, desc in reversed(order):
        kind = fields[name]
        present = [r for r in matches if _value(company, entity, r, name, kind) is not None]
        absent = [r for r in matches if _value(company, entity, r, name, kind) is None]
        present.sort(key=lambda r: _sort_key(_value(company, entity, r, name, kind)), reverse=desc)
        matches = present + absent
    page = matches[query.start - 1 : query.start - 1 + query.max_results]
    if not page:
        return {}
    rendered = [r if entity in ("CompanyInfo", "Preferences") else company.render(entity, r) for r in page]
    return {entity: rendered, "startPosition": query.start, "maxResults": len(rendered)}


def _source(company: Company, entity: str) -> list[dict]:
    if entity == "CompanyInfo":
        return [company.company_info()]
    if entity == "Preferences":
        return [company.preferences()]
    return list(company.values(entity))


def _field_name(company: Company, entity: str, fields: dict[str, str], name: str) -> str:
    for known in fields:
        if known.lower() == name.lower():
            return known
    sample = next(iter(company.values(entity)), {}) if entity not in ("CompanyInfo", "Preferences") else {}
    top = name.split(".")[0]
    if any(k.lower() == top.lower() for k in sample) or top.lower() in (
        "privatenote",
        "line",
        "linkedtxn",
        "synctoken",
    ):
        raise errors.query_validation_error(f"property '{name}' is not queryable")
    raise errors.query_validation_error(f"Property {name} not found for Entity {entity}")


def _resolve_condition(
    company: Company, entity: str, fields: dict[str, str], condition: Condition
) -> Condition:
    name = _field_name(company, entity, fields, condition.field)
    kind = fields[name]
    if condition.op == "like":
        if kind not in ("string", "email"):
            raise errors.query_validation_error(f"LIKE is not supported for property {name}")
        pattern = "".join(".*" if ch == "%" else re.escape(ch) for ch in condition.value)
        return Condition(name, "like", re.compile(pattern, re.IGNORECASE | re.DOTALL))
    if condition.op == "in":
        return Condition(name, "in", [_coerce(company, kind, name, v) for v in condition.value])
    return Condition(name, condition.op, _coerce(company, kind, name, condition.value))


def _coerce(company: Company, kind: str, name: str, literal: Any) -> Any:
    text = str(literal)
    try:
        if kind == "money":
            return Decimal(text)
        if kind == "int":
            return int(text)
        if kind == "id":
            return _id_sort(text)
        if kind == "bool":
            if text.lower() not in ("true", "false"):
                raise ValueError(text)
            return text.lower() == "true"
        if kind == "date":
            return timefmt.parse_date(text)
        if kind == "datetime":
            return timefmt.parse_datetime(text, company.tz)
    except (ValueError, InvalidOperation):
        raise errors.query_validation_error(f"Invalid value {text} for property {name}") from None
    return text.casefold()


def _value(company: Company, entity: str, record: dict, name: str, kind: str) -> Any:
    if name.startswith("MetaData."):
        raw = record.get("MetaData", {}).get(name.split(".", 1)[1])
        if isinstance(raw, str):
            return timefmt.parse_datetime(raw, company.tz)
        return raw
    if entity == "Vendor" and name == "Balance":
        return company.vendor_balance(record["Id"])
    raw = record.get(name)
    if raw is None:
        return None
    if kind == "ref":
        raw = raw.get("value") if isinstance(raw, dict) else raw
        return None if raw is None else str(raw).casefold()
    if kind == "email":
        raw = raw.get("Address") if isinstance(raw, dict) else raw
        return None if raw is None else str(raw).casefold()
    if kind == "id":
        return _id_sort(str(raw))
    if kind == "date":
        return date.fromisoformat(str(raw)[:10])
    if kind == "money":
        return raw if isinstance(raw, Decimal) else Decimal(str(raw))
    if kind == "bool":
        return bool(raw)
    if kind == "int":
        return int(raw)
    return str(raw).casefold()


def _matches(
    company: Company, entity: str, fields: dict[str, str], record: dict, condition: Condition
) -> bool:
    left = _value(company, entity, record, condition.field, fields[condition.field])
    if left is None:
        return False
    op, right = condition.op, condition.value
    if op == "like":
        return bool(right.fullmatch(str(left)))
    if op == "in":
        return any(_compare(left, candidate) == 0 for candidate in right)
    result = _compare(left, right)
    return {"=": result == 0, "<": result < 0, ">": result > 0, "<=": result <= 0, ">=": result >= 0}[op]


def _compare(left: Any, right: Any) -> int:
    if isinstance(left, datetime) and isinstance(right, datetime):
        left, right = left.timestamp(), right.timestamp()
    try:
        return (left > right) - (left < right)
    except TypeError:
        left, right = str(left), str(right)
        return (left > right) - (left < right)


def _id_sort(value: str) -> tuple[int, int, str]:
    return (0, int(value), "") if value.isdigit() else (1, 0, value)


def _sort_key(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.timestamp()
    return value
