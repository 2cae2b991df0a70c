"""The portal's pure parts: signed links and their masking, phone formats of evidence, dates as shown,
the next thing to do on a measure."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from models.enums import MeasureStatus
from models.errors import EvidenceTypeRefused
from models.links import LINK, SESSION, BadSignature, mask_links, sign, unmask_links, unsign
from models.measure_view import MeasureView
from models.rules import Assessment, Light, MeasureState, format_chinese_day
from models.settings import Settings
from tasks.reports.evidence import Upload, stage_evidence
from tasks.reports.portal import next_step

KEY = b"k" * 32
NOW = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)


def test_a_signed_value_round_trips_and_refuses_tampering_expiry_and_the_wrong_purpose() -> None:
    value = sign(KEY, LINK, 7, NOW + timedelta(days=7))
    signed = unsign(KEY, LINK, value, now=NOW)
    assert signed.token_id == 7 and signed.expires_at == NOW + timedelta(days=7)
    with pytest.raises(BadSignature, match="过期"):
        unsign(KEY, LINK, value, now=NOW + timedelta(days=8))
    with pytest.raises(BadSignature, match="无效"):
        unsign(KEY, SESSION, value, now=NOW)  # a link is not a session
    with pytest.raises(BadSignature, match="无效"):
        unsign(b"x" * 32, LINK, value, now=NOW)
    _token_id, expires, signature = value.split(".")
    with pytest.raises(BadSignature, match="无效"):
        unsign(KEY, LINK, f"8.{expires}.{signature}", now=NOW)
    for broken in ["", "7", "7.x.y", "a.b.c"]:
        with pytest.raises(BadSignature, match="不完整"):
            unsign(KEY, LINK, broken, now=NOW)


def test_links_in_text_are_masked_and_signed_again_for_sending() -> None:
    value = sign(KEY, LINK, 7, NOW + timedelta(days=7))
    text = f"请打开 https://x.example/signin/{value}?next=/m/A-1 报送"
    masked = mask_links(text)
    assert value not in masked and "/signin/7." in masked and ".***?next=/m/A-1 报送" in masked
    fresh = unmask_links(masked, KEY, NOW + timedelta(days=3))
    link = fresh.split("/signin/")[1].split("?")[0]
    assert unsign(KEY, LINK, link, now=NOW).expires_at == NOW + timedelta(days=3)


@pytest.mark.parametrize(
    ("name", "head"),
    [
        ("IMG_0001.HEIC", b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic"),
        ("照片.heif", b"\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00mif1heic"),
        ("公文.ofd", b"PK\x03\x04" + b"\x00" * 30),
        ("台账.wps", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 30),
        ("台账.et", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 30),
    ],
)
def test_phone_photos_ofd_and_wps_files_are_accepted(tmp_path: Path, name: str, head: bytes) -> None:
    allowed = Settings().evidence_allowed_types
    with stage_evidence(
        tmp_path, [Upload(name, io.BytesIO(head))], max_bytes=1024, allowed_types=allowed
    ) as staged:
        assert [f.filename for f in staged.files] == [name]


def test_a_heic_name_on_other_bytes_is_refused(tmp_path: Path) -> None:
    with pytest.raises(EvidenceTypeRefused, match="does not hold"):
        stage_evidence(
            tmp_path,
            [Upload("fake.heic", io.BytesIO(b"\xff\xd8\xff" + b"\x00" * 20))],
            max_bytes=1024,
            allowed_types=Settings().evidence_allowed_types,
        )


def test_dates_show_their_weekday() -> None:
    assert format_chinese_day(date(2026, 12, 3)) == "2026年12月3日（周四）"
    assert format_chinese_day(date(2026, 12, 6)) == "2026年12月6日（周日）"


def view(
    state: MeasureState, left: int | None, status: MeasureStatus = MeasureStatus.IN_PROGRESS
) -> MeasureView:
    return MeasureView("A-1", status=status, assessment=Assessment(state, Light.GREEN, left))


def test_the_next_thing_to_do() -> None:
    assert next_step(view(MeasureState.OVERDUE, -3), acknowledged=False, returned=False) == "请先签收任务"
    assert "已逾期3个工作日" in next_step(view(MeasureState.OVERDUE, -3), acknowledged=True, returned=False)
    assert "延期申请待审批" in next_step(
        view(MeasureState.OVERDUE, -3), acknowledged=True, returned=False, pending_extension=True
    )
    assert "还剩2个工作日" in next_step(view(MeasureState.DUE_SOON, 2), acknowledged=True, returned=False)
    assert "退回" in next_step(view(MeasureState.ON_TRACK, 20), acknowledged=True, returned=True)
    assert "本期进展未报送" in next_step(
        view(MeasureState.MISSING_REPORT, None), acknowledged=True, returned=False
    )
    done = view(MeasureState.DONE, None, MeasureStatus.DONE)
    assert "等待" in next_step(done, acknowledged=True, returned=False)
    closed = view(MeasureState.CLOSED, None, MeasureStatus.CLOSED)
    assert next_step(closed, acknowledged=False, returned=False) == "已销号，无需操作"
