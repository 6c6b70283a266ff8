"""Capture step 2: read a vendor bill (PDF, scan, photo, e-invoice XML) into fields with confidences.

Layers, best first: an embedded e-invoice XML (Factur-X/ZUGFeRD/XRechnung, UBL),
the PDF text layer, Tesseract OCR. Then candidate values per field (labels in
EN/DE/FR/NL/ES/IT, position, format), cross-checks (IBAN checksum, totals that
add up, dates that follow the terms) and, for a known vendor, what was learned
from the bills a user confirmed before.

    result = extract_document(data, "bill.pdf")
    match = match_vendor(result, vendors)                  # VendorCandidate list
    profile = learn_profile(result, confirmed_values, old) # after the user confirms
    result = extract_document(next_data, profile=profile)  # next bill of that vendor
    result = apply_profile(result, profile)                # or: re-read an extracted bill, no OCR again
"""
from .engine import apply_profile, cli_payload, extract_document
from .model import (
    DEFAULT_LIMITS,
    FIELD_NAMES,
    ExtractedField,
    ExtractedLine,
    ExtractionResult,
    Limits,
    Source,
)
from .profile import FieldRule, VendorProfile, learn_profile
from .vendor import VendorCandidate, VendorMatch, match_vendor

__all__ = [
    "DEFAULT_LIMITS", "FIELD_NAMES", "apply_profile", "ExtractedField", "ExtractedLine", "ExtractionResult", "FieldRule", "Limits",
    "Source", "VendorCandidate", "VendorMatch", "VendorProfile", "cli_payload", "extract_document", "learn_profile",
    "match_vendor",
]
