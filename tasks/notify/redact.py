"""One redaction filter for every logger that may print a contact's secret URL.

A contact's ``env:``/``secret:`` reference is resolved at send time into an Apprise URL that holds a token
or a password. Apprise logs what it cannot parse (``An invalid DingTalk API Token (bad$token$SECRET)``)
and Prefect's run loggers forward what tasks log: ``install_redaction`` puts one ``SecretRedactor`` on
Apprise's logger, Prefect's run loggers and the handlers already attached to them and to the root
logger, and ``remember_secret`` tells it each resolved URL. ``redact`` is the same rule for text stored
or printed (a delivery's error).
"""

from __future__ import annotations

import logging
import re
import threading

MASK = "***"
_MIN_PIECE = 6  # pieces shorter than this (ports, "https", "bot") are not secret on their own

_lock = threading.Lock()
_secrets: set[str] = set()
_pattern: re.Pattern[str] | None = None


def remember_secret(resolved_url: str) -> None:
    """Redact ``resolved_url`` and each piece of it (tokens, passwords, path and query values) from now on."""
    after_scheme = resolved_url.split("://", 1)[-1]
    pieces = {resolved_url, after_scheme}
    pieces.update(p for p in re.split(r"[/:@?&=#,;$\s]+", after_scheme) if len(p) >= _MIN_PIECE)
    global _pattern
    with _lock:
        before = len(_secrets)
        _secrets.update(p for p in pieces if p)
        if len(_secrets) != before:
            ordered = sorted(_secrets, key=len, reverse=True)  # the whole URL before its pieces
            _pattern = re.compile("|".join(re.escape(s) for s in ordered))


def redact(text: str) -> str:
    """``text`` with every remembered secret replaced by ``***``."""
    pattern = _pattern
    if pattern is None or not text:
        return text
    return pattern.sub(MASK, text)


class SecretRedactor(logging.Filter):
    """Rewrites a record's message with the secrets masked (never drops a record)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if _pattern is None:
            return True
        try:
            message = record.getMessage()
        except Exception:  # a record whose arguments do not format: leave it to the handler
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and record.exc_info[1] is not None:
            text = redact(str(record.exc_info[1]))
            if text != str(record.exc_info[1]):
                record.msg = f"{record.msg} ({type(record.exc_info[1]).__name__}: {text})"
                record.exc_info = None
                record.exc_text = None
        return True


REDACTED_LOGGERS = ("apprise", "prefect.flow_runs", "prefect.task_runs", "zhenggai")
_redactor = SecretRedactor()


def install_redaction() -> SecretRedactor:
    """Put the one redactor on the loggers that may print a resolved URL and on their handlers (idempotent)."""
    names = (*REDACTED_LOGGERS, "prefect", "")
    for name in names:
        logger = logging.getLogger(name)
        if name in REDACTED_LOGGERS and _redactor not in logger.filters:
            logger.addFilter(_redactor)
        for handler in logger.handlers:
            if _redactor not in handler.filters:
                handler.addFilter(_redactor)
    return _redactor
