"""Helpers shared by CLI commands: settings, the database, dates and console output."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from functools import cache
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console

if TYPE_CHECKING:
    from models.clock import Clock
    from models.db import Database
    from models.settings import Settings

# Output carries units' own text (reports, measure texts): never read it as Rich markup (a "[/…]" in a
# report would crash the command). Style goes through ``rich.text.Text`` where it is wanted.
console = Console(markup=False, highlight=False, soft_wrap=True)
err_console = Console(stderr=True, markup=False, highlight=False, soft_wrap=True)


def settings() -> Settings:
    from models.settings import get_settings

    return get_settings()


LOAD_HINT = (
    "load one with `zhenggai plan load plan.yaml` or `zhenggai import notice FILE --load`, try "
    "`zhenggai demo`, or point ZHENGGAI_DATA_DIR (or ZHENGGAI_DATABASE_URL) at an existing one"
)


def database(*, create: bool = False) -> Database:
    """The configured database, upgraded (or refused) when its schema is behind.

    Only the commands that load a ledger (``plan load``, ``import … --load``, ``demo``, ``db upgrade``)
    pass ``create``: they make a new one and say where. Every other command refuses with ``NoLedger``
    rather than silently start an empty ledger somewhere else.
    """
    from models.db import existing_database, get_database
    from models.errors import NoLedger

    config = settings()
    if create:
        path = config.sqlite_path
        if path is not None and not path.exists():
            err_console.print(f"creating a new ledger at {path.resolve()}", soft_wrap=True)
        return get_database(config)
    found = existing_database(config)
    if found is not None:
        return found
    path = config.sqlite_path
    if path is not None and not path.exists():
        raise NoLedger(
            f"no ledger is loaded here: {path.resolve()} does not exist (no .zhenggai/ in this directory "
            f"or above, and ZHENGGAI_DATA_DIR is not set); {LOAD_HINT}"
        )
    raise NoLedger(f"no ledger is loaded in {mask_url(config.resolved_database_url)}: {LOAD_HINT}")


def load_database(*, dry_run: bool) -> Database:
    """The database a load writes to (created when missing, saying where); for a dry run with no ledger
    yet, a throwaway empty one, so that the diff shows what a first load would add and nothing is made."""
    from models.errors import NoLedger

    if not dry_run:
        return database(create=True)
    try:
        return database()
    except NoLedger:
        import atexit
        import tempfile
        from pathlib import Path

        from models.db import Database

        err_console.print("no ledger is loaded yet: the diff is against an empty ledger", soft_wrap=True)
        folder = Path(tempfile.mkdtemp(prefix="zhenggai-dry-run-"))
        scratch = Database(f"sqlite:///{folder / 'zhenggai.db'}")
        atexit.register(_remove_scratch, scratch, folder)
        scratch.upgrade()
        return scratch


def _remove_scratch(scratch: Database, folder: object) -> None:
    import shutil

    scratch.dispose()
    shutil.rmtree(str(folder), ignore_errors=True)


def mask_url(url: str) -> str:
    """A database URL with its password masked (``postgresql://zhenggai:***@db/zhenggai``)."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL SQLAlchemy reads: show nothing that could be a secret
        return url.split("@")[-1]


def need_prefect(command: str, *, local_server: bool = True) -> None:
    """Before ``command`` talks to Prefect: with PREFECT_API_URL set but not answering, one line naming
    the URL and exit 1 (``PrefectUnavailable``, no retries); without it, one stderr line saying that the
    flow runs on Prefect's temporary local server (``local_server``)."""
    from models.errors import PrefectUnavailable
    from tasks.reports.intake import configured_prefect_api_url, prefect_api_problem

    problem = prefect_api_problem()
    if problem is not None:
        raise PrefectUnavailable(f"{command}: {problem}")
    if local_server and configured_prefect_api_url() is None:
        err_console.print(
            f"{command}: no PREFECT_API_URL set, running on a temporary local Prefect server "
            "(see docs/deploying.md)"
        )


@contextmanager
def cycle_collection_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off for a short read that keeps what it builds until it prints,
    and the process's last collection told to leave those objects alone.

    The collector's passes over the objects a whole-round read makes (the SQLAlchemy modules, 2,100 views)
    were a sixth of ``zhenggai status`` and freed nothing the command would miss: reference counting still
    frees everything else, and the collector runs again as soon as the block ends. The interpreter's last
    collection at exit walked them all once more (another sixth): at exit they are frozen (``gc.freeze``),
    so it skips them, and the operating system takes back the memory of the process as it ends.
    """
    import gc

    _freeze_at_exit()
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@cache
def _freeze_at_exit() -> None:
    import atexit
    import gc

    atexit.register(gc.freeze)  # atexit runs before the interpreter's final collection


def today() -> date:
    """Today in the configured timezone."""
    return settings().clock().today


def parse_date_option(value: str | None, option: str) -> date | None:
    """A YYYY-MM-DD option value, or a usage error naming the option."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"'{value}' is not a date (YYYY-MM-DD)", param_hint=option) from None


def local_time(moment: datetime | None) -> str:
    """A stored UTC timestamp as the configured zone shows it: 2023-12-15 12:40 (— for none)."""
    if moment is None:
        return "—"
    return settings().clock().local(moment).strftime("%Y-%m-%d %H:%M")


TAKE_PLAN_HELP = (
    "Let the file win for this field where the ledger changed it since (status, owner, leader, deadline, "
    "cadence, reminders, measures); repeatable. Recorded in the history."
)
ALLOW_REMOVALS_HELP = "Load even when owners, deadlines, cadences or measures would be removed."
DRY_RUN_HELP = "Show what the load would change, field by field, and write nothing."


def print_changes(source: object, changes: object, *, dry_run: bool, summary: bool = True) -> None:
    """A load's summary and its field-level diff (``PlanChanges``); after a dry run, what it would do."""
    from tasks.ledger.plan_schema import PlanChanges

    assert isinstance(changes, PlanChanges)
    if summary:
        head = "dry run, nothing written: would make " if dry_run else ""
        console.print(f"{source}: {head}{changes.summary()}", soft_wrap=True)
    for line in changes.diff():
        console.print(line, soft_wrap=True)
    if dry_run and changes.removals:
        console.print(
            f"  the load would remove {len(changes.removals)} owner(s), deadline(s), cadence(s) or "
            "measure(s): it is refused without --allow-removals",
            soft_wrap=True,
        )


def the_round(db: Database, round_code: str | None) -> str:
    """``--round`` as given, or the ledger's only round (saying so on stderr); with several, an error that
    lists them."""
    from tasks.ledger.queries import only_round

    with db.unit_of_work() as session:
        code = only_round(session, round_code)
    if round_code is None:
        err_console.print(
            f"round {code} (the only round loaded; choose another with --round)", soft_wrap=True
        )
    return code


class LoadProgress:
    """A Rich progress bar for a load, shown only on a terminal and only once the load has taken more than
    a second (short loads print nothing extra). ``start(total)`` returns the callable to tick per item."""

    def __init__(self, label: str, *, after_seconds: float = 1.0) -> None:
        self.label, self.after = label, after_seconds
        self.bar: Any = None

    def start(self, total: int) -> Callable[[], None]:
        import time

        began = time.monotonic()
        done = 0

        def tick() -> None:
            nonlocal done
            done += 1
            if self.bar is None:
                if not err_console.is_terminal or time.monotonic() - began < self.after:
                    return
                from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

                self.bar = Progress(
                    f"{self.label}",
                    BarColumn(),
                    MofNCompleteColumn(),
                    TimeRemainingColumn(),
                    console=err_console,
                    transient=True,
                )
                self.bar.start()
                self.task = self.bar.add_task(self.label, total=total, completed=done)
            self.bar.update(self.task, completed=done)

        return tick

    def __enter__(self) -> LoadProgress:
        return self

    def __exit__(self, *_exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()


def clock(now: datetime | None = None, db: Database | None = None) -> Clock:
    """The clock on the ledger's calendar (imported years included): what every command judges with."""
    from tasks.calendar.ledger import ledger_clock

    return ledger_clock(db or database(), settings(), now)
