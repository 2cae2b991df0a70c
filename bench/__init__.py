"""City-scale benchmarks (issue 8): a synthetic 700-problem round and one script per measurement.

Run them all with ``bench/run``; each ``python -m bench.bench_*`` also runs on its own. Performance is shown
by these scripts and recorded in docs/benchmarks.md, never asserted in tests.
"""
