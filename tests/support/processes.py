"""A command-line process the tests start and read while it runs (serve, the worker)."""

from __future__ import annotations

import queue
import subprocess
import threading


def output_lines(process: subprocess.Popen[str]) -> queue.Queue[str]:
    """The process's output (stdout, with stderr when merged into it) line by line, read by a thread so
    that a test can wait for a line with a deadline."""
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    return lines
