"""The generate_notice flow under the Prefect test harness: files, versions, the Markdown artifact, the deployment."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from uuid import UUID

import pytest
from sqlalchemy import select

from models.db import Database
from models.errors import MissingReports, PdfUnavailable
from models.settings import Settings
from models.tables import GeneratedNotice, Round
from tasks.notice.files import artifact_key
from tasks.notice.load import monthly_notice_rounds
from tests.conftest import SEED_ROUND

pytestmark = [pytest.mark.prefect, pytest.mark.usefixtures("prefect_harness")]


def _artifact_markdown(key: str) -> str:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
    from prefect.client.schemas.sorting import ArtifactSort

    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])),
            sort=ArtifactSort.CREATED_DESC,
            limit=1,
        )
    assert artifacts, f"no artifact {key}"
    return str(artifacts[0].data)


def test_flow_writes_records_and_publishes_the_notice(
    seeded_database: Database, settings: Settings, tmp_path: Path
) -> None:
    from flows.notice import generate_notice

    result = generate_notice(
        round_code=SEED_ROUND, as_of=date(2023, 12, 31), formats=["md", "docx", "txt"], requested_by="e2e"
    )

    assert [r["format"] for r in result] == ["md", "docx", "txt"]
    assert [r["version"] for r in result] == [1, 1, 1]  # one generation, one version
    paths = [Path(r["path"]) for r in result]
    assert paths[0] == settings.notices_dir / f"{SEED_ROUND}_2023-12-31_v1.md"
    assert all(path.exists() for path in paths)
    assert paths[1].read_bytes()[:2] == b"PK"
    with seeded_database.unit_of_work() as session:
        rows = [(r.version, r.format, r.requested_by) for r in session.scalars(select(GeneratedNotice))]
    assert sorted(rows) == [(1, "docx", "e2e"), (1, "md", "e2e"), (1, "txt", "e2e")]

    markdown = _artifact_markdown(artifact_key(SEED_ROUND))
    assert f"**{SEED_ROUND}** as of 2023-12-31" in markdown
    assert "- docx: `" in markdown and "version 1" in markdown
    assert "**一、学习未能真正“入脑入心”**。" in markdown
    assert "without a report" not in markdown


def test_flow_into_a_directory_lists_missing_reports_in_the_artifact(
    seeded_database: Database, settings: Settings, tmp_path: Path
) -> None:
    from flows.notice import generate_notice

    result = generate_notice(
        round_code=SEED_ROUND, as_of=date(2023, 12, 1), formats=["md"], directory=str(tmp_path)
    )

    assert result[0]["path"] == str(tmp_path / f"{SEED_ROUND}_2023-12-01_v1.md")
    assert result[0]["missing"] == 28
    markdown = _artifact_markdown(artifact_key(SEED_ROUND))
    assert "**28 measure(s) without a report** (marked 【待报送】):" in markdown
    assert "- 一、措施 XH-01-1：局党组 未报送" in markdown


def test_strict_flow_fails_before_writing(
    seeded_database: Database, settings: Settings, tmp_path: Path
) -> None:
    from flows.notice import generate_notice

    out = tmp_path / "notices"
    with pytest.raises(MissingReports):
        generate_notice(round_code=SEED_ROUND, as_of=date(2023, 12, 1), strict=True, directory=str(out))
    assert not out.exists()
    with seeded_database.unit_of_work() as session:
        assert session.scalars(select(GeneratedNotice)).first() is None


def test_flow_run_again_the_same_day_keeps_the_earlier_file(
    seeded_database: Database, settings: Settings, tmp_path: Path
) -> None:
    import hashlib

    from flows.notice import generate_notice

    runs = [
        generate_notice(
            round_code=SEED_ROUND, as_of=date(2023, 12, 31), formats=["md"], directory=str(tmp_path)
        )
        for _ in range(2)
    ]
    assert [run[0]["path"] for run in runs] == [
        str(tmp_path / f"{SEED_ROUND}_2023-12-31_v1.md"),
        str(tmp_path / f"{SEED_ROUND}_2023-12-31_v2.md"),
    ]
    with seeded_database.unit_of_work() as session:
        for record in session.scalars(select(GeneratedNotice)):
            assert record.path is not None
            assert hashlib.sha256(Path(record.path).read_bytes()).hexdigest() == record.sha256


def test_flow_writes_nothing_when_one_format_fails_to_render(
    seeded_database: Database, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.notice import generate_notice

    monkeypatch.setenv("PATH", str(tmp_path / "bin"))  # no soffice: the PDF cannot be rendered
    out = tmp_path / "notices"
    with pytest.raises(PdfUnavailable):
        generate_notice(
            round_code=SEED_ROUND, as_of=date(2023, 12, 31), formats=["md", "pdf"], directory=str(out)
        )
    assert not out.exists()
    with seeded_database.unit_of_work() as session:
        assert session.scalars(select(GeneratedNotice)).first() is None


def test_deployment_runs_on_demand_and_monthly_for_the_rounds_that_ask(
    seeded_database: Database, settings: Settings
) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.schedules import CronSchedule

    from flows.notice import DEPLOYMENT_NAME, ENTRYPOINT, notice_deployment

    with seeded_database.unit_of_work() as session:
        assert monthly_notice_rounds(session) == []
        round_ = session.scalars(select(Round).where(Round.code == SEED_ROUND)).one()
        round_.notice_options = {**round_.notice_options, "monthly": True}
        session.commit()
    with seeded_database.unit_of_work() as session:
        monthly = monthly_notice_rounds(session)
    assert monthly == [SEED_ROUND]

    deployment_id = notice_deployment(settings.timezone, monthly).apply()
    assert isinstance(deployment_id, UUID)

    with get_client(sync_client=True) as client:
        held = client.read_deployment(deployment_id)
    assert held.name == DEPLOYMENT_NAME and held.entrypoint == ENTRYPOINT
    assert len(held.schedules) == 1
    schedule = held.schedules[0]
    assert schedule.slug == f"notice-monthly-{SEED_ROUND}"
    assert isinstance(schedule.schedule, CronSchedule)
    assert (schedule.schedule.cron, schedule.schedule.timezone) == ("0 9 1 * *", "Asia/Shanghai")
    assert schedule.parameters == {"round_code": SEED_ROUND, "requested_by": "monthly schedule"}
    assert "round_code" in held.parameter_openapi_schema["required"]  # type: ignore[index]
