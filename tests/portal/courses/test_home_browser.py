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

    # Both times on one line: Eastern from the server, the viewer's zone filled in by the browser.
    # The viewer's part is checked on its own, so the Eastern text cannot satisfy it.
    first_cs = cs229br.locator(".both-times").first
    viewer = first_cs.locator(".viewer-time")
    viewer.filter(has_text="Europe/Berlin").wait_for()
    assert "Mon Jan 25, 2021, 12:00 PM EST" in first_cs.inner_text()
    assert "your time (Europe/Berlin)" in first_cs.inner_text()
    assert "Jan 25" in viewer.inner_text()
    assert re.search(r"(?<!\d)6:00\sPM", viewer.inner_text()), viewer.inner_text()  # 17:00 UTC
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
    viewer = page.locator("#course-cs229br .both-times .viewer-time").first
    text = viewer.inner_text()
    # 17:00 UTC on Jan 25 is 02:00 on Jan 26 in Tokyo.
    assert "your time (Asia/Tokyo)" in text and "Jan 26" in text
    assert re.search(r"(?<!\d)2:00\sAM", text), text
    # The choice is remembered on the next page.
    page.reload()
    viewer.filter(has_text="Asia/Tokyo").wait_for()
