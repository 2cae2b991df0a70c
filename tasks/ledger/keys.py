"""The portal's signing key (kept in the ledger, created on first use) and sign-in links for messages.

Every process (the web app, ``serve``, workers) reads the same key, so a link made by one works in all.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models.enums import TokenRole
from models.links import LINK, SIGN_IN_PATH, mask_links, sign
from models.settings import Settings
from models.tables import ApiToken, SigningKey

KEY_NAME = "portal"
MESSAGES_LABEL = "消息链接"


def signing_key(session: Session, *, now: datetime) -> bytes:
    """The portal's key, created (and flushed) on first use; two processes racing agree on one."""
    row = session.get(SigningKey, KEY_NAME)
    if row is None:
        try:
            with session.begin_nested():
                session.add(SigningKey(name=KEY_NAME, secret=secrets.token_urlsafe(32), created_at=now))
        except IntegrityError:
            pass
        row = session.get(SigningKey, KEY_NAME)
        assert row is not None
    return row.secret.encode("utf-8")


def messages_token(
    session: Session, unit_id: int, *, now: datetime, lifetime: timedelta, needed: timedelta
) -> int:
    """The id of the unit's token for links in messages: a live one valid for ``needed`` more, else a new
    one living ``lifetime`` (its secret is thrown away: it works only through signed links)."""
    found = session.scalar(
        select(ApiToken.id)
        .where(
            ApiToken.unit_id == unit_id,
            ApiToken.role == TokenRole.UNIT,
            ApiToken.label == MESSAGES_LABEL,
            ApiToken.revoked_at.is_(None),
            ApiToken.expires_at > now + needed,
        )
        .order_by(ApiToken.expires_at.desc())
        .limit(1)
    )
    if found is not None:
        return int(found)
    token = ApiToken(
        token_hash=hashlib.sha256(secrets.token_bytes(32)).hexdigest(),
        role=TokenRole.UNIT,
        unit_id=unit_id,
        label=MESSAGES_LABEL,
        created_at=now,
        expires_at=now + lifetime,
    )
    session.add(token)
    session.flush()
    return token.id


def link_for(
    key: bytes,
    settings: Settings,
    token_id: int,
    *,
    now: datetime,
    token_expires: datetime | None,
    path: str = "",
) -> str:
    """A sign-in link on the public URL, valid for ``link_ttl`` (not past the token), going to ``path``."""
    if not settings.public_url:
        raise ValueError("no public URL: set ZHENGGAI_PUBLIC_URL")
    expires_at = now + settings.link_ttl
    if token_expires is not None:
        expires_at = min(expires_at, token_expires)
    suffix = f"?next={path}" if path else ""
    return f"{settings.public_url}{SIGN_IN_PATH}{sign(key, LINK, token_id, expires_at)}{suffix}"


def masked_message_link(
    session: Session,
    settings: Settings,
    unit_id: int,
    measure_code: str,
    *,
    now: datetime,
    path: str | None = None,
) -> str:
    """The masked sign-in link a message to a unit carries to a measure's page, or to ``path`` (a 督办单's
    page), signed again when sent."""
    lifetime = timedelta(days=settings.unit_token_days)
    token_id = messages_token(session, unit_id, now=now, lifetime=lifetime, needed=settings.link_ttl)
    token = session.get(ApiToken, token_id)
    assert token is not None
    key = signing_key(session, now=now)
    return mask_links(
        link_for(
            key,
            settings,
            token_id,
            now=now,
            token_expires=token.expires_at,
            path=path or f"/m/{measure_code}",
        )
    )
