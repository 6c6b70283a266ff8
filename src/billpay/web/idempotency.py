"""``Idempotency-Key`` on POSTs: a replay returns the first response; another body with the same key is refused.

The key row is inserted (unique per organization) before the request runs, so
two concurrent requests with one key cannot both run: the second gets 409.
Responses with a 5xx status are not stored, so the client may retry them.
"""
from __future__ import annotations

import hashlib

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import Response

from ..db import tables as t
from ..ids import new_id
from ..services.orgs import authenticate_api_key
from .api.errors import problem


class IdempotencyMiddleware(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next):  # noqa: ANN001, ANN201
        key = request.headers.get("idempotency-key")
        if request.method != "POST" or not key or not request.url.path.startswith("/api/"):
            return await call_next(request)
        if len(key) > 200:
            return problem(422, "idempotency_key_invalid", "Idempotency-Key is at most 200 characters.")
        c = request.app.state.container
        auth = request.headers.get("authorization", "")
        if not auth.lower().startswith("bearer "):
            return await call_next(request)
        body = await request.body()
        digest = hashlib.sha256(b"\n".join([request.url.path.encode(), request.url.query.encode(), body])).hexdigest()

        def reserve():  # noqa: ANN202
            with c.sessionmaker() as s:
                actor = authenticate_api_key(s, auth[7:].strip())
                s.rollback()
                if actor is None:
                    return None, None
                try:
                    with s.begin():
                        s.add(t.IdempotencyKey(id=new_id("idk"), org_id=actor.org_id, key=key, request_hash=digest))
                    return actor.org_id, None
                except IntegrityError:
                    s.rollback()
                    row = s.scalars(select(t.IdempotencyKey).where(t.IdempotencyKey.org_id == actor.org_id,
                                                                   t.IdempotencyKey.key == key)).first()
                    return actor.org_id, row

        org_id, existing = await run_in_threadpool(reserve)
        if org_id is None:
            return await call_next(request)
        if existing is not None:
            if existing.request_hash != digest:
                return problem(422, "idempotency_key_reused",
                               "This Idempotency-Key was already used with a different request body.")
            if existing.status_code is None:
                return problem(409, "idempotency_key_in_progress",
                               "A request with this Idempotency-Key is still being processed.")
            return Response(existing.response_body, status_code=existing.status_code,
                            media_type="application/json", headers={"Idempotent-Replayed": "true"})
        response = await call_next(request)
        chunks = [chunk async for chunk in response.body_iterator]
        content = b"".join(chunks)

        def store():  # noqa: ANN202
            with c.sessionmaker() as s, s.begin():
                row = s.scalars(select(t.IdempotencyKey).where(t.IdempotencyKey.org_id == org_id,
                                                               t.IdempotencyKey.key == key)).first()
                if response.status_code >= 500:
                    s.execute(delete(t.IdempotencyKey).where(t.IdempotencyKey.id == row.id))
                else:
                    row.status_code, row.response_body = response.status_code, content

        await run_in_threadpool(store)
        headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
        return Response(content, status_code=response.status_code, headers=headers,
                        media_type=response.media_type)
