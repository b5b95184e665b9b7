"""Courses, lectures and assignments: times, validation and shared items."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date, datetime, time, timedelta
from datetime import timezone as datetime_timezone

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from mltheory.portal.courses.admin import SharedAcrossCoursesForm
from mltheory.portal.courses.models import Assignment, Course, Lecture, Offering
from mltheory.portal.courses.slide_files import OLE_MAGIC, validate_slides


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=datetime_timezone.utc)


def test_meeting_time_is_eastern_wall_clock_across_daylight_saving(cs229br):
    # 12:00 Eastern is 17:00 UTC in winter (EST) and 16:00 UTC after the March switch (EDT).
    assert cs229br.meeting_on(date(2021, 1, 25)) == (utc(2021, 1, 25, 17), utc(2021, 1, 25, 20))
    assert cs229br.meeting_on(date(2021, 4, 19)) == (utc(2021, 4, 19, 16), utc(2021, 4, 19, 19))
    assert cs229br.first_meeting[0] == utc(2021, 1, 25, 17)
    assert cs229br.meeting_summary == "Mondays 12:00–15:00 Eastern"


def test_sister_course_is_the_other_course_of_the_offering(cs229br, mit18408):
    other_offering = Offering.objects.create(name="Fall 2021", slug="fall-2021")
    Course.objects.create(
        offering=other_offering, code="CS 229br", slug="cs229br", title="x", institution="Harvard",
        instructor="x", capacity=1,
    )  # fmt: skip
    assert list(cs229br.sister_courses()) == [mit18408]
    assert list(mit18408.sister_courses()) == [cs229br]


def test_course_rejects_first_lecture_on_the_wrong_weekday(cs229br):
    cs229br.first_lecture_date = date(2021, 1, 27)  # a Wednesday
    with pytest.raises(ValidationError, match="not a Monday"):
        cs229br.full_clean()


def test_course_rejects_meeting_that_ends_before_it_starts(cs229br):
    cs229br.meeting_end = time(11)
    with pytest.raises(ValidationError, match="end after it starts"):
        cs229br.full_clean()


def test_course_rejects_half_given_meeting_time(cs229br):
    cs229br.meeting_end = None
    with pytest.raises(ValidationError, match="together"):
        cs229br.full_clean()


def test_shared_lecture_appears_in_both_plans(cs229br, mit18408):
    start, end = cs229br.meeting_on(date(2021, 4, 19))
    shared = Lecture.objects.create(starts_at=start, ends_at=end, title="Adversarial robustness")
    shared.courses.add(cs229br, mit18408)
    only_cs = Lecture.objects.create(
        starts_at=start + timedelta(days=7), ends_at=end + timedelta(days=7), title="Stat phys"
    )
    only_cs.courses.add(cs229br)
    assert list(cs229br.lectures.all()) == [shared, only_cs]
    assert list(mit18408.lectures.all()) == [shared]
    assert shared.is_shared() and not only_cs.is_shared()


def test_shared_items_cannot_span_offerings(cs229br):
    fall = Offering.objects.create(name="Fall 2021", slug="fall-2021")
    fall_course = Course.objects.create(
        offering=fall, code="X", slug="x", title="x", institution="x", instructor="x", capacity=1
    )
    start, end = cs229br.first_meeting

    class LectureForm(SharedAcrossCoursesForm):
        class Meta:
            model = Lecture
            fields = ["courses", "starts_at", "ends_at", "title"]

    data = {"starts_at": start, "ends_at": end, "title": "t"}
    form = LectureForm(data={**data, "courses": [cs229br.pk, fall_course.pk]})
    assert not form.is_valid()
    assert "same offering" in str(form.errors["courses"])
    assert LectureForm(data={**data, "courses": [cs229br.pk]}).is_valid()


def test_lecture_must_end_after_it_starts(cs229br):
    start, _ = cs229br.first_meeting
    lecture = Lecture(starts_at=start, ends_at=start, title="t")
    with pytest.raises(ValidationError, match="end after it starts"):
        lecture.full_clean()


def _pptx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("ppt/presentation.xml", "<p:presentation/>")
    return buffer.getvalue()


def _docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    "name, content",
    [
        ("slides.pdf", None),  # the pdf_bytes fixture: a real one-page PDF
        ("slides.pptx", _pptx_bytes()),
        ("slides.ppt", OLE_MAGIC + b"\x00" * 600),
        # The name does not matter, the content does.
        ("slides.bin", _pptx_bytes()),
    ],
)
def test_slides_accept_pdf_and_powerpoint_by_content(name, content, pdf_bytes):
    upload = SimpleUploadedFile(name, pdf_bytes if content is None else content)
    validate_slides(upload)
    assert upload.tell() == 0


@pytest.mark.parametrize(
    "name, content",
    [
        ("slides.pdf", b"<html>not a pdf</html>"),
        ("slides.pptx", _docx_bytes()),  # a Word document renamed
        ("slides.pptx", b"PK\x03\x04 truncated zip"),
        ("slides.ppt", b"plain text"),
        ("slides.pdf", b"%PDF-1.4 but never finished"),
    ],
)
def test_slides_reject_other_content_with_a_clear_message(name, content):
    with pytest.raises(ValidationError, match=r"not a PDF|neither a PDF nor a PowerPoint"):
        validate_slides(SimpleUploadedFile(name, content))


def test_slides_reject_files_over_the_limit(settings, pdf_bytes):
    settings.MAX_UPLOAD_BYTES = 100
    with pytest.raises(ValidationError, match="the limit is"):
        validate_slides(SimpleUploadedFile("big.pdf", pdf_bytes + b"x" * 200))


def test_slides_link_prefers_uploaded_file(cs229br, pdf_upload):
    start, end = cs229br.first_meeting
    lecture = Lecture.objects.create(
        starts_at=start, ends_at=end, title="t", slides_url="https://example.org/s.pdf"
    )
    assert lecture.slides_link == "https://example.org/s.pdf"
    lecture.slides = pdf_upload("s.pdf")
    lecture.save()
    assert lecture.slides_link == f"/lectures/{lecture.pk}/slides/"


def test_assignment_needs_material_and_a_due_date_after_release():
    now = timezone.now()
    empty = Assignment(title="t", released_at=now, due_at=now + timedelta(days=1))
    with pytest.raises(ValidationError, match="PDF, a link or lab experiments"):
        empty.full_clean()
    backwards = Assignment(title="t", released_at=now, due_at=now, url="https://example.org")
    with pytest.raises(ValidationError, match="after the release"):
        backwards.full_clean()


def test_released_assignments(open_assignment, cs229br):
    future = Assignment.objects.create(
        title="Later",
        released_at=timezone.now() + timedelta(days=3),
        due_at=timezone.now() + timedelta(days=10),
        url="https://example.org",
    )
    future.courses.add(cs229br)
    assert list(cs229br.assignments.released()) == [open_assignment]
    assert open_assignment.experiment_names == ["min-norm"]


def test_enrolled_student_submits_before_due(open_assignment, student, pdf_upload, pdf_bytes):
    submission = open_assignment.submit(student, pdf_upload("ada.pdf"))
    assert submission.original_name == "ada.pdf"
    assert submission.file.read() == pdf_bytes
    # The stored name is random (32 hex digits), not the student's file name.
    assert re.fullmatch(r"submissions/\d+/[0-9a-f]{32}\.pdf", submission.file.name)
    assert list(open_assignment.submissions.all()) == [submission]


def test_submission_after_due_is_refused_and_nothing_is_stored(
    closed_assignment, student, pdf_upload
):
    with pytest.raises(ValidationError, match="due date has passed"):
        closed_assignment.submit(student, pdf_upload())
    assert not closed_assignment.submissions.exists()


def test_unenrolled_user_cannot_submit(open_assignment, django_user_model, pdf_upload):
    outsider = django_user_model.objects.create_user("eve", "eve@example.org", "pw")
    with pytest.raises(ValidationError, match="Only students enrolled in"):
        open_assignment.submit(outsider, pdf_upload())
    assert not open_assignment.submissions.exists()


def test_submission_must_be_a_pdf(open_assignment, student, pdf_upload):
    with pytest.raises(ValidationError, match="not a PDF"):
        open_assignment.submit(student, pdf_upload("x.pdf", b"GIF89a fake"))
    assert not open_assignment.submissions.exists()
