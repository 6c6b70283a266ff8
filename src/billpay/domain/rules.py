"""Mapping rules: conditions -> accounting attributes, evaluated without I/O.

Precedence (documented for users): rules are tried in ascending ``priority``
(then oldest first); for each attribute the **first** matching rule that sets
it wins, so a specific high-priority rule and a broad fallback rule can work
together. A rule with ``line_description_contains`` codes the matching lines
only; other rules code the bill and every line. A value a person set by hand is
never overwritten by rules (``overwrite_manual=False``) except through the
explicit "apply rules" action.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Collection, Sequence

from .attributes import ATTRIBUTE_NAMES, clean
from .errors import ValidationError

CONDITION_KEYS = frozenset({
    "vendor_ids", "sender_contains", "amount_min", "amount_max", "currency", "text_contains",
    "line_description_contains",
})


@dataclass(frozen=True)
class Rule:
    id: str
    priority: int
    conditions: dict
    attributes: dict


@dataclass(frozen=True)
class BillFacts:
    vendor_id: str | None
    sender: str | None
    amount: Decimal | None
    currency: str
    text: str  # invoice number, memo, vendor name, extracted text
    line_descriptions: Sequence[str] = ()


@dataclass
class Coding:
    """Attributes chosen, with where each came from: {name: (value, rule_id)}."""

    bill: dict[str, tuple[object, str]] = field(default_factory=dict)
    lines: list[dict[str, tuple[object, str]]] = field(default_factory=list)


def validate_rule(conditions: dict, attributes: dict, known: Collection[str] = ATTRIBUTE_NAMES) -> None:
    """``known``: the attribute names there are (the G/L account, the connected platform's dimensions, ``custom``)."""
    unknown = set(conditions) - CONDITION_KEYS
    if unknown:
        raise ValidationError(f"Unknown rule condition(s): {', '.join(sorted(unknown))}.",
                              code="rule_condition_unknown")
    if not conditions:
        raise ValidationError("A rule needs at least one condition.", code="rule_condition_required")
    bad_attrs = set(attributes) - set(known)
    if bad_attrs:
        raise ValidationError(f"Unknown attribute(s): {', '.join(sorted(bad_attrs))}.",
                              code="attribute_unknown")
    if not clean(attributes):
        raise ValidationError("A rule must set at least one attribute.", code="rule_attributes_required")
    for k in ("amount_min", "amount_max"):
        if k in conditions:
            try:
                Decimal(str(conditions[k]))
            except Exception:
                raise ValidationError(f"{k} must be a decimal amount.", code="amount_invalid", field=k) from None
    if "amount_min" in conditions and "amount_max" in conditions and \
            Decimal(str(conditions["amount_min"])) > Decimal(str(conditions["amount_max"])):
        raise ValidationError("amount_min is above amount_max.", code="rule_amount_range_invalid")
    if "vendor_ids" in conditions and not isinstance(conditions["vendor_ids"], list):
        raise ValidationError("vendor_ids must be a list.", code="rule_condition_invalid", field="vendor_ids")


def _bill_matches(c: dict, f: BillFacts) -> bool:
    if "vendor_ids" in c and f.vendor_id not in c["vendor_ids"]:
        return False
    if "sender_contains" in c and c["sender_contains"].lower() not in (f.sender or "").lower():
        return False
    if "currency" in c and c["currency"] != f.currency:
        return False
    if "amount_min" in c and (f.amount is None or f.amount < Decimal(str(c["amount_min"]))):
        return False
    if "amount_max" in c and (f.amount is None or f.amount > Decimal(str(c["amount_max"]))):
        return False
    if "text_contains" in c and c["text_contains"].lower() not in f.text.lower():
        return False
    return True


def _flatten(attrs: dict) -> list[tuple[str, object]]:
    out: list[tuple[str, object]] = []
    for k, v in clean(attrs).items():
        if k == "custom":
            out.extend((f"custom.{ck}", cv) for ck, cv in v.items())
        else:
            out.append((k, v))
    return out


def evaluate(rules: Sequence[Rule], facts: BillFacts) -> Coding:
    ordered = sorted(rules, key=lambda r: (r.priority, r.id))
    coding = Coding(lines=[{} for _ in facts.line_descriptions])
    for rule in ordered:
        c = rule.conditions
        if not _bill_matches(c, facts):
            continue
        needle = c.get("line_description_contains")
        for name, value in _flatten(rule.attributes):
            if needle is None:
                coding.bill.setdefault(name, (value, rule.id))
            for i, desc in enumerate(facts.line_descriptions):
                if needle is None or needle.lower() in (desc or "").lower():
                    coding.lines[i].setdefault(name, (value, rule.id))
    return coding


def merge(current: dict, sources: dict, proposed: dict[str, tuple[object, str]], *,
          overwrite_manual: bool) -> tuple[dict, dict, dict]:
    """Apply proposed coding to current attributes.

    Returns (attributes, sources, changes) where changes maps name -> (old, new).
    A value whose source is ``user`` is kept unless ``overwrite_manual``.
    """
    attrs = {k: (dict(v) if isinstance(v, dict) else v) for k, v in current.items()}
    srcs = dict(sources)
    changes: dict = {}
    for name, (value, rule_id) in proposed.items():
        if name.startswith("custom."):
            key = name.split(".", 1)[1]
            old = attrs.get("custom", {}).get(key)
        else:
            key, old = name, attrs.get(name)
        if (srcs.get(name) or {}).get("source") == "user" and not overwrite_manual:
            continue
        if old == value and (srcs.get(name) or {}).get("rule_id") == rule_id:
            continue
        if name.startswith("custom."):
            attrs.setdefault("custom", {})[key] = value
        else:
            attrs[name] = value
        srcs[name] = {"source": "rule", "rule_id": rule_id}
        if old != value:
            changes[name] = (old, value)
    return attrs, srcs, changes
