"""What sync wants from the seed ledger, without Prefect: names, tags, words, schedules, paused, removed."""

from __future__ import annotations

from datetime import UTC, datetime, time

from sqlalchemy import select

from models.clock import Clock
from models.db import Database
from models.enums import MeasureStatus
from models.tables import Measure
from models.workdays import ChinaCalendar
from tasks.schedule.deployments import WantedDeployment, wanted_deployments

CHINA = ChinaCalendar()


def wanted(database: Database) -> dict[str, WantedDeployment]:
    with database.unit_of_work() as session:
        found = wanted_deployments(
            session,
            Clock(CHINA, "Asia/Shanghai", datetime(2023, 12, 1, 2, tzinfo=UTC)),
            reminder_offsets=[5, 3, 1, 0],
            reminder_hour=time(9),
        )
    return {w.name: w for w in found}


def test_the_seed_wants_one_deployment_per_measure(seeded_database: Database) -> None:
    wants = wanted(seeded_database)
    assert len(wants) == 28
    weekly = wants["XH-05-2"]
    assert weekly.parameters == {"measure": "XH-05-2"}
    assert weekly.description.splitlines()[0].startswith("五、")
    assert "频次：每周一 09:00" in weekly.description
    assert [s.slug for s in weekly.schedules] == ["cadence"]
    dated = wants["XH-07-1"]
    assert "完成时限：2023年12月31日" in dated.description
    assert [(s.slug, s.timezone) for s in dated.schedules] == [("deadline", "Asia/Shanghai")]
    relative = wants["XH-07-2"]  # 20个工作日 after 2023-10-19 → 2023-11-16
    assert "完成时限：20个工作日（2023年11月16日）" in relative.description
    assert all("zhenggai" in w.tags and "round:xinhua-2023-xc2" in w.tags for w in wants.values())


def test_closed_is_paused_and_removed_is_gone(seeded_database: Database) -> None:
    with seeded_database.unit_of_work() as session:
        by_code = {m.code: m for m in session.scalars(select(Measure))}
        by_code["XH-01-2"].status = MeasureStatus.CLOSED
        by_code["XH-01-3"].removed_at = datetime.now(UTC)
        session.commit()
    wants = wanted(seeded_database)
    assert wants["XH-01-2"].paused
    assert "XH-01-3" not in wants
    assert not wants["XH-01-1"].paused
