"""Sign-up with email verification, sign-in/out, rate limits and CSRF."""

from __future__ import annotations

import re
from unittest import mock

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from mltheory.portal.accounts.models import EmailVerification
from mltheory.portal.mail.models import OutgoingEmail, OutgoingEmailQuerySet

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery 42"


# Tests use per-day rates: django-ratelimit counts in fixed windows, and a per-minute window
# could roll over in the middle of a test and reset the count.


@pytest.fixture(autouse=True)
def empty_cache():
    # Rate-limit counters live in the cache, shared by every test in the process.
    cache.clear()
    yield
    cache.clear()


def sign_up(client, email="Ada@College.Harvard.edu"):
    return client.post(
        reverse("accounts:signup"),
        {"email": email, "password1": PASSWORD, "password2": PASSWORD},
    )


def verification_path(message) -> str:
    return re.search(r"https?://[^/\s]+(/accounts/verify/\S+/)", message.body).group(1)


def deliver() -> dict[str, int]:
    """Run the outbox worker once: views only queue verification emails, the worker sends them."""
    return OutgoingEmail.objects.send_due()


def verification_rows():
    return OutgoingEmail.objects.filter(kind=OutgoingEmail.Kind.VERIFICATION).order_by("pk")


def test_sign_up_creates_an_unverified_account_and_emails_a_link(client):
    response = sign_up(client)
    assert response.status_code == 302 and response["Location"] == reverse("accounts:verify_sent")
    user = User.objects.get()
    assert user.username == user.email == "ada@college.harvard.edu"
    assert not EmailVerification.is_verified(user)
    assert int(client.session["_auth_user_id"]) == user.pk  # signed in to save a draft
    assert mail.outbox == []  # queued by the request, sent by the worker
    (row,) = verification_rows()
    assert row.to == "ada@college.harvard.edu" and row.status == OutgoingEmail.Status.PENDING
    assert deliver()["sent"] == 1
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["ada@college.harvard.edu"]
    assert mail.outbox[0].subject == "Confirm your email address for the ML theory courses"


def test_the_link_verifies_once(client):
    sign_up(client)
    deliver()
    path = verification_path(mail.outbox[0])
    response = client.get(path)
    assert response.status_code == 302
    user = User.objects.get()
    assert EmailVerification.is_verified(user)
    again = client.get(path)
    assert again.status_code == 200 and "Already confirmed" in again.content.decode()


def test_a_tampered_or_foreign_link_fails(client):
    sign_up(client)
    deliver()
    path = verification_path(mail.outbox[0])
    bad = path.rstrip("/")[:-3] + "abc/"
    response = client.get(bad)
    assert response.status_code == 400
    assert "not valid" in response.content.decode()
    # Another user's uid with this token fails too.
    other = User.objects.create_user("bob@mit.edu", "bob@mit.edu", PASSWORD)
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    parts = path.strip("/").split("/")
    parts[2] = urlsafe_base64_encode(force_bytes(other.pk))
    assert client.get("/" + "/".join(parts) + "/").status_code == 400
    assert not EmailVerification.objects.exists()


def test_a_link_sent_to_an_old_address_does_not_verify_the_new_one(client):
    sign_up(client)
    deliver()
    path = verification_path(mail.outbox[0])
    user = User.objects.get()
    user.email = "changed@mit.edu"
    user.save()
    assert client.get(path).status_code == 400
    assert not EmailVerification.is_verified(user)


def test_duplicate_email_refused(client):
    sign_up(client)
    other = Client()
    response = sign_up(other, email="ADA@college.harvard.edu")
    assert response.status_code == 200
    assert "already exists" in str(response.context["form"].errors["email"])
    assert User.objects.count() == 1


def test_weak_password_refused(client):
    response = client.post(
        reverse("accounts:signup"),
        {"email": "x@mit.edu", "password1": "12345678", "password2": "12345678"},
    )
    assert "password2" in response.context["form"].errors
    assert not User.objects.exists()


def test_resend_verification(client):
    sign_up(client)
    deliver()
    mail.outbox.clear()
    response = client.post(
        reverse("accounts:resend_verification"), {"next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("accounts:verify_sent")  # no open redirect
    assert mail.outbox == []
    assert deliver()["sent"] == 1
    assert len(mail.outbox) == 1
    client.get(verification_path(mail.outbox[0]))
    assert EmailVerification.is_verified(User.objects.get())


def test_sign_in_with_email_in_any_case_and_sign_out(client):
    User.objects.create_user("ada@mit.edu", "ada@mit.edu", PASSWORD)
    response = client.post(
        reverse("accounts:login"), {"username": "ADA@mit.edu", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert "_auth_user_id" in client.session
    assert client.get(reverse("accounts:logout")).status_code == 405  # sign-out is a POST
    client.post(reverse("accounts:logout"))
    assert "_auth_user_id" not in client.session


def _signs_in(identifier: str, password: str = PASSWORD) -> bool:
    client = Client()
    client.post(reverse("accounts:login"), {"username": identifier, "password": password})
    return "_auth_user_id" in client.session


def test_a_staff_account_signs_in_by_email_or_username_in_any_case():
    # createsuperuser and the admin make accounts whose username is not their address.
    User.objects.create_user("boaz", "Boaz@Harvard.edu", PASSWORD, is_staff=True)
    for identifier in ("boaz", "boaz@harvard.edu", "BOAZ@harvard.EDU", " boaz@harvard.edu "):
        assert _signs_in(identifier), identifier
    assert not _signs_in("boaz@harvard.edu", "wrong password")
    assert not _signs_in("nobody@harvard.edu")


def test_an_address_two_accounts_share_signs_in_neither_by_email():
    User.objects.create_user("first", "shared@mit.edu", PASSWORD)
    User.objects.create_user("second", "shared@mit.edu", PASSWORD)
    assert not _signs_in("shared@mit.edu")
    assert _signs_in("first") and _signs_in("second")


def test_forms_require_csrf():
    strict = Client(enforce_csrf_checks=True)
    User.objects.create_user("ada@mit.edu", "ada@mit.edu", PASSWORD)
    response = strict.post(
        reverse("accounts:login"), {"username": "ada@mit.edu", "password": PASSWORD}
    )
    assert response.status_code == 403
    assert sign_up(strict, "new@mit.edu").status_code == 403
    # The pages themselves carry the token.
    assert "csrfmiddlewaretoken" in strict.get(reverse("accounts:login")).content.decode()


def test_login_rate_limited_per_account(client, settings):
    settings.RATELIMIT_ENABLE = True
    settings.ACCOUNTS_LOGIN_RATE_PER_ACCOUNT = "3/d"
    User.objects.create_user("ada@mit.edu", "ada@mit.edu", PASSWORD)
    for _ in range(3):
        response = client.post(
            reverse("accounts:login"), {"username": "ada@mit.edu", "password": "wrong"}
        )
        assert response.status_code == 200
    # Even the right password is refused while limited, and says why.
    response = client.post(
        reverse("accounts:login"), {"username": "ada@mit.edu", "password": PASSWORD}
    )
    assert response.status_code == 429
    assert "Too many sign-in attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session
    # Another account from the same address is not affected by this account's limit.
    User.objects.create_user("bob@mit.edu", "bob@mit.edu", PASSWORD)
    response = client.post(
        reverse("accounts:login"), {"username": "bob@mit.edu", "password": PASSWORD}
    )
    assert response.status_code == 302


def test_login_limit_per_account_ignores_case_and_spaces(client, settings):
    # Sign-in matches the address in any case, so "ADA@mit.edu" is another guess at the same
    # account, not a fresh allowance.
    settings.RATELIMIT_ENABLE = True
    settings.ACCOUNTS_LOGIN_RATE_PER_ACCOUNT = "3/d"
    User.objects.create_user("ada@mit.edu", "ada@mit.edu", PASSWORD)
    url = reverse("accounts:login")
    for variant in ("ada@mit.edu", "ADA@mit.edu", " Ada@MIT.edu "):
        assert client.post(url, {"username": variant, "password": "wrong"}).status_code == 200
    response = client.post(url, {"username": "aDa@mit.EDU", "password": PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_login_limit_per_account_counts_username_and_email_together(client, settings):
    settings.RATELIMIT_ENABLE = True
    settings.ACCOUNTS_LOGIN_RATE_PER_ACCOUNT = "3/d"
    User.objects.create_user("boaz", "boaz@harvard.edu", PASSWORD, is_staff=True)
    url = reverse("accounts:login")
    for variant in ("boaz", "boaz@harvard.edu", "BOAZ"):
        assert client.post(url, {"username": variant, "password": "wrong"}).status_code == 200
    response = client.post(url, {"username": "Boaz@Harvard.edu", "password": PASSWORD})
    assert response.status_code == 429


def test_resending_the_confirmation_link_is_rate_limited(client, settings):
    settings.RATELIMIT_ENABLE = True
    settings.ACCOUNTS_RESEND_RATE_PER_ACCOUNT = "2/d"
    sign_up(client)
    deliver()
    mail.outbox.clear()
    url = reverse("accounts:resend_verification")
    for _ in range(2):
        client.post(url)
        deliver()
    assert len(mail.outbox) == 2
    assert verification_rows().count() == 3  # the sign-up's and two resends
    response = client.post(url, follow=True)
    assert verification_rows().count() == 3  # refused: nothing more queued
    deliver()
    assert len(mail.outbox) == 2  # nor sent
    assert "already asked for several links" in response.content.decode()


def test_login_rate_limited_per_ip(client, settings):
    settings.RATELIMIT_ENABLE = True
    settings.ACCOUNTS_LOGIN_RATE_PER_IP = "2/d"
    for i in range(2):
        client.post(reverse("accounts:login"), {"username": f"u{i}@mit.edu", "password": "x"})
    response = client.post(reverse("accounts:login"), {"username": "u9@mit.edu", "password": "x"})
    assert response.status_code == 429


def test_sign_up_rate_limited(settings):
    settings.RATELIMIT_ENABLE = True
    settings.ACCOUNTS_SIGNUP_RATE_PER_IP = "2/d"
    for i in range(2):
        assert sign_up(Client(), f"s{i}@mit.edu").status_code == 302
    response = sign_up(Client(), "s9@mit.edu")
    assert response.status_code == 429
    assert "Too many sign-ups" in response.content.decode()
    assert User.objects.count() == 2


def test_client_ip_trusts_only_the_proxys_entry(rf):
    from mltheory.portal.accounts.ratelimits import client_ip

    forged = rf.get("/", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.9", REMOTE_ADDR="127.0.0.1")
    assert client_ip(forged) == "203.0.113.9"
    direct = rf.get("/", REMOTE_ADDR="198.51.100.7")
    assert client_ip(direct) == "198.51.100.7"


def test_login_limit_behind_proxy_counts_clients_separately(client, settings):
    settings.RATELIMIT_ENABLE = True
    settings.ACCOUNTS_LOGIN_RATE_PER_IP = "1/d"
    settings.RATELIMIT_IP_META_KEY = "mltheory.portal.accounts.ratelimits.client_ip"
    url = reverse("accounts:login")
    first = {"HTTP_X_FORWARDED_FOR": "203.0.113.1"}
    assert client.post(url, {"username": "a@mit.edu", "password": "x"}, **first).status_code == 200
    assert client.post(url, {"username": "b@mit.edu", "password": "x"}, **first).status_code == 429
    other = {"HTTP_X_FORWARDED_FOR": "203.0.113.2"}
    assert client.post(url, {"username": "c@mit.edu", "password": "x"}, **other).status_code == 200


def test_sign_up_succeeds_while_the_mail_server_is_down_and_the_link_arrives_later(
    client, mail_server_down, after_first_retry_delay
):
    """The account is created and the link waits in the outbox until the server is back."""
    response = sign_up(client)
    assert response.status_code == 302 and response["Location"] == reverse("accounts:verify_sent")
    user = User.objects.get()
    assert int(client.session["_auth_user_id"]) == user.pk
    page = client.get(response["Location"]).content.decode()
    assert "We are sending a confirmation link to ada@college.harvard.edu" in page
    (row,) = verification_rows()
    assert row.to == "ada@college.harvard.edu" and row.status == OutgoingEmail.Status.PENDING

    # The worker's attempt fails: the row stays pending with the error, to be retried.
    assert deliver()["retry"] == 1
    row.refresh_from_db()
    assert row.status == OutgoingEmail.Status.PENDING and row.attempts == 1
    assert mail_server_down.ERROR in row.last_error
    assert row.next_attempt_at > timezone.now()
    assert mail.outbox == []

    mail_server_down.restore()
    assert deliver()["sent"] == 0  # not before the retry delay
    with after_first_retry_delay():
        assert deliver()["sent"] == 1
    row.refresh_from_db()
    assert row.status == OutgoingEmail.Status.SENT and row.attempts == 2
    assert [m.to for m in mail.outbox] == [["ada@college.harvard.edu"]]
    response = client.get(verification_path(mail.outbox[0]))
    assert response.status_code == 302 and response["Location"] == reverse("admissions:apply")
    assert EmailVerification.is_verified(User.objects.get())


def test_sign_up_and_its_queued_link_commit_together(client):
    # An account whose link was never queued could not be confirmed: neither is saved.
    outbox_down = mock.patch.object(
        OutgoingEmailQuerySet, "enqueue", side_effect=RuntimeError("outbox unavailable")
    )
    with outbox_down, pytest.raises(RuntimeError, match="outbox unavailable"):
        sign_up(client)
    assert not User.objects.exists()
    assert "_auth_user_id" not in client.session


def test_resending_supersedes_a_link_still_waiting(
    client, mail_server_down, after_first_retry_delay
):
    """A resend while the first link waits behind a retry sends one email, not both."""
    sign_up(client)
    assert deliver()["retry"] == 1
    mail_server_down.restore()
    client.post(reverse("accounts:resend_verification"))
    first, second = verification_rows()
    assert first.status == OutgoingEmail.Status.CANCELLED
    assert first.last_error == "superseded by a newer link"
    assert second.status == OutgoingEmail.Status.PENDING
    with after_first_retry_delay():
        assert deliver() == {"sent": 1, "retry": 0, "failed": 0, "cancelled": 0}
    assert [m.to for m in mail.outbox] == [["ada@college.harvard.edu"]]
    client.get(verification_path(mail.outbox[0]))
    assert EmailVerification.is_verified(User.objects.get())


def test_verification_links_use_the_address_the_site_is_served_on(settings):
    """Issue 17 item 8: `mlt portal demo --port 8123` mailed links to port 8000."""
    settings.SITE_URL = ""  # not configured: the request's own address is used
    served = Client(HTTP_HOST="127.0.0.1:8123")
    sign_up(served)
    deliver()
    assert "http://127.0.0.1:8123/accounts/verify/" in mail.outbox[0].body


def test_site_url_when_set_is_the_address_in_links(settings):
    settings.SITE_URL = "https://mltheory.example.org"
    sign_up(Client(HTTP_HOST="127.0.0.1:8123"))
    deliver()
    assert "https://mltheory.example.org/accounts/verify/" in mail.outbox[0].body
