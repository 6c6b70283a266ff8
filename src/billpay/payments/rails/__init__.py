"""Payment rails: ways to move money, behind the :class:`PaymentRail` protocol.

* ``sandbox_bank.SandboxBank`` — the built-in bank that settles after N
  business days and can simulate returns;
* ``nacha.NachaRail`` — a Nacha ACH file (CCD/CCD+ or CTX, balanced or not);
* ``pain001.Pain001Rail`` — an ISO 20022 pain.001.001.09 file, checked
  against the official XSD in ``schemas/``.
"""

from billpay.payments.rails.base import (
    Method,
    OriginatorProfile,
    PaymentInstruction,
    PaymentRail,
    PostalAddress,
    RailFile,
    RailSubmission,
    SubmittedPayment,
    release_date,
)

__all__ = [
    "Method",
    "OriginatorProfile",
    "PaymentInstruction",
    "PaymentRail",
    "PostalAddress",
    "RailFile",
    "RailSubmission",
    "SubmittedPayment",
    "release_date",
]
