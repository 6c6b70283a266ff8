"""Mapping rules CRUD, preview, and the explicit "apply rules" action."""
from __future__ import annotations

from sqlalchemy import select

from ..db import tables as t
from ..domain import rules as rules_domain
from ..domain.errors import ValidationError
from ..ids import new_id
from . import bills as bill_services
from . import coding
from .context import Ctx


def create_rule(ctx: Ctx, data: dict) -> t.MappingRule:
    ctx.require("rules.write")
    if not (data.get("name") or "").strip():
        raise ValidationError("The rule needs a name.", code="name_required", field="name")
    conditions, attributes = data.get("conditions") or {}, data.get("attributes") or {}
    rules_domain.validate_rule(conditions, attributes, coding.attribute_names(ctx))
    coding.validate_attributes(ctx, attributes)
    rule = t.MappingRule(id=new_id("rule"), org_id=ctx.org_id, name=data["name"].strip(),
                         priority=data.get("priority", 100), conditions=conditions, attributes=attributes,
                         active=data.get("active", True), created_at=ctx.now(), updated_at=ctx.now())
    ctx.session.add(rule)
    ctx.audit("mapping_rule.created", "mapping_rule", rule.id, after={"name": rule.name,
              "conditions": conditions, "attributes": attributes, "priority": rule.priority})
    return rule


def update_rule(ctx: Ctx, rule_id: str, data: dict) -> t.MappingRule:
    ctx.require("rules.write")
    rule = ctx.get(t.MappingRule, rule_id, what="mapping rule")
    before = {"name": rule.name, "conditions": rule.conditions, "attributes": rule.attributes,
              "priority": rule.priority, "active": rule.active}
    conditions = data.get("conditions", rule.conditions)
    attributes = data.get("attributes", rule.attributes)
    rules_domain.validate_rule(conditions, attributes, coding.attribute_names(ctx))
    coding.validate_attributes(ctx, attributes)
    rule.conditions, rule.attributes = conditions, attributes
    for k in ("name", "priority", "active"):
        if k in data and data[k] is not None:
            setattr(rule, k, data[k])
    rule.updated_at = ctx.now()
    ctx.audit("mapping_rule.updated", "mapping_rule", rule.id, before=before,
              after={"name": rule.name, "conditions": conditions, "attributes": attributes,
                     "priority": rule.priority, "active": rule.active})
    return rule


def delete_rule(ctx: Ctx, rule_id: str) -> None:
    ctx.require("rules.write")
    rule = ctx.get(t.MappingRule, rule_id, what="mapping rule")
    ctx.audit("mapping_rule.deleted", "mapping_rule", rule.id, before={"name": rule.name})
    ctx.session.delete(rule)


def list_rules(ctx: Ctx) -> list[t.MappingRule]:
    return list(ctx.session.scalars(select(t.MappingRule).where(t.MappingRule.org_id == ctx.org_id)
                                    .order_by(t.MappingRule.priority, t.MappingRule.id)))


def apply_to_bills(ctx: Ctx, bill_ids: list[str], *, dry_run: bool, overwrite_manual: bool,
                   rules: list[rules_domain.Rule] | None = None) -> list[dict]:
    """The explicit action: shows (dry run) or makes the changes rules (the active ones, or ``rules``) would
    make to chosen bills."""
    ctx.require("bills.code")
    if len(bill_ids) > 500:
        raise ValidationError("Apply rules to at most 500 bills at once.", code="too_many_bills")
    out = []
    for bill_id in bill_ids:
        bill = ctx.get(t.Bill, bill_id)
        if bill.status in ("paid", "void") or bill.source == "accounting":
            out.append({"bill_id": bill.id, "skipped": f"bill is {bill.status}" if bill.source != "accounting"
                        else "pulled bills are coded in the accounting platform", "changes": {}, "lines": []})
            continue
        result = coding.apply_rules(ctx, bill, bill_services.lines_of(ctx, bill),
                                    overwrite_manual=overwrite_manual, dry_run=dry_run, rules=rules)
        if not dry_run and (result["changes"] or result["lines"]):
            ctx.audit("bill.rules_applied", "bill", bill.id, after=result)
            if bill.synced_once and bill.status in ("open", "partially_paid"):
                bill_services._enqueue_push(ctx, bill)
        out.append(result)
    return out


def preview_rule(ctx: Ctx, data: dict, limit: int = 50) -> list[dict]:
    """What a (new or edited) rule would change on bills still in review or confirmed."""
    conditions, attributes = data.get("conditions") or {}, data.get("attributes") or {}
    rules_domain.validate_rule(conditions, attributes)
    rule = rules_domain.Rule(data.get("id") or "preview", int(data.get("priority") or 0), conditions, attributes)
    bills = ctx.session.scalars(select(t.Bill).where(t.Bill.org_id == ctx.org_id,
                                                     t.Bill.status.in_(["in_review", "confirmed", "open"]))
                                .order_by(t.Bill.id.desc()).limit(500)).all()
    out = []
    for bill in bills:
        res = coding.apply_rules(ctx, bill, bill_services.lines_of(ctx, bill), dry_run=True, rules=[rule])
        if res["changes"] or res["lines"]:
            out.append(res)
            if len(out) >= limit:
                break
    return out


def save_and_apply(ctx: Ctx, rule_id: str | None, data: dict, bill_ids: list[str]) -> tuple[t.MappingRule, int]:
    """Save the rule (new, or ``rule_id``) and apply it to existing bills a person chose from its preview.
    Values a person set by hand are kept. Returns the rule and how many bills changed."""
    rule = update_rule(ctx, rule_id, data) if rule_id else create_rule(ctx, data)
    ctx.session.flush()
    as_rule = rules_domain.Rule(rule.id, rule.priority, rule.conditions, rule.attributes)
    results = apply_to_bills(ctx, bill_ids, dry_run=False, overwrite_manual=False, rules=[as_rule])
    return rule, sum(1 for r in results if r.get("changes") or r.get("lines"))
