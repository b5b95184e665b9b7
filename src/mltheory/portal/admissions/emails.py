"""Decision emails, sent through Django's email framework after the decision commits."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse


def send_decision_email(course_application, promoted: bool = False) -> None:
    application = course_application.application
    course = course_application.course
    context = {
        "application": application,
        "course": course,
        "state": course_application.state,
        "promoted": promoted,
        "status_url": settings.SITE_URL + reverse("admissions:status"),
    }
    send_mail(
        subject=f"{course.code}: your application ({course.offering})",
        message=render_to_string("admissions/email/decision.txt", context),
        from_email=None,
        recipient_list=[application.applicant.email],
    )
