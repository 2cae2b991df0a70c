"""Contacts' URLs: references resolved at send time, and masking (models.urls)."""

from __future__ import annotations

import pytest

from models.urls import is_url_reference, mask_url, url_reference_problem


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("mailto://user:secret@qq.com?to=jiedao@example.org", "mailto://…@qq.com?to=…@example.org"),
        ("mailto://jiedao@example.org", "mailto://…@example.org"),
        (
            "mailto://127.0.0.1:2525?from=z@example.org&to=ab@example.org,cd@example.net",
            "mailto://127.0.0.1:2525?to=…@example.org&to=…@example.net",
        ),
        ("dingtalk://abcdef0123456789/SECsecret", "dingtalk://…/…"),
        ("dingtalk://abcdef123/secret", "dingtalk://…/…"),
        ("wecombot://0123456789abcdef", "wecombot://…"),
        ("tgram://123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/-1001234567890", "tgram://…/…"),
        ("tgram://123456789:AAHdq.TcvCH1vGWJx/-1001234567890/987654", "tgram://…/…"),
        ("feishu://token.with.dots/secret", "feishu://…/…"),
        ("json://127.0.0.1:8089/leader-li", "json://127.0.0.1:8089/…"),
        ("json://localhost/a/b/c", "json://localhost/…"),
        ("jsons://user:pw@hooks.example.org/t0ken?x=1", "jsons://…@hooks.example.org/…?…"),
        ("no-scheme-token", "…"),
        ("env:DINGTALK_URL", "env:DINGTALK_URL"),
        ("secret:jiedao-robot", "secret:jiedao-robot"),
    ],
)
def test_urls_are_masked(url: str, shown: str) -> None:
    assert mask_url(url) == shown


@pytest.mark.parametrize(
    "url",
    [
        "dingtalk://abcdef0123456789/SECsecret",
        "tgram://123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/-1001234567890",
        "wecombot://0123456789abcdef",
        "jsons://user:pw@hooks.example.org/t0ken?token=abc",
        "mailto://user:pass@qq.com?to=jiedao@example.org&pass=xyz",
    ],
)
def test_no_character_of_a_token_key_or_path_is_shown(url: str) -> None:
    shown = mask_url(url)
    secrets = [
        "abcdef",
        "SEC",
        "123456789",
        "AAH",
        "-1001",
        "0123",
        "user",
        "pw",
        "t0ken",
        "abc",
        "pass",
        "jiedao",
    ]
    assert [s for s in secrets if s in shown] == []


def test_url_references() -> None:
    assert is_url_reference("env:DINGTALK_URL") and is_url_reference("secret:jiedao-robot")
    assert not is_url_reference("json://127.0.0.1/x")
    assert url_reference_problem("env:DINGTALK_URL") is None
    assert url_reference_problem("secret:jiedao-robot") is None
    assert url_reference_problem("env:1BAD") is not None
    assert url_reference_problem("secret:Jiedao Robot") is not None
