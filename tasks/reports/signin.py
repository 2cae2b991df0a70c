"""Portal sign-in: HMAC-signed links and session cookies, and the CSRF token of a session's forms.

The key lives in the ledger (``SigningKey`` ``portal``, 256 random bits, created on first use), so the
web app, ``serve`` and workers all sign and verify alike and a restart signs nobody out.

A signed value is ``<token id>.<expiry, Unix seconds>.<signature>``: the signature is the HMAC-SHA256,
base64url, of the purpose (``link`` or ``session``), the token id and the expiry. A link names no secret
of the token, only its id, and works (any number of times, so a chat app's link preview does not use it
up) until its expiry or until its token is revoked or expires. A session ends at the earliest of its own
expiry (``session_ttl``), its token's expiry and the token's revocation: every request checks the token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from models.links import LINK, SESSION, BadSignature, Signed, mask_links, sign, unsign
from models.settings import Settings
from models.tables import ApiToken
from tasks.ledger.keys import link_for, signing_key
from tasks.reports.tokens import Principal, live_problem, principal_of

__all__ = ["LINK", "SESSION", "BadSignature", "Signed", "mask_links", "sign", "signing_key", "unsign"]


def sign_in_link(
    session: Session, settings: Settings, token_id: int, *, now: datetime, path: str = ""
) -> str:
    """The sign-in link of a token: on the public URL, valid for ``link_ttl`` (not past the token)."""
    token = session.get(ApiToken, token_id)
    if token is None:
        raise ValueError(f"no token #{token_id}")
    key = signing_key(session, now=now)
    return link_for(key, settings, token_id, now=now, token_expires=token.expires_at, path=path)


def _live_token(session: Session, token_id: int, *, now: datetime) -> ApiToken:
    token = session.scalar(
        select(ApiToken).where(ApiToken.id == token_id).options(selectinload(ApiToken.unit))
    )
    if token is None:
        raise BadSignature("登录凭证不存在，请向牵头部门索取新的登录链接")
    problem = live_problem(token, now)
    if problem == "the token was revoked":
        raise BadSignature("登录凭证已被收回，请向牵头部门索取新的登录链接")
    if problem is not None and "expired" in problem:
        raise BadSignature("登录凭证已过期，请向牵头部门索取新的登录链接")
    if problem is not None:
        raise BadSignature("登录凭证已失效，请向牵头部门索取新的登录链接")
    return token


def session_for_link(
    session: Session, settings: Settings, value: str, *, now: datetime
) -> tuple[str, datetime]:
    """A session cookie for a valid sign-in link (its value and expiry), or ``BadSignature``."""
    key = signing_key(session, now=now)
    signed = unsign(key, LINK, value, now=now)
    token = _live_token(session, signed.token_id, now=now)
    return start_session(key, token, settings.session_ttl, now=now)


def session_for_token(
    session: Session, settings: Settings, token_id: int, *, now: datetime
) -> tuple[str, datetime]:
    """A session cookie for a live token (a pasted one), or ``BadSignature``."""
    token = _live_token(session, token_id, now=now)
    return start_session(signing_key(session, now=now), token, settings.session_ttl, now=now)


def start_session(key: bytes, token: ApiToken, ttl: timedelta, *, now: datetime) -> tuple[str, datetime]:
    """A session cookie value for a live token, ending at ``now + ttl`` or the token's expiry."""
    expires_at = now + ttl
    if token.expires_at is not None:
        expires_at = min(expires_at, token.expires_at)
    return sign(key, SESSION, token.id, expires_at), expires_at


def session_principal(session: Session, value: str | None, *, now: datetime) -> Principal | None:
    """Who a session cookie speaks for while it and its token are live; None otherwise. The caller commits."""
    if not value:
        return None
    key = signing_key(session, now=now)
    try:
        signed = unsign(key, SESSION, value, now=now)
        token = _live_token(session, signed.token_id, now=now)
    except BadSignature:
        return None
    return principal_of(token, now=now)


def csrf_token(key: bytes, session_value: str) -> str:
    """The CSRF token of a session's forms: bound to its cookie, so another site cannot know it."""
    mac = hmac.new(key, f"csrf.{session_value}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode("ascii").rstrip("=")


def check_csrf(key: bytes, session_value: str, given: str | None) -> bool:
    """Whether a form's CSRF token is the session's."""
    return bool(given) and hmac.compare_digest(csrf_token(key, session_value), given or "")
