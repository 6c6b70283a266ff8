"""Approval policies as data, and the pure rules that apply them.

The policy model (steps, thresholds — a step applies when ``amount >=
min_amount`` — and ``"any"``/``"all"``/N quorums) lives in
:mod:`billpay.payments.approval_policy` and is re-exported here. Applicable
steps are worked through in policy order.

The rules, in the order they are checked when someone decides:

``approval_rejected``
    Someone rejected the payment; nothing more can be decided.
``approval_complete``
    Every applicable step is satisfied (or none applies).
``approval_duplicate``
    One person approves a payment at most once. Their approval counts for the
    current step and carries to each later step where they are an approver,
    so nobody is asked twice.
``approval_not_allowed``
    The person is not an approver of the **current** step.
``approval_self_only``
    Segregation of duties. ``creator_ids`` are the people who created or
    confirmed the bill. A step is satisfied only when its quorum is met
    **and** at least one counted approver is not a creator. So a creator may
    approve only while the step still needs someone else too: their approval
    is refused when it would complete the quorum and no independent approver
    has approved that step yet. With ``"any"`` a creator can therefore never
    approve alone; with ``N = 2`` a creator plus one other person is enough.

(``approval_invalid`` is raised for an action other than approve/reject.)

:func:`evaluate` replays stored decisions through these same rules (a
decision that would be refused now is listed in ``ignored`` and has no
effect), so the outcome never depends on whether callers checked first.

A policy is snapshotted (``to_dict``) onto a payment when it enters approval;
later edits to the organization's policy do not change payments in flight.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from billpay.payments.approval_policy import (
    KNOWN_ROLES,
    ApprovalPolicy,
    ApprovalStep,
    Approver,
    requires_approval,
    steps_for,
    validate_policy,
)
from billpay.payments.errors import PaymentRuleError

__all__ = [
    "KNOWN_ROLES",
    "ApprovalPolicy",
    "ApprovalState",
    "ApprovalStep",
    "Approver",
    "Decision",
    "StepProgress",
    "check_can_approve",
    "check_can_reject",
    "evaluate",
    "requires_approval",
    "steps_for",
    "validate_policy",
]


Status = Literal["not_required", "pending", "approved", "rejected"]


@dataclass(frozen=True)
class Decision:
    """One recorded approve/reject. ``roles`` are the roles the person held
    when deciding; when given, replay uses them so that a later role change
    does not undo a recorded approval."""

    user_id: str
    action: Literal["approve", "reject"]
    roles: frozenset[str] | None = None
    at: datetime | None = None
    comment: str = ""


@dataclass(frozen=True)
class StepProgress:
    """Where one applicable step stands. ``approved_by`` lists the counted
    approvers (including approvals carried from earlier steps)."""

    name: str
    min_amount: Decimal
    quorum: int
    approved_by: tuple[str, ...]
    satisfied: bool


@dataclass(frozen=True)
class ApprovalState:
    """The outcome of :func:`evaluate`."""

    status: Status
    steps: tuple[StepProgress, ...]
    current_step: int | None  # index into ``steps``; None when finished
    may_approve: frozenset[str]  # user ids (from ``users_roles``) who may approve now
    rejected_by: str | None = None
    ignored: tuple[tuple[Decision, str], ...] = field(default=())  # (decision, refusal code)

    @property
    def done(self) -> bool:
        """True when the payment may go ahead (approved, or nothing required)."""
        return self.status in ("approved", "not_required")

    @property
    def rejected(self) -> bool:
        return self.status == "rejected"


# --- evaluation ---------------------------------------------------------------------------------


def evaluate(
    policy_snapshot: ApprovalPolicy | Mapping[str, Any],
    amount: Decimal,
    decisions: Sequence[Decision],
    *,
    creator_ids: Iterable[str],
    users_roles: Mapping[str, Iterable[str]],
) -> ApprovalState:
    """Replay ``decisions`` (oldest first) against the snapshot for ``amount``."""
    run, ignored = _replay(policy_snapshot, amount, decisions, creator_ids, users_roles)
    return run.state(ignored)


def check_can_approve(
    policy_snapshot: ApprovalPolicy | Mapping[str, Any],
    amount: Decimal,
    decisions: Sequence[Decision],
    user_id: str,
    *,
    creator_ids: Iterable[str],
    users_roles: Mapping[str, Iterable[str]],
) -> ApprovalState:
    """Raise ``PaymentRuleError`` if ``user_id`` may not approve now; otherwise
    return the state as it would be once their approval is recorded. Store the
    decision with ``roles=users_roles[user_id]`` so a later role change does
    not undo it."""
    return _check(policy_snapshot, amount, decisions, user_id, "approve", creator_ids, users_roles)


def check_can_reject(
    policy_snapshot: ApprovalPolicy | Mapping[str, Any],
    amount: Decimal,
    decisions: Sequence[Decision],
    user_id: str,
    *,
    creator_ids: Iterable[str],
    users_roles: Mapping[str, Iterable[str]],
) -> ApprovalState:
    """Like :func:`check_can_approve` for a rejection: any approver of the
    current step may reject (creators included: refusing is always safe)."""
    return _check(policy_snapshot, amount, decisions, user_id, "reject", creator_ids, users_roles)


def _replay(policy, amount, decisions, creator_ids, users_roles) -> tuple[_Run, tuple[tuple[Decision, str], ...]]:
    run = _Run(policy, amount, creator_ids, users_roles)
    ignored: list[tuple[Decision, str]] = []
    for decision in decisions:
        try:
            run.apply(decision)
        except PaymentRuleError as exc:
            ignored.append((decision, exc.code))
    return run, tuple(ignored)


def _check(policy, amount, decisions, user_id, action, creator_ids, users_roles) -> ApprovalState:
    run, ignored = _replay(policy, amount, decisions, creator_ids, users_roles)
    run.apply(Decision(user_id=user_id, action=action, roles=frozenset(users_roles.get(user_id, ()))))
    return run.state(ignored)


class _Run:
    """Mutable replay of decisions over the applicable steps."""

    def __init__(self, policy, amount, creator_ids, users_roles) -> None:
        if not isinstance(policy, ApprovalPolicy):
            policy = ApprovalPolicy.from_dict(policy)
        self.steps = steps_for(policy, amount)
        self.creators = frozenset(creator_ids)
        self.users_roles = {u: frozenset(r) for u, r in users_roles.items()}
        self.approvals: dict[str, frozenset[str]] = {}  # user -> roles when approving, in order
        self.counted: list[list[str]] = [[] for _ in self.steps]
        self.current = 0
        self.rejected_by: str | None = None
        self._advance()

    def apply(self, d: Decision) -> None:
        roles = d.roles if d.roles is not None else self.users_roles.get(d.user_id, frozenset())
        if self.rejected_by is not None:
            raise PaymentRuleError("approval_rejected", "This payment was rejected; it can no longer be approved.")
        if self.current >= len(self.steps):
            raise PaymentRuleError("approval_complete", "This payment needs no further approval.")
        step = self.steps[self.current]
        if d.action == "approve" and d.user_id in self.approvals:
            raise PaymentRuleError("approval_duplicate", "You have already approved this payment.")
        if not step.is_approver(d.user_id, roles):
            raise PaymentRuleError(
                "approval_not_allowed",
                f"You are not an approver of the current approval step ({step.name or 'unnamed'}).",
            )
        if d.action == "reject":
            self.rejected_by = d.user_id
            return
        if d.action != "approve":
            raise PaymentRuleError("approval_invalid", f"Unknown decision {d.action!r}.")
        if d.user_id in self.creators and self._would_be_self_only(d.user_id, roles):
            raise PaymentRuleError(
                "approval_self_only",
                "You created or confirmed this bill, so your approval cannot be the only one: "
                "another approver must approve this step too.",
            )
        self.approvals[d.user_id] = frozenset(roles)
        self.counted[self.current].append(d.user_id)
        self._advance()

    def _would_be_self_only(self, user_id: str, roles: frozenset[str]) -> bool:
        step = self.steps[self.current]
        people = {u: self.approvals[u] for u in self.counted[self.current]}
        independent = any(u not in self.creators for u in people)
        people[user_id] = roles
        return not independent and _quorum_met(step, people)

    def _satisfied(self, i: int) -> bool:
        people = {u: self.approvals[u] for u in self.counted[i]}
        return _quorum_met(self.steps[i], people) and any(u not in self.creators for u in people)

    def _advance(self) -> None:
        while self.current < len(self.steps) and self._satisfied(self.current):
            self.current += 1
            if self.current < len(self.steps):
                step = self.steps[self.current]  # carry earlier approvals forward
                self.counted[self.current] = [u for u, r in self.approvals.items() if step.is_approver(u, r)]

    def state(self, ignored: tuple[tuple[Decision, str], ...]) -> ApprovalState:
        progress = tuple(
            StepProgress(s.name, s.min_amount, s.quorum, tuple(self.counted[i]), self._satisfied(i))
            for i, s in enumerate(self.steps)
        )
        if self.rejected_by is not None:
            return ApprovalState("rejected", progress, None, frozenset(), self.rejected_by, ignored)
        if self.current >= len(self.steps):
            status: Status = "approved" if self.steps else "not_required"
            return ApprovalState(status, progress, None, frozenset(), None, ignored)
        step = self.steps[self.current]
        may = frozenset(
            u
            for u, roles in self.users_roles.items()
            if u not in self.approvals
            and step.is_approver(u, roles)
            and not (u in self.creators and self._would_be_self_only(u, roles))
        )
        return ApprovalState("pending", progress, self.current, may, None, ignored)


def _quorum_met(step: ApprovalStep, people: Mapping[str, frozenset[str]]) -> bool:
    eligible = [u for u, r in people.items() if step.is_approver(u, r)]
    if step.required != "all":
        return len(eligible) >= step.quorum
    return _full_matching(step.approvers, {u: people[u] for u in eligible})


def _full_matching(entries: Sequence[Approver], people: Mapping[str, frozenset[str]]) -> bool:
    """Can each approver entry be met by a different person? (bipartite matching)"""
    owner: dict[str, int] = {}  # person -> entry index

    def place(e: int, seen: set[str]) -> bool:
        for u, roles in people.items():
            if u in seen or not entries[e].matches(u, roles):
                continue
            seen.add(u)
            if u not in owner or place(owner[u], seen):
                owner[u] = e
                return True
        return False

    return all(place(e, set()) for e in range(len(entries)))
