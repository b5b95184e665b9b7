"""Fixtures for admissions: a current offering with two courses, an open call, applicants."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from pypdf import PdfWriter

from mltheory.portal.accounts.models import EmailVerification
from mltheory.portal.admissions.models import Application, ApplicationCall
from mltheory.portal.courses.models import Course, Offering


def _one_page_pdf() -> bytes:
    """A small real PDF (one blank page): uploads are checked by opening them with pypdf."""
    writer = PdfWriter()
    writer.add_blank_page(width=72, height=72)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


PDF_BYTES = _one_page_pdf()


def pdf_upload(name: str = "pset0.pdf", content: bytes = PDF_BYTES) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def offering(db):
    return Offering.objects.create(name="Spring 2021", slug="spring-2021", is_current=True)


@pytest.fixture
def courses(offering):
    cs229br = Course.objects.create(
        offering=offering,
        code="CS 229br",
        slug="cs229br",
        title="Foundations of Deep Learning",
        institution="Harvard",
        institution_domains="harvard.edu",
        instructor="Boaz Barak",
        capacity=2,
    )
    mit18408 = Course.objects.create(
        offering=offering,
        code="18.408",
        slug="18-408",
        title="Theoretical Foundations for Deep Learning",
        institution="MIT",
        institution_domains="mit.edu",
        instructor="Ankur Moitra",
        capacity=2,
    )
    return cs229br, mit18408


@pytest.fixture
def call(courses, offering):
    return ApplicationCall.objects.create(
        offering=offering, full_consideration_at=timezone.now() + timedelta(days=7)
    )


def make_applicant(email: str, verified: bool = True) -> User:
    user = User.objects.create_user(username=email, email=email, password="a-long-passphrase-1")
    if verified:
        EmailVerification.mark_verified(user)
    return user


@pytest.fixture
def applicant(db):
    return make_applicant("ada@college.harvard.edu")


def make_submitted(call, user, courses, institution="Harvard", late=False) -> Application:
    application = Application.objects.create(
        call=call,
        applicant=user,
        institution=institution,
        program="graduate",
        statement="I want to learn why deep learning generalizes.",
        pset0_theory=pdf_upload("t.pdf"),
        pset0_programming=pdf_upload("p.pdf"),
    )
    application.set_courses(courses)
    application.submit(now=call.full_consideration_at + timedelta(hours=1) if late else None)
    return application


@pytest.fixture
def staff(db):
    user = User.objects.create_user(
        username="staff@harvard.edu",
        email="staff@harvard.edu",
        password="staff-pass-123",
        is_staff=True,
    )
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="admissions",
            codename__in=[
                "view_application",
                "view_courseapplication",
                "change_courseapplication",
                "decide",
                "add_review",
                "view_review",
            ],
        )
    )
    return User.objects.get(pk=user.pk)  # fresh instance: permission cache empty
