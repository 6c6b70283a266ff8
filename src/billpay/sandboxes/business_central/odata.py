"""OData v4 query options as Business Central answers them: ``$filter``, ``$select``, ``$expand``,
``$orderby``, ``$top``, ``$skip``, ``$count`` and server-driven paging.

``$filter`` grammar (what BC's API pages accept and clients send)::

    expr    := and ('or' and)*
    and     := unary ('and' unary)*
    unary   := 'not' unary | compare
    compare := operand (('eq'|'ne'|'gt'|'ge'|'lt'|'le') operand | 'in' '(' literal, ... ')')?
    operand := '(' expr ')' | function '(' args ')' | literal | property

Literals: ``'text'`` (``''`` escapes a quote), numbers, ``true``/``false``/``null``, dates
``2024-01-31``, date-times ``2024-01-31T10:00:00Z`` (fraction and offset allowed), and GUIDs
unquoted. Functions: ``contains``, ``startswith``, ``endswith``, ``tolower``, ``toupper``.
A property the entity does not have is a 400, as in BC. Comparisons are typed by the property:
a date property compares with a date literal, a GUID with a GUID, text with text (Code
properties compare case-insensitively, since BC stores them upper-cased).
"""

from __future__ import annotations

import operator
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any, Callable

from . import errors
from .schema import CODE, DATE, DATETIME, DECIMAL, GUID, INT, Entity, enum_wire

_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^']|'')*')"
    r"|(?P<guid>[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})"
    r"|(?P<dt>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,7})?)?(?:Z|[+-]\d{2}:\d{2}))"
    r"|(?P<date>\d{4}-\d{2}-\d{2})"
    r"|(?P<num>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?[mMdD]?)"
    r"|(?P<punct>[(),])"
    r"|(?P<word>[A-Za-z_][A-Za-z0-9_./]*))"
)
_COMPARE = {"eq", "ne", "gt", "ge", "lt", "le"}
_FUNCTIONS = {"contains", "startswith", "endswith", "tolower", "toupper"}


@dataclass(frozen=True)
class Literal:
    value: Any
    kind: str  # str | guid | datetime | date | number | bool | null


@dataclass(frozen=True)
class Prop:
    name: str


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple


@dataclass(frozen=True)
class Op:
    op: str
    left: Any
    right: Any = None


class _Parser:
    def __init__(self, text: str, entity: Entity) -> None:
        self.entity = entity
        self.tokens: list[tuple[str, str]] = []
        pos = 0
        text = text.strip()
        while pos < len(text):
            match = _TOKEN.match(text, pos)
            if match is None or match.end() == pos:
                raise errors.bad_request(f"Syntax error at position {pos} in '{text}'.")
            kind = match.lastgroup or ""
            self.tokens.append((kind, match.group(kind)))
            pos = match.end()
            while pos < len(text) and text[pos].isspace():
                pos += 1
        self.i = 0
        self.text = text

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise errors.bad_request(f"Syntax error: unexpected end of '{self.text}'.")
        self.i += 1
        return token

    def expect(self, value: str) -> None:
        kind, text = self.take()
        if text != value:
            raise errors.bad_request(f"Syntax error: expected '{value}' but found '{text}' in '{self.text}'.")

    def word(self, value: str) -> bool:
        token = self.peek()
        if token is not None and token[0] == "word" and token[1] == value:
            self.i += 1
            return True
        return False

    def parse(self) -> Any:
        node = self.expr()
        if self.peek() is not None:
            raise errors.bad_request(f"Syntax error at '{self.peek()[1]}' in '{self.text}'.")
        return node

    def expr(self) -> Any:
        node = self.conj()
        while self.word("or"):
            node = Op("or", node, self.conj())
        return node

    def conj(self) -> Any:
        node = self.unary()
        while self.word("and"):
            node = Op("and", node, self.unary())
        return node

    def unary(self) -> Any:
        if self.word("not"):
            return Op("not", self.unary())
        return self.compare()

    def compare(self) -> Any:
        left = self.operand()
        token = self.peek()
        if token is not None and token[0] == "word" and token[1] in _COMPARE:
            self.i += 1
            return Op(token[1], left, self.operand())
        if self.word("in"):
            self.expect("(")
            values = [self.operand()]
            while self.peek() == ("punct", ","):
                self.i += 1
                values.append(self.operand())
            self.expect(")")
            return Op("in", left, tuple(values))
        return left

    def operand(self) -> Any:
        kind, text = self.take()
        if (kind, text) == ("punct", "("):
            node = self.expr()
            self.expect(")")
            return node
        if kind == "str":
            return Literal(text[1:-1].replace("''", "'"), "str")
        if kind == "guid":
            return Literal(text.lower(), "guid")
        if kind == "dt":
            return Literal(_parse_datetime(text), "datetime")
        if kind == "date":
            return Literal(date.fromisoformat(text), "date")
        if kind == "num":
            try:
                return Literal(Decimal(text.rstrip("mMdD")), "number")
            except InvalidOperation:
                raise errors.bad_request(f"'{text}' is not a number.") from None
        if kind == "word":
            if text in ("true", "false"):
                return Literal(text == "true", "bool")
            if text == "null":
                return Literal(None, "null")
            if self.peek() == ("punct", "(") and text.lower() in _FUNCTIONS:
                self.i += 1
                args = [self.expr()]
                while self.peek() == ("punct", ","):
                    self.i += 1
                    args.append(self.expr())
                self.expect(")")
                return Call(text.lower(), tuple(args))
            if text not in self.entity.fields:
                raise errors.bad_request(
                    f"Could not find a property named '{text}' on type 'Microsoft.NAV.{self.entity.type_name}'."
                )
            return Prop(text)
        raise errors.bad_request(f"Syntax error at '{text}' in '{self.text}'.")


def _parse_datetime(text: str) -> datetime:
    value = text.replace("Z", "+00:00")
    head, _, rest = value.partition(".")
    if rest:  # Python wants at most 6 fraction digits
        digits = re.match(r"\d+", rest).group(0)  # type: ignore[union-attr]
        value = f"{head}.{digits[:6].ljust(6, '0')}{rest[len(digits):]}"
    parsed = datetime.fromisoformat(value)
    return parsed.astimezone(timezone.utc)


def parse_filter(text: str, entity: Entity) -> Callable[[dict], bool]:
    """A predicate over stored records for ``$filter=text``, compiled once into closures."""
    tree = _Parser(text, entity).parse()
    test = _compile(tree, entity)
    return lambda record: bool(test(record))


def index_hints(text: str, entity: Entity) -> list[tuple[str, str, str]]:
    """Terms of a top-level ``and`` that an index can answer: ("eq", property, value) for a text or GUID
    property compared with a literal, ("prefix", property, text) for ``startswith(property, 'text')``.
    Values are normalized as comparisons normalize them (Code upper case, GUIDs and prefixes lower case)."""
    terms, stack = [], [_Parser(text, entity).parse()]
    while stack:
        node = stack.pop()
        if isinstance(node, Op) and node.op == "and":
            stack += [node.left, node.right]
            continue
        if isinstance(node, Op) and node.op == "eq":
            prop, lit = (node.left, node.right) if isinstance(node.left, Prop) else (node.right, node.left)
            if isinstance(prop, Prop) and isinstance(lit, Literal) and lit.kind in ("str", "guid"):
                f = entity.fields[prop.name]
                if f.type in (CODE, GUID, "Edm.String"):
                    terms.append(("eq", prop.name, _normalizer(f)(_typed(f, lit))))
        elif isinstance(node, Call) and node.name == "startswith" and len(node.args) == 2:
            prop, lit = node.args
            if isinstance(prop, Prop) and isinstance(lit, Literal) and lit.kind == "str":
                terms.append(("prefix", prop.name, str(lit.value).lower()))
    return terms


def normalizer_of(entity: Entity, name: str) -> Callable[[Any], Any]:
    return _normalizer(entity.fields[name])


_OPS = {"eq": operator.eq, "ne": operator.ne, "gt": operator.gt, "ge": operator.ge, "lt": operator.lt,
        "le": operator.le}
_FLIP = {"gt": "lt", "lt": "gt", "ge": "le", "le": "ge"}
Getter = Callable[[dict], Any]


def _normalizer(f: Any) -> Callable[[Any], Any]:
    """How a property's value is compared: Code and enum case-insensitively, GUIDs in lower case."""
    if f.type in (CODE, "enum"):
        return lambda v: enum_wire(v).upper() if isinstance(v, str) else ("" if v is None else v)
    if f.type == GUID:
        return lambda v: v.lower() if isinstance(v, str) else ("" if v is None else v)
    return lambda v: v


def _compile(node: Any, entity: Entity) -> Getter:
    if isinstance(node, Literal):
        value = node.value
        return lambda r: value
    if isinstance(node, Prop):
        name = node.name
        return lambda r: r.get(name)
    if isinstance(node, Call):
        args = [_text_getter(a, entity) for a in node.args]
        if node.name in ("tolower", "toupper"):
            arg, upper = args[0], node.name == "toupper"
            return lambda r: (arg(r) or "").upper() if upper else (arg(r) or "").lower()
        haystack, needle = (args + [lambda r: "", lambda r: ""])[:2]
        test = {"contains": lambda h, n: n in h, "startswith": str.startswith, "endswith": str.endswith}[node.name]
        return lambda r: test((haystack(r) or "").lower(), (needle(r) or "").lower())
    if node.op in ("and", "or"):
        left, right = _compile(node.left, entity), _compile(node.right, entity)
        if node.op == "and":
            return lambda r: bool(left(r)) and bool(right(r))
        return lambda r: bool(left(r)) or bool(right(r))
    if node.op == "not":
        inner = _compile(node.left, entity)
        return lambda r: not inner(r)
    if node.op == "in":
        tests = [_comparison("eq", node.left, v, entity) for v in node.right]
        return lambda r: any(t(r) for t in tests)
    return _comparison(node.op, node.left, node.right, entity)


def _comparison(op: str, left: Any, right: Any, entity: Entity) -> Getter:
    if isinstance(left, Literal) and isinstance(right, Prop):
        left, right, op = right, left, _FLIP.get(op, op)
    compare = _OPS[op]
    if isinstance(left, Prop) and isinstance(right, Literal):
        f = entity.fields[left.name]
        norm = _normalizer(f)
        wanted = _typed(f, right)
        wanted = norm(wanted) if isinstance(wanted, str) else wanted
        name = left.name

        def typed(r: dict) -> bool:
            value = norm(r.get(name))
            if op in ("eq", "ne"):
                return compare(value, wanted)
            if value is None or wanted is None or value == "":
                return False
            try:
                return compare(value, wanted)
            except TypeError:
                raise errors.bad_request("A binary operator with incompatible types was detected.") from None
        return typed
    a, b = _compile(left, entity), _compile(right, entity)

    def plain(r: dict) -> bool:
        x, y = a(r), b(r)
        if op in ("eq", "ne"):
            return compare(x, y)
        if x is None or y is None:
            return False
        try:
            return compare(x, y)
        except TypeError:
            raise errors.bad_request("A binary operator with incompatible types was detected.") from None
    return plain


def _text_getter(node: Any, entity: Entity) -> Callable[[dict], str | None]:
    getter = _compile(node, entity)

    def text(r: dict) -> str | None:
        value = getter(r)
        return None if value is None else str(value)
    return text


def _typed(f: Any, literal: Literal) -> Any:
    """The literal as the property's type; a mismatch is BC's 400."""
    if literal.kind == "null":
        return None
    if f.type == DATE:
        if literal.kind == "date":
            return literal.value
        if literal.kind == "datetime":
            return literal.value.date()
    elif f.type == DATETIME:
        if literal.kind == "datetime":
            return literal.value
        if literal.kind == "date":
            return datetime(literal.value.year, literal.value.month, literal.value.day, tzinfo=timezone.utc)
    elif f.type in (DECIMAL, INT):
        if literal.kind == "number":
            return literal.value
    elif f.type == GUID:
        if literal.kind in ("guid", "str"):
            return str(literal.value).lower()
    elif f.type == "Edm.Boolean":
        if literal.kind == "bool":
            return literal.value
    elif literal.kind == "str":
        return literal.value
    raise errors.bad_request(
        f"A binary operator with incompatible types was detected. Found operand types '{f.edm}' and "
        f"'{literal.kind}' for operator kind 'Equal'."
    )


# -- $select / $expand / $orderby -------------------------------------------------------------------------


@dataclass
class Expand:
    navigation: str
    options: "QueryOptions"


@dataclass
class QueryOptions:
    filter: str | None = None
    select: list[str] | None = None
    expand: list[Expand] = field(default_factory=list)
    orderby: list[tuple[str, bool]] = field(default_factory=list)  # (property, descending)
    top: int | None = None
    skip: int = 0
    count: bool = False
    skiptoken: str | None = None


def split_top_level(text: str, sep: str) -> list[str]:
    """Split on ``sep`` outside parentheses and quotes."""
    parts, depth, quoted, current = [], 0, False, []
    for ch in text:
        if ch == "'":
            quoted = not quoted
        elif not quoted and ch == "(":
            depth += 1
        elif not quoted and ch == ")":
            depth -= 1
        if ch == sep and depth == 0 and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return [p.strip() for p in parts if p.strip()]


def parse_options(params: dict[str, str]) -> QueryOptions:
    """Query options from decoded query parameters (``$filter`` or ``%24filter``: the same once decoded)."""
    known = {"$filter", "$select", "$expand", "$orderby", "$top", "$skip", "$count", "$skiptoken", "$format",
             "$schemaversion", "company", "tenant"}
    for name in params:
        if name.startswith("$") and name not in known:
            raise errors.bad_request(f"The query parameter '{name}' is not supported.")
    options = QueryOptions(filter=params.get("$filter") or None, skiptoken=params.get("$skiptoken") or None)
    if params.get("$select"):
        options.select = [s.strip() for s in params["$select"].split(",") if s.strip()]
    if params.get("$expand"):
        options.expand = parse_expand(params["$expand"])
    if params.get("$orderby"):
        for part in params["$orderby"].split(","):
            words = part.split()
            if not words or len(words) > 2 or (len(words) == 2 and words[1] not in ("asc", "desc")):
                raise errors.bad_request(f"Syntax error in $orderby '{params['$orderby']}'.")
            options.orderby.append((words[0], len(words) == 2 and words[1] == "desc"))
    for name in ("$top", "$skip"):
        if params.get(name) is not None:
            try:
                value = int(params[name])
            except ValueError:
                raise errors.bad_request(f"Invalid value '{params[name]}' for {name} query option.") from None
            if value < 0:
                raise errors.bad_request(f"Invalid value '{value}' for {name} query option.")
            if name == "$top":
                options.top = value
            else:
                options.skip = value
    if params.get("$count") is not None:
        if params["$count"] not in ("true", "false"):
            raise errors.bad_request(f"Invalid value '{params['$count']}' for $count query option.")
        options.count = params["$count"] == "true"
    return options


def parse_expand(text: str) -> list[Expand]:
    out = []
    for part in split_top_level(text, ","):
        name, _, rest = part.partition("(")
        inner: dict[str, str] = {}
        if rest:
            if not rest.endswith(")"):
                raise errors.bad_request(f"Syntax error in $expand '{text}'.")
            for option in split_top_level(rest[:-1], ";"):
                key, _, value = option.partition("=")
                inner[key.strip()] = value.strip()
        out.append(Expand(name.strip(), parse_options(inner)))
    return out
