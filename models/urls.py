"""Contacts' Apprise URLs: references resolved at send time, and the one way a URL is shown (masked).

A contact's URL is an Apprise URL, or a reference resolved at send time: ``env:NAME`` (an
environment variable of the process that sends) or ``secret:BLOCK`` (a Prefect ``Secret`` block).
``mask_url`` is the only way a URL is shown or logged.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

ENV_REFERENCE = re.compile(r"^env:([A-Za-z_][A-Za-z0-9_]*)$")
SECRET_REFERENCE = re.compile(r"^secret:([a-z0-9][a-z0-9-]*)$")


def is_url_reference(url: str) -> bool:
    """Whether ``url`` names a secret to resolve at send time (``env:NAME`` or ``secret:BLOCK``)."""
    return url.startswith(("env:", "secret:"))


def url_reference_problem(url: str) -> str | None:
    """What is wrong with an ``env:``/``secret:`` reference's form (its value is checked at send time)."""
    if url.startswith("env:") and not ENV_REFERENCE.match(url):
        return "an env: reference names an environment variable: env:NAME (letters, digits, _)"
    if url.startswith("secret:") and not SECRET_REFERENCE.match(url):
        return "a secret: reference names a Prefect Secret block: secret:block-name (lowercase, digits, -)"
    return None


# Schemes whose URL names a host (an HTTP endpoint, a mail server): the host is shown. In every other
# Apprise scheme (dingtalk, tgram, wecombot, feishu…) the "host" is a token and is masked like the rest.
HOST_SCHEMES = frozenset(
    {"json", "jsons", "xml", "xmls", "form", "forms", "http", "https", "mailto", "mailtos"}
)


def _looks_like_host(name: str) -> bool:
    return name == "localhost" or ("." in name and re.fullmatch(r"[A-Za-z0-9.\-]+", name) is not None)


def mask_url(url: str) -> str:
    """A URL fit to show or log: the scheme kept, the host of an HTTP or mail endpoint kept, the
    domain of an e-mail recipient kept; credentials, tokens, keys, paths and query values fully masked.

    ``mailto://user:pass@qq.com?to=a@b.cn`` → ``mailto://…@qq.com?to=…@b.cn``;
    ``json://127.0.0.1:8089/hook`` → ``json://127.0.0.1:8089/…``;
    ``dingtalk://abcdef123/secret`` → ``dingtalk://…/…``; ``env:NAME`` is shown as written.
    """
    if is_url_reference(url):
        return url
    if "://" not in url:
        return "…"
    scheme = url.split("://", 1)[0]
    try:
        parts = urlsplit(url)
    except ValueError:
        return scheme + "://…"
    netloc = parts.netloc
    creds = ""
    if "@" in netloc:
        creds, netloc = netloc.rsplit("@", 1)
    host_name, _, port = netloc.partition(":")
    shown_host = "…"
    if scheme.lower() in HOST_SCHEMES and _looks_like_host(host_name):
        shown_host = host_name + (f":{port}" if port.isdigit() else (":…" if port else ""))
    out = f"{scheme}://" + ("…@" if creds else "") + shown_host
    if any(s for s in parts.path.split("/")):
        out += "/…"
    shown_query = []
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        if name.lower() in ("to", "cc", "bcc"):
            for address in value.split(","):
                _, at, domain = address.strip().rpartition("@")
                shown_query.append(f"{name}=…@{domain}" if at and _looks_like_host(domain) else f"{name}=…")
    if shown_query:
        out += "?" + "&".join(shown_query)
    elif parts.query:
        out += "?…"
    return out


def channel_of(url: str) -> str:
    """The Apprise scheme of a URL (``mailto``, ``json``, ``dingtalk``…), or the reference kind."""
    if is_url_reference(url):
        return url.split(":", 1)[0]
    return url.split("://", 1)[0].lower() if "://" in url else "unknown"
