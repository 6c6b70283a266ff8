"""Notifications to people: an audit-visible record, and an e-mail after commit when a relay is set."""
from __future__ import annotations

import logging

from sqlalchemy import select

from ..db import tables as t
from .context import Ctx

log = logging.getLogger("billpay.notifications")


def notify_admins(ctx: Ctx, kind: str, message: str, record_id: str | None = None) -> list[str]:
    admins = [u for u in ctx.session.scalars(select(t.User).where(t.User.org_id == ctx.org_id,
                                                                    t.User.active.is_(True)))
              if "admin" in (u.roles or [])]
    emails = [u.email for u in admins]
    ctx.audit(f"notification.{kind}", "notification", record_id, after={"to": emails, "message": message})
    if ctx.mailer is not None and emails:
        subject = "billpay: " + kind.replace("_", " ")
        ctx.after_commit.append(lambda: ctx.mailer.send(emails, subject, message))
    log.info("notify %s (%d admins)", kind, len(emails))
    return emails
