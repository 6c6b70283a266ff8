"""Properties of the approval rules over random policies and decision sequences."""

from decimal import Decimal
from itertools import permutations

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from billpay.payments.approvals import (
    KNOWN_ROLES,
    ApprovalPolicy,
    ApprovalStep,
    Approver,
    Decision,
    check_can_approve,
    check_can_reject,
    evaluate,
    steps_for,
    validate_policy,
)
from billpay.payments.errors import PaymentRuleError

USERS = [f"u{i}" for i in range(6)]
ROLES = sorted(KNOWN_ROLES)

approver = st.one_of(st.sampled_from(USERS).map(Approver.for_user), st.sampled_from(ROLES).map(Approver.for_role))
step = st.builds(
    ApprovalStep,
    min_amount=st.sampled_from([Decimal(0), Decimal(100), Decimal(1000)]),
    approvers=st.lists(approver, min_size=1, max_size=3, unique=True).map(tuple),
    required=st.one_of(st.sampled_from(["any", "all"]), st.integers(min_value=1, max_value=3)),
    name=st.just("step"),
)
policies = st.lists(step, min_size=1, max_size=3).map(
    lambda steps: ApprovalPolicy(tuple(sorted(steps, key=lambda s: s.min_amount)))
)
users_roles = st.fixed_dictionaries({u: st.sets(st.sampled_from(ROLES), min_size=1, max_size=3) for u in USERS})
decisions = st.lists(
    st.builds(Decision, user_id=st.sampled_from(USERS), action=st.sampled_from(["approve"] * 9 + ["reject"])),
    max_size=16,
)
amounts = st.sampled_from([Decimal(0), Decimal(100), Decimal("999.99"), Decimal(1000), Decimal(5000), Decimal(5000)])
creators = st.sets(st.sampled_from(USERS), max_size=3)


def eligible(s: ApprovalStep, user: str, roles) -> bool:
    return any(a.matches(user, roles[user]) for a in s.approvers)


def quorum_met(s: ApprovalStep, people: set[str], roles) -> bool:
    if s.required != "all":
        return len(people) >= s.quorum
    # brute force: some ordering of the people covers every entry with a different person
    return any(
        all(a.matches(u, roles[u]) for a, u in zip(s.approvers, chosen, strict=False))
        for chosen in permutations(sorted(people), len(s.approvers))
    )


@settings(max_examples=600, deadline=None)
@given(policies, amounts, decisions, creators, users_roles)
def test_no_decision_sequence_approves_without_an_independent_quorum(policy, amount, seq, makers, roles):
    try:
        validate_policy(policy)
    except PaymentRuleError:
        assume(False)
    state = evaluate(policy, amount, seq, creator_ids=makers, users_roles=roles)
    ignored = {id(d) for d, _ in state.ignored}
    accepted = [d for d in seq if id(d) not in ignored]
    approvers = [d.user_id for d in accepted if d.action == "approve"]
    assert len(approvers) == len(set(approvers)), "one person approves at most once"

    if state.status == "approved":
        applicable = steps_for(policy, amount)
        assert len(state.steps) == len(applicable)
        for s, progress in zip(applicable, state.steps, strict=True):
            people = set(progress.approved_by)
            assert len(people) == len(progress.approved_by)
            assert people <= set(approvers), "only real approvals count"
            assert all(eligible(s, u, roles) for u in people), "only approvers of the step count"
            assert quorum_met(s, people, roles), "the quorum is met"
            assert people - makers, "someone other than the bill's creator approved"
    if state.status == "rejected":
        assert any(d.action == "reject" for d in accepted)
    if state.status == "not_required":
        assert not steps_for(policy, amount)


@settings(max_examples=300, deadline=None)
@given(policies, amounts, decisions, creators, users_roles)
def test_checks_agree_with_replay(policy, amount, seq, makers, roles):
    try:
        validate_policy(policy)
    except PaymentRuleError:
        assume(False)
    stored: list[Decision] = []
    for d in seq:
        check = check_can_approve if d.action == "approve" else check_can_reject
        try:
            check(policy, amount, stored, d.user_id, creator_ids=makers, users_roles=roles)
            allowed = True
        except PaymentRuleError:
            allowed = False
        before = evaluate(policy, amount, stored, creator_ids=makers, users_roles=roles)
        after = evaluate(policy, amount, [*stored, d], creator_ids=makers, users_roles=roles)
        assert allowed == (len(after.ignored) == len(before.ignored))
        if d.action == "approve" and before.status == "pending":
            assert allowed == (d.user_id in before.may_approve)
        if allowed:
            stored.append(d)
