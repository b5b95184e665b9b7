"""Property: whatever staff decide and applicants answer, in any order, a course never holds
more admitted students than its capacity, every acceptance is an enrollment, and a declined
place goes to the longest-waitlisted applicant."""

from __future__ import annotations

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mltheory.portal.admissions.models import (
    Application,
    CapacityReached,
    CourseApplication,
    InvalidDecision,
)
from mltheory.portal.courses.models import Enrollment

from .conftest import make_applicant

State = CourseApplication.State
N_APPLICANTS = 5

operations = st.lists(
    st.tuples(
        st.sampled_from(["admitted", "waitlisted", "rejected", "accept", "decline"]),
        st.integers(0, N_APPLICANTS - 1),
    ),
    max_size=25,
)


class _Rollback(Exception):
    pass


@pytest.mark.django_db
@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=operations, capacity=st.integers(1, 3))
def test_capacity_never_exceeded(call, courses, ops, capacity):
    course = courses[0]
    try:
        with transaction.atomic():  # each example starts from the same database
            course.capacity = capacity
            course.save()
            cas = []
            for i in range(N_APPLICANTS):
                # No uploads: the property is about decisions, and files would slow every example.
                application = Application.objects.create(
                    call=call, applicant=make_applicant(f"p{i}@harvard.edu")
                )
                application.set_courses([course])
                application.submit()
                cas.append(application.course_applications.get())
            for op, index in ops:
                ca = cas[index]
                waitlist_before = list(
                    CourseApplication.objects.filter(course=course, state=State.WAITLISTED)
                    .order_by("waitlisted_at", "pk")
                    .values_list("pk", flat=True)
                )
                try:
                    if op in ("accept", "decline"):
                        promoted = ca.respond(accept=op == "accept")
                        if op == "decline" and waitlist_before:
                            assert promoted is not None and promoted.pk == waitlist_before[0]
                    else:
                        ca.decide(op)
                except (CapacityReached, InvalidDecision):
                    pass
                taken = CourseApplication.seats_taken(course)
                assert taken <= capacity
                accepted = CourseApplication.objects.filter(course=course, state=State.ACCEPTED)
                assert Enrollment.objects.filter(course=course).count() == accepted.count()
            raise _Rollback
    except _Rollback:
        pass
