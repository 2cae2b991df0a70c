"""A synthetic city round, generated deterministically from a seed: plan.yaml, reports.yaml and city.json.

At full scale (``--scale 1``): 40 units whose contacts point at a loopback JSON receiver (and two
collectives, 全市各街道办事处 and 全市各综合执法中队, whose members are the street offices and the
enforcement teams: every ``COLLECTIVE_EVERY``-th measure a member led is led by its collective, the
member reporting its own share), 700 problems,
2,100 measures (60% dated deadlines, 25% weekly/monthly cadences, 15% daily working-day checks) and
21,000 progress reports spread over three months (2025-09-01 … 2025-11-28). The files are the real
input formats (docs/plan-format.md), so loading them is what ``zhenggai plan load`` and
``zhenggai report load`` do.

The same seed and scale always give byte-identical files.

    python -m bench.citygen --seed 8 --out /tmp/city --receiver-port 18089
"""

from __future__ import annotations

import argparse
import json
import random
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import yaml

ROUND_CODE = "city-2025-r1"
FEEDBACK_DATE = date(2025, 8, 29)
REPORTS_FROM = date(2025, 9, 1)
LAST_DAY = date(2025, 11, 28)  # a Friday and a working day: the notice's as-of day and the sweep's day
SWEEP_HOUR = 10  # local time of the sweep on LAST_DAY: inside the default 08:30–18:00 window
CST = timezone(timedelta(hours=8))

# Every this many measures, one a street office or an enforcement team leads goes to its collective.
COLLECTIVE_EVERY = 50
COLLECTIVES = {
    "street_office": ("c01", "全市各街道办事处"),
    "enforcement_team": ("c02", "全市各综合执法中队"),
}

# Reports per measure, by kind: 1,260 × 5 + 525 × 13 + 315 × 25 = 21,000 at full scale.
REPORTS_PER_MEASURE = {"dated": 5, "cadence": 13, "daily": 25}

UNIT_KINDS = [
    ("street_office", 15),
    ("enforcement_team", 10),
    ("department", 10),
    ("committee", 2),
    ("external", 3),
]
DISTRICTS = [
    "东城",
    "西城",
    "南湖",
    "北塔",
    "新华",
    "长安",
    "裕华",
    "桥西",
    "开发",
    "高新",
    "滨河",
    "青园",
    "金山",
    "银河",
    "和平",
    "胜利",
    "光明",
    "建设",
    "友谊",
    "民主",
]
TOPICS = [
    "占道经营整治",
    "违法建设查处",
    "渣土车辆管理",
    "户外广告设置",
    "燃气安全检查",
    "餐饮油烟治理",
    "背街小巷保洁",
    "共享单车停放",
    "建筑工地扬尘",
    "生活垃圾分类",
    "市政设施维护",
    "园林绿地养护",
    "执法文书规范",
    "投诉办理时效",
    "队伍作风建设",
    "财务报销管理",
    "政府采购程序",
    "公车使用管理",
    "廉政风险防控",
    "理论学习制度",
]
FAULTS = [
    "不到位",
    "不规范",
    "反弹回潮",
    "长效机制不健全",
    "台账不完整",
    "监督检查不够",
    "落实不力",
    "底数不清",
]
VERBS = ["制定", "完善", "开展", "落实", "建立", "健全", "组织", "推进"]
OBJECTS = [
    "专项整治方案",
    "日常巡查机制",
    "问题台账和销号制度",
    "联合执法行动",
    "考核通报制度",
    "培训和警示教育",
    "群众投诉快速响应机制",
    "网格化责任分工",
]
WEEKLY = ["每周一 09:00", "每周二 09:00", "每周三 14:30", "每周四 09:00", "每周五 15:00"]
MONTHLY = ["每月第一个工作日 09:00", "每月最后一个工作日 16:00", "每月15日 09:00"]
DAILY = "每个工作日 09:00"
METRICS = [("巡查", "次"), ("整治点位", "处"), ("发放宣传单", "份"), ("约谈", "人次"), ("立案", "件")]


@dataclass(frozen=True)
class CityInfo:
    """What the benchmarks need to know about a generated city (written as city.json)."""

    seed: int
    scale: float
    round_code: str
    units: int
    problems: int
    measures: int
    reports: int
    dated: int
    cadence: int
    daily: int
    receiver_port: int
    feedback_date: str
    last_day: str
    sweep_at: str  # ISO datetime with offset: when the daily sweep runs
    plan: str  # file names inside the output directory
    reports_file: str
    collectives: int = 0  # collectives with members (beside ``units``)
    collective_measures: int = 0  # measures a collective leads


def _workdays(start: date, end: date) -> list[date]:
    from models.workdays import ChinaCalendar, workdays_in

    return workdays_in(ChinaCalendar(), start, end)


def _counts(scale: float) -> tuple[int, int, int]:
    problems = max(3, round(700 * scale))
    units = max(4, min(40, round(40 * scale))) if scale < 1 else 40
    return units, problems, problems * 3


def _units(rng: random.Random, count: int, port: int) -> list[dict[str, Any]]:
    units: list[dict[str, Any]] = []
    kinds = [kind for kind, n in UNIT_KINDS for _ in range(n)]
    for index in range(count):
        kind = kinds[index % len(kinds)]
        district = DISTRICTS[index % len(DISTRICTS)]
        name = {
            "street_office": f"{district}街道办事处",
            "enforcement_team": f"{district}综合执法中队",
            "department": f"{rng.choice(['法制', '市容', '环卫', '督查', '财务', '人事'])}科（{district}）",
            "committee": f"{district}片区管委会",
            "external": f"区{district}公安派出所",
        }[kind]
        code = f"u{index + 1:02d}"
        units.append(
            {
                "code": code,
                "name": name,
                "kind": kind,
                "contacts": [
                    {
                        "code": f"{code}-liaison",
                        "person": f"{name}联络员",
                        "role": "联络员",
                        "urls": [f"json://127.0.0.1:{port}/unit/{code}"],
                    }
                ],
            }
        )
    return units


def _collectives(units: list[dict[str, Any]], port: int) -> list[dict[str, Any]]:
    """The collectives of the city's street offices and enforcement teams (two members at least)."""
    found = []
    for kind, (code, name) in COLLECTIVES.items():
        members = [u["code"] for u in units if u["kind"] == kind]
        if len(members) >= 2:
            contact = {"code": f"{code}-office", "person": f"{name}协调员", "role": "协调员"}
            contact["urls"] = [f"json://127.0.0.1:{port}/unit/{code}"]
            found.append(
                {"code": code, "name": name, "kind": "collective", "members": members, "contacts": [contact]}
            )
    return found


def _to_collectives(
    problems: list[dict[str, Any]],
    reports: list[dict[str, Any]],
    units: list[dict[str, Any]],
    collectives: list[dict[str, Any]],
) -> int:
    """Every ``COLLECTIVE_EVERY``-th measure a member leads goes to its collective; the member's
    reports stay its own share (``unit``). Rewritten after generation, so the rest of the city is as
    the seed always made it. Returns how many measures moved."""
    collective_of = {member: c["code"] for c in collectives for member in c["members"]}
    moved: dict[str, str] = {}
    measures = [m for p in problems for m in p["measures"]]
    for index, measure in enumerate(measures):
        if index % COLLECTIVE_EVERY == 0 and measure["lead_unit"] in collective_of:
            member = measure["lead_unit"]
            measure["lead_unit"] = collective_of[member]
            measure.pop("co_units", None)  # a co-unit could be another member of the collective
            moved[measure["code"]] = member
    for report in reports:
        if report["measure"] in moved:
            report["unit"] = moved[report["measure"]]
    return len(moved)


def _contacts(port: int) -> list[dict[str, Any]]:
    contacts = [
        {
            "code": f"leader-{n}",
            "person": f"{surname}某某",
            "role": "分管副局长",
            "urls": [f"json://127.0.0.1:{port}/leader/leader-{n}"],
        }
        for n, surname in enumerate("王李张刘陈杨赵黄", start=1)
    ]
    contacts.append(
        {
            "code": "duban-office",
            "person": "局督办室",
            "role": "督办室",
            "urls": [f"json://127.0.0.1:{port}/duban"],
        }
    )
    contacts.append(
        {"code": "bureau-head", "person": "局长", "role": "局长", "urls": [f"json://127.0.0.1:{port}/head"]}
    )
    return contacts


def _kinds(rng: random.Random, measures: int) -> list[str]:
    dated = round(measures * 0.60)
    cadence = round(measures * 0.25)
    kinds = ["dated"] * dated + ["cadence"] * cadence + ["daily"] * (measures - dated - cadence)
    rng.shuffle(kinds)
    return kinds


def _report_text(rng: random.Random, unit_name: str, subject: str) -> str:
    return (
        f"{unit_name}围绕{subject}，{rng.choice(VERBS)}{rng.choice(OBJECTS)}，"
        f"本期排查问题{rng.randint(3, 60)}处、完成整改{rng.randint(1, 40)}处，"
        f"{rng.choice(['建立工作台账', '开展回头看', '落实专人盯办', '纳入月度考核'])}，整改工作持续推进。"
    )


def _pick_days(rng: random.Random, pool: list[date], n: int) -> list[date]:
    if len(pool) >= n:
        return sorted(rng.sample(pool, n))
    return sorted(pool)


def generate(
    seed: int, scale: float = 1.0, receiver_port: int = 18089
) -> tuple[dict[str, Any], dict[str, Any], CityInfo]:
    """The plan document, the reports document and the city's description (pure: nothing is written)."""
    rng = random.Random(seed)
    n_units, n_problems, n_measures = _counts(scale)
    units = _units(rng, n_units, receiver_port)
    contacts = _contacts(receiver_port)
    leaders = [c["code"] for c in contacts if c["code"].startswith("leader-")]
    kinds = _kinds(rng, n_measures)
    workdays = _workdays(REPORTS_FROM, LAST_DAY)
    weeks: dict[date, list[date]] = {}
    for day in workdays:
        weeks.setdefault(day - timedelta(days=day.weekday()), []).append(day)
    week_list = list(weeks.values())

    problems: list[dict[str, Any]] = []
    reports: list[dict[str, Any]] = []
    for p in range(n_problems):
        topic = TOPICS[p % len(TOPICS)]
        district = DISTRICTS[(p // len(TOPICS)) % len(DISTRICTS)]
        title = f"{district}片区{topic}{rng.choice(FAULTS)}"
        measures = []
        for m in range(3):
            index = p * 3 + m
            kind = kinds[index]
            lead = units[rng.randrange(n_units)]
            co = rng.sample([u["code"] for u in units if u["code"] != lead["code"]], rng.choice([0, 0, 1, 2]))
            code = f"CITY-{p + 1:03d}-{m + 1}"
            subject = f"{district}片区{topic}"
            measure: dict[str, Any] = {
                "code": code,
                "marker": "一是二是三是"[m * 2 : m * 2 + 2],
                "text": f"{rng.choice(VERBS)}{subject}{rng.choice(OBJECTS)}，明确责任分工和时间节点，确保问题整改到位",
                "lead_unit": lead["code"],
            }
            if co:
                measure["co_units"] = sorted(co)
            measure["leader"] = rng.choice(leaders)
            deadline: date | None = None
            if kind == "dated":
                deadline = date(2025, 10, 10) + timedelta(days=rng.randrange(0, 200))
                measure["deadline"] = deadline
            else:
                measure["deadline"] = "长期坚持"
                measure["cadence"] = (
                    DAILY
                    if kind == "daily"
                    else (rng.choice(WEEKLY) if rng.random() < 2 / 3 else rng.choice(MONTHLY))
                )
            measures.append(measure)
            reports.extend(_measure_reports(rng, measure, kind, deadline, lead, workdays, week_list, subject))
        problems.append(
            {
                "title": title,
                "description": f"{district}片区{topic}工作中，{rng.choice(FAULTS)}，群众反映较多，"
                f"巡察发现相关问题{rng.randint(3, 30)}个。",
                "measures": measures,
            }
        )

    collectives = _collectives(units, receiver_port)
    collective_measures = _to_collectives(problems, reports, units, collectives)
    plan = {
        "round": {
            "code": ROUND_CODE,
            "title": "市委第一巡察组常规巡察反馈问题整改（城市规模基准）",
            "inspected_org": "中共示范市城市管理综合行政执法局党组",
            "inspected_short": "我局",
            "feedback_recipient": "我局党组",
            "inspecting_body": "市委第一巡察组",
            "inspection_kind": "常规巡察",
            "inspection_start": date(2025, 6, 2),
            "inspection_end": date(2025, 7, 31),
            "feedback_date": FEEDBACK_DATE,
            "contact": {
                "phone": "0311-00000000",
                "address": "示范市城管大厦101室",
                "postcode": "050000",
                "email": "bench@example.org",
            },
            "signature": "中共示范市城市管理综合行政执法局党组",
            "coordinator": "duban-office",
            "head": "bureau-head",
        },
        "units": units + collectives,
        "contacts": contacts,
        "problems": problems,
    }
    info = CityInfo(
        seed=seed,
        scale=scale,
        round_code=ROUND_CODE,
        units=n_units,
        problems=n_problems,
        measures=n_measures,
        reports=len(reports),
        dated=kinds.count("dated"),
        cadence=kinds.count("cadence"),
        daily=kinds.count("daily"),
        receiver_port=receiver_port,
        feedback_date=FEEDBACK_DATE.isoformat(),
        last_day=LAST_DAY.isoformat(),
        sweep_at=datetime.combine(LAST_DAY, datetime.min.time(), tzinfo=CST)
        .replace(hour=SWEEP_HOUR)
        .isoformat(),
        plan="plan.yaml",
        reports_file="reports.yaml",
        collectives=len(collectives),
        collective_measures=collective_measures,
    )
    return plan, {"round": ROUND_CODE, "reports": reports}, info


def _measure_reports(
    rng: random.Random,
    measure: dict[str, Any],
    kind: str,
    deadline: date | None,
    lead: dict[str, Any],
    workdays: list[date],
    weeks: list[list[date]],
    subject: str,
) -> list[dict[str, Any]]:
    count = REPORTS_PER_MEASURE[kind]
    done = False
    if kind == "dated":
        assert deadline is not None
        # Most measures past their deadline have finished; the rest are overdue and get chased.
        done = rng.random() < (0.55 if deadline < LAST_DAY else 0.08)
        until = min(deadline, LAST_DAY) if done else LAST_DAY
        pool = [d for d in workdays if d <= until]
        days = _pick_days(rng, pool, count)
    elif kind == "daily":
        lagging = rng.random() < 0.15  # stopped reporting two weeks ago: missing reports
        pool = workdays[:-10] if lagging else workdays
        days = pool[-count:]
    else:
        lagging = rng.random() < 0.2
        if measure["cadence"].startswith("每周") and not lagging:
            days = [rng.choice(week) for week in weeks[-count:]]
        else:
            pool = workdays[:-15] if lagging else workdays
            days = _pick_days(rng, pool, count)
    out = []
    for n, day in enumerate(days):
        at = datetime.combine(day, datetime.min.time(), tzinfo=CST).replace(
            hour=rng.randint(9, 17), minute=rng.randrange(60)
        )
        item: dict[str, Any] = {
            "measure": measure["code"],
            "submitted_at": at.isoformat(),
            "author": f"{lead['name']}联络员",
            "status": "done" if done and n == len(days) - 1 else "in_progress",
            "text": _report_text(rng, lead["name"], subject),
        }
        if n > 0:
            item["period"] = f"{days[n - 1].isoformat()}..{day.isoformat()}"
        if rng.random() < 0.3:
            name, unit = rng.choice(METRICS)
            item["metrics"] = [{"name": name, "value": rng.randint(1, 500), "unit": unit}]
        out.append(item)
    return out


def write_city(out: Path, seed: int, scale: float = 1.0, receiver_port: int = 18089) -> CityInfo:
    """Generate the city and write plan.yaml, reports.yaml and city.json into ``out``."""
    plan, reports, info = generate(seed, scale, receiver_port)
    out.mkdir(parents=True, exist_ok=True)
    for name, document in ((info.plan, plan), (info.reports_file, reports)):
        text = yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=4096)
        (out / name).write_text(text, encoding="utf-8")
    (out / "city.json").write_text(json.dumps(asdict(info), ensure_ascii=False, indent=2), encoding="utf-8")
    return info


def read_city(out: Path) -> CityInfo:
    return CityInfo(**json.loads((out / "city.json").read_text(encoding="utf-8")))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--scale", type=float, default=1.0, help="1 = 700 problems; 0.01 for a smoke run")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--receiver-port", type=int, default=18089)
    args = parser.parse_args(argv)
    info = write_city(args.out, args.seed, args.scale, args.receiver_port)
    print(
        f"city {info.round_code} (seed {info.seed}): {info.units} units, {info.problems} problems, "
        f"{info.measures} measures ({info.dated} dated, {info.cadence} cadence, {info.daily} daily), "
        f"{info.reports} reports → {args.out}"
    )


if __name__ == "__main__":
    main()
