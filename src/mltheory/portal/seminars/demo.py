"""Demo talks for the seminar series: invented examples, marked "[Example]" in their titles.

``load()`` is idempotent: it finds each demo talk by its title and moves its times so that
the past ones stay past and the upcoming ones stay upcoming relative to now.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from .models import Talk

EXAMPLE_NOTE = "\n\n*This is an example talk for the portal's demo, not a real event.*"

# (title, speakers, abstract, days from today, recording?)
DEMO_TALKS = [
    (
        "[Example] Why do over-parameterized networks generalize?",
        "Example Speaker A (Example University)",
        "A tour of **benign overfitting** and double descent: when interpolating the "
        "training data does not hurt test error, and what minimum-norm solutions have to do "
        "with it.",
        -21,
        True,
    ),
    (
        "[Example] Implicit regularization of gradient descent",
        "Example Speaker B (Example Institute of Technology)",
        "Gradient descent started near zero prefers *low-norm* and *low-rank* solutions. "
        "We look at matrix factorization and deep linear networks as test cases.",
        -7,
        True,
    ),
    (
        "[Example] Neural tangent kernels and their limits",
        "Example Speaker C (Example College), Example Speaker D (Example Lab)",
        "When does a wide network behave like its linearization, and which features can it "
        "learn only when it leaves the kernel regime?",
        7,
        False,
    ),
    (
        "[Example] Lower bounds for learning parities with SGD",
        "Example Speaker E (Example University)",
        "Sparse parities are easy to state and hard for gradient methods; we discuss the "
        "statistical-query view of why.",
        14,
        False,
    ),
]


def load() -> list[Talk]:
    eastern = ZoneInfo(settings.COURSE_TIME_ZONE)
    today = timezone.now().astimezone(eastern).date()
    talks = []
    for n, (title, speakers, abstract, days, recorded) in enumerate(DEMO_TALKS):
        starts = datetime.combine(today + timedelta(days=days), time(16, 0), tzinfo=eastern)
        talk, _ = Talk.objects.update_or_create(
            title=title,
            defaults={
                "speakers": speakers,
                "abstract": abstract + EXAMPLE_NOTE,
                "starts_at": starts,
                "ends_at": starts + timedelta(hours=1),
                "zoom_url": f"https://zoom.example.com/j/{9100000000 + n}",
                "recording_url": (f"https://video.example.com/seminar/{n}" if recorded else ""),
                "paper_url": f"https://papers.example.com/{n}" if recorded else "",
            },
        )
        talks.append(talk)
    return talks
