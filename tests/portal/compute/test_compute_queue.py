"""Taking again the runs of workers that died (no heartbeat), in process: requeued with a new
task, or failed with its log once it has had the attempts limit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from mltheory.portal.compute import queue
from mltheory.portal.compute.models import Quota, Run, State, Worker

pytestmark = pytest.mark.django_db


def running_run(owner, attempts: int, seconds_since_heartbeat: float) -> Run:
    run = queue.submit(
        owner, experiment="min-norm", scale="smoke", seeds=[0], overrides={}, queue="cpu"
    )
    DBTaskResult.objects.filter(id=run.task_id).update(status="RUNNING")
    Run.objects.filter(pk=run.pk).update(
        state=State.RUNNING,
        attempts=attempts,
        worker=Worker.objects.get_or_create(name="gone", queue="cpu")[0],
        heartbeat=timezone.now() - timedelta(seconds=seconds_since_heartbeat),
        log="partial output\n",
    )
    return Run.objects.get(pk=run.pk)


def test_a_run_without_heartbeat_is_requeued_and_its_dead_task_marked_failed(
    settings, offering, student
):
    settings.COMPUTE_HEARTBEAT_TIMEOUT_S = 60
    alive = running_run(student, attempts=1, seconds_since_heartbeat=10)
    dead = running_run(student, attempts=1, seconds_since_heartbeat=120)
    old_task = dead.task_id
    moved = queue.requeue_stale_runs()
    assert [(m.run_id, m.failed) for m in moved] == [(dead.pk, False)]
    dead.refresh_from_db()
    assert dead.state == State.QUEUED and dead.task_id != old_task
    assert "no heartbeat from worker gone for 60 s" in dead.stop_reason
    assert DBTaskResult.objects.get(id=old_task).status == "FAILED"
    assert DBTaskResult.objects.get(id=dead.task_id).status == "READY"
    assert Run.objects.get(pk=alive.pk).state == State.RUNNING
    assert queue.requeue_stale_runs() == []  # nothing is moved twice


def test_after_the_attempts_limit_a_lost_run_fails_with_its_log_and_frees_its_reservation(
    settings, offering, student
):
    settings.COMPUTE_MAX_ATTEMPTS = 3
    run = running_run(student, attempts=3, seconds_since_heartbeat=3600)
    queue.requeue_stale_runs()
    run.refresh_from_db()
    assert run.state == State.FAILED
    assert run.stop_reason == "failed 3 times (worker lost)"
    assert run.log.startswith("partial output\n") and "no heartbeat" in run.log
    assert Quota.objects.get(user=student).cpu_reserved_s == 0
