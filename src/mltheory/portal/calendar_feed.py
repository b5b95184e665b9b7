"""iCalendar feeds shared by the courses and the seminar series (built with ``icalendar``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.http import HttpResponse
from django.utils import timezone
from icalendar import Calendar, Event


@dataclass(frozen=True)
class FeedEvent:
    uid: str
    title: str
    start: datetime
    end: datetime
    description: str = ""
    url: str = ""
    location: str = ""


def calendar_response(name: str, events: Iterable[FeedEvent]) -> HttpResponse:
    cal = Calendar()
    cal.add("prodid", "-//mltheory//portal//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", name)
    # RFC 5545: in a published feed DTSTAMP is when the entry was last revised in the store;
    # we do not track revisions, so it is when the feed was made. (The event's start, used
    # before, told clients that an edited lecture had not changed.)
    generated = timezone.now()
    for e in events:
        ev = Event()
        ev.add("uid", e.uid)
        ev.add("summary", e.title)
        ev.add("dtstart", e.start)
        ev.add("dtend", e.end)
        ev.add("dtstamp", generated)
        if e.description:
            ev.add("description", e.description)
        if e.url:
            ev.add("url", e.url)
        if e.location:
            ev.add("location", e.location)
        cal.add_component(ev)
    return HttpResponse(cal.to_ical(), content_type="text/calendar; charset=utf-8")


def subscribe_links(request, path: str) -> dict[str, str]:
    """https, webcal:// and Google Calendar links for a feed at ``path``."""
    from urllib.parse import quote

    https = request.build_absolute_uri(path)
    webcal = "webcal://" + https.split("://", 1)[1]
    return {
        "https": https,
        "webcal": webcal,
        "google": "https://calendar.google.com/calendar/render?cid=" + quote(webcal, safe=""),
    }
