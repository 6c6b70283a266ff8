"""XML in and out for platforms that speak XML (Sage Intacct's Web Services gateway).

- ``parse`` reads a document with a hardened parser: no DTDs, no entity
  expansion, no network, no comments or processing instructions kept, so a
  hostile body cannot expand or reach out.
- ``build`` writes an element from Python values the way the platform's own
  clients describe payloads (xmltodict style): a ``dict`` becomes child
  elements in order, a ``list`` value repeats its key, ``"@name"`` keys are
  attributes. ``Decimal`` is written exactly (``format(value, "f")``),
  dates as ``mm/dd/yyyy``, booleans as ``true``/``false``; floats are refused
  so money never passes through a binary fraction.
- ``text`` and ``to_python`` read values back; every leaf is a stripped string.

Shared by the Intacct connector and the Intacct sandbox, so both sides of the
wire agree on the same rules.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Mapping

from lxml import etree

Element = etree._Element

_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
    huge_tree=False, remove_comments=True, remove_pis=True,
)


class XMLFormatError(ValueError):
    """The bytes are not a well-formed XML document (``line``/``column`` where known)."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        super().__init__(message)
        self.line, self.column = line, column


def parse(data: bytes | str) -> Element:
    """The root element of ``data``; ``XMLFormatError`` when it is not well-formed XML."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    if not data.strip():
        raise XMLFormatError("the document is empty")
    try:
        root = etree.fromstring(data, parser=_PARSER)
    except etree.XMLSyntaxError as exc:
        line, column = (exc.position or (None, None))
        raise XMLFormatError(str(exc.msg or exc), line, column) from None
    if root is None:
        raise XMLFormatError("the document has no root element")
    return root


def scalar(value: Any) -> str:
    """One leaf value as wire text."""
    if value is None:
        return ""
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, float):
        raise TypeError("floats are not allowed in platform payloads; use Decimal")
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"cannot write non-finite amount {value!r}")
        text = format(value, "f")
        return "0" if text in ("-0", "-0.00", "-0.0") else text
    if isinstance(value, dt.datetime):
        return value.strftime("%m/%d/%Y %H:%M:%S")
    if isinstance(value, dt.date):
        return value.strftime("%m/%d/%Y")
    return str(value)


def build(tag: str, value: Any = None) -> Element:
    """An element named ``tag`` holding ``value`` (see the module docstring)."""
    element = etree.Element(tag)
    _fill(element, value)
    return element


def append(parent: Element, tag: str, value: Any = None) -> Element:
    """``build`` as a child of ``parent``; a list value appends one element per item."""
    if isinstance(value, (list, tuple)):
        last = parent
        for item in value:
            last = append(parent, tag, item)
        return last
    child = etree.SubElement(parent, tag)
    _fill(child, value)
    return child


def _fill(element: Element, value: Any) -> None:
    if isinstance(value, Mapping):
        for key, item in value.items():
            if key.startswith("@"):
                element.set(key[1:], scalar(item))
            elif key == "#text":
                element.text = scalar(item)
            else:
                append(element, key, item)
    elif isinstance(value, Element):
        element.append(value)
    elif value is not None:
        element.text = scalar(value)


DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'


def to_bytes(root: Element, *, declaration: bool = True, pretty: bool = False) -> bytes:
    body = etree.tostring(root, encoding="UTF-8", pretty_print=pretty)
    return DECLARATION + body if declaration else body


def text(element: Element | None, path: str | None = None, default: str | None = None) -> str | None:
    """Stripped text of ``element`` (or of its first ``path`` child); ``default`` when absent."""
    if element is None:
        return default
    target = element.find(path) if path else element
    if target is None:
        return default
    return (target.text or "").strip()


def children(element: Element | None) -> list[Element]:
    """Child elements (comments and other nodes skipped)."""
    if element is None:
        return []
    return [child for child in element if isinstance(child.tag, str)]


def to_python(element: Element) -> Any:
    """A leaf -> its stripped text; an element with children -> ``{tag: value}`` (repeated tags -> lists)."""
    kids = children(element)
    if not kids:
        return (element.text or "").strip()
    out: dict[str, Any] = {}
    for child in kids:
        value = to_python(child)
        if child.tag in out:
            existing = out[child.tag]
            if isinstance(existing, list):
                existing.append(value)
            else:
                out[child.tag] = [existing, value]
        else:
            out[child.tag] = value
    return out


__all__ = ["Element", "XMLFormatError", "append", "build", "children", "parse", "scalar", "text",
           "to_bytes", "to_python"]
