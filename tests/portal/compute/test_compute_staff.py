"""Staff tools (admin: cancel, reprioritize, usage per student), `mlt worker`'s bad input, and
the demo's gallery runs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from typer.testing import CliRunner

from mltheory import cli
from mltheory.portal.compute import demo, queue
from mltheory.portal.compute.models import Run, State
from mltheory.portal.courses.models import Course, Lecture

pytestmark = pytest.mark.django_db


def make_run(owner) -> Run:
    return queue.submit(
        owner, experiment="min-norm", scale="smoke", seeds=[0], overrides={}, queue="cpu"
    )


@pytest.fixture
def admin_client(client, db):
    from django.contrib.auth.models import User

    client.force_login(User.objects.create_superuser("root", "root@example.edu", "pw-root-1234"))
    return client


def test_staff_cancel_and_reprioritize_runs_in_the_admin(admin_client, offering, student):
    first, second = make_run(student), make_run(student)
    url = reverse("admin:compute_run_changelist")
    admin_client.post(
        url, {"action": "set_priority", "priority": "50", "_selected_action": [second.pk]}
    )
    assert Run.objects.get(pk=second.pk).priority == 50
    assert DBTaskResult.objects.get(id=second.task_id).priority == 50
    # The queue now hands out the reprioritized run first.
    assert str(DBTaskResult.objects.ready().first().id) == second.task_id
    admin_client.post(url, {"action": "cancel_runs", "_selected_action": [first.pk]})
    assert Run.objects.get(pk=first.pk).state == State.CANCELLED
    page = admin_client.post(
        url,
        {"action": "set_priority", "priority": "500", "_selected_action": [second.pk]},
        follow=True,
    )
    assert "Priority must be an integer from -100 to 100" in page.content.decode()


def test_the_quota_list_shows_each_students_usage(admin_client, offering, student):
    run = make_run(student)
    queue.charge(run, 36.0)
    page = admin_client.get(reverse("admin:compute_quota_changelist")).content.decode()
    assert "ada" in page and "0.010" in page  # 36 s = 0.010 CPU-hours


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["worker", "--queue", "tpu"], "unknown queue 'tpu'; allowed: gpu, cpu"),
        (["worker", "--device", "tpu:0"], "unknown device 'tpu:0'"),
    ],
)
def test_mlt_worker_refuses_bad_input_with_exit_code_2(args, message):
    result = CliRunner().invoke(cli.app, args)
    assert result.exit_code == 2
    assert message in result.output


def test_the_demo_queues_one_published_smoke_run_per_lecture_experiment(offering):
    course = Course.objects.create(
        offering=offering,
        code="CS 229br",
        slug="cs229br",
        title="ML theory",
        institution="Harvard",
        instructor="B",
        capacity=10,
    )
    lecture = Lecture.objects.create(
        starts_at=timezone.now(),
        ends_at=timezone.now() + timedelta(hours=3),
        title="Generalization",
        experiments="min-norm, no-such-experiment",
    )
    lecture.courses.add(course)
    runs = demo.load(offering)
    assert [(r.experiment, r.scale, r.published, r.state) for r in runs] == [
        ("min-norm", "smoke", True, State.QUEUED)
    ]
    assert demo.load(offering) == []  # loading it again adds nothing


def test_staff_edit_only_a_runs_priority_and_publication(admin_client, offering, student):
    run = make_run(student)
    url = reverse("admin:compute_run_change", args=[run.pk])
    assert admin_client.get(url).status_code == 200
    admin_client.post(url, {"priority": "7", "published": "on", "state": "done"})
    run.refresh_from_db()
    assert (run.priority, run.published, run.state) == (7, True, State.QUEUED)
    assert DBTaskResult.objects.get(id=run.task_id).priority == 7


def test_mlt_worker_without_a_usable_database_says_so_in_one_line(tmp_path):
    import os
    import subprocess
    import sys

    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("MLT_PORTAL_", "DJANGO_", "DATABASE_URL", "SECRET_KEY"))
    }
    env.update(MLT_PORTAL_DATA_DIR=str(tmp_path), DATABASE_URL=f"sqlite:///{tmp_path}/empty.db")
    result = subprocess.run(
        [sys.executable, "-m", "mltheory.cli", "worker"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2, result.stderr
    assert "the worker cannot use the portal's database (no such table" in result.stderr
    assert "Traceback" not in result.stderr
