"""No secret from a contact's URL is ever printed: one redaction filter on Apprise's and Prefect's loggers."""

from __future__ import annotations

import logging

import pytest

from tasks.notify.redact import install_redaction, redact, remember_secret
from tasks.notify.sender import AppriseSender, PreparedMessage

SECRET = "SECRETVALUE42"


def test_apprise_never_logs_the_token_of_a_malformed_env_url(
    caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZG_TEST_DINGTALK", f"dingtalk://bad$token${SECRET}")
    caplog.set_level(logging.DEBUG)

    result = AppriseSender().send(PreparedMessage("k-1", "env:ZG_TEST_DINGTALK", "标题", "正文"))

    assert not result.ok
    assert any(r.name == "apprise" and "***" in r.getMessage() for r in caplog.records)  # it did log
    captured = capsys.readouterr()
    assert SECRET not in caplog.text + captured.out + captured.err + result.error


def test_prefect_run_loggers_and_stored_errors_are_redacted(caplog: pytest.LogCaptureFixture) -> None:
    install_redaction()
    remember_secret(f"mailto://liaison:{SECRET}@smtp.example.org?to=a@example.org")
    caplog.set_level(logging.INFO)

    logging.getLogger("prefect.task_runs").warning("send failed for %s", f"mailto://liaison:{SECRET}@smtp")
    logging.getLogger("apprise").error("auth failed with password %s", SECRET)

    assert SECRET not in caplog.text and caplog.text.count("***") >= 2
    assert redact(f"error: {SECRET} refused") == "error: *** refused"
    assert redact("nothing secret here") == "nothing secret here"
