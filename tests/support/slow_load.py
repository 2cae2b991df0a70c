"""A ``zhenggai`` command run as its own process that says how far a bulk load has got.

``python -m tests.support.slow_load report load FILE`` runs the CLI unchanged, except that each report
recorded one by one prints ``recorded N`` (flushed) first, and a set-based write (``record_reports_bulk``)
prints ``recorded N`` once all N rows are in the open transaction and then waits, uncommitted: a test can kill
the process with SIGKILL once it knows that N reports are written into the open transaction, and never has
to guess with a timer.
"""

from __future__ import annotations

import sys
from typing import Any


def main(argv: list[str]) -> None:
    import tasks.reports.record as record
    from flows.cli import app

    original = record.record_report
    count = 0

    def counting(*args: Any, **kwargs: Any) -> Any:
        nonlocal count
        report = original(*args, **kwargs)
        count += 1
        print(f"recorded {count}", flush=True)
        return report

    write_bulk = record._write_bulk

    def written_then_wait(session: Any, planned: Any, **kwargs: Any) -> None:
        import time

        write_bulk(session, planned, **kwargs)
        print(f"recorded {len(planned)}", flush=True)
        time.sleep(120)  # the test kills the process here, before the CLI commits

    record.record_report = counting  # type: ignore[assignment]
    record._write_bulk = written_then_wait
    app(argv, prog_name="zhenggai")


if __name__ == "__main__":
    main(sys.argv[1:])
