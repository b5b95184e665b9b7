"""Decision emails: the message for one course's decision, queued in the portal's outbox.

Nothing here sends. :meth:`CourseApplication.decide` and :meth:`CourseApplication.respond` queue
the message as an ``OutgoingEmail`` row in the decision's own transaction, and the outbox worker
(``send_outbox``) sends it, retrying while the mail server is down. So a decision and its email
commit together, and a mail server failure can neither fail the staff member's request nor lose
the email.
"""

from __future__ import annotations

from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse

from mltheory.portal.mail.links import absolute_url


def decision_email(course_application, promoted: bool = False) -> EmailMessage:
    """The email telling the applicant the course's current decision on their application."""
    application = course_application.application
    course = course_application.course
    context = {
        "application": application,
        "course": course,
        "state": course_application.state,
        "promoted": promoted,
        "status_url": absolute_url(reverse("admissions:status")),
    }
    return EmailMessage(
        subject=f"{course.code}: your application ({course.offering})",
        body=render_to_string("admissions/email/decision.txt", context),
        to=[application.applicant.email],
    )
