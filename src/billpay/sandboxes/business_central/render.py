"""Turning stored records into OData v4 JSON (minimal metadata), with BC's server-driven paging.

- Collections: ``{"@odata.context", "value": [...], "@odata.count"?, "@odata.nextLink"?}``.
- Single entities: ``@odata.context`` ending in ``/$entity``, ``@odata.etag``, then the properties.
- Paging: pages hold at most the server's page size (20,000 in BC online) or less when the client
  sends ``Prefer: odata.maxpagesize=N`` (answered with ``Preference-Applied``). ``@odata.nextLink``
  is absolute, built from the address the client used, and carries an opaque ``$skiptoken``:
  a key (the position of the last record in insertion order, so a record changed between pages is
  neither skipped nor repeated) when the client did not ask for an order, ``$skip`` or ``$top``;
  otherwise an offset into the ordered result.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable
from urllib.parse import quote, urlencode

from . import errors, odata
from .company import Company
from .schema import ENTITIES, Entity, enum_wire

#: Child records of a record along a navigation: (navigation, record) -> records.
Children = Callable[[str, dict], list]


@dataclass
class Page:
    body: dict
    preference_applied: str | None = None


def select_names(entity: Entity, options: odata.QueryOptions) -> list[str] | None:
    if options.select is None:
        return None
    for name in options.select:
        entity.require(name)
    return options.select


def query(entity: Entity, rows: list[dict], options: odata.QueryOptions) -> list[dict]:
    """Filter and order (the default order is insertion order, BC's primary-key order here)."""
    if options.filter:
        predicate = odata.parse_filter(options.filter, entity)
        rows = [r for r in rows if predicate(r)]
    for name, descending in reversed(options.orderby):
        f = entity.require(name)
        rows = sorted(rows, key=lambda r, n=name, t=f.type: _sort_key(r.get(n), t), reverse=descending)
    return rows


def _sort_key(value: object, _type: str) -> tuple:
    if value is None:
        return (0, "")
    if isinstance(value, str):
        return (1, enum_wire(value).lower())
    return (1, value)


def render_record(c: Company, entity: Entity, record: dict, options: odata.QueryOptions,
                  children: Children) -> dict:
    out = c.render(entity, record, select_names(entity, options))
    for expand in options.expand:
        target = entity.navigations.get(expand.navigation)
        if target is None:
            raise errors.bad_request(
                f"Could not find a property named '{expand.navigation}' on type 'Microsoft.NAV.{entity.type_name}'."
            )
        child_entity = ENTITIES[target]
        rows = query(child_entity, children(expand.navigation, record), expand.options)
        if expand.options.skip:
            rows = rows[expand.options.skip:]
        if expand.options.top is not None:
            rows = rows[: expand.options.top]
        out[expand.navigation] = [render_record(c, child_entity, r, expand.options, children) for r in rows]
    return out


def collection(c: Company, entity: Entity, rows: list[dict], options: odata.QueryOptions, *, context: str,
               children: Children, page_size: int, url: str, params: list[tuple[str, str]]) -> Page:
    """One page of a collection answer; ``url`` + ``params`` rebuild the request for the next link."""
    total_rows = query(entity, rows, options)
    keyset = not options.orderby and not options.skip and options.top is None
    window = total_rows
    consumed = 0
    if keyset:
        if options.skiptoken:
            last = _token_number(options.skiptoken, "k")
            window = [r for r in total_rows if r["_seq"] > last]
    else:
        window = total_rows[options.skip:]
        if options.top is not None:
            window = window[: options.top]
        if options.skiptoken:
            consumed = _token_number(options.skiptoken, "o")
            window = window[consumed:]
    page_rows = window[:page_size]
    body: dict = {"@odata.context": context}
    if options.count:
        body["@odata.count"] = len(total_rows)
    body["value"] = [render_record(c, entity, r, options, children) for r in page_rows]
    if len(window) > len(page_rows):
        token = f"k{page_rows[-1]['_seq']}" if keyset else f"o{consumed + len(page_rows)}"
        kept = [(k, v) for k, v in params if k != "$skiptoken"] + [("$skiptoken", token)]
        body["@odata.nextLink"] = f"{url}?{urlencode(kept, quote_via=quote, safe=',()$')}"
    return Page(body)


def _token_number(token: str, kind: str) -> int:
    if not token.startswith(kind) or not token[1:].isdigit():
        raise errors.bad_request(f"The skip token '{token}' is not valid for this request.")
    return int(token[1:])


def prefer_page_size(prefer: str | None, server_max: int) -> tuple[int, str | None]:
    """``Prefer: odata.maxpagesize=N`` -> (page size, ``Preference-Applied`` value or None)."""
    for part in (prefer or "").split(","):
        name, _, value = part.strip().partition("=")
        if name.strip().lower() == "odata.maxpagesize" and value.strip().isdigit():
            size = max(1, min(int(value), server_max))
            return size, f"odata.maxpagesize={size}"
    return server_max, None


# -- $metadata ----------------------------------------------------------------------------------


def metadata_xml() -> str:
    """A CSDL document for the entity types the sandbox serves (the machine-readable contract)."""
    types, sets = [], []
    for entity in ENTITIES.values():
        props = "".join(
            f'<Property Name="{f.name}" Type="{f.edm}"'
            + (f' MaxLength="{f.length}"' if f.length else "")
            + (' Nullable="false"' if f.name == "id" else "") + "/>"
            for f in entity.fields.values()
        )
        navs = "".join(
            f'<NavigationProperty Name="{name}" Type="Collection(Microsoft.NAV.{ENTITIES[target].type_name})" '
            'ContainsTarget="true"/>' for name, target in entity.navigations.items()
        )
        types.append(f'<EntityType Name="{entity.type_name}"><Key><PropertyRef Name="id"/></Key>{props}{navs}'
                     "</EntityType>")
        sets.append(f'<EntitySet Name="{entity.set_name}" EntityType="Microsoft.NAV.{entity.type_name}"/>')
        for action in entity.actions:
            types.append(f'<Action Name="{action}" IsBound="true"><Parameter Name="bindingParameter" '
                         f'Type="Microsoft.NAV.{entity.type_name}"/></Action>')
    return ('<?xml version="1.0" encoding="utf-8"?><edmx:Edmx Version="4.0" '
            'xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx"><edmx:DataServices>'
            '<Schema Namespace="Microsoft.NAV" xmlns="http://docs.oasis-open.org/odata/ns/edm">'
            + "".join(types) + '<EntityContainer Name="NAV">' + "".join(sets)
            + "</EntityContainer></Schema></edmx:DataServices></edmx:Edmx>")
