"""The outbox worker: retries failures, marks successes, and loses nothing in a crash."""

from __future__ import annotations

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

from mltheory.portal.seminars.models import OutgoingEmail

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


@pytest.fixture
def queued(make_talk, make_subscriber):
    for n in range(3):
        make_subscriber(f"s{n}@example.edu")
    make_talk().announce()
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
        "/admin/seminars/outgoingemail/", {"action": "retry", "_selected_action": [row.pk]}
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
    # The row being sent when the worker died rolled back to pending, untouched.
    assert statuses == [("sent", 1), ("pending", 0), ("pending", 0)]

    # A restarted worker sends the rest, and nothing twice.
    call_command("send_outbox", stdout=mock.MagicMock())
    assert sorted(m.to[0] for m in mail.outbox) == [f"s{n}@example.edu" for n in range(3)]
    assert set(queued.values_list("status", flat=True)) == {"sent"}


def test_send_outbox_loop_sends_and_stops_cleanly(queued):
    # The loop sleeps when the outbox is empty; stopping it there (Ctrl-C) ends it cleanly.
    with mock.patch(
        "mltheory.portal.seminars.management.commands.send_outbox.time.sleep",
        side_effect=KeyboardInterrupt,
    ):
        call_command("send_outbox", "--loop", "--interval", "0", stdout=mock.MagicMock())
    assert len(mail.outbox) == 3


class SlowLocmem(LocmemBackend):
    def send_messages(self, messages):
        time.sleep(0.05)  # long enough for the other worker to reach the same rows
        return super().send_messages(messages)


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_each_row_once(make_talk, make_subscriber):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent workers need row locks (SKIP LOCKED): PostgreSQL only")
    for n in range(6):
        make_subscriber(f"s{n}@example.edu")
    make_talk().announce()

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
