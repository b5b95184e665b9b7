"""Fixtures for the courses app: two sister courses of one offering, students, PDF files."""

from __future__ import annotations

import io
from datetime import date, time, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from pypdf import PdfWriter

from mltheory.portal.courses.models import Assignment, Course, Enrollment, Offering, Weekday


def _one_page_pdf() -> bytes:
    """A small real PDF (one blank page): uploads are checked by opening them with pypdf."""
    writer = PdfWriter()
    writer.add_blank_page(width=72, height=72)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


PDF_BYTES = _one_page_pdf()


@pytest.fixture
def pdf_bytes() -> bytes:
    return PDF_BYTES


@pytest.fixture
def pdf_upload():
    """Make an uploaded file (a small valid PDF unless given other content)."""

    def make(name: str = "solution.pdf", content: bytes = PDF_BYTES) -> SimpleUploadedFile:
        return SimpleUploadedFile(name, content, content_type="application/pdf")

    return make


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Uploaded files go to a fresh directory per test."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def offering(db):
    return Offering.objects.create(name="Spring 2021", slug="spring-2021", is_current=True)


@pytest.fixture
def cs229br(offering):
    return Course.objects.create(
        offering=offering,
        code="CS 229br",
        slug="cs229br",
        title="Foundations of Deep Learning",
        institution="Harvard",
        instructor="Boaz Barak",
        capacity=40,
        meeting_weekday=Weekday.MONDAY,
        meeting_start=time(12),
        meeting_end=time(15),
        first_lecture_date=date(2021, 1, 25),
    )


@pytest.fixture
def mit18408(offering):
    return Course.objects.create(
        offering=offering,
        code="18.408",
        slug="18408",
        title="Theoretical Foundations for Deep Learning",
        institution="MIT",
        instructor="Ankur Moitra",
        capacity=30,
        meeting_weekday=Weekday.WEDNESDAY,
        meeting_start=time(12),
        meeting_end=time(15),
        first_lecture_date=date(2021, 2, 17),
    )


@pytest.fixture
def student(django_user_model, cs229br):
    user = django_user_model.objects.create_user("ada", "ada@harvard.edu", "pw-ada-123456")
    Enrollment.objects.create(user=user, course=cs229br)
    return user


@pytest.fixture
def other_student(django_user_model, cs229br):
    user = django_user_model.objects.create_user("bob", "bob@harvard.edu", "pw-bob-123456")
    Enrollment.objects.create(user=user, course=cs229br)
    return user


@pytest.fixture
def open_assignment(cs229br, mit18408):
    """Problem set 1, shared by both courses, released a day ago and due in a week."""
    now = timezone.now()
    assignment = Assignment.objects.create(
        title="Problem set 1",
        released_at=now - timedelta(days=1),
        due_at=now + timedelta(days=7),
        experiments="min-norm",
    )
    assignment.courses.add(cs229br, mit18408)
    return assignment


@pytest.fixture
def closed_assignment(cs229br):
    now = timezone.now()
    assignment = Assignment.objects.create(
        title="Problem set 0",
        released_at=now - timedelta(days=30),
        due_at=now - timedelta(days=1),
        url="https://example.org/pset0",
    )
    assignment.courses.add(cs229br)
    return assignment
