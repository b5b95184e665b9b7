"""Quotas: reservations at submission under a row lock, charging measured time, refusals with
the remaining budget, and stopping a run that goes over its limit."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from django.db import connection

from mltheory.lab import plan
from mltheory.portal.compute import queue
from mltheory.portal.compute.models import Quota, Run, State, Worker
from mltheory.portal.compute.worker import RunWorker

SMOKE_LIMIT_S = 5 * 60


def submit(owner, **kw) -> Run:
    return queue.submit(
        owner,
        experiment="compute-test-phases",
        scale=kw.pop("scale", "smoke"),
        seeds=kw.pop("seeds", [0]),
        overrides={},
        queue=kw.pop("queue", "cpu"),
        **kw,
    )


def set_budget(user, offering, cpu_hours: float, gpu_hours: float = 0) -> Quota:
    quota = queue.quota_for(user, offering)
    Quota.objects.filter(pk=quota.pk).update(cpu_hours=cpu_hours, gpu_hours=gpu_hours)
    return Quota.objects.get(pk=quota.pk)


@pytest.mark.django_db
def test_a_submission_reserves_its_time_limit_and_one_beyond_the_budget_is_refused(
    offering, student
):
    set_budget(student, offering, cpu_hours=2 * SMOKE_LIMIT_S / 3600)
    submit(student)
    submit(student, seeds=[])  # counts as one seed's time
    with pytest.raises(queue.QuotaExceeded) as refused:
        submit(student)
    assert "remaining CPU budget this term is 0.00 hours" in str(refused.value)
    assert Run.objects.filter(owner=student).count() == 2
    with pytest.raises(queue.QuotaExceeded):
        submit(student, queue="gpu")  # no GPU-hours at all
    assert Quota.objects.get(user=student).cpu_reserved_s == 2 * SMOKE_LIMIT_S


@pytest.mark.django_db
def test_measured_time_moves_from_the_reservation_to_usage_and_the_rest_comes_back(
    offering, student
):
    set_budget(student, offering, cpu_hours=1)
    run = submit(student, seeds=[0, 1])  # reserves two seeds' limit
    queue.charge(run, 30.0)
    quota = Quota.objects.get(user=student)
    assert quota.cpu_used_s == 30.0
    assert quota.cpu_reserved_s == 2 * SMOKE_LIMIT_S - 30.0
    assert queue.cancel(run)
    quota.refresh_from_db()
    assert quota.cpu_reserved_s == 0
    assert quota.remaining_s("cpu") == 3600 - 30.0
    queue.charge(run, 5.0)  # the last heartbeat after the cancel is still charged
    quota.refresh_from_db()
    assert (quota.cpu_used_s, quota.cpu_reserved_s) == (35.0, 0)


@pytest.mark.django_db
def test_staff_runs_are_not_charged(offering, staff):
    run = submit(staff)
    assert queue.charge(run, 10.0) is None
    assert not Quota.objects.exists()


@pytest.mark.django_db
def test_a_running_run_past_its_time_limit_or_the_quota_is_stopped(offering, student, tmp_path):
    set_budget(student, offering, cpu_hours=1)
    worker = RunWorker(Worker.objects.create(name="w", queue="cpu"), "cpu")
    run = submit(student)
    run, attempt = worker.claim(run.pk)
    assert worker._beat(run, attempt, 10.0, tmp_path, Path(tmp_path / "log.txt")) == ""
    reason = worker._beat(run, attempt, SMOKE_LIMIT_S, tmp_path, tmp_path / "log.txt")
    assert reason.startswith("stopped: it ran past its time limit")
    # Over the quota (staff lowered it while the run ran):
    other = submit(student)
    other, attempt = worker.claim(other.pk)
    Quota.objects.filter(user=student).update(cpu_hours=0.01)
    reason = worker._beat(other, attempt, 1.0, tmp_path, tmp_path / "log.txt")
    assert reason == "stopped: the CPU quota for the term is used up"


@pytest.mark.django_db(transaction=True)
def test_concurrent_submissions_never_overspend_the_quota(offering, student):
    """Eight submissions at once against a budget for three: exactly three get in."""
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("threads need a shared database file")
    set_budget(student, offering, cpu_hours=3 * SMOKE_LIMIT_S / 3600)
    outcomes: list[str] = []
    barrier = threading.Barrier(8)

    def one():
        from django.db import connections

        try:
            barrier.wait()
            submit(student)
            outcomes.append("ok")
        except queue.QuotaExceeded:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=one) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["ok"] * 3 + ["refused"] * 5
    assert Run.objects.filter(owner=student, state=State.QUEUED).count() == 3
    assert Quota.objects.get(user=student).cpu_reserved_s == 3 * SMOKE_LIMIT_S


@pytest.mark.django_db
def test_a_catalog_run_reserves_the_labs_estimate_not_the_whole_scale_limit(offering, student):
    """The quota, the plan (``mlt run --plan``) and the config bounds are one estimate: a run of
    a catalog experiment reserves its estimate with the margin, and a costlier config reserves
    more."""
    set_budget(student, offering, cpu_hours=1)
    small = queue.submit(
        student, experiment="deep-linear", scale="smoke", seeds=[0], overrides={}, queue="cpu"
    )
    estimate = plan("deep-linear", "smoke").cpu.seconds
    assert small.time_limit_s == pytest.approx(queue.ESTIMATE_MARGIN * estimate + queue.STARTUP_S)
    longer = queue.submit(
        student,
        experiment="deep-linear",
        scale="smoke",
        seeds=[0, 1],
        overrides={"duration": 60.0},
        queue="cpu",
    )
    assert longer.time_limit_s > 2 * small.time_limit_s
    assert longer.time_limit_s <= 2 * SMOKE_LIMIT_S  # never beyond the scale's limit
    quota = Quota.objects.get(user=student)
    assert quota.cpu_reserved_s == pytest.approx(small.time_limit_s + longer.time_limit_s)


def test_a_run_estimated_beyond_the_scale_limit_is_refused_with_the_estimate():
    assert queue.beyond_the_scale_limit("smoke", "cpu", 1.0) is None
    assert queue.beyond_the_scale_limit("smoke", "cpu", None) is None  # no estimate: the cap
    why = queue.beyond_the_scale_limit("paper", "cpu", 30 * 3600.0)
    assert "1800 minutes per seed" in why and "GPU queue" in why
