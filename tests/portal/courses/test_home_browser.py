"""A visitor reads the home page in a real browser (Chromium, time zone Europe/Berlin)."""

from __future__ import annotations

import re

import pytest

from mltheory.portal.courses import demo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_visitor_sees_both_courses_in_eastern_and_own_time(page):
    demo.load()
    page.goto(page.base + "/")

    cs229br = page.locator("#course-cs229br")
    mit18408 = page.locator("#course-18408")
    assert "Boaz Barak" in cs229br.inner_text()
    assert "Ankur Moitra" in mit18408.inner_text()

    # The viewer's time first (filled in by the browser), Eastern from the server beside it.
    first_cs = cs229br.locator(".both-times").first
    viewer = first_cs.locator(".viewer-time")
    first_cs.and_(page.locator(".both-times--two")).wait_for()
    assert first_cs.locator(".eastern").inner_text() == "Mon Jan 25, 2021, 12:00 PM EST"
    assert viewer.inner_text() == "Mon Jan 25, 2021, 6:00 PM GMT+1"  # 17:00 UTC
    assert first_cs.inner_text().index("6:00 PM") < first_cs.inner_text().index("12:00 PM EST")
    mit = mit18408.locator(".both-times").first
    assert "Wed Feb 17, 2021, 12:00 PM EST" in mit.inner_text()
    assert re.search(r"(?<!\d)6:00\sPM", mit.locator(".viewer-time").inner_text())

    # The sister link leads to the other course's page with its lecture plan.
    cs229br.get_by_role("link", name="MIT 18.408").click()
    page.wait_for_url("**/courses/spring-2021/18408/")
    assert (
        "Adversarial robustness, privacy, fairness" in page.locator("table.lectures").inner_text()
    )

    # The viewer can change the zone; the page re-renders in the chosen one.
    page.goto(page.base + "/")
    page.select_option("#viewer-tz", "Asia/Tokyo")
    times = page.locator("#course-cs229br .both-times").first
    text = times.locator(".viewer-time").inner_text()
    # 17:00 UTC on Jan 25 is 02:00 on Jan 26 in Tokyo.
    assert times.get_attribute("data-zone") == "Asia/Tokyo"
    assert text == "Tue Jan 26, 2021, 2:00 AM GMT+9", text
    # The choice is remembered on the next page.
    page.reload()
    page.locator("#course-cs229br .both-times[data-zone='Asia/Tokyo']").first.wait_for()


def test_an_eastern_viewer_sees_each_time_once(chromium_browser, live_server):
    demo.load()
    context = chromium_browser.new_context(timezone_id="America/New_York", locale="en-US")
    try:
        page = context.new_page()
        page.goto(live_server.url + "/")
        times = page.locator("#course-cs229br .both-times").first
        times.and_(page.locator("[data-zone='America/New_York']")).wait_for()
        assert times.inner_text().strip() == "Mon Jan 25, 2021, 12:00 PM EST"
        assert times.locator(".viewer-time").inner_text() == ""
        assert page.locator(".both-times--two").count() == 0
        # Toronto keeps Eastern time too: one time, not two identical ones.
        page.select_option("#viewer-tz", "America/Toronto")
        page.locator("[data-zone='America/Toronto']").first.wait_for()
        assert page.locator(".both-times--two").count() == 0
    finally:
        context.close()


def test_without_script_a_page_shows_eastern_time_and_no_empty_zone_choice(
    chromium_browser, live_server
):
    demo.load()
    context = chromium_browser.new_context(java_script_enabled=False, locale="en-US")
    try:
        page = context.new_page()
        page.goto(live_server.url + "/")
        times = page.locator("#course-cs229br .both-times").first
        assert times.inner_text().strip() == "Mon Jan 25, 2021, 12:00 PM EST"
        assert not page.locator("#viewer-tz").is_visible()
    finally:
        context.close()
