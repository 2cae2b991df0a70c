"""The portal's signed-in unit: the session cookie, its CSRF token, and the templates every page uses.

A page depends on ``SignedIn``: the cookie is checked (signature, expiry) and so is its token (not
revoked, not expired) on every request; without a live session the page redirects to ``/signin``.
Every POST checks the form's CSRF token and refuses a browser's ``Sec-Fetch-Site: cross-site``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.templating import Jinja2Templates
from starlette.datastructures import FormData

from flows.web.deps import Db
from models.enums import TokenRole
from models.rules import format_chinese_day
from models.settings import Settings
from models.tables import utcnow
from tasks.reports.access import may_use_desk, unit_name_of
from tasks.reports.signin import check_csrf, csrf_token, session_principal, signing_key
from tasks.reports.tokens import Principal

SESSION_COOKIE = "zg_session"
SIGNIN_COOKIE = "zg_signin"  # the sign-in form's CSRF secret before there is a session
WEB = Path(__file__).resolve().parents[1]  # flows/web: templates/ and static/


class SignInRequired(Exception):
    """No live session: the page answers with a redirect to the sign-in page."""


class DeskOnly(Exception):
    """A coordinator's or leader's session on a unit's page: the page answers with a redirect to ``/desk``."""


class PortalOnly(Exception):
    """A unit's session on a desk page: the page answers with a redirect to 我的任务."""


class CsrfRefused(Exception):
    """A form post without the session's CSRF token, or from another site."""


def make_templates(settings: Settings) -> Jinja2Templates:
    """The page templates, with date filters in the configured zone: ``cnday`` (2026年12月3日（周四）)
    and ``cntime`` (2026年12月3日（周四）14:05)."""
    templates = Jinja2Templates(directory=WEB / "templates")
    clock = settings.clock()

    def cnday(day: date | None) -> str:
        return format_chinese_day(day) if day else ""

    def cntime(moment: datetime | None) -> str:
        if moment is None:
            return ""
        local = clock.local(moment)
        return f"{format_chinese_day(local.date())}{local:%H:%M}"

    templates.env.filters["cnday"] = cnday
    templates.env.filters["cntime"] = cntime
    return templates


@dataclass(frozen=True)
class Visitor:
    """A signed-in unit on the portal."""

    principal: Principal
    session_value: str
    csrf: str
    unit_name: str


def cookie_options(settings: Settings) -> dict[str, Any]:
    """HttpOnly, SameSite=Lax, Secure when the public URL is https."""
    return {"httponly": True, "samesite": "lax", "secure": settings.public_https, "path": "/"}


def signed_in(request: Request, db: Db) -> Visitor:
    """The signed-in unit, or ``SignInRequired`` (``DeskOnly`` for a coordinator or leader)."""
    visitor = _session_visitor(request, db)
    if may_use_desk(visitor.principal):
        raise DeskOnly
    if visitor.principal.unit_code is None:
        raise SignInRequired
    return visitor


def desk_signed_in(request: Request, db: Db) -> Visitor:
    """The signed-in coordinator or leader, or ``SignInRequired`` (``PortalOnly`` for a unit)."""
    visitor = _session_visitor(request, db)
    if not may_use_desk(visitor.principal):
        raise PortalOnly
    return visitor


def _session_visitor(request: Request, db: Db) -> Visitor:
    value = request.cookies.get(SESSION_COOKIE)
    if not value:
        raise SignInRequired
    now = utcnow()
    with db.unit_of_work() as session:
        principal = session_principal(session, value, now=now)
        key = signing_key(session, now=now)
        unit_name = ""
        if principal is not None and principal.unit_id is not None:
            unit_name = unit_name_of(session, principal.unit_id)
        session.commit()
    if principal is None:
        raise SignInRequired
    if may_use_desk(principal):
        unit_name = ROLE_NAMES.get(principal.role, "")
    request.state.principal = principal
    return Visitor(principal, value, csrf_token(key, value), unit_name)


SignedIn = Annotated[Visitor, Depends(signed_in)]
DeskSignedIn = Annotated[Visitor, Depends(desk_signed_in)]


def anyone_signed_in(request: Request, db: Db) -> Visitor:
    """Whoever is signed in: a unit, a coordinator or a leader (sign-out)."""
    return _session_visitor(request, db)


AnyoneSignedIn = Annotated[Visitor, Depends(anyone_signed_in)]
ROLE_NAMES = {TokenRole.COORDINATOR: "督查督办", TokenRole.LEADER: "领导（查阅、签发通报）"}


def check_form(request: Request, db: Db, visitor: Visitor, given: str | None) -> None:
    """Refuse a post from another site or without the session's CSRF token."""
    if request.headers.get("sec-fetch-site") == "cross-site":
        raise CsrfRefused
    with db.unit_of_work() as session:
        key = signing_key(session, now=utcnow())
        session.commit()
    if not check_csrf(key, visitor.session_value, given):
        raise CsrfRefused


async def posted_form(request: Request, db: Db, visitor: Visitor) -> FormData:
    """The posted form, once its CSRF token is checked (``check_form``)."""
    form = await request.form()
    check_form(request, db, visitor, str(form.get("csrf") or ""))
    return form


def signin_secret(request: Request) -> tuple[str, bool]:
    """The sign-in form's CSRF secret (double-submitted: a cookie and a hidden field), and whether it is new."""
    existing = request.cookies.get(SIGNIN_COOKIE)
    if existing and 20 <= len(existing) <= 100:
        return existing, False
    return secrets.token_urlsafe(24), True


def page_context(
    request: Request, config: Settings, visitor: Visitor | None, **values: Any
) -> dict[str, Any]:
    """What every page template reads."""
    return {
        "request": request,
        "unit_name": visitor.unit_name if visitor else "",
        "desk": bool(visitor and may_use_desk(visitor.principal)),
        "csrf": visitor.csrf if visitor else "",
        **values,
    }
