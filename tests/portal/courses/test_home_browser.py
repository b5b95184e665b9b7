"""A visitor reads the home page in a real browser (Chromium, time zone Europe/Berlin)."""

from __future__ import annotations

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

    # Both times on one line: Eastern from the server, the viewer's zone filled in by the browser.
    first_cs = cs229br.locator(".both-times").first
    first_cs.locator(".viewer-time").filter(has_text="Europe/Berlin").wait_for()
    line = first_cs.inner_text()
    assert "Mon Jan 25, 2021, 12:00 PM EST" in line
    assert "your time (Europe/Berlin)" in line and "6:00" in line  # 17:00 UTC = 18:00 CET
    mit_line = mit18408.locator(".both-times").first.inner_text()
    assert "Wed Feb 17, 2021, 12:00 PM EST" in mit_line and "6:00" in mit_line

    # The sister link leads to the other course's page with its lecture plan.
    cs229br.get_by_role("link", name="MIT 18.408").click()
    page.wait_for_url("**/courses/spring-2021/18408/")
    assert (
        "Adversarial robustness, privacy, fairness" in page.locator("table.lectures").inner_text()
    )

    # The viewer can change the zone; the page re-renders in the chosen one.
    page.goto(page.base + "/")
    page.select_option("#viewer-tz", "Asia/Tokyo")
    line = page.locator("#course-cs229br .both-times").first.inner_text()
    assert "your time (Asia/Tokyo)" in line and "2:00" in line  # 17:00 UTC = 02:00 JST
