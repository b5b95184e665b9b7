"""Application uploads: a replaced PDF's old file is deleted (only files the portal stored
for that field), and an over-large request is refused before it is read."""

from __future__ import annotations

import io

import pytest
from django.core.files.storage import default_storage

from mltheory.portal.admissions.models import Application
from mltheory.portal.request_limits import max_request_bytes

from .conftest import pdf_upload

pytestmark = pytest.mark.django_db

FORM_URL = "/apply/form/"


def _draft(client, **fields):
    data = {"action": "draft", "statement": "Draft statement", **fields}
    response = client.post(FORM_URL, data)
    assert response.status_code == 302, response.content[:500]
    return Application.objects.get()


def test_replacing_an_upload_deletes_the_old_file(
    client, call, courses, applicant, django_capture_on_commit_callbacks
):
    client.force_login(applicant)
    first = _draft(client, pset0_theory=pdf_upload("v1.pdf")).pset0_theory.name
    assert default_storage.exists(first)
    # The old file goes once the transaction that replaced it commits.
    with django_capture_on_commit_callbacks(execute=True):
        second = _draft(client, pset0_theory=pdf_upload("v2.pdf")).pset0_theory.name
    assert second != first
    assert default_storage.exists(second)
    assert not default_storage.exists(first)
    # Saving without a new upload keeps the current file.
    assert _draft(client, statement="Edited").pset0_theory.name == second
    assert default_storage.exists(second)


def test_a_file_the_portal_did_not_store_for_that_field_is_never_deleted(
    client, call, courses, applicant, django_capture_on_commit_callbacks
):
    client.force_login(applicant)
    application = _draft(client)
    foreign = default_storage.save("shared/keep-me.pdf", io.BytesIO(b"%PDF- someone's file"))
    Application.objects.filter(pk=application.pk).update(pset0_theory=foreign)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        _draft(client, pset0_theory=pdf_upload("mine.pdf"))
    assert callbacks == []
    assert default_storage.exists(foreign)


def test_a_rejected_replacement_keeps_the_old_file(
    client, call, courses, applicant, django_capture_on_commit_callbacks
):
    client.force_login(applicant)
    first = _draft(client, pset0_theory=pdf_upload("v1.pdf")).pset0_theory.name
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            FORM_URL,
            {"action": "draft", "statement": "x", "pset0_theory": pdf_upload("bad.pdf", b"no")},
        )
    assert Application.objects.get().pset0_theory.name == first
    assert default_storage.exists(first)


class EndlessUpload(io.RawIOBase):
    """A request body that never ends, counting what the server reads of it."""

    def __init__(self):
        self.bytes_read = 0

    def readable(self):
        return True

    def readinto(self, buffer):
        buffer[:] = b"0" * len(buffer)
        self.bytes_read += len(buffer)
        return len(buffer)


def test_a_200_mb_upload_is_refused_before_it_is_read_and_the_draft_is_kept(
    client, call, courses, applicant
):
    client.force_login(applicant)
    _draft(client, statement="My saved draft", pset0_theory=pdf_upload("v1.pdf"))
    before = Application.objects.values().get()
    body = EndlessUpload()
    size = 200 * 1024 * 1024
    assert size > max_request_bytes()
    response = client.generic(
        "POST",
        FORM_URL,
        content_type="multipart/form-data; boundary=XYZ",
        CONTENT_LENGTH=str(size),
        **{"wsgi.input": body},
    )
    assert response.status_code == 413
    page = response.content.decode()
    assert "too large" in page and "each file may be at most 10 MB" in page
    assert body.bytes_read == 0
    assert Application.objects.values().get() == before


def test_an_upload_over_the_file_limit_but_within_the_request_limit_is_a_form_error(
    client, call, courses, applicant, settings
):
    settings.MAX_UPLOAD_BYTES = 2000
    client.force_login(applicant)
    big = pdf_upload("big.pdf", b"%PDF-1.4\n" + b"0" * 3000)
    response = client.post(FORM_URL, {"action": "draft", "statement": "kept", "pset0_theory": big})
    assert response.status_code == 200
    assert "the limit is" in str(response.context["form"].errors["pset0_theory"])
    assert Application.objects.get().statement == "kept"
