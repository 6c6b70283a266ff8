"""Re-encrypt every secret at rest under a new key (``billpay secrets rotate``).

Secrets at rest: organizations' inbox webhook secrets, vendors' bank details (current and pending
verification), connections' credentials and tokens, and a connection's pending OAuth hand-shake. All are
re-encrypted in one transaction: either every secret moves to the new key or none does. A value the old
key cannot read stops the rotation (nothing is written) and is named in the error.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..crypto import Vault
from ..db import tables as t

COLUMNS = ((t.Organization, ("inbox_secret_enc",)),
           (t.Vendor, ("bank_details_enc", "pending_bank_details_enc")),
           (t.Connection, ("secrets_enc",)))


def rotate(session: Session, old: Vault, new: Vault) -> dict[str, int]:
    """Re-encrypt in ``session`` (the caller commits); returns how many values moved per table."""
    counts: dict[str, int] = {}
    for model, columns in COLUMNS:
        for row in session.scalars(select(model)):
            for column in columns:
                value = getattr(row, column)
                if value:
                    try:
                        setattr(row, column, new.encrypt(old.decrypt(value)))
                    except ValueError:
                        raise ValueError(f"{model.__tablename__} {row.id}: {column} cannot be decrypted with the "
                                         "old key; nothing was changed") from None
                    counts[model.__tablename__] = counts.get(model.__tablename__, 0) + 1
            if model is t.Connection and (row.health or {}).get("pending_oauth"):
                row.health = {**row.health, "pending_oauth": new.encrypt(old.decrypt(row.health["pending_oauth"]))}
                counts["pending_oauth"] = counts.get("pending_oauth", 0) + 1
    return counts
