from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from mltheory.portal.accounts.models import EmailVerification
from mltheory.portal.admissions import demo
from mltheory.portal.admissions.models import (
    Application,
    ApplicationCall,
    CourseApplication,
    current_call,
)
from mltheory.portal.courses.models import Offering

from .conftest import make_applicant, make_submitted

pytestmark = pytest.mark.django_db


def test_call_is_open_until_hard_close_and_late_after_full_consideration(call):
    t = call.full_consideration_at
    assert not call.is_late(t - timedelta(seconds=1))
    assert call.is_late(t)
    assert call.is_open(t + timedelta(days=365))  # no hard close: late applications still accepted
    call.closes_at = t + timedelta(days=2)
    assert call.is_open(t + timedelta(days=1))
    assert not call.is_open(t + timedelta(days=2))


def test_current_call_is_the_current_offerings(call):
    old = Offering.objects.create(name="Spring 2020", slug="spring-2020", is_current=False)
    ApplicationCall.objects.create(offering=old, full_consideration_at=timezone.now())
    assert current_call() == call
    call.offering.is_current = False
    call.offering.save()
    assert current_call() is None


def test_demo_call_is_idempotent_and_at_the_eastern_deadline(offering):
    first = demo.load(offering)
    second = demo.load(offering)
    assert first.pk == second.pk and ApplicationCall.objects.count() == 1
    eastern = second.full_consideration_at.astimezone(ZoneInfo("America/New_York"))
    assert (eastern.year, eastern.month, eastern.day, eastern.hour, eastern.minute) == (
        2021,
        1,
        21,
        23,
        59,
    )
    # EST is UTC-5 in January: the deadline is 04:59 UTC the next day.
    assert second.full_consideration_at.astimezone(ZoneInfo("UTC")).hour == 4
    assert eastern.strftime("%A") == "Thursday"  # computed, not the announcement's "Wednesday"
    assert second.closes_at is None


def test_submit_marks_late_only_after_full_consideration(call, courses):
    on_time = make_submitted(call, make_applicant("a@mit.edu"), courses, institution="MIT")
    late = make_submitted(call, make_applicant("b@mit.edu"), courses, institution="MIT", late=True)
    assert on_time.is_submitted and not on_time.is_late
    assert late.is_late
    # Resubmitting (an edit) keeps the first submission time.
    first_time = on_time.submitted_at
    on_time.submit(now=call.full_consideration_at + timedelta(days=1))
    assert on_time.submitted_at == first_time and not on_time.is_late


def test_editable_until_full_consideration_then_frozen(call, courses, applicant):
    application = make_submitted(call, applicant, courses)
    t = call.full_consideration_at
    assert application.is_editable(t - timedelta(minutes=1))
    assert not application.is_editable(t)
    draft = Application.objects.create(call=call, applicant=make_applicant("c@mit.edu"))
    assert draft.is_editable(t + timedelta(days=3))  # drafts can still be submitted late
    call.closes_at = t + timedelta(days=1)
    assert not draft.is_editable(t + timedelta(days=1))


@pytest.mark.parametrize(
    "email,institution,expected",
    [
        ("ada@college.harvard.edu", "Harvard", True),
        ("ada@harvard.edu", "Harvard", True),
        ("ada@mit.edu", "Harvard", False),
        ("ada@notharvard.edu", "Harvard", False),
        ("ada@gmail.com", "MIT", False),
    ],
)
def test_email_domain_matches_stated_institution(call, courses, email, institution, expected):
    application = make_submitted(call, make_applicant(email), courses, institution=institution)
    assert application.email_matches_institution() is expected


def test_email_match_unknown_without_verification(call, courses):
    application = make_submitted(call, make_applicant("x@mit.edu", verified=False), courses, "MIT")
    assert application.email_matches_institution() is None


def test_set_courses_never_drops_a_decided_course(call, courses, applicant):
    cs229br, mit18408 = courses
    application = make_submitted(call, applicant, courses)
    application.course_applications.filter(course=cs229br).update(
        state=CourseApplication.State.WAITLISTED
    )
    application.set_courses([mit18408])
    assert set(application.courses()) == {cs229br, mit18408}
    application.set_courses([cs229br])
    assert set(application.courses()) == {cs229br}


def test_verification_lapses_when_email_changes(applicant):
    assert EmailVerification.is_verified(applicant)
    applicant.email = "other@harvard.edu"
    applicant.save()
    assert not EmailVerification.is_verified(applicant)
