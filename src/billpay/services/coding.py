"""Accounting attributes on bills and lines: validation against reference data, rules, provenance."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from sqlalchemy import select

from ..connectors import registry
from ..db import tables as t
from ..domain import rules as rules_domain
from ..domain.attributes import ATTRIBUTE_KINDS, clean
from ..domain.errors import ValidationError
from .context import Ctx
from .sync_records import active_connection

#: A bill's own attribute (not a dimension): the rate of its currency in the company's home currency.
EXCHANGE_RATE = "exchange_rate"


def attribute_kinds(ctx: Ctx) -> tuple[str | None, dict[str, str]]:
    """(connection id, attribute name -> reference kind): ``gl_account`` plus the connected platform's dimensions by
    their lower-case code (``class``, ``department``, ``subsidiary``, ``area`` …); the default set unconnected."""
    conn = active_connection(ctx.session, ctx.org_id)
    if conn is None:
        return None, dict(ATTRIBUTE_KINDS)
    dims = registry.get(conn.platform).capabilities.dimensions
    return conn.id, {"gl_account": "accounts", **{d.code: d.kind for d in dims}}


def attribute_names(ctx: Ctx) -> set[str]:
    """The attribute names a rule or a line may set: ``gl_account``, the connected platform's dimensions, ``custom``."""
    return set(attribute_kinds(ctx)[1]) | {"custom"}


def validate_attributes(ctx: Ctx, attrs: dict | None, *, where: str = "attributes", bill: bool = False) -> dict:
    """Known names; values that exist and are active in the platform's reference data (when loaded). ``bill``: a
    bill's own attributes, which may also state the ``exchange_rate`` of a foreign-currency bill."""
    if attrs is None:
        return {}
    if not isinstance(attrs, dict):
        raise ValidationError(f"{where} must be an object.", code="attributes_invalid", field=where)
    conn_id, kinds = attribute_kinds(ctx)
    names = set(kinds) | {"custom"} | ({EXCHANGE_RATE} if bill else set())
    unknown = set(attrs) - names
    if unknown:
        raise ValidationError(f"Unknown attribute(s) {', '.join(sorted(unknown))}; use "
                              f"{', '.join(sorted(names))}.", code="attribute_unknown", field=where)
    attrs = clean(attrs)
    if EXCHANGE_RATE in attrs:
        attrs[EXCHANGE_RATE] = _rate(attrs[EXCHANGE_RATE], f"{where}.{EXCHANGE_RATE}")
    for name, kind in kinds.items():
        value = attrs.get(name)
        if value is None:
            continue
        items = ctx.session.scalars(select(t.ReferenceItem).where(
            t.ReferenceItem.org_id == ctx.org_id, t.ReferenceItem.connection_id == conn_id,
            t.ReferenceItem.kind == kind)).all()
        if not items:
            continue  # no platform connected or nothing of that kind: free text is accepted
        match = next((i for i in items if i.external_id == value), None)
        if match is None:
            raise ValidationError(f"{name.replace('_', ' ')} '{value}' is not in the accounting platform's "
                                  f"{kind}. Refresh reference data if it was just added there.",
                                  code="attribute_value_unknown", field=f"{where}.{name}")
        if not match.active:
            raise ValidationError(f"{name.replace('_', ' ')} '{match.name}' is inactive in the accounting "
                                  "platform.", code="attribute_value_inactive", field=f"{where}.{name}")
    return attrs


def _rate(value: str, field: str) -> str:
    try:
        rate = Decimal(value)
    except InvalidOperation:
        rate = Decimal(0)
    if not rate.is_finite() or rate <= 0 or rate.as_tuple().exponent < -10:
        raise ValidationError(f"The exchange rate '{value}' is not a positive number (home currency per unit of the "
                              "bill's currency, at most 10 decimals).", code="exchange_rate_invalid", field=field)
    return str(rate)


def exchange_rate_of(attrs: dict | None) -> Decimal | None:
    """The rate a bill states (``attributes.exchange_rate``), or None: the platform's rate applies."""
    value = (attrs or {}).get(EXCHANGE_RATE)
    return Decimal(value) if value else None


def _flat(attrs: dict) -> dict:
    out = {k: v for k, v in attrs.items() if k != "custom"}
    out.update({f"custom.{ck}": cv for ck, cv in (attrs.get("custom") or {}).items()})
    return out


def user_sources(attrs: dict, user_id: str | None, previous: dict | None = None,
                 previous_attrs: dict | None = None) -> dict:
    """Provenance after a person saved ``attrs``: values they changed become ``user``; others keep theirs.

    A form that sends back every attribute unchanged must not turn rule-set
    values into hand-set ones (that would stop rules from ever updating them).
    """
    old, new = _flat(previous_attrs or {}), _flat(attrs)
    out = {k: v for k, v in (previous or {}).items() if k in new}
    for k, v in new.items():
        if k not in out or old.get(k) != v:
            out[k] = {"source": "user", "user_id": user_id}
    return out


def active_rules(ctx: Ctx) -> list[rules_domain.Rule]:
    rows = ctx.session.scalars(select(t.MappingRule).where(t.MappingRule.org_id == ctx.org_id,
                                                           t.MappingRule.active.is_(True))).all()
    return [rules_domain.Rule(r.id, r.priority, r.conditions, r.attributes) for r in rows]


def facts_for(ctx: Ctx, bill: t.Bill, lines: list[t.BillLine]) -> rules_domain.BillFacts:
    vendor = ctx.session.get(t.Vendor, bill.vendor_id) if bill.vendor_id else None
    sender = (bill.extraction or {}).get("sender")
    text = " ".join(filter(None, [bill.invoice_number, bill.memo, vendor.name if vendor else None,
                                  (bill.extraction or {}).get("text")]))
    return rules_domain.BillFacts(vendor_id=bill.vendor_id, sender=sender, amount=bill.amount,
                                  currency=bill.currency, text=text,
                                  line_descriptions=[ln.description or "" for ln in lines])


def apply_rules(ctx: Ctx, bill: t.Bill, lines: list[t.BillLine], *, overwrite_manual: bool = False,
                dry_run: bool = False, rules: list[rules_domain.Rule] | None = None) -> dict:
    """Code a bill and its lines by the organization's rules. Returns what changed (or would)."""
    coding = rules_domain.evaluate(rules if rules is not None else active_rules(ctx), facts_for(ctx, bill, lines))
    attrs, srcs, changes = rules_domain.merge(bill.attributes or {}, bill.attribute_sources or {},
                                              coding.bill, overwrite_manual=overwrite_manual)
    line_changes = []
    new_lines = []
    for line, proposed in zip(lines, coding.lines):
        la, ls, lc = rules_domain.merge(line.attributes or {}, line.attribute_sources or {}, proposed,
                                        overwrite_manual=overwrite_manual)
        new_lines.append((line, la, ls))
        if lc:
            line_changes.append({"line_id": line.id, "changes": _fmt(lc)})
    if not dry_run:
        bill.attributes, bill.attribute_sources = attrs, srcs
        for line, la, ls in new_lines:
            line.attributes, line.attribute_sources = la, ls
    return {"bill_id": bill.id, "changes": _fmt(changes), "lines": line_changes}


def _fmt(changes: dict) -> dict:
    return {k: {"from": old, "to": new} for k, (old, new) in changes.items()}
