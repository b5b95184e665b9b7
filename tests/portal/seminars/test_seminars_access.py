"""Who sees the Zoom link, and the speaker's private edit link."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core.signing import get_cookie_signer
from django.urls import reverse

from mltheory.portal.accounts.models import EmailVerification
from mltheory.portal.accounts.tokens import verification_path
from mltheory.portal.seminars.models import Talk
from mltheory.portal.seminars.zoom_access import COOKIE_NAME, COOKIE_SALT

pytestmark = pytest.mark.django_db

ZOOM = "https://zoom.example.com/j/123456789"


def pages(talk):
    return [reverse("seminars:series"), talk.get_absolute_url()]


def set_subscriber_cookie(client, token):
    client.cookies[COOKIE_NAME] = get_cookie_signer(salt=COOKIE_NAME + COOKIE_SALT).sign(token)


def test_anonymous_visitors_and_crawlers_never_see_the_zoom_link(client, make_talk):
    talk = make_talk()
    for url in pages(talk):
        response = client.get(url, HTTP_USER_AGENT="Googlebot/2.1")
        assert ZOOM not in response.content.decode()
        assert "private" in response["Cache-Control"]


def test_signed_in_users_with_a_confirmed_email_see_the_zoom_link(client, make_talk):
    talk = make_talk()
    user = User.objects.create_user("bob", "bob@example.edu", "pw")
    EmailVerification.mark_verified(user)
    client.force_login(user)
    for url in pages(talk):
        assert ZOOM in client.get(url).content.decode()


def test_a_new_account_sees_the_zoom_link_only_once_its_email_is_confirmed(client, make_talk):
    talk = make_talk()
    # Sign-up signs the new user in at once, before the address is confirmed.
    response = client.post(
        reverse("accounts:signup"),
        {
            "email": "mallory@example.com",
            "password1": "a-long-passphrase-1",
            "password2": "a-long-passphrase-1",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(email="mallory@example.com")
    assert client.session["_auth_user_id"] == str(user.pk)
    for url in pages(talk):
        assert ZOOM not in client.get(url).content.decode()
    client.get(verification_path(user))
    for url in pages(talk):
        assert ZOOM in client.get(url).content.decode()


def test_staff_see_the_zoom_link(client, make_talk):
    talk = make_talk()
    client.force_login(User.objects.create_user("staff", "s@example.edu", "pw", is_staff=True))
    assert ZOOM in client.get(talk.get_absolute_url()).content.decode()


def test_confirmed_subscribers_see_the_zoom_link(client, make_talk, make_subscriber):
    talk = make_talk()
    set_subscriber_cookie(client, make_subscriber().token)
    for url in pages(talk):
        assert ZOOM in client.get(url).content.decode()


def test_unconfirmed_unsubscribed_or_forged_cookies_do_not_show_it(
    client, make_talk, make_subscriber
):
    talk = make_talk()
    unconfirmed = make_subscriber("u@example.edu", confirmed=False)
    gone = make_subscriber("g@example.edu")
    gone.unsubscribe()
    for token in (unconfirmed.token, gone.token):
        set_subscriber_cookie(client, token)
        assert ZOOM not in client.get(talk.get_absolute_url()).content.decode()
    client.cookies[COOKIE_NAME] = make_subscriber("c@example.edu").token  # unsigned
    assert ZOOM not in client.get(talk.get_absolute_url()).content.decode()


def test_the_confirmation_cookie_is_httponly(client, make_subscriber):
    sub = make_subscriber(confirmed=False)
    response = client.post(sub.get_confirmation_url())
    morsel = response.cookies[COOKIE_NAME]
    assert morsel["httponly"] and morsel["samesite"] == "Lax"


def test_speaker_link_edits_title_abstract_and_links(client, make_talk):
    talk = make_talk()
    url = talk.get_speaker_edit_url()
    response = client.get(url)
    assert response.status_code == 200 and "noindex" in response["X-Robots-Tag"]

    original_start = talk.starts_at
    response = client.post(
        url,
        {
            "speakers": "Jane Doe (Harvard), John Roe (Harvard)",
            "title": "A better title",
            "abstract": "New *abstract* <script>alert(1)</script>",
            "slides_url": "https://slides.example.com/new",
            "paper_url": "",
            # Fields the speaker may not change are ignored.
            "zoom_url": "https://evil.example.com",
            "starts_at": "2030-01-01 00:00",
        },
    )
    assert response.status_code == 200 and "Saved." in response.content.decode()
    talk.refresh_from_db()
    assert talk.title == "A better title"
    assert talk.speakers == "Jane Doe (Harvard), John Roe (Harvard)"  # a corrected affiliation
    assert talk.slides_url == "https://slides.example.com/new"
    assert talk.zoom_url == ZOOM and talk.starts_at == original_start
    public = client.get(talk.get_absolute_url()).content.decode()
    assert "<em>abstract</em>" in public and "alert(1)" not in public


def test_speaker_form_rejects_bad_input_and_keeps_the_talk(client, make_talk):
    talk = make_talk()
    response = client.post(
        talk.get_speaker_edit_url(),
        {"speakers": talk.speakers, "title": "", "abstract": "x", "slides_url": "not a url"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "This field is required." in html and "Enter a valid URL." in html
    assert Talk.objects.get(pk=talk.pk).title == talk.title


def test_wrong_or_rotated_speaker_token_is_404(client, make_talk, admin_client):
    talk = make_talk()
    other = make_talk(title="Other talk")
    assert client.get(reverse("seminars:speaker_edit", args=[talk.pk, "guess"])).status_code == 404
    # One talk's link does not open another talk.
    wrong = reverse("seminars:speaker_edit", args=[other.pk, talk.speaker_token])
    assert client.get(wrong).status_code == 404

    old_url = talk.get_speaker_edit_url()
    admin_client.post(
        reverse("admin:seminars_talk_changelist"),
        {"action": "rotate_speaker_link", "_selected_action": [talk.pk]},
    )
    talk.refresh_from_db()
    assert client.get(old_url).status_code == 404
    assert client.get(talk.get_speaker_edit_url()).status_code == 200


def test_admin_talk_page_shows_the_speaker_link(admin_client, make_talk):
    talk = make_talk()
    html = admin_client.get(reverse("admin:seminars_talk_change", args=[talk.pk])).content.decode()
    assert talk.get_speaker_edit_url() in html


def test_non_staff_cannot_use_the_seminar_admin(client, make_talk):
    make_talk()
    client.force_login(User.objects.create_user("eve", "eve@example.edu", "pw"))
    response = client.get(reverse("admin:seminars_talk_changelist"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
