"""Bad input never gets a 500 from the compute pages: NUL bytes, non-ASCII and over-long values
in every URL parameter and every form field, as a visitor, a student and staff. (The portal-wide
test_bad_input does the same for every URL once it lists the compute URLs.)"""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import quote, urlencode, urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from mltheory.portal.compute import queue
from mltheory.portal.courses.models import Course, Enrollment

pytestmark = pytest.mark.django_db

BAD_VALUES = {
    "nul": "a\x00b",
    "non-ascii": "ééé" + "😀" * 40 + "ß",
    "over-long": "x" * 5000,
    "over-long number": "9" * 40,
}


class _Forms(HTMLParser):
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
        elif tag in ("input", "textarea", "select") and self.forms and attrs.get("name"):
            kind = "files" if attrs.get("type") == "file" else "fields"
            if attrs["name"] != "csrfmiddlewaretoken":
                self.forms[-1][kind].add(attrs["name"])


def test_compute_pages_never_answer_bad_input_with_a_500(offering, student, staff):
    course = Course.objects.create(
        offering=offering,
        code="CS 229br",
        slug="cs229br",
        title="ML theory",
        institution="Harvard",
        instructor="B",
        capacity=10,
    )
    Enrollment.objects.create(user=student, course=course)
    run = queue.submit(
        student, experiment="min-norm", scale="smoke", seeds=[0], overrides={}, queue="cpu"
    )
    routes = {
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
    }
    users = {"anonymous": None, "student": student, "staff": staff}
    forms_seen = 0
    for name, kwargs in routes.items():
        for who, user in users.items():
            client = Client()
            if user is not None:
                client.force_login(user)
            # Bad URL parameters (as far as the URL's converters let them through).
            for param in kwargs:
                for label, bad in BAD_VALUES.items():
                    path = reverse(name, kwargs={**kwargs, param: 0 if param == "pk" else "x"})
                    path = path.replace("/0/", f"/{quote(bad, safe='')}/").replace(
                        "/x/", f"/{quote(bad, safe='')}/"
                    )
                    for method in (client.get, client.post):
                        assert method(path).status_code < 500, (name, param, label, who)
            # Every form on the page, with the bad value in every field.
            path = reverse(name, kwargs=kwargs)
            page = client.get(path + "?" + urlencode({"fork": "9" * 40}))
            assert page.status_code < 500
            page = client.get(path)
            if "html" not in page.get("Content-Type", ""):
                continue
            parser = _Forms()
            parser.feed(page.content.decode())
            for form in parser.forms:
                if form["action"] and "logout" in form["action"]:
                    continue
                forms_seen += 1
                target = urlsplit(form["action"]).path if form["action"] else path
                for label, bad in BAD_VALUES.items():
                    data = {field: bad for field in form["fields"]}
                    data.update(
                        {
                            f: SimpleUploadedFile(bad[:200] + ".py", bad.encode()[:5000])
                            for f in form["files"]
                        }
                    )
                    response = (
                        client.post(target, data)
                        if form["method"] == "post"
                        else client.get(target + "?" + urlencode(data))
                    )
                    assert response.status_code < 500, (target, label, who)
    assert forms_seen >= 4  # submit, upload, cancel, rerun
