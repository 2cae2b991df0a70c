"""The ``zhenggai`` command line: a thin layer that parses, calls the library and reports errors.

Start-up imports no Prefect, SQLAlchemy or Apprise: each command imports what it needs, so that
``zhenggai --help`` stays fast. Named domain errors become one-line messages and exit code 1.
"""

from __future__ import annotations

from flows.cli import api as _api  # noqa: F401
from flows.cli import assess as _assess  # noqa: F401
from flows.cli import backup as _backup  # noqa: F401
from flows.cli import calendar as _calendar  # noqa: F401
from flows.cli import chart as _chart  # noqa: F401
from flows.cli import db as _db  # noqa: F401  (each module registers its commands on import)
from flows.cli import demo as _demo  # noqa: F401
from flows.cli import duban as _duban  # noqa: F401
from flows.cli import importers as _importers  # noqa: F401
from flows.cli import info as _info  # noqa: F401
from flows.cli import ledger as _ledger  # noqa: F401
from flows.cli import measure as _measure  # noqa: F401
from flows.cli import notice as _notice  # noqa: F401
from flows.cli import notice_drafts as _notice_drafts  # noqa: F401
from flows.cli import notifications as _notifications  # noqa: F401
from flows.cli import plan as _plan  # noqa: F401
from flows.cli import report as _report  # noqa: F401
from flows.cli import review as _review  # noqa: F401
from flows.cli import serve as _serve  # noqa: F401
from flows.cli import status as _status  # noqa: F401
from flows.cli import sync as _sync  # noqa: F401
from flows.cli import token as _token  # noqa: F401
from flows.cli.app import app


def main() -> None:
    """Console-script entry point."""
    app()


__all__ = ["app", "main"]
