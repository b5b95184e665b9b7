"""Several `mlt worker` processes on one PostgreSQL queue: every run is claimed and run exactly
once. (SQLite serializes every write, so the race this guards against needs PostgreSQL.)"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import pytest
from compute_testing import executions, wait_for
from django.conf import settings
from django.db import connection
from django_tasks_db.models import DBTaskResult

from mltheory.portal.compute import queue
from mltheory.portal.compute.models import Run, State

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

RUNS, WORKERS = 6, 3


def test_several_workers_run_each_run_exactly_once(offering, student, workers):
    if connection.vendor != "postgresql":
        pytest.skip(
            "needs PostgreSQL (set DATABASE_URL): SQLite serializes writers, so it cannot show "
            "two workers racing for one run; CI runs this on PostgreSQL"
        )
    runs = [
        queue.submit(
            student,
            experiment="compute-test-phases",
            scale="smoke",
            seeds=[0],
            overrides={"phases": 1},
            queue="cpu",
        )
        for _ in range(RUNS)
    ]
    t0 = time.monotonic()
    for i in range(WORKERS):
        workers.start("--queue", "cpu", "--name", f"cpu-{i}")
    wait_for(
        lambda: (
            Run.objects.filter(state=State.DONE).count() == RUNS
            or Run.objects.filter(state=State.FAILED).exists()
        ),
        timeout=300,
        what="every run to finish",
        logs=workers.logs,
    )
    elapsed = time.monotonic() - t0
    done = list(Run.objects.filter(pk__in=[r.pk for r in runs]))
    assert all(r.state == State.DONE and r.attempts == 1 for r in done), [
        (r.pk, r.state, r.attempts) for r in done
    ]
    for r in done:  # the lab ran each run's one phase exactly once
        work = Path(settings.COMPUTE_WORK_DIR)
        assert executions(work.parent.parent, work / f"run-{r.pk}" / "seed-0") == [0]
    tasks = DBTaskResult.objects.filter(id__in=[r.task_id for r in done])
    assert all(len(t.worker_ids) == 1 for t in tasks)
    per_worker = Counter(r.worker.name for r in done)
    print(
        f"\n{RUNS} runs on {WORKERS} workers (PostgreSQL): {elapsed:.1f} s in all; "
        f"runs per worker {dict(sorted(per_worker.items()))}"
    )
