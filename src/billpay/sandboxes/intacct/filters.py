"""Record filters: the ``<filter>`` element of ``query`` and the SQL-like string of ``readByQuery``.

Both compile to a predicate ``record -> bool``. Values are compared with the
field's type (dates as dates, timestamps on the company's clock, amounts as
decimals); text is case-sensitive unless ``caseinsensitive`` is asked for.
``query`` filters follow the published schema: ``and``/``or`` need at least
two children, ``in`` takes at most 1000 values, ``between`` exactly two.
"""
from __future__ import annotations

import re
from typing import Any, Callable

from ...connectors.base import xmlcodec
from . import schema
from .catalog import get_value, parse_value
from .company import Company
from .errors import IntacctError, query_failed

Predicate = Callable[[dict], bool]
MAX_IN_VALUES = 1000
#: ``readByQuery`` accepts the workflow codes for APBILL/APPYMT states.
STATE_CODES = {"A": ("Posted", "Partially Paid", "Paid", "Selected"), "D": ("Draft",), "S": ("Submitted",),
               "PA": ("Partially Approved",), "U": ("Declined",), "C": ("Posted",), "V": ("Voided",)}

_BINARY = {
    "equalto": lambda a, b: a is not None and a == b,
    "notequalto": lambda a, b: a != b,
    "lessthan": lambda a, b: a is not None and a < b,
    "lessthanorequalto": lambda a, b: a is not None and a <= b,
    "greaterthan": lambda a, b: a is not None and a > b,
    "greaterthanorequalto": lambda a, b: a is not None and a >= b,
}


class Compiler:
    def __init__(self, company: Company, obj: schema.ObjectDef, *, case_insensitive: bool = False) -> None:
        self.company, self.obj, self.ci = company, obj, case_insensitive

    # -- shared --------------------------------------------------------------------------------------
    def field(self, name: str) -> schema.Field:
        name = (name or "").strip()
        f = self.obj.field(name)
        if f is None or f.write_only:
            raise query_failed(f"Invalid field '{name}' for object {self.obj.name}: the field is not defined "
                               "or cannot be queried")
        return f

    def value(self, f: schema.Field, text: str) -> Any:
        try:
            value = parse_value(self.company, f, text, obj=self.obj.name) if f.type != schema.ENUM else text
        except IntacctError:
            raise query_failed(f"Invalid value '{text}' for field {f.name}") from None
        return value.lower() if self.ci and isinstance(value, str) else value

    def read(self, f: schema.Field) -> Callable[[dict], Any]:
        name = f.name

        def getter(record: dict) -> Any:
            value = get_value(record, name)
            if value == "":
                value = None
            return value.lower() if self.ci and isinstance(value, str) else value
        return getter

    def compare(self, op: str, f: schema.Field, text: str) -> Predicate:
        get = self.read(f)
        if f.name in ("STATE", "RAWSTATE") and text in STATE_CODES and op in ("equalto", "notequalto"):
            labels = set(STATE_CODES[text])
            if op == "equalto":
                return lambda r: get(r) in labels or r.get("RAWSTATE") == text
            return lambda r: not (get(r) in labels or r.get("RAWSTATE") == text)
        wanted = self.value(f, text)
        test = _BINARY[op]

        def check(record: dict) -> bool:
            try:
                return bool(test(get(record), wanted))
            except TypeError:
                return False
        return check

    def like(self, f: schema.Field, pattern: str, negate: bool = False) -> Predicate:
        get = self.read(f)
        regex = re.compile("^" + "".join(".*" if ch == "%" else "." if ch == "_" else re.escape(ch)
                                         for ch in pattern) + "$", re.IGNORECASE if self.ci else 0)

        def check(record: dict) -> bool:
            value = get(record)
            hit = value is not None and regex.match(str(value)) is not None
            return hit != negate
        return check

    def member(self, f: schema.Field, texts: list[str], negate: bool = False) -> Predicate:
        if len(texts) > MAX_IN_VALUES:
            raise query_failed(f"The in operator accepts at most {MAX_IN_VALUES} values; {len(texts)} were given")
        get = self.read(f)
        wanted = {self.value(f, t) for t in texts}
        return lambda r: (get(r) in wanted) != negate

    # -- <filter> ----------------------------------------------------------------------------------
    def element(self, node: xmlcodec.Element) -> Predicate:
        tag = node.tag.lower() if isinstance(node.tag, str) else ""
        kids = xmlcodec.children(node)
        if tag in ("and", "or"):
            if len(kids) < 2:
                raise query_failed(f"The {tag} filter needs at least two conditions")
            parts = [self.element(k) for k in kids]
            if tag == "and":
                return lambda r: all(p(r) for p in parts)
            return lambda r: any(p(r) for p in parts)
        field_el = node.find("field")
        if field_el is None:
            raise query_failed(f"The {node.tag} filter needs a field")
        f = self.field(xmlcodec.text(field_el) or "")
        values = [xmlcodec.text(v) or "" for v in node.findall("value")]
        if tag in _BINARY:
            return self.compare(tag, f, _one(tag, values))
        if tag in ("like", "notlike"):
            return self.like(f, _one(tag, values), negate=tag == "notlike")
        if tag in ("in", "notin"):
            if not values:
                raise query_failed(f"The {tag} filter needs at least one value")
            return self.member(f, values, negate=tag == "notin")
        if tag == "between":
            if len(values) != 2:
                raise query_failed("The between filter needs exactly two values")
            low, high = self.compare("greaterthanorequalto", f, values[0]), self.compare("lessthanorequalto", f,
                                                                                       values[1])
            return lambda r: low(r) and high(r)
        if tag in ("isnull", "isnotnull"):
            get = self.read(f)
            if tag == "isnull":
                return lambda r: get(r) is None
            return lambda r: get(r) is not None
        raise query_failed(f"Unknown filter operator {node.tag}")

    # -- readByQuery strings -----------------------------------------------------------------------
    def text(self, query: str) -> Predicate:
        tokens = _tokenize(query)
        if not tokens:
            return lambda r: True
        parser = _Parser(tokens, self)
        predicate = parser.expression()
        if parser.peek() is not None:
            raise query_failed(f"Unexpected '{parser.peek()[1]}' in the query")
        return predicate


def _one(tag: str, values: list[str]) -> str:
    if len(values) != 1:
        raise query_failed(f"The {tag} filter needs exactly one value")
    return values[0]


_TOKEN = re.compile(r"""\s*(?:(?P<str>'(?:\\.|[^'\\])*')|(?P<op><>|!=|>=|<=|=|<|>)|(?P<lp>\()|(?P<rp>\))|
                       (?P<comma>,)|(?P<word>[A-Za-z0-9_.\-:/]+))""", re.VERBOSE)


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens, pos, text = [], 0, (text or "").strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise query_failed(f"Could not read the query near '{text[pos:pos + 20]}'")
        pos = match.end()
        kind = match.lastgroup or ""
        value = match.group(kind)
        if kind == "str":
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        tokens.append((kind, value))
    return tokens


class _Parser:
    """expression := term (OR term)*; term := factor (AND factor)*; factor := NOT factor | ( expr ) | cond."""

    _OPS = {"=": "equalto", "!=": "notequalto", "<>": "notequalto", "<": "lessthan", "<=": "lessthanorequalto",
            ">": "greaterthan", ">=": "greaterthanorequalto"}

    def __init__(self, tokens: list[tuple[str, str]], compiler: Compiler) -> None:
        self.tokens, self.pos, self.c = tokens, 0, compiler

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise query_failed("The query ends too early")
        self.pos += 1
        return token

    def keyword(self, *words: str) -> bool:
        token = self.peek()
        if token and token[0] == "word" and token[1].upper() in words:
            self.pos += 1
            return True
        return False

    def expression(self) -> Predicate:
        parts = [self.term()]
        while self.keyword("OR"):
            parts.append(self.term())
        return parts[0] if len(parts) == 1 else (lambda r: any(p(r) for p in parts))

    def term(self) -> Predicate:
        parts = [self.factor()]
        while self.keyword("AND"):
            parts.append(self.factor())
        return parts[0] if len(parts) == 1 else (lambda r: all(p(r) for p in parts))

    def factor(self) -> Predicate:
        if self.keyword("NOT"):
            inner = self.factor()
            return lambda r: not inner(r)
        token = self.peek()
        if token and token[0] == "lp":
            self.take()
            inner = self.expression()
            if self.take()[0] != "rp":
                raise query_failed("A parenthesis is not closed in the query")
            return inner
        return self.condition()

    def condition(self) -> Predicate:
        kind, name = self.take()
        if kind != "word":
            raise query_failed(f"Expected a field name, found '{name}'")
        f = self.c.field(name)
        if self.keyword("IS"):
            negate = self.keyword("NOT")
            if not self.keyword("NULL"):
                raise query_failed("Expected NULL after IS")
            get = self.c.read(f)
            return (lambda r: get(r) is not None) if negate else (lambda r: get(r) is None)
        negate = self.keyword("NOT")
        if self.keyword("LIKE"):
            return self.c.like(f, self.literal(), negate=negate)
        if self.keyword("IN"):
            if self.take()[0] != "lp":
                raise query_failed("Expected ( after IN")
            values = [self.literal()]
            while self.peek() and self.peek()[0] == "comma":
                self.take()
                values.append(self.literal())
            if self.take()[0] != "rp":
                raise query_failed("Expected ) after the IN values")
            return self.c.member(f, values, negate=negate)
        if negate:
            raise query_failed("Expected LIKE or IN after NOT")
        kind, op = self.take()
        if kind != "op":
            raise query_failed(f"Expected an operator after {name}, found '{op}'")
        return self.c.compare(self._OPS[op], f, self.literal())

    def literal(self) -> str:
        kind, value = self.take()
        if kind not in ("str", "word"):
            raise query_failed(f"Expected a value, found '{value}'")
        return value


def sort_key(compiler: Compiler, f: schema.Field) -> Callable[[dict], tuple]:
    get = compiler.read(f)

    def key(record: dict) -> tuple:
        value = get(record)
        return (value is not None, value if value is not None else 0)
    return key
