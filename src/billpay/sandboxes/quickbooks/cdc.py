"""Change data capture: ``GET /cdc?entities=Bill,BillPayment&changedSince=...``.

Every write appends to the company's change log; CDC reports each entity
changed at or after ``changedSince`` once, with its full current payload, or
as ``{"status": "Deleted", "Id", ...}`` when it no longer exists. As
documented by Intuit: the look-back is limited to 30 days and a response holds
at most 1000 objects. The sandbox fills those 1000 with the oldest changes
first, so a client that receives exactly 1000 can continue from the last
``MetaData.LastUpdatedTime`` it saw.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from . import errors, timefmt
from .company import ENTITIES, Company

LOOKBACK_DAYS = 30
MAX_OBJECTS = 1000

_BY_LOWER = {name.lower(): name for name in ENTITIES}


def parse_entities(value: str | None) -> list[str]:
    if not value or not value.strip():
        raise errors.required_param("entities", element="entities")
    names: list[str] = []
    for raw in value.split(","):
        name = _BY_LOWER.get(raw.strip().lower())
        if name is None:
            raise errors.invalid_property(f"entities={raw.strip()}", element="entities")
        if name not in names:
            names.append(name)
    return names


def parse_changed_since(company: Company, value: str | None, now: datetime) -> datetime:
    if not value or not value.strip():
        raise errors.required_param("changedSince", element="changedSince")
    try:
        since = timefmt.parse_datetime(value, company.tz)
    except ValueError:
        raise errors.invalid_property(f"changedSince={value}", element="changedSince") from None
    if since < now - timedelta(days=LOOKBACK_DAYS):
        raise errors.cdc_too_old(LOOKBACK_DAYS)
    return since


def run(company: Company, entities: str | None, changed_since: str | None, now: datetime) -> dict:
    """The body of a CDC response (without ``time``)."""
    wanted = parse_entities(entities)
    since = parse_changed_since(company, changed_since, now)
    latest: dict[tuple[str, str], datetime] = {}
    for change in company.changes:
        if change.entity in wanted and change.at >= since:
            latest[(change.entity, change.id)] = change.at
    ordered = sorted(latest.items(), key=lambda item: item[1])[:MAX_OBJECTS]
    groups: dict[str, tuple[list, list]] = {name: ([], []) for name in wanted}
    for (entity, entity_id), at in ordered:
        record = company.get(entity, entity_id)
        active, deleted = groups[entity]
        if record is None:
            deleted.append(company.render_deleted(entity_id, at))
        else:
            active.append(company.render(entity, record))
    responses = []
    for name in wanted:
        active, deleted = groups[name]
        items = active + deleted
        if items:
            responses.append(
                {name: items, "startPosition": 1, "maxResults": len(items), "totalCount": len(items)}
            )
        else:
            responses.append({})
    return {"CDCResponse": [{"QueryResponse": responses}]}
