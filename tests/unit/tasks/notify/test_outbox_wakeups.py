"""How the delivery pass's thread collects finished sends: in batches, not one wake-up per send."""

from __future__ import annotations

import threading

from tasks.notify.outbox import _Finished
from tasks.notify.sender import SendResult


def test_the_pass_gets_every_send_finished_before_it_asked() -> None:
    finished = _Finished()
    for row_id in (1, 2, 3):
        finished.put((row_id, SendResult(True)))
    collected: list[tuple[int, SendResult]] = []

    assert finished.take(2, collected) == 3
    assert [row_id for row_id, _ in collected] == [1, 2, 3]


def test_the_pass_wakes_when_the_sends_it_waits_for_have_finished() -> None:
    finished = _Finished()
    go = threading.Barrier(2)

    def senders() -> None:
        go.wait()
        for row_id in range(4):
            finished.put((row_id, SendResult(row_id % 2 == 0, "" if row_id % 2 == 0 else "refused")))

    thread = threading.Thread(target=senders)
    thread.start()
    collected: list[tuple[int, SendResult]] = []
    go.wait()
    while len(collected) < 4:
        finished.take(4 - len(collected), collected)
    thread.join()

    assert sorted(row_id for row_id, _ in collected) == [0, 1, 2, 3]
    assert [result.ok for _, result in sorted(collected, key=lambda c: c[0])] == [True, False, True, False]


def test_a_pass_whose_sends_are_all_slow_gets_nothing_and_can_claim_what_is_free() -> None:
    collected: list[tuple[int, SendResult]] = []

    assert _Finished().take(8, collected) == 0  # after the stall: the pass then claims the free slots
    assert collected == []
