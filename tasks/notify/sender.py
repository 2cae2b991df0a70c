"""Sending prepared messages through Apprise: the adapter, URL references, and concurrent fan-out.

``Sender`` is the small protocol delivery code talks to; ``AppriseSender`` is the real one and
tests use a hand-written fake (``tests/support/fake_sender.py``). Apprise does not retry a failed
POST: retries are the caller's (the delivery task's decorator, see ``tasks.notify.outbox``).
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
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


class _PooledRequests:
    """``requests`` as an Apprise plugin module sees it, with one keep-alive ``Session`` per thread.

    Apprise's plugins call ``requests.request``/``post``/``get`` and take no session (checked against
    Apprise 2.0.1's API: neither ``AppriseAsset`` nor the plugins accept one), so every message opened
    a new ``Session``, a new pool and a new TCP (and TLS) connection, then tore them down. This stands
    in for the ``requests`` name of the plugin modules we send through (``share_connections``): the
    same calls with the same arguments, through a session kept per thread (sessions are not shared
    across threads), its cookies dropped after each call so no message carries another's state.
    Everything else (exceptions, ``codes``, ``Session``) is the real module.
    """

    _VERBS = ("request", "get", "post", "put", "patch", "delete", "head", "options")

    def __init__(self, real: Any) -> None:
        self._real = real
        self._local = threading.local()

    def __getattr__(self, name: str) -> Any:
        if name in self._VERBS:
            return lambda *args, **kwargs: self._call(name, *args, **kwargs)
        return getattr(self._real, name)

    def _session(self) -> Any:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = _session_class(self._real)()
        return session

    def _call(self, verb: str, *args: Any, **kwargs: Any) -> Any:
        session = self._session()
        if verb in ("get", "options"):
            kwargs.setdefault("allow_redirects", True)
        elif verb == "head":
            kwargs.setdefault("allow_redirects", False)
        try:
            return getattr(session, verb)(*args, **kwargs)
        finally:
            session.cookies.clear()


_session_classes: dict[int, type] = {}


def _session_class(requests: Any) -> type:
    """A ``requests.Session`` that reads the environment's proxy, CA and netrc settings once per host.

    ``trust_env`` sessions scan every environment variable twice per request (``HTTP_PROXY``,
    ``NO_PROXY``…), about a quarter of a send's remaining CPU, and look for a ``~/.netrc`` file on disk
    for every request without credentials. The answers for one scheme and host do not change during a
    sending thread's life, so the session keeps them; a new thread (the next sweep) reads them again.
    """
    if id(requests) not in _session_classes:

        class EnvironmentOnceSession(requests.Session):  # type: ignore[misc]
            def __init__(self) -> None:
                super().__init__()
                self._environment: dict[tuple[Any, ...], dict[str, Any]] = {}
                self._netrc: dict[tuple[str, str], Any] = {}

            def prepare_request(self, request: Any) -> Any:
                if not getattr(self, "trust_env", True) or request.auth or self.auth:
                    return super().prepare_request(request)
                from urllib.parse import urlsplit

                url = request.url.decode() if isinstance(request.url, bytes) else str(request.url)
                parts = urlsplit(url)
                key = (parts.scheme, parts.netloc)
                if key not in self._netrc:
                    self._netrc[key] = requests.utils.get_netrc_auth(url)
                request.auth = self._netrc[key]
                self.trust_env = False  # this thread's session: the netrc answer is given above
                try:
                    return super().prepare_request(request)
                finally:
                    self.trust_env = True

            def merge_environment_settings(
                self, url: str, proxies: Any, stream: Any, verify: Any, cert: Any
            ) -> dict[str, Any]:
                from urllib.parse import urlsplit

                if proxies or not isinstance(verify, bool | None) or not isinstance(cert, str | None):
                    merged: dict[str, Any] = super().merge_environment_settings(
                        url, proxies, stream, verify, cert
                    )
                    return merged
                parts = urlsplit(url)
                key = (parts.scheme, parts.netloc, stream, verify, cert)
                if key not in self._environment:
                    self._environment[key] = super().merge_environment_settings(url, {}, stream, verify, cert)
                settings = dict(self._environment[key])
                settings["proxies"] = dict(settings["proxies"])
                return settings

        _session_classes[id(requests)] = EnvironmentOnceSession
    return _session_classes[id(requests)]


_pooled_requests: _PooledRequests | None = None
_pooled_lock = threading.Lock()


def share_connections(plugin: Any) -> None:
    """Route ``plugin``'s module's ``requests`` calls through per-thread keep-alive sessions (idempotent)."""
    import sys

    import requests

    global _pooled_requests
    module = sys.modules.get(type(plugin).__module__)
    if module is None or getattr(module, "requests", None) is not requests:
        return  # no module-level requests (or already shared): leave the plugin as it is
    with _pooled_lock:
        if _pooled_requests is None:
            _pooled_requests = _PooledRequests(requests)
        module.requests = _pooled_requests  # type: ignore[attr-defined]


class NotifierCache:
    """Idle ``Apprise`` objects per resolved URL, so a send does not parse its URL again (bounded, thread-safe).

    Parsing a URL into its plugin (``Apprise.add``) was a fifth of a send's CPU. An ``Apprise`` object is
    used by one thread at a time (the key header is set on its plugin per message), so each URL keeps a
    short list of idle ones: a send takes one or builds one, and puts it back when it delivered.
    The key is the resolved URL itself, so a changed ``env:``/``secret:`` value (or a changed contact
    URL) is a new key and never reuses the old plugin. The least recently used URLs are dropped first.
    """

    def __init__(self, max_urls: int = 2048, idle_per_url: int = 8, share_connections: bool = True) -> None:
        self.share_connections = share_connections
        self.max_urls = max_urls
        self.idle_per_url = idle_per_url
        self._idle: OrderedDict[str, list[Any]] = OrderedDict()
        self._lock = threading.Lock()
        self.built = 0  # Apprise objects built (parsed URLs), for tests and the bench

    def take(self, url: str) -> Any | None:
        """An idle notifier for ``url``, or a new one; None when Apprise cannot load the URL."""
        with self._lock:
            idle = self._idle.get(url)
            if idle:
                self._idle.move_to_end(url)
                notifier = idle.pop()
                for plugin in notifier:
                    # A new plugin never throttles its first request; neither does a reused one.
                    plugin._last_io_datetime = None
                return notifier
        import apprise

        notifier = apprise.Apprise(asset=direct_asset())
        if not notifier.add(url):
            return None
        if self.share_connections:
            for plugin in notifier:
                share_connections(plugin)
        with self._lock:
            self.built += 1
        return notifier

    def give_back(self, url: str, notifier: Any) -> None:
        """Keep ``notifier`` for the next send to ``url`` (dropped when the URL already has enough idle)."""
        with self._lock:
            idle = self._idle.setdefault(url, [])
            self._idle.move_to_end(url)
            if len(idle) < self.idle_per_url:
                idle.append(notifier)
            while len(self._idle) > self.max_urls:
                self._idle.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._idle.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._idle)


_notifiers = NotifierCache()


@dataclass
class AppriseSender:
    """Delivers through Apprise, reusing parsed notifiers per resolved URL (``NotifierCache``).

    JSON/XML/form webhooks and e-mail carry the message's key in an ``X-Zhenggai-Key`` header, so a
    receiver can recognise a message it has seen.
    """

    secret_loader: Callable[[str], str] | None = None
    notifiers: NotifierCache = field(default_factory=lambda: _notifiers, repr=False)
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
        notifier = self.notifiers.take(url)
        if notifier is None:
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
            # Only a notifier that just delivered is kept: whatever state a failure (or a plugin bug,
            # which Apprise reports as a failure) left in it goes with it, and the retry parses afresh.
            self.notifiers.give_back(url, notifier)
            return SendResult(True)
        return SendResult(False, redact(_errors(result))[-1000:] or "Apprise reported a failure")

    def resolve(self, url: str) -> str:
        """The Apprise URL behind ``url`` as this sender resolves it (``resolve_url``, Secret blocks cached):
        the outbox reads a reference's scheme and endpoint this way at claim, for its rate limit."""
        resolved = resolve_url(url, self._cached_secret)
        if resolved != url:
            remember_secret(resolved)
        return resolved

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
