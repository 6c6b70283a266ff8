"""Sign in and sign out."""
from __future__ import annotations

import secrets

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from ....services.orgs import authenticate_password
from ..web import Form, container, flash, local_url, redirect, render

router = APIRouter()


@router.get("/")
def home(request: Request):  # noqa: ANN201
    if getattr(request.state, "session_user", None) is None:
        return redirect("/login")
    return redirect("/bills")


@router.get("/login")
def login_page(request: Request, next: str | None = None):  # noqa: A002, ANN201
    if getattr(request.state, "session_user", None) is not None:
        return redirect(local_url(next))
    return render(request, "login.html", next=local_url(next), email="")


@router.post("/login")
async def login(request: Request, form=Form):  # noqa: ANN001, ANN201
    email = (form.get("email") or "").strip()
    password = form.get("password") or ""
    target = local_url(form.get("next"))
    ip = request.client.host if request.client else "unknown"
    limiter = request.app.state.login_limiter
    wait = await run_in_threadpool(limiter.retry_after, email, ip)
    if wait:
        minutes = max(1, round(wait / 60))
        return render(request, "login.html", status_code=429, next=target, email=email,
                      error=f"Too many failed sign-ins for {email or 'this e-mail'}. For your security, "
                            f"sign-in is paused; try again in {minutes} minute{'s' if minutes != 1 else ''}.")
    c = container(request)

    def check():  # noqa: ANN202
        with c.sessionmaker() as s:
            return authenticate_password(s, email, password) if email and password else None

    user = await run_in_threadpool(check)
    if user is None:
        await run_in_threadpool(limiter.failed, email, ip)
        return render(request, "login.html", status_code=401, next=target, email=email,
                      error="That e-mail and password do not match an account. Check both and try again.")
    await run_in_threadpool(limiter.succeeded, email, ip)
    # a new session on every sign-in: nothing from before it (a planted cookie, an old CSRF token) carries over
    request.session.clear()
    request.session.update(uid=user.id, org=user.org_id, csrf=secrets.token_urlsafe(32),
                           sid=secrets.token_urlsafe(16))
    return redirect(target)


@router.post("/logout")
def logout(request: Request, form=Form):  # noqa: ANN001, ANN201
    request.session.clear()
    flash(request, "You are signed out.")
    return redirect("/login")
