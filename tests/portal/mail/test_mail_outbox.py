"""The outbox worker: retries failures, marks successes, and loses nothing in a crash."""

from __future__ import annotations

import io
import socket
import threading
import time
from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from mltheory.portal.mail.models import LEASE, OutgoingEmail
from mltheory.portal.seminars.models import Subscriber, Talk

pytestmark = pytest.mark.django_db


class BrokenSMTP(BaseEmailBackend):
    def send_messages(self, messages):
        raise ConnectionRefusedError("SMTP server down")


class CrashOnNth(LocmemBackend):
    """Sends normally until the n-th message, then the worker process 'dies'."""

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        self.n = n
        self.calls = 0

    def send_messages(self, messages):
        self.calls += 1
        if self.calls == self.n:
            raise SystemExit("worker killed")
        return super().send_messages(messages)


def _announce_to(n: int) -> None:
    """Queue one talk's announcement to ``n`` confirmed subscribers."""
    for i in range(n):
        Subscriber.objects.create(email=f"s{i}@example.edu", confirmed_at=timezone.now())
    starts = timezone.now() + timedelta(days=2)
    Talk.objects.create(
        title="Benign overfitting",
        speakers="Jane Doe (MIT)",
        starts_at=starts,
        ends_at=starts + timedelta(hours=1),
    ).announce()


@pytest.fixture
def queued(db):
    _announce_to(3)
    return OutgoingEmail.objects.order_by("pk")


def test_success_marks_the_row_sent(queued):
    counts = OutgoingEmail.objects.send_due(connection=LocmemBackend())
    assert counts["sent"] == 3
    assert len(mail.outbox) == 3
    for row in queued.all():
        assert row.status == "sent" and row.attempts == 1 and row.sent_at is not None


def test_failure_keeps_the_row_and_retries_later(queued):
    counts = OutgoingEmail.objects.send_due(connection=BrokenSMTP())
    assert counts == {"sent": 0, "retry": 3, "failed": 0, "cancelled": 0}
    for row in queued.all():
        assert row.status == "pending" and row.attempts == 1
        assert "SMTP server down" in row.last_error
        assert row.next_attempt_at > timezone.now()
    # Not due again straight away (backoff) ...
    assert OutgoingEmail.objects.send_due(connection=LocmemBackend())["sent"] == 0
    # ... but sent once the backoff has passed.
    later = timezone.now() + timedelta(minutes=2)
    with mock.patch("django.utils.timezone.now", return_value=later):
        assert OutgoingEmail.objects.send_due(connection=LocmemBackend())["sent"] == 3
    assert all(row.status == "sent" and row.attempts == 2 for row in queued.all())


def test_gives_up_after_max_attempts_and_staff_can_retry(queued, admin_client):
    row = queued.first()
    OutgoingEmail.objects.exclude(pk=row.pk).delete()
    now = timezone.now()
    for _ in range(OutgoingEmail.MAX_ATTEMPTS):
        now += timedelta(hours=1)
        with mock.patch("django.utils.timezone.now", return_value=now):
            OutgoingEmail.objects.send_due(connection=BrokenSMTP())
    row.refresh_from_db()
    assert row.status == "failed" and row.attempts == OutgoingEmail.MAX_ATTEMPTS
    assert mail.outbox == []

    admin_client.post(
        "/admin/mail/outgoingemail/", {"action": "retry", "_selected_action": [row.pk]}
    )
    row.refresh_from_db()
    assert row.status == "pending" and row.attempts == 0
    OutgoingEmail.objects.send_due(connection=LocmemBackend())
    assert len(mail.outbox) == 1


def test_a_crash_mid_batch_loses_nothing(queued):
    crashing = CrashOnNth(2)
    with pytest.raises(SystemExit):
        OutgoingEmail.objects.send_due(connection=crashing)
    assert len(mail.outbox) == 1
    statuses = list(queued.values_list("status", "attempts"))
    # The row being sent when the worker died stays claimed by it (its lease has not run out).
    assert statuses == [("sent", 1), ("sending", 1), ("pending", 0)]

    # A restarted worker sends the rest, and nothing twice ...
    call_command("send_outbox", stdout=mock.MagicMock())
    assert sorted(m.to[0] for m in mail.outbox) == ["s0@example.edu", "s2@example.edu"]
    # ... and the dead worker's row once its lease has run out.
    later = timezone.now() + LEASE + timedelta(seconds=1)
    with mock.patch("django.utils.timezone.now", return_value=later):
        call_command("send_outbox", stdout=mock.MagicMock())
    assert sorted(m.to[0] for m in mail.outbox) == [f"s{n}@example.edu" for n in range(3)]
    assert set(queued.values_list("status", flat=True)) == {"sent"}


def test_a_row_that_kills_its_worker_every_time_is_given_up(queued):
    """Each death leaves the row "sending" until its lease runs out; claiming counts an attempt,
    and once they are spent the row fails instead of crash-looping the worker for ever."""
    row = queued.first()
    OutgoingEmail.objects.exclude(pk=row.pk).delete()
    now = timezone.now()
    for _ in range(OutgoingEmail.MAX_ATTEMPTS):
        with (
            mock.patch("django.utils.timezone.now", return_value=now),
            pytest.raises(SystemExit),
        ):
            OutgoingEmail.objects.send_due(connection=CrashOnNth(1))
        now += LEASE + timedelta(seconds=1)
    with mock.patch("django.utils.timezone.now", return_value=now):
        counts = OutgoingEmail.objects.send_due(connection=CrashOnNth(1))
    row.refresh_from_db()
    assert counts["failed"] == 1
    assert row.status == "failed" and "died" in row.last_error
    assert mail.outbox == []


def test_send_outbox_loop_sends_and_stops_cleanly(queued):
    # The loop sleeps when the outbox is empty; stopping it there (Ctrl-C) ends it cleanly.
    with mock.patch(
        "mltheory.portal.mail.management.commands.send_outbox.time.sleep",
        side_effect=KeyboardInterrupt,
    ):
        call_command("send_outbox", "--loop", "--interval", "0", stdout=mock.MagicMock())
    assert len(mail.outbox) == 3


class SlowLocmem(LocmemBackend):
    def send_messages(self, messages):
        time.sleep(0.05)  # long enough for the other worker to reach the same rows
        return super().send_messages(messages)


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_each_row_once():
    if connection.vendor != "postgresql":
        pytest.skip("concurrent workers need row locks (SKIP LOCKED): PostgreSQL only")
    _announce_to(6)

    def worker():
        try:
            OutgoingEmail.objects.send_due(connection=SlowLocmem())
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    sent_to = sorted(m.to[0] for m in mail.outbox)
    assert sent_to == [f"s{n}@example.edu" for n in range(6)]
    assert set(OutgoingEmail.objects.values_list("status", flat=True)) == {"sent"}


# --- A real mail server that is down -------------------------------------------------------


@pytest.fixture
def smtp_on_a_closed_port(settings):
    """The SMTP backend pointed at a local port nothing listens on (connection refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    return port


def _assert_one_failed_attempt_each(queued):
    for row in queued.all():
        assert (row.status, row.attempts) == ("pending", 1)
        assert row.last_error.startswith("ConnectionRefusedError")
        assert row.next_attempt_at > timezone.now()  # the retry schedule applies


def test_send_outbox_survives_a_mail_server_that_is_down(queued, smtp_on_a_closed_port):
    out = io.StringIO()
    call_command("send_outbox", stdout=out)
    assert "retry: 3" in out.getvalue()
    _assert_one_failed_attempt_each(queued)


def test_send_outbox_loop_keeps_running_while_the_mail_server_is_down(
    queued, smtp_on_a_closed_port
):
    # Three rounds: all fail, nothing due (backoff), then stop (Ctrl-C) while sleeping.
    sleeps = mock.Mock(side_effect=[None, None, KeyboardInterrupt])
    with mock.patch("mltheory.portal.mail.management.commands.send_outbox.time.sleep", sleeps):
        call_command("send_outbox", "--loop", "--interval", "0", stdout=io.StringIO())
    assert sleeps.call_count == 3
    _assert_one_failed_attempt_each(queued)


def test_a_mail_server_that_never_answers_is_a_failed_attempt_after_email_timeout(
    queued, smtp_on_a_closed_port, settings
):
    # A socket that accepts connections (the kernel's backlog) but never sends a greeting.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        settings.EMAIL_PORT = silent.getsockname()[1]
        settings.EMAIL_TIMEOUT = 1
        call_command("send_outbox", stdout=io.StringIO())
    for row in queued.all():
        assert (row.status, row.attempts) == ("pending", 1)
        assert "timed out" in row.last_error


def test_the_mail_server_has_a_timeout(settings):
    from django.core.mail import get_connection

    assert settings.EMAIL_TIMEOUT and settings.EMAIL_TIMEOUT <= 60
    smtp = get_connection("django.core.mail.backends.smtp.EmailBackend")
    assert smtp.timeout == settings.EMAIL_TIMEOUT


class RecordsTransactionState(LocmemBackend):
    """Notes, while 'talking to the server', whether a transaction (with its locks) is open."""

    seen: list[tuple[bool, str]] = []

    def send_messages(self, messages):
        status = OutgoingEmail.objects.get(to=messages[0].to[0]).status
        self.seen.append((connection.in_atomic_block, status))
        return super().send_messages(messages)


@pytest.mark.django_db(transaction=True)
def test_no_transaction_is_open_while_the_mail_server_is_talked_to():
    _announce_to(2)
    RecordsTransactionState.seen = []
    counts = OutgoingEmail.objects.send_due(connection=RecordsTransactionState())
    assert counts["sent"] == 2
    # Committed as claimed ("sending") before the network, no transaction held across it.
    assert RecordsTransactionState.seen == [(False, "sending"), (False, "sending")]
