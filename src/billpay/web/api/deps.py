"""Request dependencies: the container, who is calling, and a unit of work for them."""
from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from ...bootstrap import Container
from ...domain.errors import BillPayError
from ...services.context import Actor
from ...services.orgs import authenticate_api_key


class Unauthorized(BillPayError):
    status = 401
    code = "unauthorized"


def container(request: Request) -> Container:
    return request.app.state.container


def actor_from_request(c: Container, request: Request) -> Actor | None:
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        with c.sessionmaker() as s:
            return authenticate_api_key(s, auth[7:].strip())
    session_actor = getattr(request.state, "session_actor", None)
    return session_actor


def current_actor(request: Request, c: Annotated[Container, Depends(container)]) -> Actor:
    actor = actor_from_request(c, request)
    if actor is None:
        raise Unauthorized("Send 'Authorization: Bearer <api key>' (create keys with POST /api/v1/users/{id}/api-keys).")
    return actor


ContainerDep = Annotated[Container, Depends(container)]
ActorDep = Annotated[Actor, Depends(current_actor)]
