"""Payments: business-day calendar, approval policies, return codes and rails.

Pure Python — no database, no clock, no environment. Callers pass ``today``
/ ``now`` in and persist what comes back.

* :mod:`billpay.payments.calendar` — Federal Reserve business days, release time.
* :mod:`billpay.payments.approval_policy` / :mod:`billpay.payments.approvals`
  — policies as data and the rules that apply decisions to them.
* :mod:`billpay.payments.returns` — ACH return codes R01–R29 in plain words.
* :mod:`billpay.payments.rails` — the sandbox bank, Nacha ACH files and
  ISO 20022 pain.001.001.09 files behind one small ``PaymentRail`` protocol.

Every refusal is a :class:`PaymentRuleError` with a stable ``code``.
"""

from billpay.payments.errors import PaymentRuleError

__all__ = ["PaymentRuleError"]
