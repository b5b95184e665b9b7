"""Signed, expiring email-verification links, built on Django's password-reset token generator.

:func:`verification_email` only builds the message; :meth:`EmailVerification.queue_email` puts it
in the portal's outbox, and the ``send_outbox`` worker sends it. Mail is never sent inside a web
request: a mail server that is down must neither fail sign-up nor lose the link.
"""

from __future__ import annotations

from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from mltheory.portal.mail.links import absolute_url


class EmailVerificationTokenGenerator(PasswordResetTokenGenerator):
    """A token bound to the user and the address it was sent to.

    Its own salt keeps it from doubling as a password-reset token, and hashing the verification
    state makes a link single-use: once the address is verified the old token no longer matches.
    """

    key_salt = "mltheory.portal.accounts.tokens.EmailVerificationTokenGenerator"

    def _make_hash_value(self, user, timestamp):
        verification = getattr(user, "email_verification", None)
        verified = verification.verified_email if verification else ""
        return f"{user.pk}{user.email}{verified}{timestamp}"


email_verification_token = EmailVerificationTokenGenerator()


def verification_path(user) -> str:
    uidb64 = urlsafe_base64_encode(force_bytes(user.pk))
    token = email_verification_token.make_token(user)
    return reverse("accounts:verify_email", kwargs={"uidb64": uidb64, "token": token})


def verification_email(user) -> EmailMessage:
    """The email with the link confirming ``user``'s current address, sent to that address."""
    link = absolute_url(verification_path(user))
    context = {"user": user, "link": link}
    return EmailMessage(
        subject="Confirm your email address for the ML theory courses",
        body=render_to_string("accounts/email/verify_email.txt", context),
        to=[user.email],
    )
