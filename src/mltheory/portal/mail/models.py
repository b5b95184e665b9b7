"""The outbox: one ``OutgoingEmail`` row per email, and the worker's sending loop.

Mail is never sent inside a web request. Staff actions, cron jobs, admissions decisions and
account sign-up only add rows (in the same transaction as whatever caused them); the
``send_outbox`` worker sends them.

Sending never holds a database lock across network I/O: the worker claims one due row in a
short transaction (status "sending", with a lease in ``next_attempt_at``), commits, talks to the
mail server outside any transaction, and then records the outcome in another short one. A row is
marked sent only after the mail server accepted it. A worker that dies mid-send leaves its row
"sending"; once the lease runs out the row is due again, so nothing is lost (a row may go out
twice, never zero times). Claiming counts an attempt, so a row that kills the worker every time
gives up after ``MAX_ATTEMPTS`` instead of crash-looping.
"""

from __future__ import annotations

import contextlib
from datetime import timedelta

from django.core.mail import EmailMessage, get_connection
from django.db import models, transaction
from django.utils import timezone

# How long a claimed row belongs to the worker that claimed it. Far longer than one message
# takes (EMAIL_TIMEOUT bounds each network wait), so only a dead worker's rows are taken over.
LEASE = timedelta(minutes=10)


class OutgoingEmailQuerySet(models.QuerySet):
    def due(self, now=None):
        """Pending rows whose time has come, and claimed rows whose worker's lease ran out."""
        return self.filter(
            status__in=[OutgoingEmail.Status.PENDING, OutgoingEmail.Status.SENDING],
            next_attempt_at__lte=now or timezone.now(),
        ).order_by("next_attempt_at", "pk")

    def enqueue(self, message: EmailMessage, **fields) -> OutgoingEmail:
        return self.create(**OutgoingEmail.fields_from_message(message), **fields)

    def enqueue_replacing(self, message: EmailMessage, kind: str, reason: str) -> OutgoingEmail:
        """Queue ``message``, cancelling pending rows of the same kind, address and subject.

        For mail whose newest version is the only one worth having (a decision, a confirmation
        link): an older copy still waiting (say, behind a retry delay while the mail server was
        down) would otherwise arrive with or after the current one. ``reason`` is recorded on
        the cancelled rows. Atomic, so a failed enqueue never leaves the old copy cancelled
        and no new one queued.
        """
        (to,) = message.to
        with transaction.atomic():
            self.filter(
                kind=kind, status=OutgoingEmail.Status.PENDING, to=to, subject=message.subject
            ).update(status=OutgoingEmail.Status.CANCELLED, last_error=reason)
            return self.enqueue(message, kind=kind)

    def enqueue_for_list(self, build_message, subscribers, **fields) -> int:
        """One row per subscriber (each message carries its own unsubscribe link)."""
        rows = [
            OutgoingEmail(
                **OutgoingEmail.fields_from_message(build_message(sub)), subscriber=sub, **fields
            )
            for sub in subscribers
        ]
        self.bulk_create(rows)
        return len(rows)

    def claim_next(self, now=None) -> OutgoingEmail | None:
        """Claim the next due row for this worker, in a short transaction of its own.

        The row becomes "sending" with a lease of :data:`LEASE` and one more attempt. On
        PostgreSQL ``SKIP LOCKED`` keeps workers from waiting on each other; the conditional
        UPDATE makes the claim safe on any database (a row another worker claimed first no
        longer matches, and the next one is tried).
        """
        now = now or timezone.now()
        for _ in range(20):  # bounded: losing a race this often means the outbox is busy
            with transaction.atomic():
                row = self.select_for_update(skip_locked=True).due(now).first()
                if row is None:
                    return None
                claimed = self.filter(
                    pk=row.pk, status=row.status, next_attempt_at=row.next_attempt_at
                ).update(
                    status=OutgoingEmail.Status.SENDING,
                    attempts=models.F("attempts") + 1,
                    next_attempt_at=now + LEASE,
                )
            if claimed:
                row.refresh_from_db()
                return row
        return None

    def send_due(self, limit: int = 100, connection=None) -> dict[str, int]:
        """Send up to ``limit`` due rows, one at a time; returns counts by outcome.

        Any error from the mail server is a failed attempt, connecting included (a server that
        is down, refuses or times out after ``EMAIL_TIMEOUT``): the row keeps its error and
        attempt count and is retried later with backoff until ``MAX_ATTEMPTS``. Once the server
        could not be reached, the rest of the batch records the same error without waiting
        for it again.
        """
        connection = connection or get_connection()
        counts = {"sent": 0, "retry": 0, "failed": 0, "cancelled": 0}
        unreachable = None  # the error connecting raised, once it has
        is_open = False
        try:
            for _ in range(limit):
                row = self.claim_next()
                if row is None:
                    break
                if row.attempts > row.MAX_ATTEMPTS:
                    # Only a row whose sender died mid-send comes back this far (a failed send
                    # stops at MAX_ATTEMPTS): it may be what kills the worker, so give it up.
                    died = RuntimeError("the worker sending it died (lease expired) every time")
                    counts[row.record_failure(died)] += 1
                    continue
                if row.is_unwanted():
                    counts[row.record_cancelled()] += 1
                    continue
                if unreachable is not None:
                    counts[row.record_failure(unreachable)] += 1
                    continue
                try:
                    if not is_open:
                        connection.open()
                        is_open = True
                except Exception as exc:  # noqa: BLE001 -- the server is down: an attempt, kept
                    unreachable = exc
                    counts[row.record_failure(exc)] += 1
                    continue
                try:
                    row.as_message(connection).send()
                except Exception as exc:  # noqa: BLE001 -- any mail error is a failed attempt
                    counts[row.record_failure(exc)] += 1
                    # The session may be broken (a dropped connection): start the next afresh.
                    _close_quietly(connection)
                    is_open = False
                else:
                    counts[row.record_sent()] += 1
        finally:
            if is_open:
                _close_quietly(connection)
        return counts


def _close_quietly(connection) -> None:
    with contextlib.suppress(Exception):
        connection.close()


class OutgoingEmail(models.Model):
    """One email to one address, waiting in (or done with) the outbox.

    Only seminar list mail has a ``subscriber`` (and a ``talk``); other rows (admissions
    decisions, account confirmation links) have neither, so nothing here may assume them.
    """

    MAX_ATTEMPTS = 5

    class Status(models.TextChoices):
        PENDING = "pending", "pending"
        SENDING = "sending", "sending (claimed by a worker)"
        SENT = "sent", "sent"
        FAILED = "failed", "failed (gave up)"
        CANCELLED = "cancelled", "cancelled (recipient unsubscribed, or superseded by a newer one)"

    class Kind(models.TextChoices):
        CONFIRMATION = "confirmation", "subscription confirmation"
        ANNOUNCEMENT = "announcement", "talk announcement"
        REMINDER = "reminder", "talk reminder"
        DECISION = "decision", "admissions decision"
        VERIFICATION = "verification", "email address confirmation"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    to = models.EmailField()
    subject = models.CharField(max_length=300)
    body = models.TextField()
    headers = models.JSONField(default=dict, blank=True)
    talk = models.ForeignKey(
        "seminars.Talk", null=True, blank=True, on_delete=models.SET_NULL, related_name="emails"
    )
    subscriber = models.ForeignKey(
        "seminars.Subscriber",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="emails",
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # When a pending row is due; for a "sending" row, when its worker's lease runs out.
    next_attempt_at = models.DateTimeField(default=timezone.now, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    objects = OutgoingEmailQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "outgoing email"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.to} ({self.status})"

    @staticmethod
    def fields_from_message(message: EmailMessage) -> dict:
        (to,) = message.to
        return {
            "to": to,
            "subject": message.subject,
            "body": message.body,
            "headers": dict(message.extra_headers),
        }

    def as_message(self, connection=None) -> EmailMessage:
        return EmailMessage(
            subject=self.subject,
            body=self.body,
            to=[self.to],
            headers=self.headers,
            connection=connection,
        )

    def is_unwanted(self) -> bool:
        """List mail queued before the recipient unsubscribed must not go out after it.

        Rows without a subscriber (admissions decisions, account verification) never are:
        unsubscribing from the seminar list says nothing about a person's own emails.
        """
        sub = self.subscriber
        return sub is not None and (
            sub.unsubscribed_at is not None
            or (self.kind != self.Kind.CONFIRMATION and sub.confirmed_at is None)
        )

    def record_cancelled(self) -> str:
        self.status = self.Status.CANCELLED
        self.attempts -= 1  # claimed, but nothing was tried
        self.save(update_fields=["status", "attempts"])
        return "cancelled"

    def record_failure(self, exc: BaseException) -> str:
        """Record a failed attempt: retry later with backoff, or give up after the last one."""
        self.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        if self.attempts >= self.MAX_ATTEMPTS:
            self.status = self.Status.FAILED
            outcome = "failed"
        else:
            # 1, 4, 9, 16 minutes: transient SMTP trouble gets time to clear.
            self.status = self.Status.PENDING
            self.next_attempt_at = timezone.now() + timedelta(minutes=self.attempts**2)
            outcome = "retry"
        self.save(update_fields=["last_error", "status", "next_attempt_at"])
        return outcome

    def record_sent(self) -> str:
        self.status = self.Status.SENT
        self.sent_at = timezone.now()
        self.save(update_fields=["status", "sent_at"])
        return "sent"

    def retry_now(self) -> None:
        """Give a failed row a fresh set of attempts (staff action after fixing the cause)."""
        self.status = self.Status.PENDING
        self.attempts = 0
        self.next_attempt_at = timezone.now()
        self.save(update_fields=["status", "attempts", "next_attempt_at"])
