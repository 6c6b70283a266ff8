"""What every use case receives: the session (unit of work), who acts, and the clock.

A use case is one function taking a ``Ctx``; it changes rows, writes the audit
event and any outbox rows in the same session, and never commits: the caller
(``Ctx.transaction`` in the API, worker or CLI) commits once, so a refusal
half-way leaves nothing written.
"""
from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Callable, Iterator, Type, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..crypto import Vault
from ..db import tables as t
from ..domain.errors import NotFound, PermissionDenied
from ..domain.users import allowed
from ..ids import new_id

Row = TypeVar("Row", bound=t.Base)


@dataclass(frozen=True)
class Actor:
    org_id: str
    user_id: str | None
    roles: frozenset[str]
    kind: str = "user"  # user | api_key | system

    @classmethod
    def system(cls, org_id: str) -> "Actor":
        return cls(org_id, None, frozenset({"admin"}), "system")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


@dataclass
class Ctx:
    session: Session
    actor: Actor
    vault: Vault
    now: Callable[[], dt.datetime] = utcnow
    storage: object | None = None  # storage.DocumentStore: original files, e-mails, bank files
    mailer: object | None = None  # Mailer: outgoing notifications, sent after commit
    after_commit: list[Callable[[], None]] = field(default_factory=list)
    wake: Callable[[], None] = lambda: None  # asks a worker to look at the outbox (after commit)

    @property
    def org_id(self) -> str:
        return self.actor.org_id

    def require(self, permission: str) -> None:
        if not allowed(self.actor.roles, permission):
            raise PermissionDenied(f"Your role does not allow this ({permission}).", code="forbidden")

    def get(self, model: Type[Row], id_: str, *, what: str | None = None, lock: bool = False) -> Row:
        """A row of this organization, or 404 (never revealing another organization's rows)."""
        stmt = select(model).where(model.id == id_, model.org_id == self.org_id)
        if lock:
            # Re-read under the lock: an object already in the session must not keep what it saw before.
            stmt = stmt.with_for_update().execution_options(populate_existing=True)
        row = self.session.scalars(stmt).first()
        if row is None:
            name = what or model.__tablename__.rstrip("s").replace("_", " ")
            raise NotFound(f"No {name} with id '{id_}' in this organization.", code=f"{name.replace(' ', '_')}_not_found")
        return row

    def audit(self, action: str, record_type: str, record_id: str | None,
              before: dict | None = None, after: dict | None = None) -> None:
        self.session.add(t.AuditEvent(
            id=new_id("evt"), org_id=self.org_id, actor_type=self.actor.kind,
            actor_id=self.actor.user_id, action=action, record_type=record_type,
            record_id=record_id, before=before, after=after, created_at=self.now()))

    def enqueue(self, kind: str, record_id: str | None, payload: dict | None = None,
                available_at: dt.datetime | None = None) -> t.Outbox:
        """Pending work, written in this transaction; a worker is woken after commit.

        A pending row for the same (kind, record) is reused so repeated clicks do
        not pile up work.
        """
        existing = self.session.scalars(select(t.Outbox).where(
            t.Outbox.org_id == self.org_id, t.Outbox.kind == kind, t.Outbox.record_id == record_id,
            t.Outbox.status == "pending")).first()
        if existing is not None and record_id is not None:
            existing.payload = {**(existing.payload or {}), **(payload or {})}
            return existing
        row = t.Outbox(id=new_id("job"), org_id=self.org_id, kind=kind, record_id=record_id,
                       payload=payload or {}, status="pending",
                       available_at=available_at or self.now(), created_at=self.now())
        self.session.add(row)
        if self.wake not in self.after_commit:
            self.after_commit.append(self.wake)
        return row


@contextmanager
def transaction(sessionmaker, actor: Actor, vault: Vault, now: Callable[[], dt.datetime] = utcnow,
                storage: object | None = None, mailer: object | None = None,
                wake: Callable[[], None] | None = None) -> Iterator[Ctx]:
    session = sessionmaker()
    ctx = Ctx(session, actor, vault, now, storage, mailer)
    if wake is not None:
        ctx.wake = wake
    try:
        yield ctx
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
    for fn in ctx.after_commit:
        fn()


def statuses_filter(column, value: str, allowed: type, record: str):  # noqa: ANN001, ANN201
    """``status=a,b`` as a SQL condition; an unknown status is refused by name (``status_unknown``)."""
    from ..domain.errors import ValidationError

    statuses = value.split(",")
    bad = [s for s in statuses if s not in allowed._value2member_map_]
    if bad:
        raise ValidationError(f"Unknown {record} status '{bad[0]}'.", code="status_unknown", field="status")
    return column.in_(statuses)
