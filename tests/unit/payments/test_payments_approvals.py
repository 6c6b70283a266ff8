from decimal import Decimal

import pytest

from billpay.payments.approvals import (
    ApprovalPolicy,
    ApprovalStep,
    Approver,
    Decision,
    check_can_approve,
    check_can_reject,
    evaluate,
    requires_approval,
    steps_for,
    validate_policy,
)
from billpay.payments.errors import PaymentRuleError

U, R = Approver.for_user, Approver.for_role

# Three levels: any approver; from 10k also the controller or the CFO; from
# 50k two of CFO / CEO / chair.
POLICY = ApprovalPolicy(
    (
        ApprovalStep(Decimal("0"), (R("approver"),), "any", "Manager"),
        ApprovalStep(Decimal("10000"), (U("ctrl"), U("cfo")), "any", "Controller"),
        ApprovalStep(Decimal("50000"), (U("cfo"), U("ceo"), U("chair")), 2, "Board"),
    )
)
TWO_APPROVERS = ApprovalPolicy((ApprovalStep(Decimal("0"), (R("approver"),), 2, "Two approvers"),))
ALL_OF = ApprovalPolicy((ApprovalStep(Decimal("0"), (U("alice"), R("accountant")), "all", "Alice and accounting"),))
ALL_ROLE_TWICE = ApprovalPolicy((ApprovalStep(Decimal("0"), (R("approver"), R("accountant")), "all", "Both"),))

ROLES = {
    "alice": {"approver"},
    "bob": {"approver"},
    "carol": {"approver", "ap_clerk"},
    "dave": {"approver", "accountant"},
    "ctrl": {"accountant"},
    "cfo": {"admin", "approver"},
    "ceo": {"admin"},
    "chair": {"viewer"},
}


def run(policy, amount, steps, creators=()):
    """Apply (user, action) steps through the checks, like the service does.

    Returns the final state and, per step, the refusal code or None."""
    decisions, codes = [], []
    for user, action in steps:
        check = check_can_approve if action == "approve" else check_can_reject
        try:
            check(policy, Decimal(amount), decisions, user, creator_ids=set(creators), users_roles=ROLES)
        except PaymentRuleError as exc:
            codes.append(exc.code)
            continue
        codes.append(None)
        decisions.append(Decision(user, action))
    state = evaluate(policy, Decimal(amount), decisions, creator_ids=set(creators), users_roles=ROLES)
    return state, codes


A, X = "approve", "reject"

CASES = [
    # id, policy, amount, creators, steps, expected codes, expected final status
    ("below every threshold", ApprovalPolicy((ApprovalStep(Decimal("1000"), (R("approver"),)),)), "999.99", (),
     [("alice", A)], ["approval_complete"], "not_required"),
    ("threshold is inclusive", ApprovalPolicy((ApprovalStep(Decimal("1000"), (R("approver"),)),)), "1000.00", (),
     [("alice", A)], [None], "approved"),
    ("any approver by role", POLICY, "500", (), [("alice", A)], [None], "approved"),
    ("viewer is not an approver", POLICY, "500", (), [("chair", A)], ["approval_not_allowed"], "pending"),
    ("creator alone refused", POLICY, "500", ("carol",), [("carol", A)], ["approval_self_only"], "pending"),
    ("creator refused then someone else", POLICY, "500", ("carol",), [("carol", A), ("bob", A)],
     ["approval_self_only", None], "approved"),
    ("creator plus another accepted (N=2)", TWO_APPROVERS, "500", ("carol",), [("carol", A), ("alice", A)],
     [None, None], "approved"),
    ("other then creator accepted (N=2)", TWO_APPROVERS, "500", ("carol",), [("alice", A), ("carol", A)],
     [None, None], "approved"),
    ("creator and confirmer cannot fill N=2 alone", TWO_APPROVERS, "500", ("carol", "bob"),
     [("carol", A), ("bob", A), ("alice", A)], [None, "approval_self_only", None], "approved"),
    ("N=2 needs two people", TWO_APPROVERS, "500", (), [("alice", A)], [None], "pending"),
    ("duplicate approval refused", TWO_APPROVERS, "500", (), [("alice", A), ("alice", A)],
     [None, "approval_duplicate"], "pending"),
    ("not an approver of the current step", POLICY, "20000", (), [("ctrl", A)], ["approval_not_allowed"], "pending"),
    ("steps in order", POLICY, "20000", (), [("alice", A), ("ctrl", A)], [None, None], "approved"),
    ("second level still needed", POLICY, "20000", (), [("alice", A), ("bob", A)],
     [None, "approval_not_allowed"], "pending"),
    ("approval carries to later steps", POLICY, "20000", (), [("cfo", A)], [None], "approved"),
    ("approver of step 1 cannot approve step 2 twice", POLICY, "60000", (),
     [("cfo", A), ("cfo", A), ("ceo", A)], [None, "approval_duplicate", None], "approved"),
    ("board needs two", POLICY, "60000", (), [("alice", A), ("ctrl", A), ("ceo", A)], [None, None, None],
     "pending"),
    ("board with two", POLICY, "60000", (), [("alice", A), ("ctrl", A), ("ceo", A), ("chair", A)],
     [None, None, None, None], "approved"),
    ("creator at the board is fine with another", POLICY, "60000", ("ceo",),
     [("alice", A), ("ctrl", A), ("ceo", A), ("chair", A)], [None, None, None, None], "approved"),
    ("all: user and role", ALL_OF, "500", (), [("alice", A), ("ctrl", A)], [None, None], "approved"),
    ("all: two accountants do not make alice", ALL_OF, "500", (), [("dave", A), ("ctrl", A)], [None, None],
     "pending"),
    ("all: one person fills one entry only", ALL_ROLE_TWICE, "500", (), [("dave", A)], [None], "pending"),
    ("all: two people for two entries", ALL_ROLE_TWICE, "500", (), [("dave", A), ("alice", A)], [None, None],
     "approved"),
    ("all: creator entry plus independent", ALL_ROLE_TWICE, "500", ("dave",), [("dave", A), ("alice", A)],
     [None, None], "approved"),
    ("rejection stops everything", POLICY, "500", (), [("alice", X), ("bob", A)], [None, "approval_rejected"],
     "rejected"),
    ("rejection needs an approver", POLICY, "500", (), [("chair", X)], ["approval_not_allowed"], "pending"),
    ("creator may reject", POLICY, "500", ("carol",), [("carol", X)], [None], "rejected"),
    ("nothing after completion", POLICY, "500", (), [("alice", A), ("bob", A), ("bob", X)],
     [None, "approval_complete", "approval_complete"], "approved"),
]


@pytest.mark.parametrize(
    ("policy", "amount", "creators", "steps", "codes", "status"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_policy_cases(policy, amount, creators, steps, codes, status):
    state, got = run(policy, amount, steps, creators)
    assert got == codes
    assert state.status == status
    assert state.ignored == ()  # every stored decision was a valid one


def test_steps_for_uses_greater_or_equal():
    assert [s.name for s in steps_for(POLICY, Decimal("9999.99"))] == ["Manager"]
    assert [s.name for s in steps_for(POLICY, Decimal("10000"))] == ["Manager", "Controller"]
    assert [s.name for s in steps_for(POLICY, Decimal("50000.00"))] == ["Manager", "Controller", "Board"]
    assert requires_approval(POLICY, Decimal("0"))
    assert not requires_approval(ApprovalPolicy(), Decimal("1000000"))
    with pytest.raises(TypeError):
        steps_for(POLICY, 10.5)


def test_state_says_who_may_approve_now():
    state = evaluate(POLICY, Decimal("20000"), [], creator_ids={"carol"}, users_roles=ROLES)
    assert state.current_step == 0
    assert state.may_approve == {"alice", "bob", "dave", "cfo"}  # carol is the creator
    state = evaluate(POLICY, Decimal("20000"), [Decision("alice", "approve")], creator_ids=set(), users_roles=ROLES)
    assert state.current_step == 1
    assert state.may_approve == {"ctrl", "cfo"}
    assert state.steps[0].satisfied and state.steps[0].approved_by == ("alice",)
    two = evaluate(TWO_APPROVERS, Decimal("1"), [], creator_ids={"carol"}, users_roles=ROLES)
    assert "carol" in two.may_approve  # with N=2 the creator may go first


def test_evaluate_ignores_decisions_the_rules_refuse():
    decisions = [Decision("carol", "approve"), Decision("chair", "approve"), Decision("alice", "approve")]
    state = evaluate(POLICY, Decimal("500"), decisions, creator_ids={"carol"}, users_roles=ROLES)
    assert state.status == "approved"
    assert [(d.user_id, code) for d, code in state.ignored] == [
        ("carol", "approval_self_only"),
        ("chair", "approval_not_allowed"),
    ]
    assert state.steps[0].approved_by == ("alice",)


def test_roles_held_when_deciding_survive_a_role_change():
    roles_now = dict(ROLES, alice={"viewer"})
    recorded = [Decision("alice", "approve", roles=frozenset({"approver"}))]
    assert evaluate(POLICY, Decimal("500"), recorded, creator_ids=set(), users_roles=roles_now).done
    unrecorded = [Decision("alice", "approve")]
    assert not evaluate(POLICY, Decimal("500"), unrecorded, creator_ids=set(), users_roles=roles_now).done


def test_check_returns_the_state_after_the_decision():
    state = check_can_approve(POLICY, Decimal("500"), [], "alice", creator_ids=set(), users_roles=ROLES)
    assert state.done and state.status == "approved"
    state = check_can_reject(POLICY, Decimal("500"), [], "bob", creator_ids=set(), users_roles=ROLES)
    assert state.rejected and state.rejected_by == "bob"


def test_snapshot_round_trip_and_independence():
    snapshot = POLICY.to_dict()
    assert snapshot["steps"][1] == {
        "name": "Controller",
        "min_amount": "10000",
        "approvers": [{"user_id": "ctrl"}, {"user_id": "cfo"}],
        "required": "any",
    }
    assert ApprovalPolicy.from_dict(snapshot) == POLICY
    # A payment evaluated against its snapshot is unaffected by a later policy edit.
    edited = ApprovalPolicy((ApprovalStep(Decimal("0"), (U("ceo"),)),))
    state = evaluate(snapshot, Decimal("500"), [Decision("alice", "approve")], creator_ids=set(), users_roles=ROLES)
    assert state.done
    assert not evaluate(edited, Decimal("500"), [Decision("alice", "approve")], creator_ids=set(),
                        users_roles=ROLES).done


@pytest.mark.parametrize(
    "bad",
    [{}, {"steps": "x"}, {"steps": [{"approvers": [{"role": "approver"}]}]},
     {"steps": [{"min_amount": "abc", "approvers": []}]},
     {"steps": [{"min_amount": "1", "approvers": [{"group": "x"}]}]}],
)
def test_from_dict_refuses_malformed_input(bad):
    with pytest.raises(PaymentRuleError) as err:
        ApprovalPolicy.from_dict(bad)
    assert err.value.code == "policy_invalid"


ANY_APPROVER = (R("approver"),)


def step(min_amount="0", approvers=ANY_APPROVER, required="any"):
    return ApprovalStep(Decimal(min_amount), tuple(approvers), required, "S")


@pytest.mark.parametrize(
    ("steps", "code"),
    [
        ([step("-1")], "policy_threshold_invalid"),
        ([step("100"), step("50")], "policy_thresholds_not_ascending"),
        ([step(approvers=())], "policy_step_no_approvers"),
        ([step(approvers=(R("superuser"),))], "policy_unknown_role"),
        ([step(approvers=(U("a"), U("a")))], "policy_duplicate_approver"),
        ([step(required=0)], "policy_required_invalid"),
        ([step(required="most")], "policy_required_invalid"),
        ([step(required=True)], "policy_required_invalid"),
        ([step(approvers=(U("a"), U("b")), required=3)], "policy_required_exceeds_approvers"),
        ([step(approvers=(Approver(),))], "policy_invalid"),
    ],
)
def test_validate_policy_refuses(steps, code):
    with pytest.raises(PaymentRuleError) as err:
        validate_policy(ApprovalPolicy(tuple(steps)))
    assert err.value.code == code


def test_validate_policy_accepts_sensible_policies():
    validate_policy(POLICY)
    validate_policy(ApprovalPolicy())
    validate_policy(ApprovalPolicy((step("0"), step("0"))))  # equal thresholds: two steps in order
    validate_policy(ApprovalPolicy((step(approvers=(U("a"), R("approver")), required=5),)))  # a role may be large
