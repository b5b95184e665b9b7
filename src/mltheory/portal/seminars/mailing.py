"""The mailing list's messages: confirmation, announcement and reminder.

Every message carries RFC 2369 / RFC 8058 one-click unsubscribe headers pointing at the
recipient's own unsubscribe URL, and the same link in its body.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string

from mltheory.portal.mail.links import absolute_url

LIST_ID = "ML theory seminar <seminar.mltheory>"


def list_headers(subscriber) -> dict[str, str]:
    return {
        "List-Id": LIST_ID,
        "List-Unsubscribe": f"<{absolute_url(subscriber.get_unsubscribe_url())}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def _message(subscriber, subject: str, template: str, context: dict) -> EmailMessage:
    context = {
        **context,
        "email": subscriber.email,
        "unsubscribe_url": absolute_url(subscriber.get_unsubscribe_url()),
        "series_url": absolute_url("/seminars/"),
    }
    body = render_to_string(template, context)
    return EmailMessage(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[subscriber.email],
        headers=list_headers(subscriber),
    )


def confirmation_email(subscriber) -> EmailMessage:
    return _message(
        subscriber,
        "Confirm your subscription to the ML theory seminar",
        "seminars/email/confirmation.txt",
        {"confirm_url": absolute_url(subscriber.get_confirmation_url())},
    )


def talk_email(talk, subscriber, kind: str) -> EmailMessage:
    eastern = talk.starts_at.astimezone(ZoneInfo(settings.COURSE_TIME_ZONE))
    when = eastern.strftime("%A %B %-d, %Y, %-I:%M %p ") + (eastern.tzname() or "")
    prefix = "Reminder: " if kind == "reminder" else "ML theory seminar: "
    return _message(
        subscriber,
        f"{prefix}{talk.title} ({talk.speakers})",
        "seminars/email/talk.txt",
        {
            "talk": talk,
            "kind": kind,
            "when": when,
            "talk_url": absolute_url(talk.get_absolute_url()),
        },
    )
