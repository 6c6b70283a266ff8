"""Column types shared by the tables."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import JSON, DateTime, Numeric, String, TypeDecorator


class Money(TypeDecorator):
    """Exact decimal amounts: NUMERIC(19, 4) on PostgreSQL; on SQLite stored as text to stay exact."""

    impl = Numeric(19, 4)
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(32))
        return dialect.type_descriptor(Numeric(19, 4, asdecimal=True))

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, float):
            raise TypeError("money must not be a float")
        d = Decimal(value)
        return format(d, "f") if dialect.name == "sqlite" else d

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return Decimal(value)


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes in and out, whatever the backend stores."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime")
        return value.astimezone(dt.timezone.utc)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(dt.timezone.utc)


JSONType = JSON().with_variant(JSON(), "sqlite")
