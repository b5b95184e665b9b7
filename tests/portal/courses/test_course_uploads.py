"""Replacing a lecture's slides or an assignment's PDF deletes the file it replaced."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from mltheory.portal.courses.models import Assignment, Lecture

pytestmark = pytest.mark.django_db


def test_replaced_slides_and_assignment_pdfs_are_deleted(
    cs229br, pdf_upload, django_capture_on_commit_callbacks
):
    now = timezone.now()
    lecture = Lecture.objects.create(
        title="Generalization", starts_at=now, ends_at=now + timedelta(hours=3)
    )
    assignment = Assignment.objects.create(
        title="Problem set 1", released_at=now, due_at=now + timedelta(days=7)
    )
    for obj, field in ((lecture, "slides"), (assignment, "pdf")):
        setattr(obj, field, pdf_upload("v1.pdf"))
        obj.save()
        old = getattr(obj, field).name
        with django_capture_on_commit_callbacks(execute=True):
            setattr(obj, field, pdf_upload("v2.pdf"))
            obj.save()
        new = getattr(obj, field).name
        assert new != old and default_storage.exists(new)
        assert not default_storage.exists(old)
