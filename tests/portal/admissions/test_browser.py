"""Browser tests (Playwright driving Debian's Chromium against the live server)."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from mltheory.portal.admissions.models import Application, CourseApplication
from mltheory.portal.mail.models import OutgoingEmail

from .conftest import PDF_BYTES, make_applicant, make_submitted

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, email, password):
    page.goto(page.base + "/accounts/login/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", password)
    page.click("button:has-text('Sign in')")


def test_applicant_signs_up_verifies_and_applies_to_both_courses(page, call, courses, tmp_path):
    theory = tmp_path / "theory.pdf"
    notebook = tmp_path / "notebook.pdf"
    theory.write_bytes(PDF_BYTES)
    notebook.write_bytes(PDF_BYTES)

    page.goto(page.base + "/apply/")
    # The deadline in the viewer's zone (filled in by the page's script), Eastern beside it.
    page.wait_for_selector(
        ".both-times--two[data-zone='Europe/Berlin'] .viewer-time:has-text('GMT+1')"
    )
    page.click("text=Create an account")
    page.fill("input[name=email]", "grace@mit.edu")
    page.fill("input[name=password1]", "a-long-passphrase-77")
    page.fill("input[name=password2]", "a-long-passphrase-77")
    page.click("button:has-text('Create account')")
    page.wait_for_selector("text=Confirm your email address")

    # Sign-up only queues the link; deliver it as the outbox worker would.
    assert mail.outbox == []
    assert OutgoingEmail.objects.send_due()["sent"] == 1
    link = re.search(r"https?://[^/\s]+(/accounts/verify/\S+/)", mail.outbox[-1].body).group(1)
    page.goto(page.base + link)
    page.wait_for_selector("text=is confirmed")

    page.goto(page.base + "/apply/form/")
    page.check(f"input[name=courses][value='{courses[0].pk}']")
    page.check(f"input[name=courses][value='{courses[1].pk}']")
    page.select_option("select[name=preferred_course]", str(courses[1].pk))
    page.check("input[name=institution][value='MIT']")
    page.check("input[name=program][value='graduate']")
    page.check("input[name=prerequisites_taken][value='6.046']")
    page.check("input[name=prerequisites_taken][value='6.036']")
    page.fill("textarea[name=statement]", "I would like to reproduce grokking.")
    page.set_input_files("input[name=pset0_theory]", str(theory))
    page.set_input_files("input[name=pset0_programming]", str(notebook))
    page.click("button:has-text('Submit application')")

    page.wait_for_selector("text=Application submitted")
    rows = page.locator("tr.course-application")
    assert rows.count() == 2
    assert page.locator("tr[data-course='18.408']").inner_text().count("(preferred)") == 1
    for code in ("CS 229br", "18.408"):
        assert "Under review" in page.locator(f"tr[data-course='{code}'] .state").inner_text()
    application = Application.objects.get(applicant__email="grace@mit.edu")
    assert application.is_submitted and not application.is_late
    assert application.pset0_programming.read() == PDF_BYTES


def test_staff_admit_up_to_capacity_and_the_next_is_refused(page, call, courses, staff):
    cs229br = courses[0]
    for i in range(3):
        make_submitted(call, make_applicant(f"s{i}@harvard.edu"), [cs229br])
    sign_in(page, "staff@harvard.edu", "staff-pass-123")
    page.goto(page.base + f"/apply/review/course/{cs229br.pk}/")
    for i in range(2):
        page.click(f"tr[data-email='s{i}@harvard.edu'] button:has-text('Admit')")
        page.wait_for_selector(f"#capacity:has-text('{i + 1} of 2')")
    page.click("tr[data-email='s2@harvard.edu'] button:has-text('Admit')")
    alert = page.locator("main .messages .message.error[role=alert]")
    alert.wait_for()
    assert "CS 229br is full: 2 of 2 places are taken" in alert.inner_text()
    assert "Under review" in page.locator("tr[data-email='s2@harvard.edu'] .state").inner_text()
    assert CourseApplication.seats_taken(cs229br) == 2


def test_anonymous_visitor_cannot_get_an_applicants_file(page, call, courses, applicant):
    application = make_submitted(call, applicant, courses)
    url = f"{page.base}/apply/files/{application.pk}/pset0-theory/"
    response = page.request.get(url)
    assert response.url.startswith(page.base + "/accounts/login/")
    assert "application/pdf" not in response.headers.get("content-type", "")
    assert PDF_BYTES not in response.body()

    # Nor can another signed-in applicant.
    make_applicant("mallory@mit.edu")
    sign_in(page, "mallory@mit.edu", "a-long-passphrase-1")
    page.wait_for_url(re.compile(r".*/$"))
    response = page.request.get(url)
    assert response.status == 404
    assert PDF_BYTES not in response.body()
