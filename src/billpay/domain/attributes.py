"""Accounting attributes: the coding of a bill and of each of its lines."""
from __future__ import annotations

# attribute name -> reference-data kind whose ids it holds
ATTRIBUTE_KINDS: dict[str, str] = {
    "gl_account": "accounts",
    "class": "classes",
    "department": "departments",
    "location": "locations",
}
ATTRIBUTE_NAMES = frozenset(ATTRIBUTE_KINDS) | {"custom"}


def clean(attrs: dict | None) -> dict:
    """Drop empty values; keep ``custom`` as a flat str -> str mapping."""
    out: dict = {}
    for k, v in (attrs or {}).items():
        if k == "custom":
            custom = {str(ck): str(cv) for ck, cv in (v or {}).items() if cv not in (None, "")}
            if custom:
                out["custom"] = custom
        elif v not in (None, ""):
            out[k] = str(v)
    return out
