"""A decision email through a real SMTP server on loopback (aiosmtpd), not the test backend."""

from __future__ import annotations

import email
import socket

import pytest
from django.test import override_settings

from mltheory.portal.admissions.models import CourseApplication

from .conftest import make_submitted

aiosmtpd_controller = pytest.importorskip("aiosmtpd.controller", reason="aiosmtpd (dev extra)")


class CollectingHandler:
    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server():
    handler = CollectingHandler()
    controller = aiosmtpd_controller.Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield controller, handler
    controller.stop()


@pytest.mark.django_db
def test_admission_email_over_smtp(
    smtp_server, call, courses, applicant, django_capture_on_commit_callbacks
):
    controller, handler = smtp_server
    ca = make_submitted(call, applicant, courses[:1]).course_applications.get()
    with (
        override_settings(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=controller.port,
            EMAIL_USE_TLS=False,
            EMAIL_HOST_USER="",
            EMAIL_HOST_PASSWORD="",
            EMAIL_TIMEOUT=10,
            DEFAULT_FROM_EMAIL="staff@mltheory.example",
        ),
        django_capture_on_commit_callbacks(execute=True),
    ):
        ca.decide(CourseApplication.State.ADMITTED)

    assert len(handler.envelopes) == 1
    envelope = handler.envelopes[0]
    assert envelope.mail_from == "staff@mltheory.example"
    assert envelope.rcpt_tos == ["ada@college.harvard.edu"]
    message = email.message_from_bytes(envelope.content)
    assert "CS 229br" in message["Subject"]
    body = message.get_payload(decode=True).decode()
    assert "you are admitted to Harvard CS 229br" in body
