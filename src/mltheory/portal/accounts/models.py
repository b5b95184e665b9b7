"""Accounts: Django's own ``User`` (username = email address) plus a record of the verified email."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from mltheory.portal.mail.models import OutgoingEmail

from .tokens import verification_email


class EmailVerification(models.Model):
    """The address a user proved they receive mail at, and when.

    The verified address is stored (not just a flag) so that changing ``user.email`` lapses the
    verification: only the address that received the link counts.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="email_verification"
    )
    verified_email = models.EmailField()
    verified_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.verified_email} verified {self.verified_at:%Y-%m-%d}"

    @classmethod
    def is_verified(cls, user) -> bool:
        """Whether ``user``'s current email address has been verified."""
        if not getattr(user, "is_authenticated", False) or not user.email:
            return False
        return cls.objects.filter(user=user, verified_email__iexact=user.email).exists()

    @classmethod
    def mark_verified(cls, user) -> EmailVerification:
        verification, _ = cls.objects.update_or_create(
            user=user, defaults={"verified_email": user.email, "verified_at": timezone.now()}
        )
        return verification

    @classmethod
    def queue_email(cls, user) -> OutgoingEmail:
        """Queue the email with the link confirming ``user``'s current address.

        It goes through the portal's outbox, which the ``send_outbox`` worker sends with retries,
        so a mail server that is down neither fails the request nor loses the link. Call it in
        the transaction that makes the link necessary (sign-up creates the user and its email
        together, or neither).
        """
        # Asking again supersedes a link still waiting: every link stays valid, so the older
        # one adds nothing, and the user would otherwise get every copy at once.
        return OutgoingEmail.objects.enqueue_replacing(
            verification_email(user),
            kind=OutgoingEmail.Kind.VERIFICATION,
            reason="superseded by a newer link",
        )
