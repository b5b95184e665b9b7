"""Who may see a talk's Zoom link: confirmed subscribers, and signed-in users whose email
address is confirmed (or who are staff).

Sign-up signs the new user in at once, before they have confirmed anything, so being signed
in alone would make the mailing list's double opt-in gate nothing.

A subscriber is recognised by a signed cookie holding their subscriber token, set when
they press the button on their confirmation link. The cookie is checked against the
database on every request, so unsubscribing takes the Zoom link away again. Anonymous
visitors and crawlers have neither, and never see the link.
"""

from __future__ import annotations

from django.conf import settings

from mltheory.portal.accounts.models import EmailVerification

from .models import Subscriber

COOKIE_NAME = "mlt_seminar_subscriber"
COOKIE_SALT = "mltheory.seminars.subscriber-cookie"
COOKIE_MAX_AGE = 60 * 60 * 24 * 365


def remember_subscriber(response, subscriber: Subscriber) -> None:
    response.set_signed_cookie(
        COOKIE_NAME,
        subscriber.token,
        salt=COOKIE_SALT,
        max_age=COOKIE_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )


def forget_subscriber(response) -> None:
    response.delete_cookie(COOKIE_NAME, samesite="Lax")


def remembered_token(request) -> str | None:
    return request.get_signed_cookie(COOKIE_NAME, default=None, salt=COOKIE_SALT)


def recognised_subscriber(request) -> Subscriber | None:
    token = remembered_token(request)
    if not token:
        return None
    return Subscriber.objects.confirmed().filter(token=token).first()


def can_see_zoom(request) -> bool:
    user = request.user
    if user.is_authenticated and (user.is_staff or EmailVerification.is_verified(user)):
        return True
    return recognised_subscriber(request) is not None
