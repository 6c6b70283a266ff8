"""Values the extraction engine hands back: fields with confidence and provenance.

Everything here is plain data. ``to_dict()`` produces JSON-ready output: dates
as ISO strings, money as decimal strings (never floats), boxes as page
fractions so a review UI can draw them over any rendering of the page.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

Layer = Literal["xml", "text", "ocr"]
Status = Literal["ok", "partial", "rejected"]

#: Every header field the engine reports, in display order.
FIELD_NAMES: tuple[str, ...] = (
    "vendor_name", "invoice_number", "invoice_date", "due_date", "total", "subtotal", "tax",
    "currency", "payment_terms", "iban", "bic", "routing_number", "account_number",
    "vendor_email", "vendor_tax_id", "remit_to_address",
)
DATE_FIELDS = frozenset({"invoice_date", "due_date"})
MONEY_FIELDS = frozenset({"total", "subtotal", "tax"})

#: The fields a bill cannot be confirmed without; their absence makes a result "partial".
KEY_FIELDS = ("vendor_name", "invoice_number", "invoice_date", "total")

HIGH = 0.8
MEDIUM = 0.5

MiB = 1024 * 1024


def band_of(confidence: float) -> str:
    if confidence >= HIGH:
        return "high"
    if confidence >= MEDIUM:
        return "medium"
    return "low"


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


@dataclass(frozen=True)
class Limits:
    """Resource limits for one extraction.

    ``max_pages``: only the first N pages are read; the rest are skipped with a
    warning (never a rejection: the first pages carry the header fields).
    ``max_pixels``: a raster image above this is rejected (``image_too_large``);
    it is never decoded, so a decompression bomb costs nothing. PDF pages are
    rendered at a resolution that keeps under the same bound.
    """

    max_bytes: int = 25 * MiB
    max_pages: int = 50
    max_pixels: int = 40_000_000
    timeout_s: float = 60.0


DEFAULT_LIMITS = Limits()


@dataclass(frozen=True)
class Source:
    """Where a value was read: page index (0-based), box in page fractions, layer."""

    page: int
    bbox: tuple[float, float, float, float]
    layer: Layer

    def to_dict(self) -> dict[str, Any]:
        return {"page": self.page, "bbox": [round(v, 4) for v in self.bbox], "layer": self.layer}


@dataclass
class ExtractedField:
    value: Any
    confidence: float
    source: Source | None = None
    raw_text: str | None = None
    #: the engine's score before calibration (``calibration.calibrate``); internal, not in ``to_dict()``
    raw_confidence: float | None = field(default=None, compare=False)
    #: internal: an upper bound calibration must not lift (set where a check contradicts the value)
    ceiling: float | None = field(default=None, compare=False)
    #: internal: the population calibration read the value as (its layer, or ``profile`` when a vendor's
    #: profile read it)
    calibrated_as: str | None = field(default=None, compare=False)

    @property
    def band(self) -> str:
        return band_of(self.confidence)

    def to_dict(self) -> dict[str, Any]:
        return {
            "value": _jsonable(self.value),
            "confidence": round(self.confidence, 3),
            "band": self.band,
            "source": self.source.to_dict() if self.source else None,
            "raw_text": self.raw_text,
        }


@dataclass
class ExtractedLine:
    description: ExtractedField | None = None
    quantity: ExtractedField | None = None
    unit_price: ExtractedField | None = None
    amount: ExtractedField | None = None

    @property
    def confidence(self) -> float:
        parts = [f.confidence for f in (self.description, self.amount) if f is not None]
        return min(parts) if parts else 0.0

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in ("description", "quantity", "unit_price", "amount"):
            f = getattr(self, name)
            out[name] = f.to_dict() if f is not None else None
        out["confidence"] = round(self.confidence, 3)
        return out


@dataclass
class ExtractionResult:
    status: Status
    fields: dict[str, ExtractedField] = field(default_factory=dict)
    lines: list[ExtractedLine] = field(default_factory=list)
    reason_code: str | None = None
    reason: str | None = None
    warnings: list[str] = field(default_factory=list)
    layer_used: Layer | None = None
    pages: int = 0
    pages_read: int = 0
    elapsed_ms: float = 0.0
    file_sha256: str | None = None
    mime_type: str | None = None
    #: Internal: the document as read (pages of words). Used by ``learn_profile``
    #: and ``apply_profile`` so a confirmed bill can be re-read without OCR again.
    #: Not part of ``to_dict()``.
    document: Any = field(default=None, repr=False, compare=False)
    #: Internal: the second OCR reading and the parsed e-invoice, for ``apply_profile``.
    alt_document: Any = field(default=None, repr=False, compare=False)
    einvoice: Any = field(default=None, repr=False, compare=False)

    def value(self, name: str) -> Any:
        f = self.fields.get(name)
        return f.value if f is not None else None

    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "reason_code": self.reason_code,
            "reason": self.reason,
            "fields": {n: (self.fields[n].to_dict() if n in self.fields else None) for n in FIELD_NAMES},
            "lines": [ln.to_dict() for ln in self.lines],
            "warnings": list(self.warnings),
            "layer_used": self.layer_used,
            "pages": self.pages,
            "pages_read": self.pages_read,
            "elapsed_ms": round(self.elapsed_ms, 1),
            "file_sha256": self.file_sha256,
            "mime_type": self.mime_type,
        }


class Rejected(Exception):
    """Internal signal: the input cannot be read. Never escapes ``extract_document``."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason
