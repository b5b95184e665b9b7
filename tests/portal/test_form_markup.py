"""Form markup a screen reader depends on (issue 17 items 1-3, 5): groups are fieldsets with a
legend, help and errors are tied to their fields by ids that exist, required fields say so,
filters have labels, decision buttons name the applicant, sign-up fills in the email."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Permission, User
from django.urls import reverse

from mltheory.portal.accounts.models import EmailVerification
from mltheory.portal.admissions import demo as admissions_demo
from mltheory.portal.admissions.models import Application
from mltheory.portal.courses import demo

pytestmark = pytest.mark.django_db


def _ids(html: str) -> set[str]:
    return set(re.findall(r'\sid="([^"]+)"', html))


def _described_by_targets_exist(html: str) -> None:
    ids = _ids(html)
    for refs in re.findall(r'aria-describedby="([^"]*)"', html):
        for ref in refs.split():
            assert ref in ids, f"aria-describedby points at missing id {ref!r}"


@pytest.fixture
def call(db):
    offering = demo.load()
    return admissions_demo.load(offering)


@pytest.fixture
def applicant(db):
    user = User.objects.create_user("new@mit.edu", "new@mit.edu", "a-long-passphrase-1")
    EmailVerification.mark_verified(user)
    return user


def test_sign_up_fields_have_autocomplete_and_help_in_valid_places(client):
    html = client.get(reverse("accounts:signup")).content.decode()
    email = re.search(r"<input[^>]*name=\"email\"[^>]*>", html).group(0)
    assert 'autocomplete="email"' in email and "required" in email
    assert 'aria-describedby="id_email_helptext"' in email
    assert re.search(r'<div class="helptext" id="id_password1_helptext"><ul>', html)
    assert not re.search(r"<span[^>]*>\s*<ul", html) and not re.search(r"<p>\s*<ul", html)
    assert "(required)" in html
    _described_by_targets_exist(html)


def test_application_form_groups_are_fieldsets_with_linked_errors(client, call, applicant):
    client.force_login(applicant)
    html = client.get(reverse("admissions:form")).content.decode()
    assert '<label for="">' not in html
    for name, question in [
        ("courses", "Courses"),
        ("institution", "Institution"),
        ("program", "Program"),
        ("prerequisites_taken", "Prerequisite courses taken"),
    ]:
        fieldset = re.search(
            rf'<fieldset class="field" id="field-{name}"[^>]*>\s*<legend>([^<]*)', html
        )
        assert fieldset and fieldset.group(1).strip() == question, name
    assert html.count("(required to submit)") == 6
    _described_by_targets_exist(html)

    # A submit with nothing filled in: each group's error is tied to its fieldset.
    response = client.post(reverse("admissions:form"), {"action": "submit"})
    html = response.content.decode()
    for name in ("courses", "institution", "program"):
        fieldset = re.search(rf'<fieldset class="field" id="field-{name}"([^>]*)>', html).group(1)
        assert f'aria-describedby="id_{name}_errors' in fieldset, name
        assert f'<ul class="errorlist" id="id_{name}_errors">' in html
    statement = re.search(r"<textarea[^>]*name=\"statement\"[^>]*>", html).group(0)
    assert 'aria-invalid="true"' in statement
    assert "id_statement_errors" in statement and "id_statement_helptext" in statement
    _described_by_targets_exist(html)
    # The message that the form failed is inside <main>, announced as an alert.
    main = html.split("<main", 1)[1].split("</main>", 1)[0]
    assert re.search(r'<p class="message error" role="alert">Not submitted', main)
    assert not Application.objects.get(applicant=applicant).is_submitted


def test_review_page_filters_are_labelled_and_buttons_name_the_applicant(client, call):
    staff = User.objects.create_user("staff@harvard.edu", "staff@harvard.edu", "pw-staff-1234")
    staff.is_staff = True
    staff.save()
    staff.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_application", "decide"])
    )
    applicant = User.objects.create_user("ada@college.harvard.edu", "ada@college.harvard.edu")
    application = Application.objects.create(
        call=call, applicant=applicant, institution="Harvard", program="graduate"
    )
    course = call.offering.courses.get(slug="cs229br")
    application.set_courses([course])
    application.submit()
    client.force_login(staff)
    html = client.get(reverse("admissions:review_course", args=[course.pk])).content.decode()
    for field in ("state", "late", "sort"):
        assert re.search(rf'<label for="id_{field}">[^<]+</label>', html), field
    assert "<th></th>" not in html and '<th scope="col"></th>' not in html
    for verb in ("Admit", "Waitlist", "Reject"):
        assert f'aria-label="{verb} ada@college.harvard.edu"' in html
