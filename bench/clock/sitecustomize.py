"""The burst bench's clock, for every Python process the bench starts (``bench.bench_burst``).

The city's ledger is of late 2025: its working-day Monday 2025-12-01 09:00 (Asia/Shanghai) is in the past,
and a ``check_measure`` run scheduled on an earlier local day than the wall clock is stale (it judges as of
now and sends nothing). So the bench puts this directory on PYTHONPATH with ``BENCH_BURST_CLOCK="REAL REF"``
(two epoch seconds): every process (the Prefect server, the sync, ``serve`` or the worker and each flow run
they start, which inherit the environment) sees the wall clock at ``REF + (now - REAL)`` and ticking, so
all of them agree on one moment of that Monday. Monotonic clocks are untouched (timeouts, asyncio).
Without the variable this does nothing.
"""

import os

_CLOCK = os.environ.get("BENCH_BURST_CLOCK")
if _CLOCK:
    import time

    import time_machine

    _real, _ref = (float(part) for part in _CLOCK.split())
    time_machine.travel(_ref + (time.time() - _real), tick=True).start()
