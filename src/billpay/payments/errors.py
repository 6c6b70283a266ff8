"""The one error type of the payments layer.

Every rule of the payments layer (calendar, approvals, rails) that refuses
something raises :class:`PaymentRuleError` with a stable machine ``code`` (the
API returns it as the problem's ``code``) and a ``detail`` written for the
person who must act. ``data`` carries structured extras a client may use, for
example the suggested business day when a pay date falls on a holiday.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class PaymentRuleError(Exception):
    """A payment rule refused the request.

    ``code`` is stable and machine-readable (``pay_date_not_business_day``,
    ``approval_self_only``, ``routing_number_invalid``...); ``detail`` is plain
    language; ``data`` is optional structured context.
    """

    def __init__(self, code: str, detail: str, data: Mapping[str, Any] | None = None) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail
        self.data: dict[str, Any] = dict(data or {})

    def __repr__(self) -> str:
        return f"PaymentRuleError(code={self.code!r}, detail={self.detail!r})"
