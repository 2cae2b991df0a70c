"""The ``zhenggai`` command line: a thin layer that parses, calls the library and reports errors.

Start-up imports no Prefect, SQLAlchemy or Apprise, and no command's module: the root group
(``flows.cli.app.ZhenggaiRootGroup``) imports a command's module when that command is looked up, and
each module imports what its commands need, so that ``zhenggai status`` and ``zhenggai --help`` stay
fast. Named domain errors become one-line messages and exit code 1.
"""

from __future__ import annotations

from flows.cli.app import app


def main() -> None:
    """Console-script entry point."""
    app()


__all__ = ["app", "main"]
