"""The mailing list: double opt-in, one-click unsubscribe, announcements and reminders."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from mltheory.portal.mail.models import OutgoingEmail
from mltheory.portal.seminars.models import Subscriber, Talk

pytestmark = pytest.mark.django_db

SITE = "https://seminar.example.edu"


@pytest.fixture(autouse=True)
def _https_site(settings):
    settings.SITE_URL = SITE


def send_outbox():
    call_command("send_outbox", stdout=mock.MagicMock())


def subscribe(client, email="ada@example.edu"):
    return client.post(reverse("seminars:subscribe"), {"email": email})


def link_in(message, path_prefix: str) -> str:
    match = re.search(re.escape(SITE + path_prefix) + r"\S+", message.body)
    assert match, f"no {path_prefix} link in:\n{message.body}"
    return match.group(0)


def test_subscribing_queues_a_confirmation_and_sends_nothing_in_the_request(client):
    response = subscribe(client, "  Ada@Example.EDU ")
    assert response.status_code == 200
    assert "Check your inbox" in response.content.decode()
    sub = Subscriber.objects.get()
    assert sub.email == "ada@example.edu" and not sub.is_active
    assert mail.outbox == []  # the worker sends it, not the web request
    (row,) = OutgoingEmail.objects.all()
    assert row.kind == "confirmation" and row.status == "pending"

    send_outbox()
    (message,) = mail.outbox
    assert message.to == ["ada@example.edu"]
    assert SITE + "/seminars/confirm/" in message.body


def test_confirmation_link_get_shows_a_button_and_only_post_confirms(client):
    subscribe(client)
    send_outbox()
    url = link_in(mail.outbox[0], "/seminars/confirm/").removeprefix(SITE)

    response = client.get(url)
    assert response.status_code == 200 and "Confirm subscription" in response.content.decode()
    assert not Subscriber.objects.get().is_active

    response = client.post(url)
    assert response.status_code == 200
    assert Subscriber.objects.get().is_active
    assert "mlt_seminar_subscriber" in response.cookies


def test_unconfirmed_addresses_get_no_announcements(client, make_talk, make_subscriber):
    make_subscriber("confirmed@example.edu")
    subscribe(client, "unconfirmed@example.edu")
    send_outbox()
    mail.outbox.clear()

    make_talk().announce()
    send_outbox()
    assert [m.to for m in mail.outbox] == [["confirmed@example.edu"]]


def test_subscribing_a_confirmed_address_again_sends_nothing(client, make_subscriber):
    make_subscriber("ada@example.edu")
    response = subscribe(client, "ada@example.edu")
    assert response.status_code == 200  # the same page: the form does not reveal who is subscribed
    assert not OutgoingEmail.objects.exists()


def test_resubscribing_after_unsubscribing_needs_a_new_confirmation(client, make_subscriber):
    sub = make_subscriber("ada@example.edu")
    sub.unsubscribe()
    subscribe(client, "ada@example.edu")
    sub.refresh_from_db()
    assert sub.unsubscribed_at is None and sub.confirmed_at is None
    assert OutgoingEmail.objects.filter(kind="confirmation", to="ada@example.edu").exists()


def test_invalid_email_is_rejected_with_an_error_and_nothing_created(client):
    response = subscribe(client, "not-an-email")
    assert response.status_code == 400
    assert "valid email" in response.content.decode()
    assert not Subscriber.objects.exists() and not OutgoingEmail.objects.exists()


@pytest.fixture
def rate_limits_on(settings):
    settings.RATELIMIT_ENABLE = True  # the test settings switch them off for other tests


def test_subscribe_is_rate_limited_per_address(client, rate_limits_on):
    for _ in range(3):
        assert subscribe(client, "ada@example.edu").status_code == 200
    response = subscribe(client, "ADA@example.edu")
    assert response.status_code == 429
    assert "Too many" in response.content.decode()
    assert OutgoingEmail.objects.count() == 3


def test_subscribe_is_rate_limited_per_ip(client, rate_limits_on):
    for n in range(10):
        assert subscribe(client, f"user{n}@example.edu").status_code == 200
    assert subscribe(client, "one-more@example.edu").status_code == 429
    assert not Subscriber.objects.filter(email="one-more@example.edu").exists()


def test_expired_or_forged_confirmation_links_are_refused(client):
    subscribe(client)
    send_outbox()
    url = link_in(mail.outbox[0], "/seminars/confirm/").removeprefix(SITE)

    forged = url[:-3] + ("AAA/" if not url.endswith("AAA/") else "BBB/")
    assert client.post(forged).status_code == 404

    eight_days_later = time.time() + 8 * 24 * 3600
    with mock.patch("django.core.signing.time.time", return_value=eight_days_later):
        response = client.post(url)
    assert response.status_code == 410
    assert not Subscriber.objects.get().is_active


def _every_kind_of_message(client, make_talk, make_subscriber):
    make_subscriber("list@example.edu")
    subscribe(client, "new@example.edu")
    talk = make_talk(hours_from_now=5)
    talk.announce()
    talk.queue_reminder()
    send_outbox()
    return talk


def test_every_message_has_one_click_unsubscribe_headers_and_link(
    client, make_talk, make_subscriber
):
    _every_kind_of_message(client, make_talk, make_subscriber)
    kinds = set(OutgoingEmail.objects.values_list("kind", flat=True))
    assert kinds == {"confirmation", "announcement", "reminder"}
    assert len(mail.outbox) == 3
    for message in mail.outbox:
        sub = Subscriber.objects.get(email=message.to[0])
        url = f"{SITE}/seminars/unsubscribe/{sub.token}/"
        assert message.extra_headers["List-Unsubscribe"] == f"<{url}>"
        assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert url in message.body
        # The headers survive into the real MIME message that goes on the wire.
        wire = message.message()
        assert wire["List-Unsubscribe"] == f"<{url}>"
        assert wire["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_announcement_and_reminder_carry_the_zoom_link(client, make_talk, make_subscriber):
    talk = _every_kind_of_message(client, make_talk, make_subscriber)
    list_mail = [m for m in mail.outbox if m.to == ["list@example.edu"]]
    assert len(list_mail) == 2
    for message in list_mail:
        assert talk.zoom_url in message.body
        assert talk.title in message.subject
        assert SITE + talk.get_absolute_url() in message.body


def test_one_click_unsubscribe_post_needs_no_login_or_csrf_and_is_idempotent(make_subscriber):
    sub = make_subscriber()
    client = Client(enforce_csrf_checks=True)
    url = reverse("seminars:unsubscribe", args=[sub.token])
    for _ in range(2):  # mail providers may retry the POST
        response = client.post(
            url,
            "List-Unsubscribe=One-Click",
            content_type="application/x-www-form-urlencoded",
        )
        assert response.status_code == 200
    sub.refresh_from_db()
    assert sub.unsubscribed_at is not None
    assert sub not in Subscriber.objects.confirmed()


def test_unsubscribe_get_only_shows_a_button(client, make_subscriber):
    sub = make_subscriber()
    response = client.get(reverse("seminars:unsubscribe", args=[sub.token]))
    assert response.status_code == 200
    assert '<button type="submit">Unsubscribe</button>' in response.content.decode()
    sub.refresh_from_db()
    assert sub.unsubscribed_at is None


def test_unsubscribe_with_unknown_token_is_404(client):
    assert client.post(reverse("seminars:unsubscribe", args=["nope"])).status_code == 404


def test_other_views_still_enforce_csrf(make_subscriber):
    client = Client(enforce_csrf_checks=True)
    assert client.post(reverse("seminars:subscribe"), {"email": "a@example.edu"}).status_code == 403


def test_mail_queued_before_unsubscribing_is_not_sent(make_talk, make_subscriber):
    sub = make_subscriber()
    make_talk().announce()
    sub.unsubscribe()
    send_outbox()
    assert mail.outbox == []
    assert OutgoingEmail.objects.get().status == "cancelled"


def test_announcing_twice_in_the_admin_skips_the_second(admin_client, make_talk, make_subscriber):
    make_subscriber()
    talk = make_talk()
    changelist = reverse("admin:seminars_talk_changelist")
    for _ in range(2):
        admin_client.post(changelist, {"action": "announce", "_selected_action": [talk.pk]})
    assert OutgoingEmail.objects.filter(kind="announcement").count() == 1
    talk.refresh_from_db()
    assert talk.announced_at is not None


def test_reminders_are_queued_once_for_talks_within_24_hours(make_talk, make_subscriber):
    make_subscriber("a@example.edu")
    make_subscriber("b@example.edu")
    soon = make_talk(hours_from_now=12, title="soon")
    make_talk(hours_from_now=48, title="later")
    make_talk(hours_from_now=-1, title="started")

    for _ in range(3):
        call_command("seminar_reminders", stdout=mock.MagicMock())
    reminders = OutgoingEmail.objects.filter(kind="reminder")
    assert reminders.count() == 2
    assert set(reminders.values_list("talk", flat=True)) == {soon.pk}
    # The admin's "send reminder now" respects the same once-only rule.
    assert Talk.objects.get(pk=soon.pk).queue_reminder() is None


def test_admin_reminder_action_then_command_sends_once(admin_client, make_talk, make_subscriber):
    make_subscriber()
    talk = make_talk(hours_from_now=3)
    admin_client.post(
        reverse("admin:seminars_talk_changelist"),
        {"action": "send_reminder", "_selected_action": [talk.pk]},
    )
    call_command("seminar_reminders", stdout=mock.MagicMock())
    assert OutgoingEmail.objects.filter(kind="reminder").count() == 1


def test_confirmation_expiry_is_a_week(client):
    from mltheory.portal.seminars.models import CONFIRMATION_MAX_AGE

    assert timedelta(days=7) == CONFIRMATION_MAX_AGE


def test_system_check_warns_when_site_url_is_not_https(settings):
    from mltheory.portal.seminars.checks import site_url_is_https

    settings.DEBUG = False
    settings.SITE_URL = "http://seminar.example.edu"
    assert [w.id for w in site_url_is_https(None)] == ["seminars.W001"]
    settings.SITE_URL = "https://seminar.example.edu"
    assert site_url_is_https(None) == []


def test_past_talks_are_not_announced(admin_client, make_talk, make_subscriber):
    make_subscriber()
    talk = make_talk(hours_from_now=-48)
    admin_client.post(
        reverse("admin:seminars_talk_changelist"),
        {"action": "announce", "_selected_action": [talk.pk]},
    )
    assert not OutgoingEmail.objects.exists()


def test_announce_claims_the_talk_so_a_second_call_queues_nothing(make_talk, make_subscriber):
    make_subscriber()
    talk = make_talk()
    assert talk.announce() == 1
    assert talk.announce() is None
    assert OutgoingEmail.objects.filter(kind="announcement").count() == 1
