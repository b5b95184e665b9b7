"""Talks: the model, its pages, the iCal feed, abstract sanitization and the demo data."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from mltheory.portal.seminars import demo
from mltheory.portal.seminars.models import Talk

pytestmark = pytest.mark.django_db


def test_upcoming_includes_talks_in_progress_and_orders_soonest_first(make_talk):
    later = make_talk(hours_from_now=72, title="later")
    sooner = make_talk(hours_from_now=2, title="sooner")
    in_progress = make_talk(hours_from_now=-0.5, title="in progress")
    ended = make_talk(hours_from_now=-5, title="ended")

    assert list(Talk.objects.upcoming()) == [in_progress, sooner, later]
    assert list(Talk.objects.past()) == [ended]


def test_talk_must_end_after_it_starts(make_talk):
    talk = make_talk()
    talk.ends_at = talk.starts_at - timedelta(minutes=1)
    with pytest.raises(ValidationError) as err:
        talk.full_clean()
    assert "ends_at" in err.value.message_dict


def test_series_page_lists_upcoming_and_archive_with_recordings(client, make_talk):
    make_talk(hours_from_now=24, title="Upcoming talk")
    make_talk(
        hours_from_now=-24 * 30,
        title="Old talk",
        recording_url="https://video.example.com/old",
    )
    html = client.get(reverse("seminars:series")).content.decode()

    upcoming, archive = html.split('id="archive"')
    assert "Upcoming talk" in upcoming and "Old talk" not in upcoming
    assert "Old talk" in archive and "https://video.example.com/old" in archive


def test_series_page_links_the_calendar_feed_as_webcal_and_google(client):
    html = client.get(reverse("seminars:series")).content.decode()
    assert "webcal://testserver/seminars/seminars.ics" in html
    assert "https://calendar.google.com/calendar/render?cid=webcal%3A%2F%2Ftestserver" in html


def test_talk_detail_shows_times_in_eastern_and_links(client, make_talk):
    talk = make_talk(slides_url="https://slides.example.com/1", paper_url="https://arxiv.org/abs/1")
    response = client.get(talk.get_absolute_url())
    html = response.content.decode()
    assert response.status_code == 200
    assert talk.title in html and talk.speakers in html
    assert 'class="both-times"' in html and ("EST" in html or "EDT" in html)
    assert "https://slides.example.com/1" in html and "https://arxiv.org/abs/1" in html
    assert "<strong>interpolation</strong>" in html


def test_unknown_talk_is_404(client):
    assert client.get(reverse("seminars:talk", args=[999])).status_code == 404


def test_calendar_feed_lists_talks_without_zoom_links(client, make_talk):
    talk = make_talk()
    response = client.get(reverse("seminars:calendar"))
    body = response.content.decode()
    assert response["Content-Type"].startswith("text/calendar")
    assert "BEGIN:VEVENT" in body and talk.title in body
    assert f"seminar-talk-{talk.pk}@mltheory" in body
    assert "zoom.example.com" not in body


@pytest.mark.parametrize(
    "hostile",
    [
        "<script>alert('x')</script>",
        '<img src=x onerror="alert(1)">',
        "[click](javascript:alert(1))",
        '<a href="javascript:alert(1)">click</a>',
        "<iframe src='https://evil.example.com'></iframe>",
    ],
)
def test_hostile_abstract_never_reaches_the_page(client, make_talk, hostile):
    talk = make_talk(abstract=f"Fine text. {hostile}")
    html = client.get(talk.get_absolute_url()).content.decode()
    assert "Fine text." in html
    for bad in ("alert(", "onerror", "javascript:", "<iframe", "evil.example.com"):
        assert bad not in html


def test_demo_load_is_idempotent_and_marks_examples():
    demo.load()
    demo.load()
    talks = Talk.objects.all()
    assert talks.count() == len(demo.DEMO_TALKS)
    assert all(t.title.startswith("[Example]") for t in talks)
    past = list(Talk.objects.past())
    assert past and all(t.recording_url for t in past)
    assert Talk.objects.upcoming().filter(starts_at__gt=timezone.now()).count() >= 2


def test_admin_pages_for_the_seminar_models_render(admin_client, make_talk, make_subscriber):
    talk = make_talk()
    make_subscriber()
    talk.announce()
    for name in ("seminars_talk", "seminars_subscriber", "mail_outgoingemail"):
        assert admin_client.get(reverse(f"admin:{name}_changelist")).status_code == 200
    assert admin_client.get(reverse("admin:seminars_talk_add")).status_code == 200


def test_admin_rejects_a_talk_that_ends_before_it_starts(admin_client):
    response = admin_client.post(
        reverse("admin:seminars_talk_add"),
        {
            "title": "Backwards",
            "speakers": "Jane Doe (MIT)",
            "starts_at_0": "2030-01-02",
            "starts_at_1": "12:00",
            "ends_at_0": "2030-01-02",
            "ends_at_1": "11:00",
        },
    )
    assert response.status_code == 200
    assert "The talk must end after it starts." in response.content.decode()
    assert not Talk.objects.exists()
