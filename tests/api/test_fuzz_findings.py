"""Regression tests for what the fuzz run (tests/fuzz) found; each failed before its fix."""
from __future__ import annotations

import pytest

from .conftest import problem


@pytest.mark.parametrize("steps", [[False], ["x"], [{"min_amount": "1", "approvers": [7]}],
                                   [{"min_amount": "1", "approvers": "admin"}]])
def test_a_malformed_approval_step_is_refused_not_a_crash(org, steps):
    # was 500 internal_error: a step or approver that is not an object reached attribute access
    problem(org.put("/approval-policy", {"steps": steps}), 422, "policy_invalid")
    assert org.get("/approval-policy").json() == {"steps": []}


def test_a_bill_without_a_body_is_refused(org):
    # was 201: an empty request created an empty bill
    problem(org.client.post("/api/v1/bills", headers=org.h()), 422, "body_required")
    assert org.get("/bills").json()["data"] == []


def test_connection_fields_of_the_wrong_type_are_refused(org):
    # was 200: any truthy "sandbox" (a list...) connected the built-in sandbox
    problem(org.put("/accounting/connection", {"platform": "quickbooks", "sandbox": [None]}), 422, "type_invalid")
    problem(org.put("/accounting/connection", {"platform": "quickbooks", "client_id": {"a": 1}}), 422,
            "value_invalid")
    assert org.get("/accounting/connection").json()["status"] == "not_connected"


def test_oauth_start_needs_its_body(org):
    # was 200: a JSON null body started a sandbox consent flow
    r = org.client.post("/api/v1/accounting/connection/oauth/start", content=b"null",
                        headers=org.h(**{"Content-Type": "application/json"}))
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")


def test_upload_fields_must_be_files(org):
    # was 201 on an empty bill list: a text part named 'files' was skipped silently
    r = org.client.post("/api/v1/bills", headers=org.h(), data={"files": "not a file"},
                        files={"file": ("a.txt", b"hello", "text/plain")})
    problem(r, 422, "file_required")
    r = org.client.post("/api/v1/bills", headers=org.h(), data={"note": "x"},
                        files={"file": ("a.txt", b"hello", "text/plain")})
    problem(r, 422, "field_unknown")
    assert org.get("/bills").json()["data"] == []


def test_active_null_is_refused_not_a_crash(org, vendor):
    # was 500: {"active": null} reached a NOT NULL column
    problem(org.patch(f"/vendors/{vendor['id']}", {"active": None}), 422, "type_invalid")
    rule = org.post("/mapping-rules", {"name": "R", "conditions": {"vendor_ids": [vendor["id"]]},
                                       "attributes": {"memo": "x"}})
    if rule.status_code == 201:
        problem(org.patch(f"/mapping-rules/{rule.json()['id']}", {"active": None}), 422, "type_invalid")
    problem(org.patch(f"/users/{org.user_id}", {"active": None}), 422, "type_invalid")
    problem(org.patch(f"/users/{org.user_id}", {"name": None}), 422, "type_invalid")  # was 500 too
    assert org.get(f"/vendors/{vendor['id']}").json()["active"] is True
