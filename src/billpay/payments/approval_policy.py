"""Approval policies as data: steps, approvers, thresholds, validation.

A policy is an ordered list of :class:`ApprovalStep`. A step applies when the
payment amount is **greater than or equal to** its ``min_amount`` (so a ``0``
threshold always applies). ``required`` is ``"any"`` (one approval),
``"all"`` (every listed approver, each met by a different person; a role
entry is met by any one holder of the role) or an integer ``N`` (N different
eligible people). How decisions are applied lives in
:mod:`billpay.payments.approvals`.

Serialized shape (``to_dict`` / ``from_dict``), used for the policy API and
for the snapshot stored on a payment when it enters approval::

    {"steps": [{"name": "Controller", "min_amount": "10000.00",
                "approvers": [{"user_id": "u_42"}, {"role": "approver"}],
                "required": "any"}]}
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from billpay.payments.errors import PaymentRuleError

__all__ = [
    "KNOWN_ROLES",
    "ApprovalPolicy",
    "ApprovalStep",
    "Approver",
    "requires_approval",
    "steps_for",
    "validate_policy",
]

KNOWN_ROLES = frozenset({"admin", "accountant", "ap_clerk", "approver", "viewer"})

Required = Literal["any", "all"] | int


@dataclass(frozen=True)
class Approver:
    """One approver entry of a step: a user (by id) or a role. Exactly one is set."""

    user_id: str | None = None
    role: str | None = None

    @classmethod
    def for_user(cls, user_id: str) -> Approver:
        return cls(user_id=user_id)

    @classmethod
    def for_role(cls, role: str) -> Approver:
        return cls(role=role)

    def matches(self, user_id: str, roles: Iterable[str]) -> bool:
        if self.user_id is not None:
            return self.user_id == user_id
        return self.role in set(roles)

    def to_dict(self) -> dict[str, str]:
        return {"user_id": self.user_id} if self.user_id is not None else {"role": str(self.role)}


@dataclass(frozen=True)
class ApprovalStep:
    """One level of a policy. ``required`` is ``"any"``, ``"all"`` or an int N."""

    min_amount: Decimal
    approvers: tuple[Approver, ...]
    required: Required = "any"
    name: str = ""

    @property
    def quorum(self) -> int:
        """How many different people must approve this step."""
        if self.required == "any":
            return 1
        if self.required == "all":
            return len(self.approvers)
        return int(self.required)

    def is_approver(self, user_id: str, roles: Iterable[str]) -> bool:
        roles = frozenset(roles)
        return any(a.matches(user_id, roles) for a in self.approvers)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "min_amount": str(self.min_amount),
            "approvers": [a.to_dict() for a in self.approvers],
            "required": self.required,
        }


@dataclass(frozen=True)
class ApprovalPolicy:
    """Ordered steps. An empty policy means no approval is ever required."""

    steps: tuple[ApprovalStep, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"steps": [s.to_dict() for s in self.steps]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ApprovalPolicy:
        """Parse the ``to_dict`` shape; malformed input raises ``policy_invalid``.

        This checks shape only; call :func:`validate_policy` for the rules.
        """
        try:
            raw_steps = data["steps"]
            if not isinstance(raw_steps, list):
                raise TypeError("steps must be a list")
            return cls(tuple(_step_from_dict(s, i) for i, s in enumerate(raw_steps)))
        except (KeyError, TypeError, ValueError, InvalidOperation) as exc:
            raise PaymentRuleError("policy_invalid", f"The approval policy is malformed: {exc}") from exc


def _step_from_dict(raw: Mapping[str, Any], index: int) -> ApprovalStep:
    if not isinstance(raw, Mapping):
        raise ValueError(f"step {index + 1} is not an object")
    if not isinstance(raw.get("approvers", []), list):
        raise ValueError(f"step {index + 1}: approvers is a list")
    approvers = []
    for a in raw.get("approvers", []):
        if not isinstance(a, Mapping):
            raise ValueError(f"step {index + 1}: an approver is {{'user_id': ...}} or {{'role': ...}}")
        if set(a) == {"user_id"} and isinstance(a["user_id"], str):
            approvers.append(Approver.for_user(a["user_id"]))
        elif set(a) == {"role"} and isinstance(a["role"], str):
            approvers.append(Approver.for_role(a["role"]))
        else:
            raise ValueError(f"step {index + 1}: an approver is {{'user_id': ...}} or {{'role': ...}}")
    required = raw.get("required", "any")
    if isinstance(required, str) and required.isdigit():
        required = int(required)
    return ApprovalStep(
        min_amount=Decimal(str(raw["min_amount"])),
        approvers=tuple(approvers),
        required=required,
        name=str(raw.get("name") or f"Step {index + 1}"),
    )




def steps_for(policy: ApprovalPolicy, amount: Decimal) -> list[ApprovalStep]:
    """Every step whose threshold the amount reaches (``amount >= min_amount``)."""
    amount = _as_decimal(amount)
    return [s for s in policy.steps if amount >= s.min_amount]


def requires_approval(policy: ApprovalPolicy, amount: Decimal) -> bool:
    return bool(steps_for(policy, amount))


def validate_policy(policy: ApprovalPolicy) -> None:
    """Refuse a policy that cannot work. Codes: ``policy_threshold_invalid``,
    ``policy_thresholds_not_ascending``, ``policy_step_no_approvers``,
    ``policy_unknown_role``, ``policy_duplicate_approver``,
    ``policy_required_invalid``, ``policy_required_exceeds_approvers``.

    Equal thresholds are allowed (two steps that always apply together, in
    order); N may exceed the listed approvers only when a role is listed.
    """
    previous = Decimal(0)
    for i, step in enumerate(policy.steps):
        label = f"Step {i + 1}" + (f" ({step.name})" if step.name else "")
        if not isinstance(step.min_amount, Decimal) or not step.min_amount.is_finite() or step.min_amount < 0:
            raise PaymentRuleError("policy_threshold_invalid", f"{label}: the threshold must be zero or more.")
        if step.min_amount < previous:
            raise PaymentRuleError(
                "policy_thresholds_not_ascending",
                f"{label}: thresholds must go up from one step to the next "
                f"({step.min_amount} comes after {previous}).",
            )
        previous = step.min_amount
        if not step.approvers:
            raise PaymentRuleError("policy_step_no_approvers", f"{label}: name at least one approver.")
        for a in step.approvers:
            if (a.user_id is None) == (a.role is None) or a.user_id == "":
                raise PaymentRuleError("policy_invalid", f"{label}: an approver is one user or one role.")
            if a.role is not None and a.role not in KNOWN_ROLES:
                raise PaymentRuleError(
                    "policy_unknown_role",
                    f"{label}: unknown role {a.role!r}; roles are {', '.join(sorted(KNOWN_ROLES))}.",
                )
        if len(set(step.approvers)) != len(step.approvers):
            raise PaymentRuleError("policy_duplicate_approver", f"{label}: an approver is listed twice.")
        required = step.required
        if isinstance(required, bool) or not (required in ("any", "all") or isinstance(required, int)):
            raise PaymentRuleError("policy_required_invalid", f"{label}: required is 'any', 'all' or a number.")
        if isinstance(required, int) and required < 1:
            raise PaymentRuleError("policy_required_invalid", f"{label}: at least one approval is required.")
        only_users = all(a.user_id is not None for a in step.approvers)
        if isinstance(required, int) and only_users and required > len(step.approvers):
            raise PaymentRuleError(
                "policy_required_exceeds_approvers",
                f"{label}: {required} approvals required but only {len(step.approvers)} approvers listed.",
            )


def _as_decimal(amount: Decimal) -> Decimal:
    if isinstance(amount, float) or not isinstance(amount, (Decimal, int)):
        raise TypeError("amounts are Decimal, never float")
    return Decimal(amount)
