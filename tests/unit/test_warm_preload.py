"""Serve's fork server preloads what a check that sends and issues imports lazily (``tasks.notify.preload``, ``tasks.notice.preload``),
by name: ``flows.check_measure`` itself stays light (``tests/e2e/test_check_measure.py``)."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT


def test_the_fork_server_preloads_the_lazy_imports_of_a_sending_check() -> None:
    from flows.warm_start import WARM_MODULES

    lazy = ("apprise", "jinja2", "docx", "tasks.notify.sender", "tasks.notify.render")
    lazy += ("tasks.notice.duban_docx", "tasks.notice.duban_files", "tasks.notice.pdf")
    code = (
        "import sys\n"
        f"for name in {WARM_MODULES!r}: __import__(name)\n"
        f"print([m for m in {lazy!r} if m not in sys.modules])\n"
        "from apprise.manager_plugins import NotificationManager\n"
        "print(NotificationManager()._module_map is not None)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)

    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines() == ["[]", "True"]
    assert "flows.check_measure" in WARM_MODULES
