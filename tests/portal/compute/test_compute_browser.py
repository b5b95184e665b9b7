"""End to end: a student submits a smoke run of min-norm in the browser, a real `mlt worker`
started by the test runs it, and the run's page shows its verdicts and figure."""

from __future__ import annotations

import time

import pytest
from django.contrib.auth.models import User

from mltheory.portal.compute.models import Run, State
from mltheory.portal.courses.models import Course, Enrollment

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_a_student_submits_a_smoke_run_and_sees_its_verdicts_and_figure(page, offering, workers):
    course = Course.objects.create(
        offering=offering,
        code="CS 229br",
        slug="cs229br",
        title="ML theory",
        institution="Harvard",
        instructor="B",
        capacity=10,
    )
    student = User.objects.create_user("ada@example.edu", "ada@example.edu", "pw-ada-123456")
    Enrollment.objects.create(user=student, course=course)
    page.goto(page.base + "/accounts/login/?next=/compute/")
    page.fill("input[name=username]", "ada@example.edu")
    page.fill("input[name=password]", "pw-ada-123456")
    page.click("main form [type=submit]")
    page.wait_for_url("**/compute/")
    page.click("a[href='/compute/submit/min-norm/']")
    page.select_option("select[name=scale]", "smoke")
    page.fill("input[name=cfg_n]", "15")  # a changed field, within its bounds
    t_submit = time.monotonic()
    page.click("button:has-text('Submit run')")
    page.wait_for_selector("#run-state")
    run = Run.objects.get()
    assert run.overrides == {"n": 15}
    workers.start("--queue", "cpu", "--name", "browser-test-worker")
    # The page polls its status and reloads itself when the run has ended.
    page.wait_for_selector("#verdicts", timeout=180_000)
    t_verdict = time.monotonic()
    run.refresh_from_db()
    assert run.state == State.DONE, run.log
    assert page.locator("#run-state").inner_text() == "done"
    rows = page.locator("#verdicts tbody tr")
    assert rows.count() == 5
    assert "pinv-limit" in page.locator("#verdicts").inner_text()
    assert "PASS (1/1 seeds)" in page.locator("#verdicts").inner_text()
    figure = page.locator("figure img").first
    assert figure.evaluate("img => img.complete && img.naturalWidth > 0")
    first_progress = (run.first_progress - run.created).total_seconds()
    started = (run.started - run.created).total_seconds()
    print(
        f"\nsmoke min-norm: submission → claimed by the worker {started:.1f} s, → first progress "
        f"{first_progress:.1f} s (the worker was started after the submission), → verdicts on "
        f"the page {t_verdict - t_submit:.1f} s; run time charged {run.used_s:.1f} s"
    )
