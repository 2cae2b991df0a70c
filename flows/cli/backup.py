"""``zhenggai backup`` and ``zhenggai restore``: the whole ledger as one archive, and back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from flows.cli.app import app
from flows.cli.common import console, database, err_console, mask_url, settings

if TYPE_CHECKING:
    from models.settings import Settings


@app.command("backup")
def backup(
    output: Path = typer.Option(..., "-o", "--output", help="The archive to write (.tar.gz)."),
) -> None:
    """Write the ledger to one archive while serve and the API keep running: the database as of one
    consistent snapshot, the evidence files, the generated notices and the settings (no secrets).

    Example: zhenggai backup -o zhenggai-2023-12-31.tar.gz
    """
    from tasks.backup.archive import write_backup

    config = settings()
    kept = _kept_settings(config)
    summary = write_backup(
        database(),
        output,
        evidence_dir=config.evidence_dir,
        notices_dir=config.notices_dir,
        settings=kept,
        duban_dir=config.duban_dir,
    )
    rows = sum(summary.rows.values())
    console.print(
        f"wrote {output}: schema {summary.revision}, {rows} rows in {len(summary.rows)} tables "
        f"({summary.rows.get('reports', 0)} reports), {summary.evidence} evidence files, "
        f"{summary.notices} notices, {summary.duban} 督办单 files",
        soft_wrap=True,
    )
    if summary.missing_evidence:
        err_console.print(
            f"{len(summary.missing_evidence)} evidence file(s) named by the ledger are missing from "
            f"{config.evidence_dir} and not in the backup: {', '.join(summary.missing_evidence)}",
            soft_wrap=True,
        )
        raise typer.Exit(1)


@app.command("restore")
def restore(
    archive: Path = typer.Argument(
        ..., exists=True, dir_okay=False, help="An archive `zhenggai backup` wrote."
    ),
) -> None:
    """Fill an empty data directory or database from a backup; a ledger that holds anything is refused.

    Every evidence file is checked against its hash; on any error nothing is left behind.

    Example: zhenggai restore zhenggai-2023-12-31.tar.gz
    """
    from tasks.backup.archive import backup_settings, check_archive, restore_backup, settings_differences

    check_archive(archive)  # a file that is not a backup creates no ledger
    config = settings()
    differences = settings_differences(backup_settings(archive), _kept_settings(config))
    summary = restore_backup(
        database(create=True),
        archive,
        evidence_dir=config.evidence_dir,
        notices_dir=config.notices_dir,
        duban_dir=config.duban_dir,
    )
    console.print(
        f"restored {archive} into {mask_url(config.resolved_database_url)}: {sum(summary.rows.values())} rows "
        f"({summary.rows.get('reports', 0)} reports), {summary.evidence} evidence files (hashes checked), "
        f"{summary.notices} notices, {summary.duban} 督办单 files",
        soft_wrap=True,
    )
    if differences:
        # Settings are the environment's (ZHENGGAI_*), not the ledger's: say which the backup's host had
        # otherwise, so that this host can be given them.
        console.print(
            "settings that differ from the backup's (set them in this host's environment to keep them):"
        )
        for name, then, now in differences:
            console.print(
                f"  ZHENGGAI_{name.upper()}: backup {_shown(then)}, now {_shown(now)}", soft_wrap=True
            )


def _kept_settings(config: Settings) -> dict[str, Any]:
    """The settings a backup keeps, as JSON values: no secrets, the database URL's password masked."""
    kept: dict[str, Any] = config.model_dump(mode="json", exclude={"database_url", "prefect_api_url"})
    kept["database_url"] = mask_url(config.resolved_database_url)
    return kept


def _shown(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
