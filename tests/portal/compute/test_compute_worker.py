"""Workers: claiming, running through the lab, retrying after a SIGKILLed worker, failing
after too many attempts, stopping a cancelled run."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
from compute_testing import executions as recorded_executions
from compute_testing import run_state, wait_for
from django.conf import settings
from django.core.files.storage import default_storage

from mltheory.portal.compute import queue
from mltheory.portal.compute.models import Run, State, Worker
from mltheory.portal.compute.worker import RunWorker

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def submit(owner, **overrides) -> Run:
    return queue.submit(
        owner,
        experiment="compute-test-phases",
        scale="smoke",
        seeds=[0],
        overrides=overrides,
        queue="cpu",
    )


def executions(run: Run) -> list[int]:
    work = Path(settings.COMPUTE_WORK_DIR)  # DATA/portal/compute
    return recorded_executions(work.parent.parent, work / f"run-{run.pk}" / "seed-0")


def test_a_run_is_claimed_once_and_a_cancelled_run_not_at_all(offering, student):
    row = Worker.objects.create(name="w1", queue="cpu")
    worker = RunWorker(row, device="cpu")
    run, cancelled = submit(student), submit(student)
    assert queue.cancel(cancelled)
    claimed = worker.claim(run.pk)
    assert claimed is not None and claimed[1] == 1
    assert run_state(run.pk).state == State.RUNNING
    assert worker.claim(run.pk) is None  # already running: a second claim gets nothing
    assert worker.claim(cancelled.pk) is None
    assert run_state(cancelled.pk).state == State.CANCELLED


def test_a_run_whose_worker_is_killed_is_taken_again_and_resumes(offering, student, workers):
    run = submit(student, phases=8, phase_s=0.4)
    first = workers.start("--queue", "cpu", "--name", "doomed")
    wait_for(lambda: len(executions(run)) >= 3, what="three phases", logs=workers.logs)
    first.send_signal(signal.SIGKILL)
    first.wait()
    ran_before_kill = executions(run)
    workers.start("--queue", "cpu", "--name", "rescuer")
    done = wait_for(
        lambda: run_state(run.pk).state in (State.DONE, State.FAILED) and run_state(run.pk),
        what="the run to be taken again and finish",
        logs=workers.logs,
    )
    assert done.state == State.DONE, done.log
    assert done.attempts == 2
    assert done.worker.name == "rescuer"
    assert "no heartbeat from worker doomed" in done.log
    # Resumed from the lab's checkpoint: the phases finished before the kill did not run again
    # (at most the one that was running when the worker died ran twice).
    assert done.result["seeds"]["0"]["resumed"] is True
    ran = executions(run)
    assert sorted(set(ran)) == list(range(8))
    assert len(ran) <= 9
    for phase in ran_before_kill[:-1]:
        assert ran.count(phase) == 1


def test_a_crashing_run_fails_after_the_attempts_limit_and_bad_input_at_once(
    offering, student, workers
):
    crashing = submit(student, phases=1, crash=True)
    bad = submit(student, phases=0)  # below the field's bound (ge=1)
    workers.start("--queue", "cpu", "--name", "cpu-1", MLT_COMPUTE_MAX_ATTEMPTS="2")
    wait_for(
        lambda: Run.objects.filter(state=State.FAILED).count() == 2,
        what="both runs to fail",
        logs=workers.logs,
    )
    crashed = run_state(crashing.pk)
    assert crashed.attempts == 2
    assert "failed 2 times" in crashed.stop_reason
    assert "RuntimeError: this experiment crashes on purpose" in crashed.log
    assert crashed.log.count("[portal] attempt") == 2
    refused = run_state(bad.pk)
    assert refused.attempts == 1  # bad input is not retried
    assert "phases=0" in refused.log and "greater than or equal to 1" in refused.log


def test_a_cancelled_run_is_stopped_and_the_next_run_stores_its_results(offering, student, workers):
    run = submit(student, phases=30, phase_s=0.3)
    workers.start("--queue", "cpu", "--name", "cpu-1")
    wait_for(lambda: len(executions(run)) >= 1, what="the first phase", logs=workers.logs)
    assert queue.cancel(run_state(run.pk))
    # The worker stops the child at its next heartbeat and takes the next run: the cancelled
    # one's child was stopped, not waited for.
    second = submit(student, phases=2)
    done = wait_for(
        lambda: (
            run_state(second.pk).state not in (State.QUEUED, State.RUNNING) and run_state(second.pk)
        ),
        what="the next run",
        logs=workers.logs,
    )
    assert run_state(run.pk).state == State.CANCELLED
    assert 1 <= len(executions(run)) < 30
    assert done.state == State.DONE, done.log
    assert done.attempts == 1
    assert [v["passed"] for v in done.result["verdicts"]] == [1]
    assert done.result["seeds"]["0"]["metrics"]["phases_run"] == 2
    assert "seed-0/phases.png" in done.files
    assert default_storage.exists(done.files["seed-0/phases.png"])
    assert done.first_progress is not None and done.used_s > 0
    assert done.worker.name == "cpu-1"


def test_a_sweep_runs_every_cell_through_the_labs_sweep_runner(offering, student, workers):
    run = queue.submit(
        student,
        experiment="compute-test-phases",
        scale="smoke",
        seeds=[0, 1],
        overrides={},
        grid={"phases": [1, 2]},
        queue="cpu",
    )
    assert run.time_limit_s == 4 * 5 * 60  # 2 points × 2 seeds, each the smoke limit
    workers.start("--queue", "cpu", "--name", "cpu-1", "--batch")
    done = wait_for(
        lambda: run_state(run.pk).state not in (State.QUEUED, State.RUNNING) and run_state(run.pk),
        what="the sweep to end",
        logs=workers.logs,
    )
    assert done.state == State.DONE, done.log
    sweep = done.result["sweep"]
    assert sweep["cells"] == {"total": 4, "completed": 4, "error": 0, "pending": 0}
    assert [p["point"] for p in sweep["points"]] == [{"phases": 1}, {"phases": 2}]
    assert [p["metrics"]["phases_run"]["mean"] for p in sweep["points"]] == [1.0, 2.0]
    assert all(p["claims"]["all-phases"]["passed"] == 2 for p in sweep["points"])
    assert done.progress["cells_done"] == 4
    assert "sweep/sweep.json" in done.files and done.figure_names()
