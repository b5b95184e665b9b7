"""Demo data for compute: one published smoke-scale run of each lecture's experiment, queued
for the local worker that `mlt portal demo` starts, so the gallery fills in within a minute."""

from __future__ import annotations

from django.contrib.auth.models import User

from mltheory.portal.courses.models import Lecture, Offering

from . import lab_bridge, queue
from .models import Run


def load(offering: Offering) -> list[Run]:
    """Queue the gallery's runs (once: experiments that already have a published run, or one
    queued, are skipped). They belong to an inactive course-staff account, not charged."""
    staff, _ = User.objects.get_or_create(
        username="course-staff-runs",
        defaults={"is_staff": True, "is_active": False, "email": "staff@mltheory.local"},
    )
    known = lab_bridge.experiment_names()
    names = []
    for lecture in Lecture.objects.filter(courses__offering=offering).distinct():
        names += [n for n in lecture.experiment_names if n in known and n not in names]
    runs = []
    for name in names:
        if Run.objects.filter(experiment=name, published=True).exclude(state="failed").exists():
            continue
        runs.append(
            queue.submit(
                staff,
                experiment=name,
                scale="smoke",
                seeds=[0],
                overrides={},
                queue="cpu",
                published=True,
            )
        )
    return runs
