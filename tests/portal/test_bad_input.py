"""Bad input never gets a 500: NUL bytes, non-ASCII and over-long values in every URL
parameter and every form field of the portal.

The URL patterns are enumerated from the resolver (Django's own admin aside), so a new URL
without an entry in the ``portal`` fixture's ``kwargs`` fails here until someone says how to
reach it. Each page is requested with each bad value in each of its parameters, as an
anonymous visitor, an applicant and staff; every form the page shows is then submitted (to its
own action) with the bad value in every field, files included (about 900 requests). The Django test client re-raises a view's exception, so any crash
fails the test; a 500 answer fails it too. Run it on PostgreSQL as well (``DATABASE_URL``):
only PostgreSQL refuses NUL bytes in strings.
"""

from __future__ import annotations

import re
from datetime import date, time, timedelta
from html.parser import HTMLParser
from urllib.parse import quote, urlencode, urlsplit

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from mltheory.portal.accounts.models import EmailVerification
from mltheory.portal.accounts.tokens import verification_path
from mltheory.portal.admissions.models import Application, ApplicationCall
from mltheory.portal.courses.models import (
    Assignment,
    Course,
    Enrollment,
    Lecture,
    Offering,
    Submission,
    Weekday,
)
from mltheory.portal.seminars.models import Subscriber, Talk

BAD_VALUES = {
    "nul": "a\x00b",
    "non-ascii": "ééé" + "😀" * 40 + "ß",
    "over-long": "x" * 5000,
    "over-long number": "9" * 40,
}


def _routes(resolver=None, prefix=""):
    """(route with converters, URL name) for every pattern outside Django's admin."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        route = str(entry.pattern)
        if isinstance(entry, URLResolver):
            if route.startswith("admin/"):
                continue
            namespace = f"{entry.namespace}:" if entry.namespace else ""
            for sub_route, name in _routes(entry, prefix + route):
                yield sub_route, namespace + name
        elif isinstance(entry, URLPattern):
            yield prefix + route, entry.name


PARAM = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>")


def _path(route: str, values: dict[str, str]) -> str:
    return "/" + PARAM.sub(lambda m: quote(str(values[m["name"]]), safe=""), route)


class _Forms(HTMLParser):
    """The forms on a page: method, action, and the names of their fields by kind."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append(
                {
                    "method": (attrs.get("method") or "get").lower(),
                    "action": attrs.get("action"),
                    "fields": set(),
                    "files": set(),
                }
            )
        elif tag in ("input", "textarea", "select", "button") and self.forms and attrs.get("name"):
            kind = "files" if attrs.get("type") == "file" else "fields"
            if attrs["name"] != "csrfmiddlewaretoken":
                self.forms[-1][kind].add(attrs["name"])


@pytest.fixture
def portal(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    now = timezone.now()
    offering = Offering.objects.create(name="Spring 2021", slug="spring-2021", is_current=True)
    course = Course.objects.create(
        offering=offering,
        code="CS 229br",
        slug="cs229br",
        title="Foundations of Deep Learning",
        institution="Harvard",
        institution_domains="harvard.edu",
        instructor="Boaz Barak",
        capacity=2,
        meeting_weekday=Weekday.MONDAY,
        meeting_start=time(12),
        meeting_end=time(15),
        first_lecture_date=date(2021, 1, 25),
    )
    lecture = Lecture.objects.create(
        title="Generalization", starts_at=now, ends_at=now + timedelta(hours=3)
    )
    lecture.courses.add(course)
    assignment = Assignment.objects.create(
        title="Problem set 1",
        released_at=now - timedelta(days=1),
        due_at=now + timedelta(days=7),
        experiments="min-norm",
    )
    assignment.courses.add(course)
    student = User.objects.create_user("ada@harvard.edu", "ada@harvard.edu", "pw-ada-123456")
    EmailVerification.mark_verified(student)
    Enrollment.objects.create(user=student, course=course)
    pdf = SimpleUploadedFile("s.pdf", b"%PDF-1.4\n%%EOF\n")
    submission = Submission.objects.create(
        assignment=assignment, student=student, file=pdf, original_name="s.pdf"
    )
    call = ApplicationCall.objects.create(
        offering=offering, full_consideration_at=now + timedelta(days=7)
    )
    application = Application.objects.create(
        call=call, applicant=student, institution="Harvard", program="graduate", statement="Hi"
    )
    application.set_courses([course])
    application.submit()
    course_application = application.course_applications.get()
    staff = User.objects.create_superuser("staff", "staff@harvard.edu", "staff-pass-123")
    # Admitted: the status page then shows the accept/decline forms too.
    course_application.decide("admitted", by=staff)
    talk = Talk.objects.create(
        title="Benign overfitting",
        speakers="Jane Doe (MIT)",
        starts_at=now + timedelta(days=2),
        ends_at=now + timedelta(days=2, hours=1),
        zoom_url="https://zoom.example.com/j/1",
    )
    subscriber = Subscriber.objects.create(email="reader@example.edu", confirmed_at=now)
    verify = verification_path(student).strip("/").split("/")
    from mltheory.portal.compute import queue as compute_queue

    run = compute_queue.submit(
        student, experiment="min-norm", scale="smoke", seeds=[0], overrides={}, queue="cpu"
    )
    return {
        "users": {"anonymous": None, "applicant": student, "staff": staff},
        "kwargs": {
            "accounts:login": {},
            "accounts:logout": {},
            "accounts:signup": {},
            "accounts:verify_sent": {},
            "accounts:resend_verification": {},
            "accounts:verify_email": {"uidb64": verify[-2], "token": verify[-1]},
            "admissions:apply": {},
            "admissions:form": {},
            "admissions:status": {},
            "admissions:respond": {"pk": course_application.pk},
            "admissions:file": {"pk": application.pk, "kind": "pset0-theory"},
            "admissions:review_index": {},
            "admissions:review_course": {"course_id": course.pk},
            "admissions:export_csv": {"course_id": course.pk},
            "admissions:decide": {"pk": course_application.pk},
            "seminars:series": {},
            "seminars:calendar": {},
            "seminars:talk": {"pk": talk.pk},
            "seminars:speaker_edit": {"pk": talk.pk, "token": talk.speaker_token},
            "seminars:subscribe": {},
            "seminars:confirm": {
                "code": subscriber.get_confirmation_url().strip("/").split("/")[-1]
            },
            "seminars:unsubscribe": {"token": subscriber.token},
            "courses:home": {},
            "courses:course": {"offering_slug": offering.slug, "course_slug": course.slug},
            "courses:calendar": {"offering_slug": offering.slug, "course_slug": course.slug},
            "courses:assignment": {
                "offering_slug": offering.slug,
                "course_slug": course.slug,
                "pk": assignment.pk,
            },
            "courses:lecture_slides": {"pk": lecture.pk},
            "courses:assignment_pdf": {"pk": assignment.pk},
            "courses:submission_file": {"pk": submission.pk},
            "compute:experiments": {},
            "compute:gallery": {},
            "compute:submit": {"name": "min-norm"},
            "compute:upload": {},
            "compute:my_runs": {},
            "compute:my_runs_status": {},
            "compute:run": {"pk": run.pk},
            "compute:run_status": {"pk": run.pk},
            "compute:run_file": {"pk": run.pk, "path": "seed-0/fig.png"},
            "compute:cancel": {"pk": run.pk},
            "compute:rerun": {"pk": run.pk},
        },
    }


def _client(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _assert_not_500(response, what: str) -> None:
    assert response.status_code < 500, f"{what}: {response.status_code}"


def _bad_file(value: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(value[:200] + ".pdf", value.encode()[:5000], "application/pdf")


def test_every_url_pattern_is_covered(portal):
    names = {name for _, name in _routes()}
    assert names == set(portal["kwargs"]), (
        "add the new URL to the portal fixture's kwargs (how to reach it)"
    )


def test_bad_url_parameters_never_get_a_500(portal):
    for route, name in _routes():
        valid = portal["kwargs"][name]
        for param in valid:
            for label, bad in BAD_VALUES.items():
                path = _path(route, {**valid, param: bad})
                for who, user in portal["users"].items():
                    client = _client(user)
                    for method in (client.get, client.post):
                        response = method(path)
                        _assert_not_500(
                            response, f"{method.__name__} {name} {param}={label} as {who}"
                        )


def test_bad_form_fields_never_get_a_500(portal):
    forms_seen = 0
    for route, name in _routes():
        path = _path(route, portal["kwargs"][name])
        for who, user in portal["users"].items():
            page = _client(user).get(path)
            if "html" not in page.get("Content-Type", ""):
                continue
            parser = _Forms()
            parser.feed(page.content.decode())
            for form in parser.forms:
                forms_seen += 1
                target = urlsplit(form["action"]).path if form["action"] else path
                for label, bad in BAD_VALUES.items():
                    data = {field: bad for field in form["fields"]}
                    client = _client(user)
                    if form["method"] == "post":
                        data.update({field: _bad_file(bad) for field in form["files"]})
                        response = client.post(target, data)
                    else:
                        response = client.get(target + "?" + urlencode(data))
                    _assert_not_500(
                        response, f"{form['method']} {target} ({name}) {label} as {who}"
                    )
                # Query strings nobody's form sends, too.
                response = _client(user).get(path + "?" + urlencode({"sort": bad, "q": bad}))
                _assert_not_500(response, f"GET {path} with a bad query string as {who}")
    assert forms_seen >= 10  # sign-in, sign-up, subscribe, application, review filters, ...


def test_the_two_urls_that_crashed_are_not_found(portal):
    talk_pk = portal["kwargs"]["seminars:talk"]["pk"]
    client = Client()
    for path in ("/seminars/unsubscribe/%00/", f"/seminars/talks/{talk_pk}/speaker/{'é' * 50}/"):
        assert client.get(path).status_code == 404
        assert client.post(path).status_code == 404
