"""``zhenggai token``, ``zhenggai review`` and ``zhenggai report add --evidence`` through the CLI."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select

from models.db import Database
from models.enums import MeasureStatus
from models.settings import Settings
from models.tables import ApiToken, Report, StatusEvent
from tasks.reports.evidence import evidence_path, stored_files
from tasks.reports.tokens import hash_token
from tests.factories import make_measure, make_unit
from tests.integration.test_api import pdf_bytes

Cli = Callable[..., Any]


def _measure(database: Database, status: MeasureStatus = MeasureStatus.PLANNED) -> None:
    with database.unit_of_work() as session:
        make_measure(session, code="CLI-1", lead_unit=make_unit(session, "jiedao"), status=status)
        session.commit()


def test_token_issue_prints_it_once_and_revoke_stops_it(cli: Cli, database: Database) -> None:
    _measure(database)
    issued = cli("token", "issue", "--unit", "jiedao", "--label", "街道联络员")
    assert issued.exit_code == 0, issued.output
    secret = issued.stdout.strip()
    assert secret.startswith("zg_")
    assert "shown once" in issued.stderr
    with database.unit_of_work() as session:
        row = session.scalar(select(ApiToken))
        assert row is not None
        assert row.token_hash == hash_token(secret) and row.label == "街道联络员"
        token_id = row.id
    listed = cli("token", "list")
    assert "街道联络员" in listed.output and secret not in listed.output
    assert cli("token", "issue", "--role", "coordinator").exit_code == 0
    bad = cli("token", "issue", "--role", "admin")
    assert bad.exit_code != 0
    both = cli("token", "issue", "--unit", "jiedao", "--role", "leader")
    assert both.exit_code != 0
    unknown = cli("token", "issue", "--unit", "nobody")
    assert unknown.exit_code == 1 and "no unit 'nobody'" in unknown.output
    revoked = cli("token", "revoke", str(token_id))
    assert revoked.exit_code == 0 and "revoked token" in revoked.output
    with database.unit_of_work() as session:
        assert session.get(ApiToken, token_id).revoked_at is not None  # type: ignore[union-attr]
    assert cli("token", "revoke", str(token_id)).exit_code == 1


def test_review_commands_round_trip(cli: Cli, database: Database) -> None:
    _measure(database, MeasureStatus.DONE)
    returned = cli("review", "return", "CLI-1", "--reason", "缺少现场照片")
    assert returned.exit_code == 0, returned.output
    assert (
        cli("review", "accept", "CLI-1", "--note", "核查属实").exit_code == 1
    )  # in progress: nothing to accept
    assert cli("report", "add", "--measure", "CLI-1", "--text", "补充照片", "--done").exit_code == 0
    accepted = cli("review", "accept", "CLI-1", "--note", "核查属实", "--actor", "督办室")
    assert accepted.exit_code == 0 and "销号" in accepted.output
    assert "no Prefect API configured" in accepted.output
    empty = cli("review", "reopen", "CLI-1", "--reason", " ")
    assert empty.exit_code == 1 and "reason" in empty.output
    assert cli("review", "reopen", "CLI-1", "--reason", "问题反弹").exit_code == 0
    with database.unit_of_work() as session:
        events = session.scalars(
            select(StatusEvent).where(StatusEvent.kind == "review").order_by(StatusEvent.id)
        )
        assert [(e.to_value, e.actor) for e in events] == [
            ("return", "cli coordinator"),
            ("accept", "督办室"),
            ("reopen", "cli coordinator"),
        ]


def test_report_add_with_evidence_stores_the_files(
    cli: Cli, database: Database, settings: Settings, tmp_path: Path
) -> None:
    _measure(database)
    first, second = tmp_path / "会议纪要.pdf", tmp_path / "说明.txt"
    first.write_bytes(pdf_bytes("cli"))
    second.write_text("已整改。", encoding="utf-8")
    result = cli(
        "report", "add", "--measure", "CLI-1", "--text", "已召开专题会议。", "--period", "2024-01-01..2024-01-05",
        "--evidence", first, "--evidence", second,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    sha = hashlib.sha256(first.read_bytes()).hexdigest()
    assert sha in result.output
    assert evidence_path(settings.evidence_dir, sha).read_bytes() == first.read_bytes()
    with database.unit_of_work() as session:
        report = session.scalar(select(Report))
        assert [e.filename for e in report.evidence] == ["会议纪要.pdf", "说明.txt"]  # type: ignore[union-attr]


def test_report_add_with_refused_evidence_stores_nothing(
    cli: Cli, database: Database, settings: Settings, tmp_path: Path
) -> None:
    _measure(database)
    good, bad = tmp_path / "a.pdf", tmp_path / "setup.exe"
    good.write_bytes(pdf_bytes("a"))
    bad.write_bytes(b"MZ")
    result = cli("report", "add", "--measure", "CLI-1", "--text", "x", "--evidence", good, "--evidence", bad)
    assert result.exit_code == 1 and "evidence[1]" in result.output
    blank = cli("report", "add", "--measure", "CLI-1", "--text", " ", "--evidence", good)
    assert blank.exit_code == 1 and "text" in blank.output
    assert list(stored_files(settings.evidence_dir)) == []
    with database.unit_of_work() as session:
        assert session.scalars(select(Report)).all() == []


def test_the_new_commands_have_examples(cli: Cli) -> None:
    for args in (["api"], ["web"], ["token", "issue"], ["token", "revoke"], ["token", "list"], ["review", "accept"],
                 ["review", "return"], ["review", "reopen"], ["report", "add"]):  # fmt: skip
        result = cli(*args, "--help")
        assert result.exit_code == 0 and "Example:" in result.output, args
    assert (
        "--link" in cli("token", "issue", "--help").output
        and "--expires" in cli("token", "issue", "--help").output
    )
