"""API bearer tokens: issue one (shown once), revoke it, verify a presented one.

A token expires: unit tokens after ``unit_token_days`` (180), coordinator and leader tokens after
``role_token_days`` (30), unless issued with another lifetime. Tokens issued before expiry existed
(``expires_at`` empty) do not expire.

Only the SHA-256 of a token is stored. A token is ``zg_`` followed by 43 URL-safe characters
(256 random bits), so a stolen database gives nothing to present and hashes need no salt.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.enums import TokenRole
from models.errors import InvalidTokenRequest, UnknownToken, UnknownUnit
from models.tables import ApiToken, Unit, utcnow

TOKEN_PREFIX = "zg_"
# last_used_at is a convenience, not an audit log: refresh it at most this often (fewer writes).
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class Principal:
    """Who a verified token speaks for; what the API checks permissions against."""

    token_id: int
    role: TokenRole
    label: str
    unit_id: int | None = None
    unit_code: str | None = None
    expires_at: datetime | None = None

    @property
    def display(self) -> str:
        """How logs and history name the caller (never the token itself)."""
        return f"token #{self.token_id} '{self.label}'"


@dataclass(frozen=True)
class IssuedToken:
    """A freshly issued token: ``secret`` is shown once and never stored."""

    secret: str
    token_id: int
    role: TokenRole
    label: str
    unit_code: str | None
    expires_at: datetime | None = None


def default_lifetime(role: TokenRole, *, unit_days: int, role_days: int) -> timedelta:
    """How long a token lives unless issued otherwise: units ``unit_days``, other roles ``role_days``."""
    return timedelta(days=unit_days if role == TokenRole.UNIT else role_days)


def hash_token(secret: str) -> str:
    """The stored form of a token: hex SHA-256 of its UTF-8 bytes."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def issue_token(
    session: Session,
    *,
    role: TokenRole,
    unit_code: str | None = None,
    label: str | None = None,
    now: datetime,
    expires_at: datetime | None = None,
) -> IssuedToken:
    """Create a token for a unit (role ``unit``) or for a coordinator or leader, working until
    ``expires_at`` (None: never). The caller commits."""
    unit: Unit | None = None
    if role == TokenRole.UNIT:
        if not unit_code:
            raise InvalidTokenRequest("a unit token needs --unit")
        unit = session.scalar(select(Unit).where(Unit.code == unit_code))
        if unit is None:
            raise UnknownUnit(f"no unit '{unit_code}'")
    elif unit_code:
        raise InvalidTokenRequest(f"a {role.value} token is not tied to a unit: leave out --unit")
    label = (label or "").strip() or (unit.code if unit else role.value)
    if len(label) > 100:
        raise InvalidTokenRequest("a token label has at most 100 characters")
    if expires_at is not None and expires_at <= now:
        raise InvalidTokenRequest("a token must expire after it is issued: give a later --expires")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        token_hash=hash_token(secret),
        role=role,
        unit=unit,
        label=label,
        created_at=now,
        expires_at=expires_at,
    )
    session.add(token)
    session.flush()
    return IssuedToken(
        secret=secret, token_id=token.id, role=role, label=label, unit_code=unit_code, expires_at=expires_at
    )


def find_token(session: Session, ref: str) -> ApiToken:
    """A live token by id (``7`` or ``#7``) or by label; a label must name exactly one live token."""
    ident = ref.strip().lstrip("#")
    live = select(ApiToken).where(ApiToken.revoked_at.is_(None))
    if ident.isdigit():
        token = session.scalar(live.where(ApiToken.id == int(ident)))
        if token is not None:
            return token
    matches = list(session.scalars(live.where(ApiToken.label == ref.strip())))
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        ids = ", ".join(f"#{t.id}" for t in matches)
        raise UnknownToken(f"{len(matches)} live tokens are labelled '{ref}' ({ids}): revoke one by id")
    raise UnknownToken(f"no live token '{ref}'")


def revoke_token(session: Session, ref: str, *, now: datetime) -> ApiToken:
    """Revoke a live token by id or label; it stops working at once. The caller commits."""
    token = find_token(session, ref)
    token.revoked_at = now
    session.flush()
    return token


def list_tokens(session: Session, *, include_revoked: bool = False) -> list[ApiToken]:
    """Tokens with their labels, roles and units (never a secret: none is stored)."""
    query = select(ApiToken).order_by(ApiToken.id)
    if not include_revoked:
        query = query.where(ApiToken.revoked_at.is_(None))
    return list(session.scalars(query))


def verify_token(session: Session, secret: str | None, *, now: datetime) -> Principal | None:
    """The principal of a live token, or None for a missing, unknown or revoked one.

    Refreshes ``last_used_at`` (at most once a minute); the caller commits.
    """
    if not secret or not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    digest = hash_token(secret)
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == digest))
    # The lookup is by hash; compare again in constant time for good measure.
    if token is None or not hmac.compare_digest(token.token_hash, digest):
        return None
    return principal_of(token, now=now)


def is_expired(token: ApiToken, now: datetime) -> bool:
    """Whether the token's lifetime is over at ``now``."""
    return token.expires_at is not None and token.expires_at <= now


def principal_of(token: ApiToken, *, now: datetime) -> Principal | None:
    """The principal of a stored token when it is live at ``now`` (not revoked, not expired, its unit
    still there), refreshing ``last_used_at``; None otherwise. The caller commits."""
    if token.revoked_at is not None or is_expired(token, now):
        return None
    if token.role == TokenRole.UNIT and token.unit is None:
        return None  # a unit token whose unit is gone speaks for no one
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        token.last_used_at = now
    return Principal(
        token_id=token.id,
        role=token.role,
        label=token.label,
        unit_id=token.unit_id,
        unit_code=token.unit.code if token.unit else None,
        expires_at=token.expires_at,
    )


def refusal_reason(session: Session, secret: str | None, *, now: datetime) -> str:
    """Why a presented token does not verify, in the words a 401 answers with (no secret, no label)."""
    if not secret:
        return "no token"
    token = None
    if secret.startswith(TOKEN_PREFIX) and len(secret) <= 200:
        token = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(secret)))
    if token is None:
        return "the token is unknown"
    return live_problem(token, now) or "the token is unknown"


def live_problem(token: ApiToken, now: datetime) -> str | None:
    """What stops a stored token from working at ``now`` (revoked, expired, unit removed), or None."""
    if token.revoked_at is not None:
        return "the token was revoked"
    if token.expires_at is not None and token.expires_at <= now:
        return f"the token expired at {token.expires_at.isoformat(timespec='seconds')}"
    if token.role == TokenRole.UNIT and token.unit is None:
        return "the token's unit was removed"
    return None


def describe_refused(session: Session, secret: str | None, now: datetime | None = None) -> str:
    """How logs name a token that did not verify: a revoked or expired token by id and label, else its absence."""
    if not secret:
        return "no token"
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return "malformed token"
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(secret)))
    if token is None:
        return "unknown token"
    if token.revoked_at is not None:
        return f"revoked token #{token.id} '{token.label}'"
    if token.expires_at is not None and token.expires_at <= (now or utcnow()):
        return f"expired token #{token.id} '{token.label}'"
    return f"token #{token.id} '{token.label}' of a removed unit"
