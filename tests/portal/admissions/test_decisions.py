"""Capacity, waitlist promotion, replies, enrollment and decision emails."""

from __future__ import annotations

import pytest
from django.core import mail

from mltheory.portal.admissions.models import (
    CapacityReached,
    CourseApplication,
    InvalidDecision,
)
from mltheory.portal.courses.models import Enrollment

from .conftest import make_applicant, make_submitted

pytestmark = pytest.mark.django_db(transaction=False)

State = CourseApplication.State


@pytest.fixture
def cs229br_applications(call, courses):
    """Four submitted applications to CS 229br (capacity 2)."""
    cs229br = courses[0]
    return [
        make_submitted(
            call, make_applicant(f"student{i}@harvard.edu"), [cs229br]
        ).course_applications.get()
        for i in range(4)
    ]


def _decide(course_application, decision, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        course_application.decide(decision)


def test_admit_up_to_capacity_then_refused(
    cs229br_applications, django_capture_on_commit_callbacks
):
    a, b, c, _ = cs229br_applications
    _decide(a, State.ADMITTED, django_capture_on_commit_callbacks)
    _decide(b, State.ADMITTED, django_capture_on_commit_callbacks)
    with pytest.raises(CapacityReached, match="CS 229br is full: 2 of 2"):
        c.decide(State.ADMITTED)
    c.refresh_from_db()
    assert c.state == State.PENDING
    assert CourseApplication.seats_taken(a.course) == 2


def test_capacity_is_per_course(call, courses, django_capture_on_commit_callbacks):
    cs229br, mit18408 = courses
    both = [make_submitted(call, make_applicant(f"s{i}@mit.edu"), courses, "MIT") for i in range(3)]
    for application in both[:2]:
        for ca in application.course_applications.all():
            _decide(ca, State.ADMITTED, django_capture_on_commit_callbacks)
    third_mit = both[2].course_applications.get(course=mit18408)
    with pytest.raises(CapacityReached):
        third_mit.decide(State.ADMITTED)
    assert CourseApplication.seats_taken(cs229br) == 2


def test_rejecting_an_admitted_frees_a_place(cs229br_applications):
    a, b, c, _ = cs229br_applications
    a.decide(State.ADMITTED)
    b.decide(State.ADMITTED)
    a.decide(State.REJECTED)
    c.decide(State.ADMITTED)
    assert CourseApplication.seats_taken(c.course) == 2


def test_accept_enrolls_and_decline_promotes_the_longest_waitlisted(
    cs229br_applications, django_capture_on_commit_callbacks
):
    a, b, c, d = cs229br_applications
    for ca, decision in [(a, State.ADMITTED), (b, State.ADMITTED), (d, State.WAITLISTED)]:
        _decide(ca, decision, django_capture_on_commit_callbacks)
    _decide(c, State.WAITLISTED, django_capture_on_commit_callbacks)  # waitlisted after d
    mail.outbox.clear()

    a.respond(accept=True)
    assert a.state == State.ACCEPTED
    assert Enrollment.objects.filter(user=a.application.applicant, course=a.course).exists()

    with django_capture_on_commit_callbacks(execute=True):
        promoted = b.respond(accept=False)
    assert b.state == State.DECLINED
    assert promoted.pk == d.pk
    d.refresh_from_db()
    c.refresh_from_db()
    assert d.state == State.ADMITTED and c.state == State.WAITLISTED
    assert CourseApplication.seats_taken(a.course) == 2
    assert [m.to for m in mail.outbox] == [["student3@harvard.edu"]]
    assert "next on the waitlist" in mail.outbox[0].body


def test_only_an_open_admission_can_be_answered(cs229br_applications):
    a, b, *_ = cs229br_applications
    with pytest.raises(InvalidDecision):
        a.respond(accept=True)  # still pending
    b.decide(State.ADMITTED)
    b.respond(accept=True)
    with pytest.raises(InvalidDecision):
        b.respond(accept=False)
    with pytest.raises(InvalidDecision):
        b.decide(State.REJECTED)  # an accepted place is the applicant's


def test_drafts_cannot_be_decided(call, courses, applicant):
    from mltheory.portal.admissions.models import Application

    draft = Application.objects.create(call=call, applicant=applicant)
    draft.set_courses(courses)
    with pytest.raises(InvalidDecision, match="submitted"):
        draft.course_applications.first().decide(State.ADMITTED)


def test_unknown_decision_refused(cs229br_applications):
    with pytest.raises(InvalidDecision):
        cs229br_applications[0].decide("accepted")


@pytest.mark.parametrize(
    "decision,phrase",
    [
        (State.ADMITTED, "you are admitted"),
        (State.WAITLISTED, "on the waitlist"),
        (State.REJECTED, "cannot offer you"),
    ],
)
def test_decision_email(cs229br_applications, django_capture_on_commit_callbacks, decision, phrase):
    a = cs229br_applications[0]
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        a.decide(decision)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["student0@harvard.edu"]
    assert "CS 229br" in message.subject
    assert phrase in message.body
    assert "/apply/status/" in message.body


def test_no_email_when_the_decision_is_refused(
    cs229br_applications, django_capture_on_commit_callbacks
):
    a, b, c, _ = cs229br_applications
    a.decide(State.ADMITTED)
    b.decide(State.ADMITTED)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(CapacityReached):
        c.decide(State.ADMITTED)
    assert mail.outbox == []
