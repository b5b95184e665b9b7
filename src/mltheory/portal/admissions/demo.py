"""Demo data for admissions: the Spring 2021 call (dates from the course announcement)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings

from .models import ApplicationCall

# "For full consideration apply by Wednesday 2021-01-21", Eastern time. The announcement's
# weekday is wrong (2021-01-21 was a Thursday); the date is kept and pages compute the weekday.
SPRING_2021_FULL_CONSIDERATION = datetime(
    2021, 1, 21, 23, 59, tzinfo=ZoneInfo(settings.COURSE_TIME_ZONE)
)


def load(offering) -> ApplicationCall:
    """Create or update the offering's call (idempotent); no hard close."""
    call, _ = ApplicationCall.objects.update_or_create(
        offering=offering,
        defaults={
            "full_consideration_at": SPRING_2021_FULL_CONSIDERATION.astimezone(ZoneInfo("UTC")),
            "closes_at": None,
        },
    )
    return call
