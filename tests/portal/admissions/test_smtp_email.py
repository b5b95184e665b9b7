"""Decision emails through a real SMTP server on loopback (aiosmtpd), not the test backend.

A decision only queues its email; the ``send_outbox`` worker delivers it over SMTP.
"""

from __future__ import annotations

import email
import io
import socket

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse

from mltheory.portal.admissions.models import CourseApplication
from mltheory.portal.mail.models import OutgoingEmail

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


def smtp_settings(port: int):
    return override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=port,
        EMAIL_USE_TLS=False,
        EMAIL_HOST_USER="",
        EMAIL_HOST_PASSWORD="",
        EMAIL_TIMEOUT=10,
        DEFAULT_FROM_EMAIL="staff@mltheory.example",
    )


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
    with smtp_settings(controller.port):
        with django_capture_on_commit_callbacks(execute=True):
            ca.decide(CourseApplication.State.ADMITTED)
        assert handler.envelopes == []  # queued, not sent by the decision
        out = io.StringIO()
        call_command("send_outbox", stdout=out)  # the worker, once
    assert out.getvalue().strip() == "sent: 1, retry: 0, failed: 0, cancelled: 0"

    assert OutgoingEmail.objects.get().status == OutgoingEmail.Status.SENT
    assert len(handler.envelopes) == 1
    envelope = handler.envelopes[0]
    assert envelope.mail_from == "staff@mltheory.example"
    assert envelope.rcpt_tos == ["ada@college.harvard.edu"]
    message = email.message_from_bytes(envelope.content)
    assert "CS 229br" in message["Subject"]
    body = message.get_payload(decode=True).decode()
    assert "you are admitted to Harvard CS 229br" in body


@pytest.mark.django_db(transaction=True)
def test_admit_while_the_smtp_server_is_down_then_delivered_when_it_is_back(
    call, courses, applicant, staff, client, after_first_retry_delay
):
    """Nothing listens on the port at first: connections are refused, as from a dead server."""
    port = _free_port()
    ca = make_submitted(call, applicant, courses[:1]).course_applications.get()
    client.force_login(staff)
    with smtp_settings(port):
        response = client.post(
            reverse("admissions:decide", args=[ca.pk]), {"decision": "admitted"}, follow=True
        )
        assert response.status_code == 200
        ca.refresh_from_db()
        assert ca.state == CourseApplication.State.ADMITTED
        assert OutgoingEmail.objects.send_due()["retry"] == 1
        row = OutgoingEmail.objects.get()
        assert row.status == OutgoingEmail.Status.PENDING and row.attempts == 1
        assert row.last_error.startswith("ConnectionRefusedError")

        handler = CollectingHandler()
        controller = aiosmtpd_controller.Controller(handler, hostname="127.0.0.1", port=port)
        controller.start()
        try:
            with after_first_retry_delay():
                assert OutgoingEmail.objects.send_due()["sent"] == 1
        finally:
            controller.stop()

    row.refresh_from_db()
    assert row.status == OutgoingEmail.Status.SENT and row.attempts == 2
    assert [e.rcpt_tos for e in handler.envelopes] == [["ada@college.harvard.edu"]]
    body = email.message_from_bytes(handler.envelopes[0].content).get_payload(decode=True).decode()
    assert "you are admitted to Harvard CS 229br" in body
