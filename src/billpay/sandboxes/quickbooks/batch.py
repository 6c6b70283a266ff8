"""``POST /batch``: up to 30 independent operations, each answered on its own.

The request is refused as a whole only when it is malformed or holds more than
``MAX_ITEMS`` payloads; otherwise the HTTP status is 200 and each item carries
either its entity, its ``QueryResponse`` or its own ``Fault``, matched by
``bId``. Items run in order but do not see each other's ids (QuickBooks does
not guarantee order either).
"""

from __future__ import annotations

from typing import Any, Callable

from . import errors
from .company import ENTITIES

MAX_ITEMS = 30
_CONTROL_KEYS = {"bId", "operation", "optionsData"}

SaveFn = Callable[[str, dict, str | None, str | None], dict]
QueryFn = Callable[[str], dict]


def validate(body: Any) -> list[dict]:
    if not isinstance(body, dict) or not isinstance(body.get("BatchItemRequest"), list):
        raise errors.required_param("BatchItemRequest", element="BatchItemRequest")
    items = body["BatchItemRequest"]
    if len(items) > MAX_ITEMS:
        raise errors.batch_too_large(len(items), MAX_ITEMS)
    return items


def run(items: list[dict], save: SaveFn, query: QueryFn) -> list[dict]:
    """Execute ``items``; ``save(entity, data, operation, include)`` returns the rendered entity."""
    return [_one(item, save, query) for item in items]


def _one(item: Any, save: SaveFn, query: QueryFn) -> dict:
    bid = item.get("bId") if isinstance(item, dict) else None
    try:
        if not isinstance(item, dict):
            raise errors.invalid_property("BatchItemRequest")
        if not bid:
            raise errors.required_param("bId", element="bId")
        if "Query" in item:
            return {"bId": bid, "QueryResponse": query(item["Query"])}
        names = [key for key in item if key not in _CONTROL_KEYS]
        if len(names) != 1:
            raise errors.invalid_property("BatchItemRequest")
        entity = names[0]
        if entity not in ENTITIES:
            raise errors.unsupported_operation(f"{item.get('operation', 'create')} for entity {entity}")
        operation = item.get("operation") or "create"
        if operation not in ("create", "update", "delete"):
            raise errors.invalid_enumeration(operation, element="operation")
        include = "void" if str(item.get("optionsData", "")).lower() == "void" else None
        return {"bId": bid, entity: save(entity, item[entity], operation, include)}
    except errors.QBOFault as fault:
        return {"bId": bid, "Fault": fault.fault()}
