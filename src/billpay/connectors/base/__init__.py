"""Reusable pieces for accounting platform connectors.

- ``errors``: resolution tables (platform failure -> stable code, sentence, kind), secret scrubbing
- ``auth``: OAuth 2.0 refresh-token ``httpx.Auth`` with rotation persisted via a ``TokenStore``
- ``retry``: bounded exponential backoff with jitter honouring ``Retry-After``
- ``pagination``: offset and cursor paginators with loop detection
- ``idempotency``: idempotency-key convention (with generation) and derived request ids
- ``codec``: JSON without floats (``Decimal`` in and out)
"""
from billpay.connectors.base.auth import (
    InMemoryTokenStore,
    OAuth2RefreshTokenAuth,
    OAuthTokens,
    TokenStore,
)
from billpay.connectors.base.errors import Resolution, ResolutionTable, Rule
from billpay.connectors.base.idempotency import idempotency_key, request_id
from billpay.connectors.base.pagination import CursorPaginator, OffsetPaginator, Page, paginate
from billpay.connectors.base.retry import RetryPolicy

__all__ = [
    "CursorPaginator",
    "InMemoryTokenStore",
    "OAuth2RefreshTokenAuth",
    "OAuthTokens",
    "OffsetPaginator",
    "Page",
    "Resolution",
    "ResolutionTable",
    "RetryPolicy",
    "Rule",
    "TokenStore",
    "idempotency_key",
    "paginate",
    "request_id",
]
