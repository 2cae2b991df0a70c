"""``zhenggai info``: where the ledger is and what runs it."""

from __future__ import annotations

from flows.cli.app import app
from flows.cli.common import console, mask_url, settings


@app.command("info")
def info() -> None:
    """Show the data directory, the database (password masked), the Prefect API and the versions.

    The data directory is ZHENGGAI_DATA_DIR, else the nearest .zhenggai/ in the current directory or
    above (the way git finds its folder), else ./.zhenggai, made by the first load.

    Example: zhenggai info
    """
    import sys
    from importlib.metadata import PackageNotFoundError, version

    config = settings()
    data_dir = config.data_dir.resolve()
    path = config.sqlite_path
    if path is not None:
        state = (
            "a ledger" if path.exists() else "no ledger yet (created by plan load, import … --load or demo)"
        )
    else:
        state = "server database"
    console.print(f"data directory: {data_dir}{'' if data_dir.is_dir() else ' (not created yet)'}")
    console.print(f"database: {mask_url(config.resolved_database_url)} ({state})")
    console.print(f"Prefect API: {config.prefect_api_url or 'none configured (flows run in-process)'}")
    versions = []
    for package in ("zhenggai", "prefect", "sqlalchemy", "apprise", "fastapi"):
        try:
            versions.append(f"{package} {version(package)}")
        except PackageNotFoundError:
            versions.append(f"{package} (not installed)")
    versions.append(f"python {sys.version.split()[0]}")
    console.print(f"versions: {', '.join(versions)}")
