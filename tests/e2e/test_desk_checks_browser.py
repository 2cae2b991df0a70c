"""The desk's recurring checks in a real Chromium at a desktop's 1366 × 900, against the session's Prefect
harness: a coordinator adds a weekly check to a problem, sees its next runs skip a holiday, saves it, and its
deployment is in Prefect at once; a leader's posts are refused."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from models.db import Database
from models.settings import Settings
from tests.support.browser import DESKTOP, PHONE, needs_chromium, served_ledger
from tests.support.desk import DeskLedger, build_desk_ledger
from tests.support.desk_checks import HOLIDAY, holiday_monday
from tests.support.portal import link_path

UI = "http://127.0.0.1:4200"
pytestmark = [needs_chromium, pytest.mark.prefect, pytest.mark.usefixtures("prefect_harness")]


@pytest.fixture
def desk(
    settings: Settings, sqlite_database: Database, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[str, DeskLedger, date]]:
    from prefect.settings import PREFECT_API_URL

    # The app is served from its own thread: it reads the harness's API from the environment.
    monkeypatch.setenv("PREFECT_API_URL", str(PREFECT_API_URL.value()))
    config = settings.model_copy(update={"prefect_ui_url": UI})
    with served_ledger(config, sqlite_database, build_desk_ledger) as (base, ledger):
        yield base, ledger, holiday_monday(sqlite_database, settings.clock().today)


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    page = context.new_page()
    yield page
    context.close()


def deployment_schedules(name: str) -> list[str]:
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        deployment = client.read_deployment_by_name(f"check_measure/{name}")
        return [str(getattr(s.schedule, "rrule", "")) for s in deployment.schedules]


def finished_run(name: str) -> str:
    """A run of the measure's deployment that started and completed (no worker runs it here)."""
    from prefect.client.orchestration import get_client
    from prefect.states import Completed, Running

    with get_client(sync_client=True) as client:
        deployment = client.read_deployment_by_name(f"check_measure/{name}")
        run = client.create_flow_run_from_deployment(deployment.id)
        client.set_flow_run_state(run.id, Running(), force=True)
        client.set_flow_run_state(run.id, Completed(), force=True)
    return str(run.id)


def test_a_coordinator_adds_a_weekly_check_that_skips_a_holiday_and_prefect_has_it(
    desk: Any, page: Any
) -> None:
    base, ledger, holiday = desk
    page.goto(base + link_path(ledger.links["coordinator"]))
    page.locator("nav.desk-nav a", has_text="定期检查").click()
    assert page.locator("h1").inner_text().startswith("定期检查与完成时限")
    assert "每周一 09:00" in page.locator("#m-JA-1").inner_text()
    page.locator("a.add", has_text="为问题1新增措施").click()

    page.locator("#text").fill("每周召开市容管理周例会，通报整改进度")
    page.locator("#lead_unit").select_option("jiedao-a")
    page.locator("#cadence").fill("每周一 09:00")
    page.locator("button.preview").click()
    runs = page.locator("table.runs tbody tr.run")
    assert runs.count() == 10
    skipped = page.locator("table.runs tbody tr.skipped")
    assert skipped.count() == 1
    assert f"{holiday.month}月{holiday.day}日" in skipped.inner_text()
    assert f"{HOLIDAY}，不检查" in skipped.inner_text()
    assert all(f"{holiday.month}月{holiday.day}日" not in text for text in runs.all_inner_texts())

    page.locator("form.to-diff button").click()
    assert "+ JA-6 added" in page.locator("#diff").inner_text()
    page.locator("form.confirm button").click()
    page.wait_for_selector("#done")
    assert "已保存 JA-6" in page.locator("#done").inner_text()
    assert "deployments of round portal-round" in page.locator("#sync").inner_text()
    assert "每周一 09:00" in page.locator("#m-JA-6").inner_text()
    (rule,) = deployment_schedules("JA-6")
    exdates = [day for line in rule.splitlines() if line.startswith("EXDATE:") for day in line[7:].split(",")]
    assert f"{holiday:%Y%m%d}T090000" in exdates

    # Each measure links to its deployment (and its last run, once it ran) in the Prefect UI.
    link = page.locator("#m-JA-6 a", has_text="部署").get_attribute("href")
    answer = page.request.get(base + link, max_redirects=0)
    assert answer.status == 302
    assert answer.headers["location"].startswith(f"{UI}/deployments/deployment/")
    assert page.request.get(f"{base}/desk/checks/JA-6/last-run").status == 404
    run_id = finished_run("JA-6")
    answer = page.request.get(f"{base}/desk/checks/JA-6/last-run", max_redirects=0)
    assert answer.headers["location"] == f"{UI}/runs/flow-run/{run_id}"


def test_a_leaders_posts_are_refused(desk: Any, page: Any) -> None:
    base, ledger, _holiday = desk
    page.goto(base + link_path(ledger.links["leader"]))
    page.goto(f"{base}/desk/checks/JA-1")
    assert page.locator("main form").count() == 0
    assert page.locator("table.runs tbody tr.run").count() == 10
    csrf = page.evaluate(
        'async () => (await (await fetch(\'/logout\')).text()).match(/name="csrf" value="([^"]+)"/)[1]'
    )
    for path in ("/desk/checks/diff", "/desk/checks/save"):
        status = page.evaluate(
            """async ([path, csrf]) => {
                const body = new URLSearchParams({csrf: csrf, code: 'JA-1', cadence: '每天', deadline: '长期坚持'});
                return (await fetch(path, {method: 'POST', body})).status;
            }""",
            [path, csrf],
        )
        assert status == 403, path


def test_the_pages_are_readable_on_a_phone(desk: Any, browser: Any) -> None:
    base, ledger, _holiday = desk
    context = browser.new_context(viewport=PHONE, is_mobile=True, locale="zh-CN")
    phone = context.new_page()
    try:
        phone.goto(base + link_path(ledger.links["coordinator"]))
        for path in ("/desk/checks", "/desk/checks/JA-1?cadence=每个工作日&preview=1", "/desk/checks/new"):
            phone.goto(base + path)
            assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], path
    finally:
        context.close()
