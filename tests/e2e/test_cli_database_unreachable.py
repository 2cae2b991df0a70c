"""A database that does not answer, an unknown host, a URL that is not one, a driver that is not installed:
every command says so in one line naming the URL (password masked) and what to check, exits 1, no traceback.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# Prefect configures its log handlers on import, bound to the stderr of the moment: import it here, not
# inside a CliRunner whose stream is closed afterwards (a later test would see a logging traceback).
import prefect  # noqa: F401
import pytest

from tests.conftest import EXAMPLE_DIR, SEED_ROUND

URLS = [
    ("nothing listening", "postgresql://zg:s3cretpw@127.0.0.1:1/zhenggai", "is the server running"),
    ("unknown host", "postgresql://zg:s3cretpw@no-such-host.invalid:5432/zhenggai", "unknown host"),
    ("not a URL", "not-a-url", "is not a database URL"),
    ("driver not installed", "mysql://zg:s3cretpw@127.0.0.1/zhenggai", "driver (MySQLdb) is not installed"),
    ("unknown dialect", "nosuchdb://zg:s3cretpw@127.0.0.1/zhenggai", "no database driver for 'nosuchdb'"),
]

COMMANDS: list[tuple[str, ...]] = [
    ("status",),
    ("status", "--round", SEED_ROUND),
    ("plan", "load", str(EXAMPLE_DIR / "plan.yaml")),
    ("plan", "show"),
    ("plan", "export", "--round", SEED_ROUND),
    ("report", "add", "--measure", "XH-08-1", "--text", "已整改"),
    ("report", "load", str(EXAMPLE_DIR / "reports.yaml")),
    ("review", "accept", "XH-08-1", "--note", "已核实"),
    ("token", "list"),
    ("notice", "--round", SEED_ROUND, "--as-of", "2023-12-31"),
    ("ledger", "export", "--round", SEED_ROUND, "-o", "台账.xlsx"),
    ("db", "current"),
    ("db", "upgrade"),
    ("notifications",),
    ("calendar", "status"),
    ("demo",),
    ("sweep",),
    ("sync",),
    ("measure", "check", "XH-08-1"),
    ("serve",),
    ("api",),
]


@pytest.mark.parametrize(("url", "advice"), [u[1:] for u in URLS], ids=[u[0] for u in URLS])
@pytest.mark.parametrize("command", COMMANDS, ids=[" ".join(c[:2]) for c in COMMANDS])
def test_an_unusable_database_is_one_line_on_every_command(
    command: tuple[str, ...],
    url: str,
    advice: str,
    cli: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Any,
) -> None:
    from models.db import forget_databases

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ZHENGGAI_DATABASE_URL", url)
    forget_databases()
    result = cli(*command)

    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: database '") and advice in lines[0], lines[0]
    assert "s3cretpw" not in result.stderr + result.output
    assert "Traceback" not in result.stderr
