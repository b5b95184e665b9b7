"""The applicant's side: drafts, submission, verification, deadlines, uploads, privacy."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from mltheory.portal.admissions.models import Application

from .conftest import PDF_BYTES, make_applicant, make_submitted, pdf_upload

pytestmark = pytest.mark.django_db

FORM_URL = reverse("admissions:form")


def complete_post(courses, action="submit", **overrides):
    data = {
        "action": action,
        "courses": [c.pk for c in courses],
        "preferred_course": courses[0].pk if len(courses) > 1 else "",
        "institution": "Harvard",
        "program": "undergraduate",
        "prerequisites_taken": ["CS 121", "CS 124", "CS 181"],
        "prerequisites_note": "Also took Stat 110.",
        "statement": "I want to reproduce double descent.",
        "pset0_theory": pdf_upload("theory.pdf"),
        "pset0_programming": pdf_upload("notebook.pdf"),
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_anonymous_is_sent_to_sign_in(client, call):
    response = client.get(FORM_URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_submit_both_courses_with_preference(client, call, courses, applicant):
    client.force_login(applicant)
    response = client.post(FORM_URL, complete_post(courses))
    assert response.status_code == 302 and response["Location"] == reverse("admissions:status")
    application = Application.objects.get(applicant=applicant)
    assert application.is_submitted and not application.is_late
    assert set(application.courses()) == set(courses)
    assert application.preferred_course == courses[0]
    assert application.prerequisites_taken == ["CS 121", "CS 124", "CS 181"]
    assert application.pset0_theory.read() == PDF_BYTES
    # The client's file name is not used for storage.
    assert "theory" not in application.pset0_theory.name.split("/")[-2]
    assert application.pset0_theory.name.endswith("pset0-theory.pdf")


def test_draft_saves_partial_answers_without_verification(client, call, courses):
    user = make_applicant("new@mit.edu", verified=False)
    client.force_login(user)
    response = client.post(
        FORM_URL, {"action": "draft", "statement": "Half a statement", "courses": [courses[1].pk]}
    )
    assert response.status_code == 302
    application = Application.objects.get(applicant=user)
    assert application.status == Application.Status.DRAFT
    assert application.statement == "Half a statement"
    assert list(application.courses()) == [courses[1]]


def test_unverified_cannot_submit_and_keeps_the_draft(client, call, courses):
    user = make_applicant("new@mit.edu", verified=False)
    client.force_login(user)
    response = client.post(FORM_URL, complete_post(courses))
    assert response.status_code == 200
    assert "Confirm your email address" in response.content.decode()
    application = Application.objects.get(applicant=user)
    assert application.status == Application.Status.DRAFT
    assert application.statement == "I want to reproduce double descent."
    assert application.pset0_theory  # the valid uploads are kept too


def test_submit_reports_every_missing_field(client, call, applicant):
    client.force_login(applicant)
    response = client.post(FORM_URL, {"action": "submit"})
    errors = response.context["form"].errors
    assert set(errors) == {
        "courses",
        "institution",
        "program",
        "statement",
        "pset0_theory",
        "pset0_programming",
    }
    assert Application.objects.get(applicant=applicant).status == Application.Status.DRAFT


def test_rejected_upload_leaves_the_rest_intact(client, call, courses, applicant):
    client.force_login(applicant)
    client.post(FORM_URL, complete_post(courses, action="draft"))
    application = Application.objects.get(applicant=applicant)
    old_theory = application.pset0_theory.name
    # A Word file named .pdf: rejected by content, not accepted by name.
    fake = SimpleUploadedFile("theory.pdf", b"PK\x03\x04 not a pdf", content_type="application/pdf")
    response = client.post(
        FORM_URL,
        complete_post(courses, pset0_theory=fake, statement="Revised statement"),
    )
    assert response.status_code == 200
    assert "is not a PDF file" in str(response.context["form"].errors["pset0_theory"])
    application.refresh_from_db()
    assert application.status == Application.Status.DRAFT
    assert application.pset0_theory.name == old_theory  # the earlier PDF stays
    assert application.statement == "Revised statement"  # other answers saved
    assert application.pset0_programming  # the valid upload in the same request saved


def test_pdf_is_recognised_by_content_not_name(client, call, courses, applicant):
    client.force_login(applicant)
    renamed = SimpleUploadedFile("export.txt", PDF_BYTES, content_type="text/plain")
    response = client.post(FORM_URL, complete_post(courses, pset0_programming=renamed))
    assert response.status_code == 302
    assert Application.objects.get(applicant=applicant).is_submitted


def test_upload_size_limit(client, call, courses, applicant, settings):
    settings.MAX_UPLOAD_BYTES = 1000
    client.force_login(applicant)
    big = pdf_upload("big.pdf", b"%PDF-1.4\n" + b"0" * 2000 + b"\n%%EOF\n")
    response = client.post(FORM_URL, complete_post(courses, pset0_theory=big))
    assert "the limit is" in str(response.context["form"].errors["pset0_theory"])
    assert not Application.objects.get(applicant=applicant).is_submitted


def test_preferred_course_must_be_one_applied_to(client, call, courses, applicant, offering):
    from mltheory.portal.courses.models import Course

    third = Course.objects.create(
        offering=offering,
        code="X 1",
        slug="x1",
        title="x",
        institution="MIT",
        instructor="x",
        capacity=1,
    )
    client.force_login(applicant)
    response = client.post(FORM_URL, complete_post(courses, preferred_course=third.pk))
    assert "preferred_course" in response.context["form"].errors


def test_late_submission_is_accepted_and_marked(client, call, courses, applicant):
    call.full_consideration_at = timezone.now() - timedelta(days=1)
    call.save()
    client.force_login(applicant)
    page = client.get(reverse("admissions:apply")).content.decode()
    assert "marked late" in page
    response = client.post(FORM_URL, complete_post(courses))
    assert response.status_code == 302
    assert Application.objects.get(applicant=applicant).is_late


def test_submitted_application_editable_before_full_consideration_only(
    client, call, courses, applicant
):
    application = make_submitted(call, applicant, courses)
    client.force_login(applicant)
    response = client.post(
        FORM_URL,
        complete_post(courses, statement="Edited", pset0_theory=None, pset0_programming=None),
    )
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.statement == "Edited" and application.is_submitted

    call.full_consideration_at = timezone.now() - timedelta(minutes=1)
    call.save()
    response = client.post(FORM_URL, complete_post(courses, statement="Too late"))
    assert response.status_code == 302 and response["Location"] == reverse("admissions:status")
    application.refresh_from_db()
    assert application.statement == "Edited"


def test_hard_close_ends_the_form_with_a_message(client, call, courses, applicant):
    call.full_consideration_at = timezone.now() - timedelta(days=2)
    call.closes_at = timezone.now() - timedelta(days=1)
    call.save()
    client.force_login(applicant)
    response = client.post(FORM_URL, complete_post(courses))
    assert response.status_code == 403
    assert "Applications are closed" in response.content.decode()
    assert not Application.objects.filter(applicant=applicant).exists()
    assert "Applications are closed" in client.get(reverse("admissions:apply")).content.decode()


def test_apply_page_shows_the_deadline_in_eastern_time(client, offering, courses):
    from mltheory.portal.admissions import demo

    demo.load(offering)
    page = client.get(reverse("admissions:apply")).content.decode()
    assert "Thu Jan 21, 2021, 11:59 PM EST" in page
    assert 'data-utc="2021-01-22T04:59:00Z"' in page


def test_status_shows_only_own_application(client, call, courses, applicant):
    other = make_submitted(call, make_applicant("bob@mit.edu"), courses, "MIT")
    other.statement = "Bob's secret statement"
    other.save()
    mine = make_submitted(call, applicant, courses)
    client.force_login(applicant)
    page = client.get(reverse("admissions:status")).content.decode()
    assert mine.statement in page and "Bob's secret statement" not in page


def test_files_only_for_the_applicant_and_staff(client, call, courses, applicant, staff):
    application = make_submitted(call, applicant, courses)
    url = reverse("admissions:file", args=[application.pk, "pset0-theory"])

    response = client.get(url)
    assert response.status_code == 302  # anonymous: to sign in, no file

    client.force_login(make_applicant("bob@mit.edu"))
    assert client.get(url).status_code == 404

    for user in (applicant, staff):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == PDF_BYTES
        assert response["Content-Disposition"].startswith("attachment")
        assert "no-store" in response["Cache-Control"]

    assert client.get(reverse("admissions:file", args=[application.pk, "other"])).status_code == 404


def test_media_files_are_not_served(client, call, courses, applicant):
    application = make_submitted(call, applicant, courses)
    response = client.get("/media/" + application.pset0_theory.name)
    assert response.status_code == 404


def test_respond_only_to_own_admission(client, call, courses, applicant):
    from mltheory.portal.admissions.models import CourseApplication

    application = make_submitted(call, applicant, courses)
    ca = application.course_applications.first()
    ca.decide(CourseApplication.State.ADMITTED)
    client.force_login(make_applicant("bob@mit.edu"))
    response = client.post(reverse("admissions:respond", args=[ca.pk]), {"action": "accept"})
    assert response.status_code == 404
    client.force_login(applicant)
    client.post(reverse("admissions:respond", args=[ca.pk]), {"action": "accept"})
    ca.refresh_from_db()
    assert ca.state == CourseApplication.State.ACCEPTED


def test_a_reply_without_a_choice_changes_nothing(client, call, courses, applicant):
    from mltheory.portal.admissions.models import CourseApplication

    ca = make_submitted(call, applicant, courses).course_applications.first()
    ca.decide(CourseApplication.State.ADMITTED)
    client.force_login(applicant)
    response = client.post(reverse("admissions:respond", args=[ca.pk]), follow=True)
    assert "Nothing changed" in response.content.decode()
    ca.refresh_from_db()
    assert ca.state == CourseApplication.State.ADMITTED  # not declined by default
