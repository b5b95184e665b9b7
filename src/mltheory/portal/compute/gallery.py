"""The public gallery: for every lecture of the current term's courses, its lab experiments with
the latest verdicts from the course's own published runs."""

from __future__ import annotations

from django.urls import reverse

from mltheory.portal.courses.models import Offering

from . import lab_bridge
from .models import Run, State


def latest_published(name: str) -> Run | None:
    return (
        Run.objects.filter(experiment=name, state=State.DONE, published=True, module=None)
        .select_related("worker")
        .order_by("-finished")
        .first()
    )


def experiment_card(name: str, titles: dict[str, str]) -> dict:
    run = latest_published(name)
    card = {"name": name, "title": titles[name], "run": run, "anchor": f"exp-{name}"}
    if run is not None:
        verdicts = run.result.get("verdicts", [])
        card["verdicts"] = verdicts
        card["passed"] = sum(v["passed"] for v in verdicts)
        card["checked"] = sum(v["checked"] for v in verdicts)
        card["hardware"] = run.result.get("hardware", "")
        figures = run.figure_names()
        if figures:
            card["figure_url"] = reverse("compute:run_file", args=[run.pk, figures[0]])
    return card


def build() -> dict:
    offering = Offering.objects.current()
    titles = {e["name"]: e["title"] for e in lab_bridge.catalog()}
    courses = []
    for course in offering.courses.all() if offering else []:
        lectures = []
        for lecture in course.lectures.all():
            names = [n for n in lecture.experiment_names if n in titles]
            if names:
                lectures.append(
                    {"lecture": lecture, "experiments": [experiment_card(n, titles) for n in names]}
                )
        courses.append({"course": course, "lectures": lectures})
    return {"offering": offering, "courses": courses}
