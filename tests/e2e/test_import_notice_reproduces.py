"""Importing the seed notice and generating the notice from the result gives back the seed's text."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from tasks.exchange.notice_import import import_notice_text, load_notice
from tests.support.work import committed, settings_clock

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "examples" / "xinhua-2023" / "notice.txt"


def paragraphs(text: str) -> list[str]:
    """Non-blank lines, whitespace trimmed (the seed's trailing spaces aside)."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def generate(database, round_code: str, as_of: date) -> str:
    from tasks.notice.load import load_notice_document
    from tasks.notice.text import render_text

    with database.unit_of_work() as session:
        document = load_notice_document(session, round_code, settings_clock().on(as_of))
    assert document.missing == ()
    return render_text(document)


def test_seed_round_trips_through_the_ledger(database):
    text = SEED.read_text(encoding="utf-8")
    result = import_notice_text(
        text, source=str(SEED), round_code="xh-import", reported_on=date(2023, 12, 15)
    )
    committed(database, load_notice, result, settings_clock().at(datetime(2024, 1, 2, tzinfo=UTC)))
    assert paragraphs(generate(database, "xh-import", date(2023, 12, 15))) == paragraphs(text)


def test_variant_with_its_own_wording_keeps_title_preamble_and_closing(database):
    """A notice whose preamble and closing differ from the generator's wording comes back as published."""
    source = ROOT / "tests" / "data" / "notices" / "half_width_crlf.txt"
    text = source.read_text(encoding="utf-8")
    result = import_notice_text(
        text, source=str(source), round_code="qd", reported_on=date(2024, 5, 1), strict=True
    )
    committed(database, load_notice, result, settings_clock().at(datetime(2024, 6, 1, tzinfo=UTC)))
    generated = paragraphs(generate(database, "qd", date(2024, 5, 1)))
    published = paragraphs(text)
    assert generated[:3] == ["中共桥东区住房和城乡建设局党组", "关于巡察整改进展情况的通报", published[1]]
    # Problems and outcomes: the generator prints heading, description, label and measures in one run each.
    assert generated[3] == "一、老旧小区改造进度滞后。部分项目未按期开工,群众反映强烈。"
    # The generator prints the label with a full-width colon; the measures keep their punctuation.
    assert generated[4] == published[3].replace("整改进展:", "整改进展：")
    assert generated[6] == published[5].replace("整改进展:", "整改进展：")
    # The closing is rebuilt from the contact block in the generator's punctuation.
    assert generated[-1].startswith(
        "欢迎广大干部群众对巡察整改落实情况进行监督。如有意见建议,请及时向我们反映。联系电话：0311-7654321"
    )
