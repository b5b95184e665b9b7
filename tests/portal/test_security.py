"""Site-wide protections: CSRF on every form and the security headers on every page.

The production-only headers (HSTS, the HTTPS redirect) depend on settings read at start-up, so
``test_server.py`` checks those in a subprocess with the production environment.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import URLResolver, get_resolver, reverse
from django.urls.converters import IntConverter, SlugConverter, StringConverter

import mltheory.portal

PORTAL_APPS = {"accounts", "admissions", "courses", "seminars"}
# RFC 8058: mail providers POST the one-click unsubscribe without cookies or a token; the secret
# in its URL authorises it (see seminars.views.unsubscribe). Nothing else may be exempt.
CSRF_EXEMPT = {"seminars:unsubscribe"}
DUMMY_ARGUMENTS = {IntConverter: 1, SlugConverter: "x", StringConverter: "x"}


def portal_urls():
    """Every URL of the portal's own apps, with placeholder arguments (the admin is Django's)."""
    for top in get_resolver().url_patterns:
        if isinstance(top, URLResolver) and top.namespace in PORTAL_APPS:
            for pattern in top.url_patterns:
                kwargs = {
                    name: DUMMY_ARGUMENTS[type(converter)]
                    for name, converter in pattern.pattern.converters.items()
                }
                name = f"{top.namespace}:{pattern.name}"
                yield name, reverse(name, kwargs=kwargs)


@pytest.mark.django_db
def test_every_portal_url_refuses_a_post_without_a_csrf_token():
    client = Client(enforce_csrf_checks=True)
    urls = dict(portal_urls())
    assert {"admissions:form", "admissions:decide", "courses:assignment"} <= urls.keys()
    not_refused = set()
    for name, url in urls.items():
        response = client.post(url)
        # Refused by the CSRF check itself, before the view (and its own 403s) could run.
        if not (response.status_code == 403 and b"CSRF" in response.content):
            not_refused.add(name)
    assert not_refused == CSRF_EXEMPT


def test_every_post_form_in_the_templates_carries_the_csrf_token():
    root = Path(mltheory.portal.__file__).parent
    checked, missing = set(), []
    for template in sorted(root.rglob("templates/**/*.html")):
        name = template.relative_to(root).as_posix()
        for form in re.finditer(r"<form[^>]*method=\"post\".*?</form>", template.read_text(), re.S):
            checked.add(name)
            if "{% csrf_token %}" not in form.group(0):
                missing.append(name)
    # The scan does find the forms (so an empty result would not pass for the wrong reason).
    assert {
        "accounts/templates/accounts/login.html",
        "admissions/templates/admissions/form.html",
        "admissions/templates/admissions/review_course.html",
        "courses/templates/courses/assignment_detail.html",
        "templates/base.html",
    } <= checked
    assert missing == ["seminars/templates/seminars/unsubscribe.html"]


@pytest.mark.django_db
def test_pages_carry_the_security_headers(client):
    for url in ("/", reverse("seminars:series"), reverse("accounts:login")):
        response = client.get(url)
        assert response["X-Frame-Options"] == "DENY", url
        assert response["X-Content-Type-Options"] == "nosniff", url
        assert response["Referrer-Policy"] == "same-origin", url
        assert response["Cross-Origin-Opener-Policy"] == "same-origin", url
