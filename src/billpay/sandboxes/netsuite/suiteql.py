"""A SuiteQL subset, parsed and evaluated over rows the account builds on demand.

Covered (what integrations send in practice, per Oracle's SuiteQL pages and the
queries of hotglue's and others' NetSuite connectors)::

    SELECT [DISTINCT] *, t.*, expr [AS alias], COUNT(*), MAX(expr), MIN(expr), SUM(expr)
    FROM table [alias] {[INNER | LEFT [OUTER]] JOIN table [alias] ON expr}
    [WHERE expr] {UNION ALL SELECT ...} [ORDER BY expr|alias [ASC|DESC], ...]

with ``AND``/``OR``/``NOT``, ``= <> != < <= > >=``, ``[NOT] IN (...)``, ``IS [NOT]
NULL``, ``[NOT] LIKE``, ``BETWEEN``, ``||``, bound ``?`` parameters, and the
functions ``TO_CHAR``, ``TO_DATE``, ``TO_TIMESTAMP``, ``BUILTIN.DF``, ``NVL``,
``COALESCE``, ``UPPER``, ``LOWER``, ``ABS``, ``ROUND`` and ``SYSDATE``. Keywords and
names are case-insensitive; result columns come back lower-cased. Anything else
is refused with ``INVALID_PARAMETER``-style 400s rather than guessed at.

Values inside the evaluator are ``str``, ``Decimal``, ``date``, ``datetime`` or
``None``; check boxes are ``'T'``/``'F'`` as in NetSuite.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any, Callable, Iterable, Mapping

from . import errors

_TOKEN = re.compile(r"""\s*(?:
    (?P<str>'(?:[^']|'')*')
  | (?P<num>\d+(?:\.\d+)?)
  | (?P<op><=|>=|<>|!=|\|\||[=<>(),.*?+\-/])
  | (?P<name>[A-Za-z_][A-Za-z0-9_$]*)
)""", re.X)
_KEYWORDS = {"select", "distinct", "from", "where", "and", "or", "not", "in", "is", "null", "like", "between",
             "join", "inner", "left", "outer", "on", "as", "order", "by", "asc", "desc", "union", "all"}
_AGGREGATES = {"count", "max", "min", "sum"}

Row = dict[str, Any]   # "alias.column" -> value
Tables = Callable[[str], list[dict[str, Any]]]
Display = Callable[[str, str, Any], Any]


def fail(detail: str) -> errors.NsError:
    return errors.NsError(400, "INVALID_PARAMETER", f"Invalid search query. Detailed unprocessed description "
                                                      f"follows. {detail}")


@dataclass
class Select:
    items: list[tuple[Any, str | None]]   # (expr | ("star", alias|None), output name)
    tables: list[tuple[str, str, str, Any]] = field(default_factory=list)  # (table, alias, join kind, on)
    where: Any = None
    distinct: bool = False


@dataclass
class Query:
    selects: list[Select]
    order: list[tuple[Any, bool]] = field(default_factory=list)


class Parser:
    def __init__(self, text: str, params: list[Any]) -> None:
        self.tokens: list[tuple[str, str]] = []
        pos, text = 0, text.strip().rstrip(";")
        while pos < len(text):
            m = _TOKEN.match(text, pos)
            if not m or m.end() == pos:
                raise fail(f"Unexpected character at position {pos}: {text[pos:pos + 10]!r}")
            kind = m.lastgroup or ""
            self.tokens.append((kind, m.group(kind)))
            pos = m.end()
            while pos < len(text) and text[pos].isspace():
                pos += 1
        self.i = 0
        self.params = list(params)
        self.param_index = 0

    # -- token helpers ---------------------------------------------------------------------------
    def peek(self, offset: int = 0) -> tuple[str, str]:
        j = self.i + offset
        return self.tokens[j] if j < len(self.tokens) else ("end", "")

    def word(self, *words: str, offset: int = 0) -> bool:
        kind, value = self.peek(offset)
        return kind == "name" and value.lower() in words

    def take_word(self, *words: str) -> bool:
        if self.word(*words):
            self.i += 1
            return True
        return False

    def expect_word(self, word: str) -> None:
        if not self.take_word(word):
            raise fail(f"Expected {word.upper()} near {self.peek()[1]!r}")

    def op(self, *ops: str) -> bool:
        kind, value = self.peek()
        return kind == "op" and value in ops

    def take_op(self, *ops: str) -> str | None:
        if self.op(*ops):
            self.i += 1
            return self.tokens[self.i - 1][1]
        return None

    def expect_op(self, op: str) -> None:
        if not self.take_op(op):
            raise fail(f"Expected {op!r} near {self.peek()[1]!r}")

    def name(self) -> str:
        kind, value = self.peek()
        if kind != "name":
            raise fail(f"Expected a name near {value!r}")
        self.i += 1
        return value.lower()

    # -- grammar -------------------------------------------------------------------------------------
    def query(self) -> Query:
        selects = [self.select()]
        while self.take_word("union"):
            self.expect_word("all")
            selects.append(self.select())
        order = []
        if self.take_word("order"):
            self.expect_word("by")
            while True:
                expr = self.expr()
                desc = self.take_word("desc")
                if not desc:
                    self.take_word("asc")
                order.append((expr, desc))
                if not self.take_op(","):
                    break
        if self.peek()[0] != "end":
            raise fail(f"Unexpected {self.peek()[1]!r}")
        if self.param_index != len(self.params):
            raise fail("The number of bound parameters does not match the query.")
        return Query(selects, order)

    def select(self) -> Select:
        self.expect_word("select")
        sel = Select(items=[], distinct=self.take_word("distinct"))
        while True:
            if self.take_op("*"):
                sel.items.append((("star", None), None))
            elif self.peek()[0] == "name" and self.peek(1) == ("op", ".") and self.peek(2) == ("op", "*"):
                alias = self.name()
                self.i += 2
                sel.items.append((("star", alias), None))
            else:
                expr = self.expr()
                alias = None
                if self.take_word("as"):
                    alias = self.name()
                elif self.peek()[0] == "name" and not self.word(*_KEYWORDS):
                    alias = self.name()
                sel.items.append((expr, alias or _default_name(expr)))
            if not self.take_op(","):
                break
        self.expect_word("from")
        sel.tables.append((*self.table_ref(), "from", None))
        while self.word("join", "inner", "left"):
            kind = "left" if self.take_word("left") else "inner"
            self.take_word("inner")
            self.take_word("outer")
            self.expect_word("join")
            table, alias = self.table_ref()
            self.expect_word("on")
            sel.tables.append((table, alias, kind, self.expr()))
        if self.take_word("where"):
            sel.where = self.expr()
        return sel

    def table_ref(self) -> tuple[str, str]:
        table = self.name()
        alias = table
        if self.take_word("as"):
            alias = self.name()
        elif self.peek()[0] == "name" and not self.word(*_KEYWORDS):
            alias = self.name()
        return table, alias

    def expr(self) -> Any:
        left = self.conj()
        while self.take_word("or"):
            left = ("or", left, self.conj())
        return left

    def conj(self) -> Any:
        left = self.neg()
        while self.take_word("and"):
            left = ("and", left, self.neg())
        return left

    def neg(self) -> Any:
        if self.take_word("not"):
            return ("not", self.neg())
        return self.predicate()

    def predicate(self) -> Any:
        left = self.additive()
        op = self.take_op("=", "<>", "!=", "<", "<=", ">", ">=")
        if op:
            return ("cmp", "<>" if op == "!=" else op, left, self.additive())
        negate = self.take_word("not")
        if self.take_word("in"):
            self.expect_op("(")
            values = [self.additive()]
            while self.take_op(","):
                values.append(self.additive())
            self.expect_op(")")
            if all(v[0] == "lit" and not isinstance(v[1], (date, datetime)) for v in values):
                node: Any = ("inset", left, frozenset(render(v[1]) for v in values))  # one hash probe per row
            else:
                node = ("in", left, values)
        elif self.take_word("like"):
            node = ("like", left, self.additive())
        elif self.take_word("between"):
            low = self.additive()
            self.expect_word("and")
            node = ("and", ("cmp", ">=", left, low), ("cmp", "<=", left, self.additive()))
        elif not negate and self.take_word("is"):
            negate = self.take_word("not")
            self.expect_word("null")
            node = ("isnull", left)
        elif negate:
            raise fail("Expected IN, LIKE or BETWEEN after NOT")
        else:
            return left
        return ("not", node) if negate else node

    def additive(self) -> Any:
        left = self.primary()
        while True:
            op = self.take_op("||", "+", "-")
            if not op:
                return left
            left = ("arith", op, left, self.primary())

    def primary(self) -> Any:
        kind, value = self.peek()
        if kind == "str":
            self.i += 1
            return ("lit", value[1:-1].replace("''", "'"))
        if kind == "num":
            self.i += 1
            return ("lit", Decimal(value))
        if self.take_op("-"):
            return ("arith", "-", ("lit", Decimal(0)), self.primary())
        if self.take_op("?"):
            if self.param_index >= len(self.params):
                raise fail("Not enough bound parameters for the query.")
            self.param_index += 1
            return ("lit", self.params[self.param_index - 1])
        if self.take_op("("):
            inner = self.expr()
            self.expect_op(")")
            return inner
        if kind != "name":
            raise fail(f"Unexpected {value!r}")
        if self.take_word("null"):
            return ("lit", None)
        first = self.name()
        if first == "sysdate":
            return ("sysdate",)
        if self.take_op("."):
            second = self.name()
            if first == "builtin" and self.op("("):
                return self.call(f"builtin.{second}")
            return ("col", first, second)
        if self.op("("):
            return self.call(first)
        return ("col", None, first)

    def call(self, fname: str) -> Any:
        self.expect_op("(")
        args: list[Any] = []
        if fname == "count" and self.take_op("*"):
            args = [("lit", 1)]
        elif not self.op(")"):
            args.append(self.expr())
            while self.take_op(","):
                args.append(self.expr())
        self.expect_op(")")
        if fname not in _AGGREGATES and fname not in _FUNCTIONS:
            raise fail(f"Unknown function {fname.upper()}")
        if fname not in _AGGREGATES and fname != "builtin.df" and all(a[0] == "lit" for a in args):
            return ("lit", _FUNCTIONS[fname](*(a[1] for a in args)))  # constant: evaluate once, not per row
        return ("agg" if fname in _AGGREGATES else "fn", fname, args)


def _default_name(expr: Any) -> str:
    if expr[0] == "col":
        return expr[2]
    if expr[0] in ("fn", "agg"):
        return f"expr{id(expr) % 1000}" if expr[1] != "count" else "count"
    return "expr"


# --- evaluation -------------------------------------------------------------------------------------

_FORMAT_PARTS = [("YYYY", "%Y"), ("HH24", "%H"), ("MM", "%m"), ("DD", "%d"), ("MI", "%M"), ("SS", "%S")]


def _strftime_format(fmt: str) -> str:
    out = fmt
    for oracle, python in _FORMAT_PARTS:
        out = out.replace(oracle, python)
    return out


def to_char(value: Any, fmt: str | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, (date, datetime)) and fmt:
        return value.strftime(_strftime_format(fmt.upper()))
    return render(value)


def to_date(value: Any, fmt: str | None, *, timestamp: bool) -> Any:
    if value is None or isinstance(value, (date, datetime)):
        return value
    try:
        parsed = datetime.strptime(str(value), _strftime_format((fmt or "YYYY-MM-DD").upper()))
    except ValueError:
        raise fail(f"Cannot convert {value!r} with format {fmt!r}") from None
    parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed if timestamp or parsed.time() != datetime.min.time() else parsed.date()


def render(value: Any) -> str | None:
    """A value as SuiteQL returns it without ``TO_CHAR``: text, dates in the user's format (M/D/YYYY)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return f"{value.month}/{value.day}/{value.year}"
    if isinstance(value, date):
        return f"{value.month}/{value.day}/{value.year}"
    if isinstance(value, Decimal):
        text = format(value, "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    return str(value)


def _comparable(a: Any, b: Any) -> tuple[Any, Any]:
    if isinstance(a, str) and isinstance(b, str) and a.isdigit() and b.isdigit():
        return int(a), int(b)  # internal ids are numbers in NetSuite
    if isinstance(a, datetime) and isinstance(b, date) and not isinstance(b, datetime):
        b = datetime(b.year, b.month, b.day, tzinfo=a.tzinfo)
    elif isinstance(b, datetime) and isinstance(a, date) and not isinstance(a, datetime):
        a = datetime(a.year, a.month, a.day, tzinfo=b.tzinfo)
    if isinstance(a, Decimal) and not isinstance(b, Decimal) and b is not None:
        try:
            b = Decimal(str(b))
        except InvalidOperation:
            a = render(a)
    elif isinstance(b, Decimal) and not isinstance(a, Decimal) and a is not None:
        try:
            a = Decimal(str(a))
        except InvalidOperation:
            b = render(b)
    if type(a) is not type(b) and not (isinstance(a, date) and isinstance(b, date)):
        a, b = render(a), render(b)
    return a, b


def _compare(op: str, a: Any, b: Any) -> bool:
    if a is None or b is None:
        return False
    a, b = _comparable(a, b)
    return {"=": a == b, "<>": a != b, "<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]


def _like(value: Any, pattern: Any) -> bool:
    if value is None or pattern is None:
        return False
    regex = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in str(pattern))
    return re.fullmatch(regex, str(value), re.S) is not None


_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "to_char": lambda v, f=None: to_char(v, f),
    "to_date": lambda v, f=None: to_date(v, f, timestamp=False),
    "to_timestamp": lambda v, f=None: to_date(v, f, timestamp=True),
    "nvl": lambda v, other: other if v is None else v,
    "coalesce": lambda *vs: next((v for v in vs if v is not None), None),
    "upper": lambda v: None if v is None else str(v).upper(),
    "lower": lambda v: None if v is None else str(v).lower(),
    "abs": lambda v: None if v is None else abs(Decimal(str(v))),
    "round": lambda v, n=Decimal(0): None if v is None else round(Decimal(str(v)), int(n)),
    "builtin.df": lambda v: v,  # replaced at evaluation time (needs the column it names)
}


class Evaluator:
    def __init__(self, tables: Tables, display: Display, now: datetime) -> None:
        self.tables, self.display, self.now = tables, display, now

    def value(self, expr: Any, row: Row) -> Any:
        kind = expr[0]
        if kind == "lit":
            return expr[1]
        if kind == "col":
            return self.column(row, expr[1], expr[2])
        if kind == "sysdate":
            return self.now
        if kind == "arith":
            a, b = self.value(expr[2], row), self.value(expr[3], row)
            if expr[1] == "||":
                return f"{render(a) or ''}{render(b) or ''}"
            if a is None or b is None:
                return None
            a, b = Decimal(str(a)), Decimal(str(b))
            return a + b if expr[1] == "+" else a - b
        if kind == "fn":
            if expr[1] == "builtin.df":
                target = expr[2][0]
                value = self.value(target, row)
                return self.display(self._table_of(target, row), target[2] if target[0] == "col" else "", value)
            return _FUNCTIONS[expr[1]](*(self.value(a, row) for a in expr[2]))
        if kind == "agg":
            return row.get(f"__agg__{id(expr)}")
        return self.truth(expr, row)

    def truth(self, expr: Any, row: Row) -> bool:
        kind = expr[0]
        if kind == "and":
            return self.truth(expr[1], row) and self.truth(expr[2], row)
        if kind == "or":
            return self.truth(expr[1], row) or self.truth(expr[2], row)
        if kind == "not":
            return not self.truth(expr[1], row)
        if kind == "cmp":
            return _compare(expr[1], self.value(expr[2], row), self.value(expr[3], row))
        if kind == "in":
            value = self.value(expr[1], row)
            return any(_compare("=", value, self.value(item, row)) for item in expr[2])
        if kind == "inset":
            value = self.value(expr[1], row)
            return value is not None and render(value) in expr[2]
        if kind == "isnull":
            return self.value(expr[1], row) is None
        if kind == "like":
            return _like(self.value(expr[1], row), self.value(expr[2], row))
        value = self.value(expr, row)
        return value not in (None, False, "F")

    def column(self, row: Row, alias: str | None, name: str) -> Any:
        if alias is not None:
            key = f"{alias}.{name}"
            if key not in row["__columns__"]:
                raise fail(f"Field '{name}' for record '{alias}' was not found.")
            return row.get(key)
        matches = [key for key in row["__columns__"] if key.split(".", 1)[1] == name]
        if not matches:
            if name in row.get("__outputs__", {}):
                return row["__outputs__"][name]
            raise fail(f"Field '{name}' was not found.")
        return row.get(matches[0])

    def _table_of(self, expr: Any, row: Row) -> str:
        if expr[0] != "col":
            return ""
        if expr[1] is not None:
            return row["__aliases__"].get(expr[1], "")
        for key in row["__columns__"]:
            alias, col = key.split(".", 1)
            if col == expr[2]:
                return row["__aliases__"].get(alias, "")
        return ""

    # -- one SELECT ------------------------------------------------------------------------------------
    def rows(self, sel: Select) -> list[Row]:
        aliases = {alias: table for table, alias, _, _ in sel.tables}
        conjuncts = _conjuncts(sel.where)
        columns: set[str] = set()
        prepared = []
        for table, alias, kind, _ in sel.tables:
            records = self._table(table)
            own = {f"{alias}.{c}" for r in records for c in r} or {f"{alias}.id"}
            columns |= own
            rows = [{f"{alias}.{c}": v for c, v in r.items()} for r in records]
            if kind != "left":  # filters on one inner table can run before the joins (same result, less work)
                local = [c for c in conjuncts if _aliases_in(c) == {alias}]
                if local:
                    meta = {"__columns__": own, "__aliases__": aliases}
                    rows = [r for r in rows if all(self.truth(c, {**r, **meta}) for c in local)]
            prepared.append(rows)
        meta = {"__columns__": columns, "__aliases__": aliases}
        current = prepared[0]
        for (_, alias, kind, on), right in zip(sel.tables[1:], prepared[1:]):
            current = self._join(current, right, alias, kind, on, columns, aliases)
        out = []
        for row in current:
            row.update(meta)
            if sel.where is None or self.truth(sel.where, row):
                out.append(row)
        return out

    def _table(self, name: str) -> list[dict[str, Any]]:
        rows = self.tables(name)
        if rows is None:
            raise fail(f"Record '{name}' was not found.")
        return rows

    def _join(self, left: list[Row], prefixed: list[dict], alias: str, kind: str, on: Any,
              columns: set[str], aliases: dict[str, str]) -> list[Row]:
        key = _equi_key(on, alias)
        out: list[Row] = []
        meta = {"__columns__": columns, "__aliases__": aliases}
        if key is not None:
            left_expr, right_col = key
            index: dict[Any, list[dict]] = {}
            for r in prefixed:
                index.setdefault(render(r.get(right_col)), []).append(r)
            exact = on[0] == "cmp"  # the equality is the whole condition: the index already decided
            for row in left:
                row.update(meta)
                probe_value = self.value(left_expr, row)
                matches = index.get(render(probe_value), []) if probe_value is not None else []
                if not exact:
                    matches = [m for m in matches if self.truth(on, {**row, **m})]
                out.extend({**row, **m} for m in matches)
                if not matches and kind == "left":
                    out.append(dict(row))
            return out
        for row in left:
            matched = False
            for r in prefixed:
                combined = {**row, **r}
                if self.truth(on, {**combined, **meta}):
                    out.append(combined)
                    matched = True
            if not matched and kind == "left":
                out.append(dict(row))
        return out


def _conjuncts(expr: Any) -> list[Any]:
    if expr is None:
        return []
    if expr[0] == "and":
        return _conjuncts(expr[1]) + _conjuncts(expr[2])
    return [expr]


def _aliases_in(expr: Any) -> set[str | None]:
    found: set[str | None] = set()

    def walk(node: Any) -> None:
        if isinstance(node, tuple):
            if node and node[0] == "col":
                found.add(node[1])
            elif node and node[0] in ("fn", "agg"):
                if node[1] == "builtin.df" or node[0] == "agg":
                    found.add(None)  # needs the joined row: evaluate after the joins
                else:
                    walk(node[2])
            elif node and node[0] == "sysdate":
                return
            else:
                for part in node[1:]:
                    walk(part)
        elif isinstance(node, list):
            for part in node:
                walk(part)

    walk(expr)
    return found


def _equi_key(on: Any, alias: str) -> tuple[Any, str] | None:
    """``right.col = <left expr>`` somewhere in an AND chain -> (left expr, "alias.col") for a hash join."""
    if on[0] == "and":
        return _equi_key(on[1], alias) or _equi_key(on[2], alias)
    if on[0] == "cmp" and on[1] == "=":
        for mine, other in ((on[2], on[3]), (on[3], on[2])):
            if mine[0] == "col" and mine[1] == alias and not _mentions(other, alias):
                return other, f"{alias}.{mine[2]}"
    return None


def _mentions(expr: Any, alias: str) -> bool:
    if isinstance(expr, tuple):
        if expr and expr[0] == "col":
            return expr[1] == alias
        return any(_mentions(part, alias) for part in expr[1:])
    if isinstance(expr, list):
        return any(_mentions(part, alias) for part in expr)
    return False


def run(text: str, params: Iterable[Any], tables: Tables, display: Display, now: datetime) -> list[dict]:
    """Every result row of ``text`` as ``{column: value}`` (lower-case names, Python values)."""
    if not isinstance(text, str) or not text.strip():
        raise fail("The query is empty.")
    query = Parser(text, [_param(p) for p in params]).query()
    ev = Evaluator(tables, display, now)
    results: list[dict] = []
    names: list[str] | None = None
    for sel in query.selects:
        rows = ev.rows(sel)
        produced = _project(ev, sel, rows)
        if names is None:
            names = list(produced[0][0]) if produced else _names(sel, rows)
        elif produced and len(produced[0][0]) != len(names):
            raise fail("Each SELECT of a UNION must have the same number of columns.")
        for values, row in produced:
            results.append((dict(zip(names, values.values())), row))  # type: ignore[arg-type]
    if query.order:
        def sort_key(item: tuple[dict, Row]) -> tuple:
            out, row = item
            keys = []
            for expr, desc in query.order:
                if expr[0] == "col" and expr[1] is None and expr[2] in out:
                    value = out[expr[2]]
                else:
                    value = ev.value(expr, {**row, "__outputs__": out})
                keys.append(_SortKey(value, desc))
            return tuple(keys)
        results.sort(key=sort_key)
    return [out for out, _ in results]


def _names(sel: Select, rows: list[Row]) -> list[str]:
    return [name or "*" for _, name in sel.items]


def _project(ev: Evaluator, sel: Select, rows: list[Row]) -> list[tuple[dict, Row]]:
    aggregates = [expr for expr, _ in sel.items if expr[0] == "agg"]
    if aggregates:
        if len(aggregates) != len(sel.items):
            raise fail("Aggregates without GROUP BY cannot be mixed with columns.")
        row: Row = {"__columns__": set(), "__aliases__": {}}
        for expr in aggregates:
            values = [ev.value(expr[2][0], r) for r in rows] if expr[1] != "count" else [1] * len(rows)
            values = [v for v in values if v is not None]
            if expr[1] == "count":
                result: Any = Decimal(len(values))
            elif not values:
                result = None
            elif expr[1] == "sum":
                result = sum((Decimal(str(v)) for v in values), Decimal(0))
            else:
                result = (max if expr[1] == "max" else min)(values)
            row[f"__agg__{id(expr)}"] = result
        return [({name: ev.value(expr, row) for expr, name in sel.items}, row)]  # type: ignore[misc]
    out = []
    seen = set()
    for r in rows:
        values: dict[str, Any] = {}
        for expr, name in sel.items:
            if expr[0] == "star":
                for key in sorted(r["__columns__"]):
                    alias, col = key.split(".", 1)
                    if expr[1] in (None, alias):
                        values.setdefault(col, r.get(key))
            else:
                values[name or "expr"] = ev.value(expr, r)
        if sel.distinct:
            marker = tuple(render(v) for v in values.values())
            if marker in seen:
                continue
            seen.add(marker)
        out.append((values, r))
    return out


def _param(value: Any) -> Any:
    if isinstance(value, bool):
        return "T" if value else "F"
    if isinstance(value, (int, float)):
        return Decimal(str(value))
    return value


class _SortKey:
    """Orders NULLs last (Oracle's default for ASC) and compares mixed types as text."""

    __slots__ = ("value", "desc")

    def __init__(self, value: Any, desc: bool) -> None:
        self.value, self.desc = value, desc

    def __lt__(self, other: _SortKey) -> bool:
        a, b = self.value, other.value
        if a is None or b is None:
            if a is None and b is None:
                return False
            return b is None if not self.desc else a is None
        a, b = _comparable(a, b)
        return a > b if self.desc else a < b

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _SortKey) and _comparable(self.value, other.value)[0] == \
            _comparable(self.value, other.value)[1]


def page_links(base: str, limit: int, offset: int, total: int) -> list[dict]:
    def href(at: int) -> str:
        return f"{base}?limit={limit}&offset={at}"

    last = max(0, (total - 1) // limit * limit) if total else 0
    links = [{"rel": "first", "href": href(0)}]
    if offset + limit < total:
        links.append({"rel": "next", "href": href(offset + limit)})
    if offset > 0:
        links.append({"rel": "prev", "href": href(max(0, offset - limit))})
    links += [{"rel": "last", "href": href(last)}, {"rel": "self", "href": href(offset)}]
    return links


def render_row(row: Mapping[str, Any]) -> dict[str, str]:
    """A result row as SuiteQL answers it: lower-case keys, text values, NULL columns left out."""
    return {"links": [], **{k.lower(): render(v) for k, v in row.items() if v is not None}}
