"""Sortable, unguessable ids: ``<prefix>_<26 chars>`` (48-bit ms time + 80 random bits, Crockford base32).

Time-ordered ids let lists page by id (keyset pagination) without a second
index, and the random part makes them unguessable across organizations.
"""
from __future__ import annotations

import secrets
import time

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"


def new_id(prefix: str, *, now_ms: int | None = None) -> str:
    ms = int(time.time() * 1000) if now_ms is None else now_ms
    value = (ms << 80) | secrets.randbits(80)
    chars = []
    for _ in range(26):
        chars.append(_ALPHABET[value & 31])
        value >>= 5
    return f"{prefix}_{''.join(reversed(chars))}"
