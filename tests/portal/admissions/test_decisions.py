"""Capacity, waitlist promotion, replies, enrollment and decision emails.

Decision emails go through the portal's outbox: a decision queues an ``OutgoingEmail`` row in its
own transaction and ``send_due`` (the worker) sends it, so these tests deliver the outbox before
reading ``mail.outbox``.
"""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from mltheory.portal.admissions.models import (
    CapacityReached,
    CourseApplication,
    InvalidDecision,
)
from mltheory.portal.courses.models import Enrollment
from mltheory.portal.mail.models import OutgoingEmail, OutgoingEmailQuerySet
from mltheory.portal.seminars.models import Subscriber

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


def decision_rows():
    return OutgoingEmail.objects.filter(kind=OutgoingEmail.Kind.DECISION).order_by("pk")


def test_admit_up_to_capacity_then_refused(cs229br_applications):
    a, b, c, _ = cs229br_applications
    a.decide(State.ADMITTED)
    b.decide(State.ADMITTED)
    with pytest.raises(CapacityReached, match="CS 229br is full: 2 of 2"):
        c.decide(State.ADMITTED)
    c.refresh_from_db()
    assert c.state == State.PENDING
    assert CourseApplication.seats_taken(a.course) == 2


def test_capacity_is_per_course(call, courses):
    cs229br, mit18408 = courses
    both = [make_submitted(call, make_applicant(f"s{i}@mit.edu"), courses, "MIT") for i in range(3)]
    for application in both[:2]:
        for ca in application.course_applications.all():
            ca.decide(State.ADMITTED)
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


def test_accept_enrolls_and_decline_promotes_the_longest_waitlisted(cs229br_applications):
    a, b, c, d = cs229br_applications
    for ca, decision in [(a, State.ADMITTED), (b, State.ADMITTED), (d, State.WAITLISTED)]:
        ca.decide(decision)
    c.decide(State.WAITLISTED)  # waitlisted after d
    assert OutgoingEmail.objects.send_due()["sent"] == 4
    mail.outbox.clear()

    a.respond(accept=True)
    assert a.state == State.ACCEPTED
    assert Enrollment.objects.filter(user=a.application.applicant, course=a.course).exists()

    promoted = b.respond(accept=False)
    OutgoingEmail.objects.send_due()
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
    assert mail.outbox == []  # queued, not sent by the decision (nor when it commits)
    (row,) = decision_rows()
    assert row.status == OutgoingEmail.Status.PENDING and row.to == "student0@harvard.edu"
    assert OutgoingEmail.objects.send_due() == {"sent": 1, "retry": 0, "failed": 0, "cancelled": 0}
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
    OutgoingEmail.objects.send_due()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(CapacityReached):
        c.decide(State.ADMITTED)
    assert OutgoingEmail.objects.send_due()["sent"] == 0
    assert mail.outbox == []
    assert not decision_rows().filter(to="student2@harvard.edu").exists()


def test_a_decision_that_rolls_back_queues_no_email(cs229br_applications):
    a = cs229br_applications[0]
    with pytest.raises(RuntimeError), transaction.atomic():
        a.decide(State.ADMITTED)
        assert decision_rows().count() == 1  # queued inside the transaction ...
        raise RuntimeError("the surrounding work failed after the decision")
    a.refresh_from_db()
    assert a.state == State.PENDING
    assert not decision_rows().exists()  # ... and rolled back with the decision
    OutgoingEmail.objects.send_due()
    assert mail.outbox == []


def test_a_decision_whose_email_cannot_be_queued_is_not_saved(cs229br_applications):
    a = cs229br_applications[0]
    with (
        mock.patch.object(
            OutgoingEmailQuerySet, "enqueue", side_effect=RuntimeError("outbox unavailable")
        ),
        pytest.raises(RuntimeError),
    ):
        a.decide(State.ADMITTED)
    a.refresh_from_db()
    assert a.state == State.PENDING and a.decided_at is None
    assert CourseApplication.seats_taken(a.course) == 0


def test_decline_queues_the_promoted_applicants_email_with_the_decline(cs229br_applications):
    a, b, c, d = cs229br_applications
    for ca in (a, b):
        ca.decide(State.ADMITTED)
    d.decide(State.WAITLISTED)
    c.decide(State.WAITLISTED)
    OutgoingEmail.objects.all().delete()

    promoted = a.respond(accept=False)
    assert promoted.pk == d.pk
    # Queued in the reply's transaction, before any worker ran; the decliner gets nothing.
    (row,) = decision_rows()
    assert row.to == "student3@harvard.edu" and row.status == OutgoingEmail.Status.PENDING
    assert "CS 229br" in row.subject
    assert "next on the waitlist: you are admitted" in row.body
    assert "/apply/status/" in row.body


def test_a_failed_send_keeps_the_decision_email_and_a_later_attempt_sends_it(
    cs229br_applications, mail_server_down, after_first_retry_delay
):
    a = cs229br_applications[0]
    a.decide(State.ADMITTED)
    assert OutgoingEmail.objects.send_due()["retry"] == 1
    (row,) = decision_rows()
    assert row.status == OutgoingEmail.Status.PENDING and row.attempts == 1
    assert mail_server_down.ERROR in row.last_error
    assert mail.outbox == []

    mail_server_down.restore()
    with after_first_retry_delay():
        assert OutgoingEmail.objects.send_due()["sent"] == 1
    row.refresh_from_db()
    assert row.status == OutgoingEmail.Status.SENT and row.attempts == 2
    assert [m.to for m in mail.outbox] == [["student0@harvard.edu"]]
    assert "you are admitted" in mail.outbox[0].body


def test_an_unsubscribed_seminar_address_still_gets_its_decision_email(cs229br_applications):
    """Cancelling list mail to unsubscribed addresses must not touch decision emails."""
    a = cs229br_applications[0]
    Subscriber.objects.create(
        email="student0@harvard.edu",
        confirmed_at=timezone.now() - timedelta(days=2),
        unsubscribed_at=timezone.now() - timedelta(days=1),
    )
    Subscriber.objects.create(email="student1@harvard.edu")  # never confirmed
    a.decide(State.ADMITTED)
    cs229br_applications[1].decide(State.REJECTED)
    counts = OutgoingEmail.objects.send_due()
    assert counts == {"sent": 2, "retry": 0, "failed": 0, "cancelled": 0}
    assert sorted(m.to[0] for m in mail.outbox) == ["student0@harvard.edu", "student1@harvard.edu"]


def test_a_newer_decision_cancels_the_older_ones_email_still_waiting(
    cs229br_applications, mail_server_down, after_first_retry_delay
):
    """Admit, the send fails, then reject: the applicant must not get the stale "admitted"."""
    a, b = cs229br_applications[:2]
    a.decide(State.ADMITTED)
    b.decide(State.WAITLISTED)
    assert OutgoingEmail.objects.send_due()["retry"] == 2
    mail_server_down.restore()
    a.decide(State.REJECTED)
    rows = {(r.to, r.status) for r in decision_rows()}
    assert rows == {
        ("student0@harvard.edu", OutgoingEmail.Status.CANCELLED),  # the stale "admitted"
        ("student0@harvard.edu", OutgoingEmail.Status.PENDING),  # the current "rejected"
        ("student1@harvard.edu", OutgoingEmail.Status.PENDING),  # another applicant: untouched
    }
    with after_first_retry_delay():
        assert OutgoingEmail.objects.send_due()["sent"] == 2
    to_a = [m.body for m in mail.outbox if m.to == ["student0@harvard.edu"]]
    assert len(to_a) == 1 and "cannot offer you" in to_a[0]


def test_a_decision_in_one_course_leaves_the_other_courses_email_waiting(call, courses):
    """Superseding is per course: the same applicant's other course's email stays queued."""
    applications = make_submitted(call, make_applicant("both@harvard.edu"), courses)
    by_course = {ca.course.code: ca for ca in applications.course_applications.all()}
    by_course["CS 229br"].decide(State.ADMITTED)
    by_course["18.408"].decide(State.WAITLISTED)
    by_course["CS 229br"].decide(State.REJECTED)
    rows = [(r.subject.split(":")[0], r.status, r.body) for r in decision_rows()]
    assert [(course, status) for course, status, _ in rows] == [
        ("CS 229br", OutgoingEmail.Status.CANCELLED),  # the stale "admitted"
        ("18.408", OutgoingEmail.Status.PENDING),  # the other course: untouched
        ("CS 229br", OutgoingEmail.Status.PENDING),  # the current "rejected"
    ]
    assert "on the waitlist" in rows[1][2] and "cannot offer you" in rows[2][2]
