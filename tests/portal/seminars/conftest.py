from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from mltheory.portal.seminars.models import Subscriber, Talk


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    # Rate-limit counters live in the cache, which outlives a test's database.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def make_talk(db):
    def make(hours_from_now: float = 48, **fields) -> Talk:
        starts = timezone.now() + timedelta(hours=hours_from_now)
        defaults = {
            "title": "Benign overfitting in linear regression",
            "speakers": "Jane Doe (MIT), John Roe (Harvard)",
            "abstract": "We study **interpolation**.",
            "starts_at": starts,
            "ends_at": starts + timedelta(hours=1),
            "zoom_url": "https://zoom.example.com/j/123456789",
        }
        defaults.update(fields)
        return Talk.objects.create(**defaults)

    return make


@pytest.fixture
def make_subscriber(db):
    def make(email: str = "ada@example.edu", confirmed: bool = True) -> Subscriber:
        return Subscriber.objects.create(
            email=email, confirmed_at=timezone.now() if confirmed else None
        )

    return make
