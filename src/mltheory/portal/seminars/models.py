"""The seminar series: talks, the mailing list, and the portal's outbox that mails them.

Mail is never sent inside a web request. Staff actions, the ``seminar_reminders``
command, admissions decisions and account sign-up only add ``OutgoingEmail`` rows (in the
same transaction as whatever caused them); the ``send_outbox`` worker sends them. A row is
marked sent only after the SMTP server accepted it, so a crash at any point leaves unsent rows
pending, never lost.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone

from .abstracts import render_abstract

CONFIRMATION_SALT = "mltheory.seminars.confirm"
CONFIRMATION_MAX_AGE = timedelta(days=7)


def new_token() -> str:
    return secrets.token_urlsafe(32)


class TalkQuerySet(models.QuerySet):
    def upcoming(self, now=None):
        """Talks that have not ended yet (a talk in progress still counts), soonest first."""
        return self.filter(ends_at__gt=now or timezone.now()).order_by("starts_at")

    def past(self, now=None):
        """Talks that have ended, most recent first."""
        return self.filter(ends_at__lte=now or timezone.now()).order_by("-starts_at")


class Talk(models.Model):
    title = models.CharField(max_length=300)
    speakers = models.CharField(
        max_length=500,
        help_text='Names with affiliations, e.g. "Jane Doe (MIT), John Roe (Harvard)".',
    )
    speaker_email = models.EmailField(
        blank=True, help_text="Where staff send the speaker their private edit link."
    )
    abstract = models.TextField(blank=True, help_text="Markdown. Raw HTML is stripped.")
    starts_at = models.DateTimeField(help_text="Stored in UTC; shown in Eastern time.")
    ends_at = models.DateTimeField()
    zoom_url = models.URLField(
        "Zoom link",
        blank=True,
        max_length=500,
        help_text="Shown only to confirmed subscribers and signed-in users, and mailed to the list.",
    )
    slides_url = models.URLField("slides link", blank=True, max_length=500)
    paper_url = models.URLField("paper link", blank=True, max_length=500)
    recording_url = models.URLField(
        "recording link", blank=True, max_length=500, help_text="Added after the talk."
    )
    # The speaker's private edit link; rotate it in the admin to revoke an old link.
    speaker_token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    announced_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Set in the same transaction that queues the reminder, so it is queued exactly once.
    reminder_queued_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = TalkQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_at"]

    def __str__(self) -> str:
        return f"{self.title} ({self.speakers})"

    def clean(self):
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": "The talk must end after it starts."})

    def get_absolute_url(self) -> str:
        return reverse("seminars:talk", args=[self.pk])

    def get_speaker_edit_url(self) -> str:
        return reverse("seminars:speaker_edit", args=[self.pk, self.speaker_token])

    @property
    def abstract_html(self):
        return render_abstract(self.abstract)

    def is_over(self, now=None) -> bool:
        return self.ends_at <= (now or timezone.now())

    def rotate_speaker_token(self) -> None:
        self.speaker_token = new_token()
        self.save(update_fields=["speaker_token"])

    def announce(self) -> int | None:
        """Queue the announcement for every confirmed subscriber, unless it was queued before.

        Returns how many were queued, or None if the talk had already been announced (the
        conditional UPDATE claims it, as in :meth:`queue_reminder`).
        """
        from .mailing import talk_email

        with transaction.atomic():
            claimed = Talk.objects.filter(pk=self.pk, announced_at__isnull=True).update(
                announced_at=timezone.now()
            )
            if not claimed:
                return None
            return OutgoingEmail.objects.enqueue_for_list(
                lambda sub: talk_email(self, sub, kind=OutgoingEmail.Kind.ANNOUNCEMENT),
                talk=self,
                kind=OutgoingEmail.Kind.ANNOUNCEMENT,
            )

    def queue_reminder(self) -> int | None:
        """Queue the reminder for every confirmed subscriber, unless it was queued before.

        Returns how many were queued, or None if the reminder had already been queued. The
        conditional UPDATE claims the talk, so two runs at once still queue it once.
        """
        from .mailing import talk_email

        with transaction.atomic():
            claimed = Talk.objects.filter(pk=self.pk, reminder_queued_at__isnull=True).update(
                reminder_queued_at=timezone.now()
            )
            if not claimed:
                return None
            return OutgoingEmail.objects.enqueue_for_list(
                lambda sub: talk_email(self, sub, kind=OutgoingEmail.Kind.REMINDER),
                talk=self,
                kind=OutgoingEmail.Kind.REMINDER,
            )


class SubscriberQuerySet(models.QuerySet):
    def confirmed(self):
        """Subscribers who confirmed their address and have not unsubscribed: the mailing list."""
        return self.filter(confirmed_at__isnull=False, unsubscribed_at__isnull=True)


class Subscriber(models.Model):
    """An address on the mailing list. Only confirmed subscribers get announcements."""

    email = models.EmailField(unique=True, help_text="Stored lower-cased.")
    # Secret for the unsubscribe link and the recognised-subscriber cookie.
    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)

    objects = SubscriberQuerySet.as_manager()

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return self.email

    @property
    def is_active(self) -> bool:
        return self.confirmed_at is not None and self.unsubscribed_at is None

    @classmethod
    def request_subscription(cls, email: str) -> Subscriber:
        """Start (or restart) double opt-in for ``email`` and queue the confirmation email.

        An address that is already confirmed gets no mail, so the form cannot be used to
        flood a subscriber's inbox; the page says the same thing either way.
        """
        from .mailing import confirmation_email

        email = email.strip().lower()
        with transaction.atomic():
            sub, _ = cls.objects.select_for_update().get_or_create(email=email)
            if sub.is_active:
                return sub
            if sub.unsubscribed_at is not None:
                # Coming back after unsubscribing: confirm the address again.
                sub.unsubscribed_at = None
                sub.confirmed_at = None
                sub.save(update_fields=["unsubscribed_at", "confirmed_at"])
            OutgoingEmail.objects.enqueue(
                confirmation_email(sub), subscriber=sub, kind=OutgoingEmail.Kind.CONFIRMATION
            )
        return sub

    def confirm(self) -> None:
        if self.is_active:
            return
        self.confirmed_at = timezone.now()
        self.unsubscribed_at = None
        self.save(update_fields=["confirmed_at", "unsubscribed_at"])

    def unsubscribe(self) -> None:
        """Idempotent: a second click (or a mail client retrying the one-click POST) is a no-op."""
        if self.unsubscribed_at is None:
            self.unsubscribed_at = timezone.now()
            self.save(update_fields=["unsubscribed_at"])

    def get_unsubscribe_url(self) -> str:
        return reverse("seminars:unsubscribe", args=[self.token])

    def get_confirmation_url(self) -> str:
        code = signing.TimestampSigner(salt=CONFIRMATION_SALT).sign(self.token)
        return reverse("seminars:confirm", args=[code])

    @classmethod
    def from_confirmation_code(cls, code: str) -> Subscriber:
        """The subscriber a confirmation link was made for.

        Raises ``signing.SignatureExpired`` for a link older than ``CONFIRMATION_MAX_AGE``,
        ``signing.BadSignature`` for a forged one and ``DoesNotExist`` for a deleted address.
        """
        token = signing.TimestampSigner(salt=CONFIRMATION_SALT).unsign(
            code, max_age=CONFIRMATION_MAX_AGE
        )
        return cls.objects.get(token=token)


class OutgoingEmailQuerySet(models.QuerySet):
    def due(self, now=None):
        return self.filter(
            status=OutgoingEmail.Status.PENDING, next_attempt_at__lte=now or timezone.now()
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

    def enqueue_for_list(self, build_message, **fields) -> int:
        """One row per confirmed subscriber (each message carries its own unsubscribe link)."""
        rows = [
            OutgoingEmail(
                **OutgoingEmail.fields_from_message(build_message(sub)), subscriber=sub, **fields
            )
            for sub in Subscriber.objects.confirmed()
        ]
        self.bulk_create(rows)
        return len(rows)

    def send_due(self, limit: int = 100, connection=None) -> dict[str, int]:
        """Send up to ``limit`` due rows, one at a time; returns counts by outcome.

        Each row is locked (``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL) for its own
        short transaction, so several workers can run at once without sending a row twice,
        and a worker that dies mid-send rolls back and leaves the row pending. An exception
        from the mail server is a failed attempt: the row stays, with its error and attempt
        count, and is retried later with backoff until ``MAX_ATTEMPTS``.
        """
        connection = connection or get_connection()
        counts = {"sent": 0, "retry": 0, "failed": 0, "cancelled": 0}
        for _ in range(limit):
            with transaction.atomic():
                row = self.select_for_update(skip_locked=True).due().first()
                if row is None:
                    break
                counts[row.deliver(connection)] += 1
        return counts


class OutgoingEmail(models.Model):
    """One email to one address, waiting in (or done with) the outbox.

    This is the portal's outbox, not only the seminar's: admissions queues its decision emails
    here too (``Kind.DECISION``), and accounts the links confirming an address
    (``Kind.VERIFICATION``). It lives in this app because the mailing list needed it
    first. Only list mail has a ``subscriber`` (and a ``talk``); other rows have neither, so
    nothing here may assume them.
    """

    MAX_ATTEMPTS = 5

    class Status(models.TextChoices):
        PENDING = "pending", "pending"
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
        Talk, null=True, blank=True, on_delete=models.SET_NULL, related_name="emails"
    )
    subscriber = models.ForeignKey(
        Subscriber, null=True, blank=True, on_delete=models.CASCADE, related_name="emails"
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
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

    def deliver(self, connection) -> str:
        """Try to send this row once and record the outcome; returns it ("sent", "retry", ...)."""
        # List mail queued before the recipient unsubscribed must not go out after it. Rows
        # without a subscriber (admissions decisions, account verification) are never cancelled
        # here: unsubscribing from the seminar list says nothing about a person's own emails.
        sub = self.subscriber
        if sub is not None and (
            sub.unsubscribed_at is not None
            or (self.kind != self.Kind.CONFIRMATION and sub.confirmed_at is None)
        ):
            self.status = self.Status.CANCELLED
            self.save(update_fields=["status"])
            return "cancelled"
        self.attempts += 1
        try:
            self.as_message(connection).send()
        except Exception as exc:  # noqa: BLE001 -- any mail error is a failed attempt, kept
            self.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            if self.attempts >= self.MAX_ATTEMPTS:
                self.status = self.Status.FAILED
                outcome = "failed"
            else:
                # 1, 4, 9, 16 minutes: transient SMTP trouble gets time to clear.
                self.next_attempt_at = timezone.now() + timedelta(minutes=self.attempts**2)
                outcome = "retry"
            self.save(update_fields=["attempts", "last_error", "status", "next_attempt_at"])
            return outcome
        self.status = self.Status.SENT
        self.sent_at = timezone.now()
        self.save(update_fields=["attempts", "status", "sent_at"])
        return "sent"

    def retry_now(self) -> None:
        """Give a failed row a fresh set of attempts (staff action after fixing the cause)."""
        self.status = self.Status.PENDING
        self.attempts = 0
        self.next_attempt_at = timezone.now()
        self.save(update_fields=["status", "attempts", "next_attempt_at"])
