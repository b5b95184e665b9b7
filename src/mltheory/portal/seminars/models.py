"""The seminar series: talks and the mailing list.

Mail is never sent inside a web request: staff actions and the ``seminar_reminders`` command
only queue rows in the portal's outbox (:mod:`mltheory.portal.mail`), in the same transaction
as whatever caused them, and its ``send_outbox`` worker sends them.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone

from mltheory.portal.mail.models import OutgoingEmail

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
        help_text="Shown only to confirmed subscribers and to signed-in users with a confirmed "
        "email address, and mailed to the list.",
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
                Subscriber.objects.confirmed(),
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
                Subscriber.objects.confirmed(),
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
