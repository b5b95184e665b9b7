"""Compute pages: the generated form (bounds, descriptions, refusals with the field's message),
quota refusals, and permissions (a student sees, cancels and forks only their own private runs)."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse

from mltheory.portal.compute import lab_bridge, queue
from mltheory.portal.compute.models import Quota, Run, State
from mltheory.portal.courses.models import Course, Enrollment

pytestmark = pytest.mark.django_db


@pytest.fixture
def course(offering):
    return Course.objects.create(
        offering=offering,
        code="CS 229br",
        slug="cs229br",
        title="ML theory",
        institution="Harvard",
        instructor="B",
        capacity=10,
    )


@pytest.fixture
def enrolled(course, student, other_student):
    for user in (student, other_student):
        Enrollment.objects.create(user=user, course=course)
    return student


def make_run(owner, **kw) -> Run:
    return queue.submit(
        owner, experiment="min-norm", scale="smoke", seeds=[0], overrides={}, queue="cpu", **kw
    )


def test_the_form_shows_each_fields_bounds_and_description(client, enrolled):
    client.force_login(enrolled)
    page = client.get(reverse("compute:submit", args=["min-norm"])).content.decode()
    assert "number of training points" in page or "cfg_n" in page
    assert "step size as a multiple of 1/L" in page
    assert "Allowed: &gt; 0, ≤ 1.99" in page or "Allowed: > 0, ≤ 1.99" in page


def test_a_bad_value_is_refused_with_the_fields_message_and_nothing_queued(client, enrolled):
    client.force_login(enrolled)
    url = reverse("compute:submit", args=["min-norm"])
    resp = client.post(url, {"scale": "smoke", "seeds": "0", "queue": "cpu", "cfg_lr_scale": "3"})
    assert resp.status_code == 200
    assert "lr_scale: Input should be less than or equal to 1.99" in resp.content.decode()
    resp = client.post(url, {"scale": "smoke", "seeds": "0", "queue": "cpu", "cfg_n": "100"})
    assert "d (60) must exceed n (100)" in resp.content.decode()  # the config's own check
    resp = client.post(url, {"scale": "smoke", "seeds": "0,x", "queue": "cpu"})
    assert "Seeds must be integers" in resp.content.decode()
    assert not Run.objects.exists()


def test_a_valid_submission_queues_a_run_with_the_changed_fields(client, enrolled):
    client.force_login(enrolled)
    resp = client.post(
        reverse("compute:submit", args=["min-norm"]),
        {"scale": "smoke", "seeds": "0-2", "queue": "cpu", "cfg_n": "10", "cfg_d": "40"},
    )
    run = Run.objects.get()
    assert resp.status_code == 302 and resp.url == run.get_absolute_url()
    assert (run.state, run.seeds, run.overrides) == (State.QUEUED, [0, 1, 2], {"n": 10, "d": 40})


def test_a_submission_over_the_quota_is_refused_with_the_remaining_budget(
    client, enrolled, offering
):
    client.force_login(enrolled)
    quota = queue.quota_for(enrolled, offering)
    # 36 s: less than a minute of start-up, so below any run's reservation
    Quota.objects.filter(pk=quota.pk).update(cpu_hours=0.01)
    resp = client.post(
        reverse("compute:submit", args=["min-norm"]),
        {"scale": "smoke", "seeds": "0", "queue": "cpu"},
    )
    page = resp.content.decode()
    assert "your remaining CPU budget this term is 0.01 hours" in page
    assert not Run.objects.exists()


def test_only_enrolled_students_and_staff_may_submit(client, student, course):
    client.force_login(student)  # not enrolled
    assert client.get(reverse("compute:submit", args=["min-norm"])).status_code == 403


def test_a_student_cannot_see_cancel_rerun_or_fork_anothers_private_run(
    client, enrolled, other_student
):
    theirs = make_run(other_student)
    name = "compute/runs/x/seed-0/fig.png"
    default_storage.save(name, ContentFile(b"png"))
    Run.objects.filter(pk=theirs.pk).update(files={"seed-0/fig.png": name})
    client.force_login(enrolled)
    for url in (
        reverse("compute:run", args=[theirs.pk]),
        reverse("compute:run_status", args=[theirs.pk]),
        reverse("compute:run_file", args=[theirs.pk, "seed-0/fig.png"]),
        reverse("compute:submit", args=["min-norm"]) + f"?fork={theirs.pk}",
    ):
        assert client.get(url).status_code == 404, url
    for url in (
        reverse("compute:cancel", args=[theirs.pk]),
        reverse("compute:rerun", args=[theirs.pk]),
    ):
        assert client.post(url).status_code == 404, url
    assert Run.objects.get(pk=theirs.pk).state == State.QUEUED
    assert Run.objects.count() == 1
    # Their own run: visible, cancellable.
    mine = make_run(enrolled)
    assert client.get(reverse("compute:run", args=[mine.pk])).status_code == 200
    client.post(reverse("compute:cancel", args=[mine.pk]))
    assert Run.objects.get(pk=mine.pk).state == State.CANCELLED
    assert [r["id"] for r in client.get(reverse("compute:my_runs_status")).json()["runs"]] == [
        mine.pk
    ]


def test_a_published_run_is_public_and_forkable_but_not_cancellable_by_others(
    client, enrolled, other_student
):
    theirs = make_run(other_student, published=True)
    assert client.get(reverse("compute:run", args=[theirs.pk])).status_code == 200  # anonymous
    client.force_login(enrolled)
    assert client.post(reverse("compute:cancel", args=[theirs.pk])).status_code == 404
    form = client.get(reverse("compute:submit", args=["min-norm"]) + f"?fork={theirs.pk}")
    assert form.status_code == 200
    client.post(reverse("compute:rerun", args=[theirs.pk]))
    fork = Run.objects.exclude(pk=theirs.pk).get()
    assert (fork.owner, fork.forked_from) == (enrolled, theirs)
    # A fork is of the same experiment: another experiment's form does not take this run.
    other = reverse("compute:submit", args=["deep-linear"]) + f"?fork={theirs.pk}"
    assert client.get(other).status_code == 404


def test_the_gallery_and_course_pages_show_only_existing_experiments(client, course, staff):
    from datetime import timedelta

    from django.utils import timezone

    from mltheory.portal.courses.models import Lecture

    lecture = Lecture.objects.create(
        starts_at=timezone.now(),
        ends_at=timezone.now() + timedelta(hours=3),
        title="Generalization",
        experiments="min-norm, no-such-experiment",
    )
    lecture.courses.add(course)
    run = make_run(staff, published=True)
    Run.objects.filter(pk=run.pk).update(
        state=State.DONE,
        finished=timezone.now(),
        result={
            "experiment": "min-norm",
            "hardware": "test-host: x86_64 CPU",
            "verdicts": [{"id": "pinv-limit", "passed": 1, "checked": 1}],
            "seeds": {},
        },
    )
    page = client.get(course.get_absolute_url()).content.decode()
    assert 'href="/compute/gallery/#exp-min-norm"><code>mlt run min-norm</code></a>' in page
    assert "no-such-experiment" not in page
    gallery = client.get(reverse("compute:gallery")).content.decode()
    assert 'id="exp-min-norm"' in gallery and "no-such-experiment" not in gallery
    assert "1/1 claim checks passed" in gallery and "test-host: x86_64 CPU" in gallery


def test_a_sweep_is_submitted_from_the_form_and_bad_grid_values_are_refused(client, enrolled):
    client.force_login(enrolled)
    url = reverse("compute:submit", args=["min-norm"])
    base = {"scale": "smoke", "seeds": "0,1", "queue": "cpu"}
    resp = client.post(url, {**base, "grid": "lr_scale=0.5,5"})
    assert "lr_scale: &#x27;5&#x27; is not allowed" in resp.content.decode()
    resp = client.post(url, {**base, "grid": "n=10,100"})  # d=60 at smoke: n=100 breaks d > n
    assert "d (60) must exceed n (100)" in resp.content.decode()
    assert not Run.objects.exists()
    resp = client.post(url, {**base, "grid": "n=10,20\nnoise_std=0,0.5"})
    run = Run.objects.get()
    assert run.grid == {"n": [10, 20], "noise_std": [0.0, 0.5]}
    assert run.seeds == [0, 1]
    # Each of the 8 cells gets the lab's estimate with its margin (min-norm at smoke scale:
    # well under a second), not the scale's whole 5 minutes.
    estimate = lab_bridge.estimated_seconds("min-norm", "smoke", {}, run.grid, "cpu")
    assert 0 < estimate < 5
    assert run.time_limit_s == pytest.approx(8 * (queue.ESTIMATE_MARGIN * estimate + 60))


def test_the_form_refuses_a_config_the_labs_estimate_puts_beyond_the_scale_limit(client, enrolled):
    client.force_login(enrolled)
    url = reverse("compute:submit", args=["random-labels"])
    # random-labels at paper scale trains MLPs on CIFAR-10 for about a day of CPU: it would be
    # stopped at the paper scale's limit, its time charged for nothing.
    resp = client.post(url, {"scale": "paper", "seeds": "0", "queue": "cpu"})
    page = " ".join(resp.content.decode().split())
    assert "minutes per seed on a CPU" in page and "GPU queue" in page
    assert not Run.objects.exists()


def test_a_malformed_fork_parameter_is_a_404_not_an_error(client, enrolled):
    client.force_login(enrolled)
    url = reverse("compute:submit", args=["min-norm"])
    assert client.get(url + "?fork=abc").status_code == 404
    assert client.get(url + "?fork=²").status_code == 404  # a digit to str.isdigit, not to int
    assert client.get(url + "?fork=" + "9" * 40).status_code == 404  # beyond any primary key
    resp = client.post(url, {"scale": "smoke", "seeds": "0", "queue": "cpu", "fork": "1 OR 1"})
    assert resp.status_code == 404
    assert not Run.objects.exists()


def test_a_runs_live_status_is_never_served_from_a_cache(client, enrolled, other_student):
    published = make_run(other_student, published=True)
    for url in (
        reverse("compute:run", args=[published.pk]),
        reverse("compute:run_status", args=[published.pk]),
    ):
        response = client.get(url)  # anonymous: the page would otherwise count as public
        assert "no-cache" in response["Cache-Control"] and "max-age=0" in response["Cache-Control"]
