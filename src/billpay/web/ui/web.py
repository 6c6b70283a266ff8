"""What every page route uses: templates, the signed-in user, CSRF-checked forms, flash messages.

Routes stay thin: parse the form, call one service inside ``container.tx``,
redirect with a message (``act``) or render a template (``render``).
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Callable
from zoneinfo import ZoneInfo

from fastapi import Depends, Request
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.datastructures import FormData
from starlette.responses import HTMLResponse, RedirectResponse

from ...domain.errors import BillPayError
from ...domain.money import CURRENCIES
from ...domain.users import allowed
from .session import SessionUser, csrf_ok, csrf_token

HERE = Path(__file__).parent
env = Environment(loader=FileSystemLoader(str(HERE / "templates")), autoescape=select_autoescape(["html"]),
                  trim_blocks=True, lstrip_blocks=True)


class LoginRequired(Exception):
    """Raised by ``current_user`` when nobody is signed in; answered with a redirect to sign-in."""


class CsrfRefused(Exception):
    """A POST whose CSRF token is missing or wrong (a forged or stale form)."""


# --- formatting ---------------------------------------------------------------------------------------
SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "CAD": "CA$", "AUD": "A$"}


def money(amount: Any, currency: str | None = "USD") -> str:
    if amount in (None, ""):
        return "—"
    currency = currency or "USD"
    try:
        d = Decimal(str(amount))
    except InvalidOperation:
        return str(amount)
    places = CURRENCIES.get(currency, 2)
    text = f"{abs(d):,.{places}f}"
    sign = "−" if d < 0 else ""
    sym = SYMBOLS.get(currency)
    return f"{sign}{sym}{text}" if sym else f"{sign}{currency} {text}"


def as_date(value: Any) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def fmt_date(value: Any) -> str:
    d = as_date(value)
    return f"{d:%b} {d.day}, {d.year}" if d else "—"


def fmt_datetime(value: Any, tz: str = "America/New_York") -> str:
    if value in (None, ""):
        return "—"
    v = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    if v.tzinfo is None:
        v = v.replace(tzinfo=dt.timezone.utc)
    v = v.astimezone(ZoneInfo(tz))
    hour = v.hour % 12 or 12
    return f"{v:%b} {v.day}, {v.year}, {hour}:{v:%M} {'AM' if v.hour < 12 else 'PM'}"


STATUS_LABELS = {
    "in_review": ("In review", "amber"), "confirmed": ("Confirmed", "blue"), "open": ("Open", "blue"),
    "partially_paid": ("Partially paid", "teal"), "paid": ("Paid", "green"), "void": ("Void", "grey"),
    "draft": ("Draft", "grey"), "pending_approval": ("Awaiting approval", "amber"),
    "scheduled": ("Scheduled", "blue"), "processing": ("Processing", "teal"), "settled": ("Paid", "green"),
    "failed": ("Failed", "red"), "cancelled": ("Cancelled", "grey"),
    # sync states
    "not_synced": ("Not synced", "grey"), "pending": ("Syncing", "amber"), "synced": ("Synced", "green"),
    "error": ("Sync error", "red"),
    # bank details
    "verified": ("Verified", "green"), "pending_verification": ("Awaiting verification", "amber"),
    "none": ("No bank details", "grey"),
}


def pill(status: str | None) -> str:
    from markupsafe import Markup, escape

    label, color = STATUS_LABELS.get(status or "", ((status or "—").replace("_", " ").capitalize(), "grey"))
    return Markup(f'<span class="pill pill-{color}">{escape(label)}</span>')


def band(confidence: Any) -> str:
    try:
        c = float(confidence)
    except (TypeError, ValueError):
        return "none"
    return "high" if c >= 0.8 else "medium" if c >= 0.5 else "low"


ACTION_WORDS = {
    "bill.created": "Created", "bill.updated": "Edited", "bill.extracted": "Document read",
    "bill.confirmed": "Confirmed", "bill.sent_to_payments": "Sent to Payments", "bill.voided": "Voided",
    "bill.resync_requested": "Re-sync requested", "bill.paid": "Marked paid", "bill.partially_paid": "Partially paid",
    "bill.rules_applied": "Mapping rules applied", "payment.created": "Payment draft created",
    "payment.updated": "Edited", "payment.scheduled": "Scheduled", "payment.sent_for_approval": "Sent for approval",
    "payment.approved": "Approved", "payment.rejected": "Rejected", "payment.cancelled": "Cancelled",
    "payment.released": "Sent to the bank", "payment.settled": "Settled by the bank",
    "payment.returned": "Returned by the bank", "payment.held": "Held", "payment.approval_overdue": "Approval overdue",
    "vendor.created": "Created", "vendor.updated": "Edited",
    "vendor.bank_details_changed": "Bank details changed (awaiting a second person)",
    "vendor.bank_details_verified": "New bank details verified", "vendor.bank_details_rejected": "Bank-detail change rejected",
    "bill.duplicate_cleared": "Marked not a duplicate", "bill.credit_recorded": "Vendor credit recorded",
    "bill.credit_applied": "Credit used on a payment", "payment.credits_applied": "Vendor credit taken off",
    "vendor.platform_create_requested": "Creation in the accounting platform requested",
    "vendor.created_in_platform": "Created in the accounting platform and mapped",
}
OPERATION_WORDS = {
    "create_bill": "Created the bill", "push_bill": "Sent the bill", "update_bill": "Updated the bill",
    "void_bill": "Voided the bill", "delete_bill": "Deleted the bill", "push_payment": "Sent the payment",
    "create_payment": "Recorded the payment", "read_status": "Checked status", "pull_bill": "Pulled the bill",
    "create_vendor_credit": "Recorded the vendor credit", "create_vendor": "Created the vendor",
}


ROLE_LABELS = {"admin": "Admin", "accountant": "Accountant", "ap_clerk": "AP clerk", "approver": "Approver",
               "viewer": "Viewer"}


def role_label(role: str) -> str:
    return ROLE_LABELS.get(role, role.replace("_", " ").capitalize())


def action_words(action: str) -> str:
    return ACTION_WORDS.get(action) or action.split(".", 1)[-1].replace("_", " ").capitalize()


def operation_words(operation: str) -> str:
    return OPERATION_WORDS.get(operation) or (operation or "").replace("_", " ").capitalize()


env.filters.update(money=money, date=fmt_date, datetime=fmt_datetime, pill=pill, band=band,
                   action_words=action_words, operation_words=operation_words, role_label=role_label)


# --- request helpers -------------------------------------------------------------------------------------
def container(request: Request):  # noqa: ANN201
    return request.app.state.container


def current_user(request: Request) -> SessionUser:
    user = getattr(request.state, "session_user", None)
    if user is None:
        raise LoginRequired()
    return user


async def csrf_form(request: Request) -> FormData:
    """The POSTed form, once its CSRF token is checked (a dependency of every page POST)."""
    form = await request.form(max_files=50, max_fields=2000)
    if not csrf_ok(request.session, form.get("csrf_token") or request.headers.get("x-csrf-token")):
        raise CsrfRefused()
    return form


User = Depends(current_user)
Form = Depends(csrf_form)


def sentence(text: str) -> str:
    """Messages start with a capital letter (some service messages start with a field name)."""
    return text[:1].upper() + text[1:] if text else text


def flash(request: Request, text: str, kind: str = "ok", links: list[tuple[str, str]] | None = None) -> None:
    """A message for the next page; ``links`` are (same-site path, words) shown with it, e.g. where to fix it."""
    entry = [kind, sentence(text)]
    if links:
        entry.append([[local_url(href), label] for href, label in links])
    request.session.setdefault("flash", []).append(entry)


FIX_LINKS = {"vendor_not_mapped": "Open the vendor to map it", "attributes_incomplete": "Code the lines",
             "bank_details_unverified": "Open the vendor", "vendor_payment_details_missing": "Open the vendor"}


def fix_links(error: BillPayError) -> list[tuple[str, str]]:
    """Where a person fixes what a refusal names (a problem's own link, else the vendor it names)."""
    out = [(p["link"], FIX_LINKS.get(p["code"], "Fix it")) for p in (error.extra or {}).get("problems") or []
           if p.get("link")]
    if not out and (error.extra or {}).get("vendor_id") and error.code in FIX_LINKS:
        out.append((f"/vendors/{error.extra['vendor_id']}", FIX_LINKS[error.code]))
    return out


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def render(request: Request, template: str, status_code: int = 200, **data: Any) -> HTMLResponse:
    user: SessionUser | None = getattr(request.state, "session_user", None)
    roles = user.actor.roles if user else frozenset()
    base = {
        "request": request, "user": user, "csrf": csrf_token(request.session),
        "can": lambda permission: allowed(roles, permission),
        "flashes": request.session.pop("flash", []) if not is_htmx(request) else [],
        "tz": user.tz if user else "America/New_York", "path": request.url.path,
    }
    html = env.get_template(template).render(**base, **data)
    return HTMLResponse(html, status_code=status_code)


def act(request: Request, user: SessionUser, fn: Callable, *, ok: str | Callable[[Any], str],
        back: str, message: str | Callable[[Any], str] | None = None) -> RedirectResponse:
    """Run one service call in a unit of work; redirect with its outcome in plain words.

    A refusal (``BillPayError``) is shown to the person as its ``detail`` on the
    ``back`` page; nothing was written.
    """
    c = container(request)
    try:
        with c.tx(user.actor) as ctx:
            result = fn(ctx)
    except BillPayError as e:
        flash(request, e.detail, "error", fix_links(e))
        return redirect(back)
    if message:
        flash(request, message(result) if callable(message) else message)
    return redirect(ok(result) if callable(ok) else ok)


def local_url(value: str | None, default: str = "/bills") -> str:
    """Only same-site paths are followed after sign-in (no open redirect)."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return default


def blank_to_none(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None
