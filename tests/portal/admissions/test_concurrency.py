"""Two staff admit into the last place at the same moment: exactly one succeeds (PostgreSQL).

The capacity check and the admit run inside one transaction holding a row lock on the course
(``select_for_update``). To make the race real rather than lucky, the test widens the window
between counting the places taken and saving the admission; without the lock both requests
would count one free place and both would admit.
"""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from mltheory.portal.admissions.models import CourseApplication

from .conftest import make_applicant, make_submitted

State = CourseApplication.State


@pytest.fixture
def requires_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip(
            "needs PostgreSQL row locks (SQLite serialises whole-database writes and ignores "
            "select_for_update); run with DATABASE_URL=postgres://... as CI does"
        )


@pytest.mark.django_db(transaction=True)
def test_two_staff_admit_into_the_last_place_at_once(
    requires_postgresql, call, courses, staff, monkeypatch
):
    cs229br = courses[0]
    first = make_submitted(call, make_applicant("first@harvard.edu"), [cs229br])
    first.course_applications.get().decide(State.ADMITTED)  # 1 of 2 places taken
    contenders = [
        make_submitted(
            call, make_applicant(f"c{i}@harvard.edu"), [cs229br]
        ).course_applications.get()
        for i in range(2)
    ]

    original_seats_taken = CourseApplication.seats_taken

    def slow_seats_taken(course):
        taken = original_seats_taken(course)
        time.sleep(0.5)  # the other request arrives while this one has counted but not saved
        return taken

    monkeypatch.setattr(CourseApplication, "seats_taken", staticmethod(slow_seats_taken))

    start = threading.Barrier(2)
    results: dict[int, str] = {}

    def admit(ca):
        client = Client()
        client.force_login(staff)
        start.wait()
        try:
            response = client.post(
                reverse("admissions:decide", args=[ca.pk]), {"decision": "admitted"}, follow=True
            )
            results[ca.pk] = response.content.decode()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=admit, args=(ca,)) for ca in contenders]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    states = sorted(CourseApplication.objects.get(pk=ca.pk).state for ca in contenders)
    assert states == [State.ADMITTED, State.PENDING]
    assert (
        CourseApplication.objects.filter(
            course=cs229br, state__in=CourseApplication.SEAT_STATES
        ).count()
        == 2
    )
    refused = [page for page in results.values() if "is full: 2 of 2 places are taken" in page]
    assert len(refused) == 1
