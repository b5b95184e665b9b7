"""Course pages: home page, course page and lecture plan, iCal feed, assignments, downloads."""

from __future__ import annotations

from datetime import datetime, timedelta
from datetime import timezone as datetime_timezone

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from mltheory.portal.admissions.models import ApplicationCall
from mltheory.portal.courses.models import Lecture, Submission
from mltheory.portal.seminars.models import Talk


@pytest.fixture
def shared_lecture(cs229br, mit18408):
    start, end = cs229br.first_meeting
    lecture = Lecture.objects.create(
        starts_at=start,
        ends_at=end,
        title="Introduction; a blitz through classical learning theory",
        experiments="min-norm, random-labels",
        video_url="https://example.org/video",
    )
    lecture.courses.add(cs229br, mit18408)
    return lecture


def assignment_url(course, assignment) -> str:
    return reverse("courses:assignment", args=[course.offering.slug, course.slug, assignment.pk])


def test_home_shows_both_courses_with_times_and_sister_links(client, cs229br, mit18408):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert reverse("courses:home") == "/"
    for course in (cs229br, mit18408):
        assert course.code in html and course.instructor in html
        assert f'href="{course.get_absolute_url()}"' in html
    assert "Mondays 12:00–15:00 Eastern" in html
    assert "Wednesdays 12:00–15:00 Eastern" in html
    # First lectures via both_times: Eastern text plus the UTC instant for the viewer's zone.
    assert "Mon Jan 25, 2021, 12:00 PM EST" in html
    # A valid HTML datetime: UTC to the second, no microseconds.
    assert 'data-utc="2021-01-25T17:00:00Z"' in html
    assert 'datetime="2021-01-25T17:00:00Z"' in html
    assert "Wed Feb 17, 2021, 12:00 PM EST" in html
    assert html.count('class="sister"') == 2
    for course in (cs229br, mit18408):
        card = html.split(f'id="course-{course.slug}"', 1)[1].split("</article>", 1)[0]
        assert f"limited to {course.capacity} students" in card


def test_home_without_an_offering_says_so(client, db):
    response = client.get("/")
    assert response.status_code == 200
    assert "No courses are published yet" in response.content.decode()


def _apply_section(html: str) -> str:
    # The navigation bar links /apply/ on every page; only the call's own section counts here.
    return html.split('id="apply"', 1)[1].split("</section>", 1)[0]


def test_home_shows_call_deadline_and_upcoming_talks(client, cs229br, offering):
    call = ApplicationCall.objects.create(
        offering=offering,
        full_consideration_at=datetime(2021, 1, 22, 4, 59, tzinfo=datetime_timezone.utc),
        closes_at=datetime(2030, 2, 1, 4, 59, tzinfo=datetime_timezone.utc),
    )
    talk = Talk.objects.create(
        title="Example talk: benign overfitting",
        speakers="A. Speaker (example)",
        starts_at=datetime(2030, 3, 1, 17, tzinfo=datetime_timezone.utc),
        ends_at=datetime(2030, 3, 1, 18, tzinfo=datetime_timezone.utc),
    )
    html = client.get("/").content.decode()
    section = _apply_section(html)
    assert "apply by <span" in section and "Thu Jan 21, 2021, 11:59 PM EST" in section
    assert "Applications close" in section and "Thu Jan 31, 2030, 11:59 PM EST" in section
    assert f'href="{reverse("admissions:apply")}">Apply now' in section
    assert "Example talk: benign overfitting" in html and talk.get_absolute_url() in html
    assert "Fri Mar 1, 2030, 12:00 PM EST" in html

    # After the hard close the home page says so instead of inviting applications.
    call.closes_at = datetime(2021, 2, 1, 4, 59, tzinfo=datetime_timezone.utc)
    call.save()
    section = _apply_section(client.get("/").content.decode())
    assert "Applications are closed" in section and "Sun Jan 31, 2021, 11:59 PM EST" in section
    assert "Apply now" not in section


def test_course_page_lists_lecture_plan_with_shared_lecture(
    client, cs229br, mit18408, shared_lecture
):
    for course in (cs229br, mit18408):
        html = client.get(course.get_absolute_url()).content.decode()
        assert shared_lecture.title in html
        assert "Shared lecture" in html
        assert "<code>mlt run min-norm</code>" in html
        assert 'href="https://example.org/video"' in html
        assert f"limited to {course.capacity} students" in html
    html = client.get(cs229br.get_absolute_url()).content.decode()
    assert f'href="{mit18408.get_absolute_url()}"' in html


def test_course_page_has_webcal_and_google_calendar_links(client, cs229br):
    html = client.get(cs229br.get_absolute_url()).content.decode()
    feed = "testserver/courses/spring-2021/cs229br/calendar.ics"
    assert f'href="webcal://{feed}"' in html
    assert "https://calendar.google.com/calendar/render?cid=webcal%3A%2F%2Ftestserver" in html


def test_course_calendar_feed_has_the_lectures_in_utc(client, cs229br, mit18408, shared_lecture):
    response = client.get(reverse("courses:calendar", args=["spring-2021", "18408"]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    events = calendar.walk("VEVENT")
    assert len(events) == 1
    assert events[0]["summary"] == f"18.408: {shared_lecture.title}"
    assert events[0].decoded("dtstart") == shared_lecture.starts_at
    # DTSTAMP says when the feed was made, not when the lecture starts (2021).
    assert abs(events[0].decoded("dtstamp") - timezone.now()) < timedelta(minutes=5)


def test_unknown_course_is_404(client, cs229br):
    assert client.get("/courses/spring-2021/nope/").status_code == 404


def test_unreleased_assignment_is_hidden_from_students(client, cs229br, open_assignment, student):
    open_assignment.released_at = timezone.now() + timedelta(days=1)
    open_assignment.save()
    client.force_login(student)
    assert open_assignment.title not in client.get(cs229br.get_absolute_url()).content.decode()
    assert client.get(assignment_url(cs229br, open_assignment)).status_code == 404


def test_assignment_is_404_under_a_course_it_does_not_belong_to(
    client, mit18408, closed_assignment
):
    assert client.get(assignment_url(mit18408, closed_assignment)).status_code == 404


def test_enrolled_student_uploads_solution_and_sees_it_listed(
    client, cs229br, open_assignment, student, pdf_upload
):
    client.force_login(student)
    url = assignment_url(cs229br, open_assignment)
    response = client.post(url, {"file": pdf_upload("my-solution.pdf")}, follow=True)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Your solution was received." in html
    submission = Submission.objects.get()
    assert submission.student == student
    assert f'href="{submission.get_download_url()}"' in html and "my-solution.pdf" in html


def test_not_a_pdf_is_refused_with_a_clear_error(
    client, cs229br, open_assignment, student, pdf_upload
):
    client.force_login(student)
    response = client.post(
        assignment_url(cs229br, open_assignment), {"file": pdf_upload("x.pdf", b"GIF89a")}
    )
    assert response.status_code == 400
    assert "is not a PDF file" in response.content.decode()
    assert not Submission.objects.exists()


def test_upload_after_due_is_refused_with_a_clear_message(
    client, cs229br, closed_assignment, student, pdf_upload
):
    client.force_login(student)
    url = assignment_url(cs229br, closed_assignment)
    page = client.get(url).content.decode()
    assert "solutions are no longer accepted" in page and 'type="file"' not in page
    response = client.post(url, {"file": pdf_upload()})
    assert response.status_code == 400
    assert "The due date has passed" in response.content.decode()
    assert not Submission.objects.exists()


def test_unenrolled_user_cannot_upload(
    client, cs229br, open_assignment, django_user_model, pdf_upload
):
    outsider = django_user_model.objects.create_user("eve", "eve@example.org", "pw")
    client.force_login(outsider)
    url = assignment_url(cs229br, open_assignment)
    assert "Only students enrolled" in client.get(url).content.decode()
    assert client.post(url, {"file": pdf_upload()}).status_code == 403
    client.logout()
    assert client.post(url, {"file": pdf_upload()}).status_code == 403
    assert not Submission.objects.exists()


def test_submission_download_is_owner_or_permitted_staff_only(
    client, open_assignment, student, other_student, django_user_model, pdf_upload, pdf_bytes
):
    submission = open_assignment.submit(student, pdf_upload("ada.pdf"))
    url = submission.get_download_url()

    assert client.get(url).status_code == 404  # anonymous
    client.force_login(other_student)
    assert client.get(url).status_code == 404
    staff = django_user_model.objects.create_user("ta", "ta@example.org", "pw", is_staff=True)
    client.force_login(staff)
    assert client.get(url).status_code == 404  # staff without the permission
    staff.user_permissions.add(Permission.objects.get(codename="view_submission"))
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == pdf_bytes
    client.force_login(student)
    response = client.get(url)
    assert response.status_code == 200
    assert 'filename="ada.pdf"' in response["Content-Disposition"]
    assert response["Cache-Control"] == "private, no-store"  # no cache keeps a student's work


def test_lecture_slides_and_assignment_pdf_download(
    client, cs229br, shared_lecture, open_assignment, pdf_upload, pdf_bytes
):
    assert (
        client.get(reverse("courses:lecture_slides", args=[shared_lecture.pk])).status_code == 404
    )
    shared_lecture.slides = pdf_upload("lecture1.pdf")
    shared_lecture.save()
    response = client.get(reverse("courses:lecture_slides", args=[shared_lecture.pk]))
    assert b"".join(response.streaming_content) == pdf_bytes
    assert "no-store" not in response.get("Cache-Control", "")  # public course material
    open_assignment.pdf = pdf_upload("pset1.pdf")
    open_assignment.save()
    html = client.get(assignment_url(cs229br, open_assignment)).content.decode()
    pdf_url = reverse("courses:assignment_pdf", args=[open_assignment.pk])
    assert f'href="{pdf_url}"' in html
    assert client.get(pdf_url).status_code == 200
    open_assignment.released_at = timezone.now() + timedelta(days=1)
    open_assignment.save()
    assert client.get(pdf_url).status_code == 404


def test_admin_pages_render_with_private_files(
    admin_client, shared_lecture, open_assignment, student, pdf_upload
):
    shared_lecture.slides = pdf_upload("lecture1.pdf")
    shared_lecture.save()
    submission = open_assignment.submit(student, pdf_upload("ada.pdf"))
    for url in [
        reverse("admin:courses_lecture_change", args=[shared_lecture.pk]),
        reverse("admin:courses_assignment_change", args=[open_assignment.pk]),
        reverse("admin:courses_submission_change", args=[submission.pk]),
        reverse("admin:courses_course_changelist"),
        reverse("admin:courses_lecture_changelist"),
    ]:
        assert admin_client.get(url).status_code == 200, url
    html = admin_client.get(
        reverse("admin:courses_submission_change", args=[submission.pk])
    ).content.decode()
    assert submission.get_download_url() in html
