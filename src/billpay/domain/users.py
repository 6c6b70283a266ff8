"""Roles and what each may do. One table, checked on every endpoint."""
from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    ACCOUNTANT = "accountant"
    AP_CLERK = "ap_clerk"
    APPROVER = "approver"
    VIEWER = "viewer"


ALL = frozenset(Role)
# permission -> roles that hold it
PERMISSIONS: dict[str, frozenset[Role]] = {
    "read": ALL,
    "bills.write": frozenset({Role.ADMIN, Role.ACCOUNTANT, Role.AP_CLERK}),
    "bills.code": frozenset({Role.ADMIN, Role.ACCOUNTANT, Role.AP_CLERK}),
    "vendors.write": frozenset({Role.ADMIN, Role.ACCOUNTANT, Role.AP_CLERK}),
    "vendors.verify_bank": frozenset({Role.ADMIN, Role.ACCOUNTANT}),
    "rules.write": frozenset({Role.ADMIN, Role.ACCOUNTANT}),
    "payments.write": frozenset({Role.ADMIN, Role.ACCOUNTANT, Role.AP_CLERK}),
    "payments.approve": frozenset({Role.ADMIN, Role.APPROVER}),
    "sync.run": frozenset({Role.ADMIN, Role.ACCOUNTANT}),
    "settings.write": frozenset({Role.ADMIN}),
    "connection.write": frozenset({Role.ADMIN}),
    "users.write": frozenset({Role.ADMIN}),
    "policy.write": frozenset({Role.ADMIN}),
}


def allowed(roles: frozenset[str] | set[str] | list[str], permission: str) -> bool:
    return any(Role(r) in PERMISSIONS[permission] for r in roles if r in Role._value2member_map_)
