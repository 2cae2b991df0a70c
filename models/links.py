"""Signed values for the portal: sign-in links and session cookies (pure: the key is passed in).

A signed value is ``<token id>.<expiry, Unix seconds>.<signature>``: the HMAC-SHA256 (base64url) of the
purpose (``link`` or ``session``), the token id and the expiry. A link names no secret of its token, only
its id. Messages keep links masked (``….***``); the signature is recomputed from the key when sending.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime

LINK = "link"
SESSION = "session"
SIGN_IN_PATH = "/signin/"
MASK = "***"
_LINK_SIGNATURE = re.compile(r"(/signin/(\d+)\.(\d+)\.)([A-Za-z0-9_-]+|\*\*\*)")


def _signature(key: bytes, purpose: str, token_id: int, expires: int) -> str:
    mac = hmac.new(key, f"{purpose}.{token_id}.{expires}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode("ascii").rstrip("=")


def sign(key: bytes, purpose: str, token_id: int, expires_at: datetime) -> str:
    """``token_id`` signed for ``purpose`` until ``expires_at``."""
    expires = int(expires_at.timestamp())
    return f"{token_id}.{expires}.{_signature(key, purpose, token_id, expires)}"


@dataclass(frozen=True)
class Signed:
    """A verified signed value: the token it names and until when it holds."""

    token_id: int
    expires_at: datetime


class BadSignature(Exception):
    """A signed value that is malformed, forged or past its expiry; the message says which, in Chinese."""


def unsign(key: bytes, purpose: str, value: str, *, now: datetime) -> Signed:
    """The token id and expiry a signed value carries, or ``BadSignature``."""
    parts = (value or "").split(".")
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit() or len(value) > 200:
        raise BadSignature("链接不完整，请复制完整的登录链接")
    token_id, expires = int(parts[0]), int(parts[1])
    if not hmac.compare_digest(parts[2], _signature(key, purpose, token_id, expires)):
        raise BadSignature("链接无效，请向牵头部门索取新的登录链接")
    expires_at = datetime.fromtimestamp(expires, UTC)
    if expires_at <= now:
        raise BadSignature("链接已过期，请向牵头部门索取新的登录链接")
    return Signed(token_id, expires_at)


_ADDRESS = re.compile(r"https?://[^\s（）()，。；、]+")


def first_link(text: str) -> str:
    """The first address a message's text gives (a sign-in link, or a 督办单's page), cut clean of the words and
    full-width brackets around it ('' when there is none): what a daily digest lists for the item."""
    found = _ADDRESS.search(text)
    return found.group(0) if found else ""


def mask_links(text: str) -> str:
    """``text`` with the signature of every sign-in link in it masked (logs, the delivery log)."""
    return _LINK_SIGNATURE.sub(lambda m: m.group(1) + MASK, text)


def unmask_links(text: str, key: bytes, expires_at: datetime) -> str:
    """``text`` with every (masked) sign-in link signed again with ``key``, valid until ``expires_at``
    (a message held for working hours links for its whole lifetime from when it is sent)."""
    return _LINK_SIGNATURE.sub(lambda m: SIGN_IN_PATH + sign(key, LINK, int(m.group(2)), expires_at), text)
