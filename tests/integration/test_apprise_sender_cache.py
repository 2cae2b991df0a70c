"""The Apprise sender's reuse of parsed URLs and HTTP connections, against the loopback receiver."""

from __future__ import annotations

import base64
import logging
import threading
from collections import Counter
from pathlib import Path

import pytest

from tasks.notify.sender import AppriseSender, NotifierCache, PreparedMessage, fan_out
from tests.support.loopback import JsonReceiver, free_port, json_receiver

__all__ = ["json_receiver"]

SECRET = "ROBOTTOKEN7731"


def _message(n: int, url: str) -> PreparedMessage:
    return PreparedMessage(f"cache|{n}", url, "标题", f"正文 {n}")


def test_a_url_is_parsed_once_and_each_message_keeps_its_own_key_under_concurrency(
    json_receiver: JsonReceiver,
) -> None:
    cache = NotifierCache()
    sender = AppriseSender(notifiers=cache)
    messages = [_message(n, json_receiver.url(f"unit/u{n % 3}")) for n in range(60)]

    results = fan_out(messages, sender.send, concurrency=8)

    assert all(r.ok for r in results)
    assert json_receiver.keys() == Counter({m.key: 1 for m in messages})
    # the key header set on a reused plugin is the message's own, never a neighbour's
    assert all(r.key == f"cache|{r.body['message'].split()[-1]}" for r in json_receiver.requests)
    assert cache.built <= 3 * 8  # at most one notifier per URL per thread, not one per message
    assert len(cache) == 3


def test_a_changed_env_reference_is_sent_to_its_new_url(
    json_receiver: JsonReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    sender = AppriseSender(notifiers=NotifierCache())
    monkeypatch.setenv("ZG_TEST_CACHED_ROBOT", json_receiver.url("robot/old"))
    assert sender.send(_message(1, "env:ZG_TEST_CACHED_ROBOT")).ok
    monkeypatch.setenv("ZG_TEST_CACHED_ROBOT", json_receiver.url("robot/new"))
    assert sender.send(_message(2, "env:ZG_TEST_CACHED_ROBOT")).ok

    assert [r.key for r in json_receiver.to("robot/old")] == ["cache|1"]
    assert [r.key for r in json_receiver.to("robot/new")] == ["cache|2"]


def test_a_rotated_secret_block_is_sent_with_the_new_token(json_receiver: JsonReceiver) -> None:
    cache = NotifierCache()  # shared by both runs, as the process-wide cache is
    tokens = iter(["token-before", "token-after"])

    for n in (1, 2):  # each sweep builds its sender, which loads the block again
        token = next(tokens)
        sender = AppriseSender(
            secret_loader=lambda _name, t=token: json_receiver.url(f"robot/{t}"), notifiers=cache
        )
        assert sender.send(_message(n, "secret:unit-robot")).ok

    assert [r.key for r in json_receiver.to("robot/token-before")] == ["cache|1"]
    assert [r.key for r in json_receiver.to("robot/token-after")] == ["cache|2"]
    assert cache.built == 2


def test_errors_through_a_reused_notifier_stay_redacted(
    json_receiver: JsonReceiver, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    json_receiver.dead.add(f"/hook/{SECRET}")
    monkeypatch.setenv("ZG_TEST_CACHED_DEAD", json_receiver.url(f"hook/{SECRET}"))
    caplog.set_level(logging.DEBUG)
    sender = AppriseSender(notifiers=NotifierCache())

    results = [sender.send(_message(n, "env:ZG_TEST_CACHED_DEAD")) for n in range(3)]

    assert not any(r.ok for r in results) and all("500" in r.error for r in results)
    assert (
        len(json_receiver.to(f"hook/{SECRET}")) == 3
    )  # a failed send is tried again, not remembered as failed
    assert SECRET not in caplog.text + "".join(r.error for r in results)


def test_a_failing_endpoint_does_not_poison_the_others(json_receiver: JsonReceiver) -> None:
    refused = f"json://127.0.0.1:{free_port()}/nobody"  # nothing listens there
    json_receiver.fail_first["/flaky"] = 2
    sender = AppriseSender(notifiers=NotifierCache())
    urls = [refused, json_receiver.url("flaky"), json_receiver.url("good")]
    messages = [_message(n, urls[n % 3]) for n in range(30)]

    results = fan_out(messages, sender.send, concurrency=6)

    outcome = {url: [r.ok for m, r in zip(messages, results, strict=True) if m.url == url] for url in urls}
    assert not any(outcome[refused])
    assert outcome[urls[1]].count(False) == 2 and len(json_receiver.to("flaky")) == 10
    assert all(outcome[urls[2]]) and len(json_receiver.to("good")) == 10


def test_a_notifier_whose_send_failed_is_not_reused(
    json_receiver: JsonReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    from apprise.plugins.custom_json import NotifyJSON

    cache = NotifierCache()
    sender = AppriseSender(notifiers=cache)
    url = json_receiver.url("unit/u1")
    assert sender.send(_message(1, url)).ok
    real_send = NotifyJSON.send
    with monkeypatch.context() as patch:

        def broken(self: NotifyJSON, *args: object, **kwargs: object) -> bool:
            self.broken = True
            raise RuntimeError("plugin bug")

        patch.setattr(NotifyJSON, "send", broken)
        result = sender.send(_message(2, url))
    assert not result.ok and "raised an exception" in result.error
    assert NotifyJSON.send is real_send
    assert sender.send(_message(3, url)).ok
    assert cache.built == 2  # the notifier that raised was dropped, a fresh one parsed
    assert [r.key for r in json_receiver.to("unit/u1")] == ["cache|1", "cache|3"]


def test_the_cache_keeps_only_the_most_recent_urls(json_receiver: JsonReceiver) -> None:
    cache = NotifierCache(max_urls=2)
    sender = AppriseSender(notifiers=cache)
    for n, path in enumerate(["a", "b", "c", "a"]):
        assert sender.send(_message(n, json_receiver.url(path))).ok
    assert len(cache) == 2
    assert cache.built == 4  # "a" was dropped when "c" came, and parsed again


def test_a_sending_thread_reuses_its_connection(json_receiver: JsonReceiver) -> None:
    from tasks.notify import sender as sender_module

    sender = AppriseSender(notifiers=NotifierCache())
    for n in range(5):
        assert sender.send(_message(n, json_receiver.url(f"unit/u{n}"))).ok

    pooled = sender_module._pooled_requests
    assert pooled is not None
    session = pooled._session()
    pools = session.get_adapter(json_receiver.url("", scheme="http")).poolmanager.pools
    keys = pools.keys()  # the pool container refuses plain iteration
    mine = [pools[key].num_connections for key in keys if key.key_port == json_receiver.port]
    assert mine == [1]  # five messages, one TCP connection
    assert len(json_receiver.requests) == 5


def test_a_sending_thread_reads_netrc_once_per_host_and_still_sends_its_credentials(
    json_receiver: JsonReceiver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import requests

    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login robot password NETRCPASS7731\n", encoding="utf-8")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    reads: list[str] = []
    real = requests.utils.get_netrc_auth
    monkeypatch.setattr(requests.utils, "get_netrc_auth", lambda url, *a: reads.append(url) or real(url, *a))

    sender = AppriseSender(notifiers=NotifierCache())
    results: list[bool] = []
    thread = threading.Thread(  # a new sending thread: a session of its own
        target=lambda: results.extend(
            sender.send(_message(n, json_receiver.url(f"u{n}"))).ok for n in range(5)
        )
    )
    thread.start()
    thread.join()

    assert results == [True] * 5
    assert len(reads) == 1  # one host, one thread: the netrc file was looked up once
    expected = "Basic " + base64.b64encode(b"robot:NETRCPASS7731").decode()
    assert [r.headers.get("Authorization") for r in json_receiver.requests] == [expected] * 5
