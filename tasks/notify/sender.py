"""Sending prepared messages through Apprise: the adapter, URL references, and concurrent fan-out.

``Sender`` is the small protocol delivery code talks to; ``AppriseSender`` is the real one and
tests use a hand-written fake (``tests/support/fake_sender.py``). Apprise does not retry a failed
POST: retries are the caller's (the delivery task's decorator, see ``tasks.notify.outbox``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

from models.errors import UnresolvedUrl, ZhenggaiError
from models.settings import get_settings
from models.urls import ENV_REFERENCE, SECRET_REFERENCE, is_url_reference, mask_url
from tasks.notify.redact import install_redaction, redact, remember_secret

KEY_HEADER = "X-Zhenggai-Key"


def direct_asset() -> Any:
    """An Apprise asset that sends in the calling thread.

    Apprise 2 otherwise hands every notify() to one process-wide pool of min(32, cores + 4) threads
    (6 on two cores), whatever our own concurrency; each HTTP request keeps its own timeouts.
    """
    import apprise

    return apprise.AppriseAsset(service_timeout=0)


@dataclass(frozen=True)
class PreparedMessage:
    """A rendered message ready to send: the URL (or reference), subject, body and idempotency key."""

    key: str
    url: str
    title: str
    body: str


@dataclass(frozen=True)
class SendResult:
    ok: bool
    error: str = ""


class Sender(Protocol):
    """Sends one message to one URL; never raises for a delivery failure, returns it."""

    def send(self, message: PreparedMessage) -> SendResult: ...


def resolve_url(url: str, secret_loader: Callable[[str], str] | None = None) -> str:
    """The Apprise URL behind ``url``: itself, an environment secret (``env:``, read through
    ``Settings.environment_secret``) or a Prefect Secret block (``secret:``)."""
    if not is_url_reference(url):
        return url
    if match := ENV_REFERENCE.match(url):
        value = get_settings().environment_secret(match.group(1))
        if not value:
            raise UnresolvedUrl(f"{url}: the environment variable {match.group(1)} is not set")
        return value
    if match := SECRET_REFERENCE.match(url):
        loader = secret_loader or _load_prefect_secret
        try:
            return loader(match.group(1))
        except ZhenggaiError:
            raise
        except Exception as exc:  # the block is missing, or the API is unreachable
            raise UnresolvedUrl(f"{url}: cannot load the Prefect Secret block: {exc}") from exc
    raise UnresolvedUrl(f"{url}: not an env:NAME or secret:BLOCK reference")


def _load_prefect_secret(name: str) -> str:
    from prefect.blocks.system import Secret

    value = Secret.load(name).get()  # type: ignore[union-attr]
    return str(value)


def _errors(result: Any) -> str:
    """The warnings Apprise logged for this call (Apprise 2 keeps them on the result)."""
    lines = []
    for service in result if result is not None else ():
        for attempt in service:
            for entry in attempt:
                level = getattr(entry, "level", logging.WARNING)
                if not isinstance(level, int) or level >= logging.WARNING:
                    lines.append(str(getattr(entry, "message", entry)))
    return "; ".join(lines)


@dataclass
class AppriseSender:
    """Delivers through Apprise, one ``Apprise`` object per message (they are not shared across threads).

    JSON/XML/form webhooks and e-mail carry the message's key in an ``X-Zhenggai-Key`` header, so a
    receiver can recognise a message it has seen.
    """

    secret_loader: Callable[[str], str] | None = None
    _secrets: dict[str, str] = field(default_factory=dict, repr=False)

    def send(self, message: PreparedMessage) -> SendResult:
        import apprise

        install_redaction()
        try:
            url = resolve_url(message.url, self._cached_secret)
        except UnresolvedUrl as exc:
            return SendResult(False, redact(str(exc)))
        if url != message.url:  # a resolved env:/secret: reference: never printed from now on
            remember_secret(url)
        notifier = apprise.Apprise(asset=direct_asset())
        if not notifier.add(url):
            return SendResult(False, f"Apprise cannot load the URL {mask_url(message.url)}")
        for plugin in notifier:
            headers = getattr(plugin, "headers", None)
            if isinstance(headers, dict):
                headers[KEY_HEADER] = message.key
        try:
            # Bodies are plain text: say so, or e-mail gets an HTML part whose plain twin loses the line breaks.
            result = notifier.notify(
                body=message.body, title=message.title, body_format=apprise.NotifyFormat.TEXT
            )
        except Exception as exc:  # a plugin bug must not take the whole fan-out down
            return SendResult(False, redact(f"{type(exc).__name__}: {exc}"))
        if result:
            return SendResult(True)
        return SendResult(False, redact(_errors(result))[-1000:] or "Apprise reported a failure")

    def _cached_secret(self, name: str) -> str:
        if name not in self._secrets:
            loader = self.secret_loader or _load_prefect_secret
            self._secrets[name] = loader(name)
        return self._secrets[name]


def fan_out(items: Iterable[Any], work: Callable[[Any], Any], concurrency: int) -> list[Any]:
    """``work`` over ``items`` with at most ``concurrency`` running at once; results in input order."""
    items = list(items)
    if concurrency <= 1 or len(items) <= 1:
        return [work(item) for item in items]
    with ThreadPoolExecutor(
        max_workers=min(concurrency, len(items)), thread_name_prefix="zhenggai-send"
    ) as pool:
        return list(pool.map(work, items))
