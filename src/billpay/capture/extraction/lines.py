"""Line items (placeholder; replaced below)."""
from __future__ import annotations


def extract_lines(doc, subtotal, total):
    return []
