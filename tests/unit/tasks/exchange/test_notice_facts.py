"""The facts a notice states in sentences (tasks.exchange.notice_facts): dates, statistics, contact."""

from __future__ import annotations

from datetime import date

import pytest

from tasks.exchange.notice_facts import (
    date_line,
    is_contact,
    is_statistics,
    looks_like_preamble,
    parse_contact,
    parse_statistics,
    plain,
    read_preamble,
)


def test_chinese_numeral_dates_and_full_width_digits_read_as_digits():
    assert plain("二〇二三年十月九日至十二月八日") == "2023年10月9日至12月8日"
    assert plain("二○二四年一月二十六日") == "2024年1月26日"
    assert plain("２０２４年４月８日") == "2024年4月8日"


@pytest.mark.parametrize(
    ("text", "start", "end", "feedback"),
    [
        # The generator's own wording.
        (
            "2023年6月29日至8月31日，区委第二巡察组对我局进行了常规巡察，2023年10月19日，区委第二巡察组向我局党组反馈了巡察意见。",
            date(2023, 6, 29),
            date(2023, 8, 31),
            date(2023, 10, 19),
        ),
        # A dash between the dates, a feedback date without its year (the inspection's year).
        (
            "市委第四巡察组于2024年5月6日—7月5日对市城市管理局开展了常规巡察。8月16日，市委第四巡察组向市城市管理局党组反馈了巡察意见。",
            date(2024, 5, 6),
            date(2024, 7, 5),
            date(2024, 8, 16),
        ),
        # A range across the new year; feedback without 向….
        (
            "2023年11月1日至2024年1月15日，市委第一巡察组对我局进行了常规巡察，并于3月5日反馈巡察意见。",
            date(2023, 11, 1),
            date(2024, 1, 15),
            date(2024, 3, 5),
        ),
        # An end without its year that would come before the start: the next year.
        (
            "2023年12月1日至1月31日，县委巡察组对我局开展巡察，2月20日反馈。",
            date(2023, 12, 1),
            date(2024, 1, 31),
            date(2024, 2, 20),
        ),
        # 进驻 … 结束 … 反馈.
        (
            "县委第三巡察组于2024年2月26日进驻县教育局开展为期两个月的常规巡察，4月26日结束，5月30日向县教育局党组反馈了巡察意见。",
            date(2024, 2, 26),
            date(2024, 4, 26),
            date(2024, 5, 30),
        ),
        # An audit: months only (no day: no date), the audit report's date as the feedback.
        (
            "2024年3月至5月，县审计局对我局2023年度预算执行情况进行了审计，并于2024年6月12日出具了审计报告。",
            None,
            None,
            date(2024, 6, 12),
        ),
        # Chinese numerals.
        (
            "二〇二三年十月九日至十二月八日，县委第一巡察组对县民政局党组开展了常规巡察，二〇二四年一月二十六日，县委第一巡察组向县民政局党组反馈了巡察意见。",
            date(2023, 10, 9),
            date(2023, 12, 8),
            date(2024, 1, 26),
        ),
        # No date at all.
        (
            "根据县委统一部署，县委第二巡察组对县医疗保障局党组进行了常规巡察，并反馈了巡察意见。",
            None,
            None,
            None,
        ),
    ],
)
def test_preamble_dates(text, start, end, feedback):
    facts = read_preamble(text)
    assert (facts.inspection_start, facts.inspection_end, facts.feedback_date) == (start, end, feedback)


def test_preamble_bodies_and_kind():
    facts = read_preamble(
        "根据区委统一部署，2023年3月1日至4月30日，区委第三巡察组对区市场监督管理局党组开展了专项巡察。"
        "2023年6月15日，区委第三巡察组向局党组反馈了巡察意见。"
    )
    assert facts.inspecting_body == "区委第三巡察组"
    assert facts.inspected_short == "区市场监督管理局党组"
    assert facts.inspection_kind == "专项巡察"
    assert facts.feedback_recipient == "局党组"
    audit = read_preamble("2024年3月至5月，县审计局对我局2023年度预算执行情况进行了审计。")
    assert (audit.inspecting_body, audit.inspected_short, audit.inspection_kind) == (
        "县审计局",
        "我局",
        "审计",
    )


def test_what_opens_a_notice():
    assert looks_like_preamble("现将整改情况通报如下。")
    assert looks_like_preamble("根据县委统一部署，县委第二巡察组对县医疗保障局党组进行了常规巡察。")
    assert not looks_like_preamble("部分社区卫生服务站药品出入库登记不全。")


def test_a_date_line_under_the_signature():
    assert date_line("2024年10月15日") == date(2024, 10, 15)
    assert date_line("二〇二四年三月二十八日") == date(2024, 3, 28)
    assert date_line("（2023年9月20日）") == date(2023, 9, 20)
    assert date_line("2024年10月15日召开会议") is None


@pytest.mark.parametrize(
    ("text", "figures"),
    [
        (
            "截至2024年9月30日，审计指出的4个方面12个问题，已完成整改10个，正在整改2个，整改完成率83.3%；"
            "追回及盘活资金356.8万元，制定完善制度9项，追责问责5人。",
            {
                "aspects": 4,
                "problems": 12,
                "completed": 10,
                "in_progress": 2,
                "completion_rate": 83.3,
                "money_recovered_yuan": 3568000,
                "rules_made": 9,
                "people_dealt_with": 5,
            },
        ),
        (
            "巡察反馈的3个方面14个具体问题中，已整改到位12个，其余2个正在推进，整改完成率85.7%。",
            {"aspects": 3, "problems": 14, "completed": 12, "in_progress": 2, "completion_rate": 85.7},
        ),
        (
            "巡察反馈的4个方面21个问题，已完成整改19个，2个需长期坚持、正在按时序推进。",
            {"aspects": 4, "problems": 21, "completed": 19, "in_progress": 2},
        ),
        (
            "反馈的18个问题已全部整改完成，整改完成率100%。通过整改，建立健全制度12项，追回医保基金48.26万元，"
            "问责处理8人（其中党纪政务处分2人）。",
            {
                "problems": 18,
                "completed": 18,
                "in_progress": 0,
                "completion_rate": 100,
                "rules_made": 12,
                "money_recovered_yuan": 482600,
                "people_dealt_with": 8,
            },
        ),
        (
            "共梳理反馈问题5个，制定整改措施9条。目前已完成整改4个，1个正在整改中。",
            {"problems": 5, "measures": 9, "completed": 4, "in_progress": 1},
        ),
        (
            "总体来看，巡察反馈的问题已整改完成12个，正在整改3个，整改完成率80%。",
            {"completed": 12, "in_progress": 3, "completion_rate": 80},
        ),
        (
            "通过整改，建立完善制度机制8项，收回违规资金12.6万元，问责处理4人。",
            {"rules_made": 8, "money_recovered_yuan": 126000, "people_dealt_with": 4},
        ),
        ("累计追回资金1.5亿元，问责处理3人。", {"money_recovered_yuan": 150000000, "people_dealt_with": 3}),
    ],
)
def test_statistics_phrasings(text, figures):
    assert is_statistics(text)
    assert parse_statistics(text) == figures


@pytest.mark.parametrize(
    "text",
    [
        "审计发现，3个农机补贴服务项目未按规定履行询价程序，涉及金额86.4万元。",
        "开展扬尘专项检查20次，责令整改工地9个，处罚2起。",
        "更新视频监控设备12套，修缮防火通道26.5公里。",
        "清退违规发放的津补贴12.5万元。",
    ],
)
def test_a_measure_with_numbers_is_no_statistics(text):
    assert not is_statistics(text)


@pytest.mark.parametrize(
    ("text", "contact"),
    [
        (
            "欢迎广大干部群众对巡察整改落实情况进行监督。如有意见建议，请及时向我们反映。联系电话：0311-86952558；"
            "邮政信箱：石家庄市新华区康乐街1号新华大厦419室，邮政编码：050000；电子邮箱：xhqcgjjs@163.com。",
            {
                "phone": "0311-86952558",
                "address": "石家庄市新华区康乐街1号新华大厦419室",
                "postcode": "050000",
                "email": "xhqcgjjs@163.com",
            },
        ),
        ("联系人：王某某，联系电话：0871-62345678。", {"person": "王某某", "phone": "0871-62345678"}),
        (
            "联系电话：0912-3330001（工作日8:30—17:30）；来信请寄：石泉县人民路12号县林业局党组办公室（邮编719000）。",
            {"phone": "0912-3330001", "address": "石泉县人民路12号县林业局党组办公室", "postcode": "719000"},
        ),
        (
            "联系方式：电话0931-8123456，邮箱cgjxczg@example.com，地址西岭市城关区庆阳路100号，邮编730030。",
            {
                "phone": "0931-8123456",
                "email": "cgjxczg@example.com",
                "address": "西岭市城关区庆阳路100号",
                "postcode": "730030",
            },
        ),
        (
            "请在12月31日前通过电话0551-65432100或电子邮箱xczg@example.net反映。",
            {"phone": "0551-65432100", "email": "xczg@example.net"},
        ),
        (
            "监督举报电话：12388；来信地址：松岭县解放街1号（请注明“巡察整改”）。",
            {"phone": "12388", "address": "松岭县解放街1号"},
        ),
    ],
)
def test_contact_phrasings(text, contact):
    assert is_contact(text)
    assert parse_contact(text).as_dict() == contact


def test_a_measure_is_no_contact_paragraph():
    assert not is_contact("办理群众来信来访23件，开通服务热线。")
