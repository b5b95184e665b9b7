"""Submitting, cancelling, reprioritizing and retrying runs, and charging them to quotas.

The queue is Django's tasks framework with the ``django_tasks_db`` backend: a run is enqueued
as the task :func:`execute_run` on the queue of its kind (``cpu``, ``gpu``, or
``cpu-student``/``gpu-student`` for uploaded modules, which only workers allowed to run student
code listen on). The backend hands each task to exactly one worker (``SELECT ... FOR UPDATE
SKIP LOCKED``). What the backend does not do, this module adds on the :class:`Run` row: the
attempt that owns a running run (``attempts``) and its heartbeat, so that a run whose worker
died is taken again (:func:`requeue_stale_runs`), and failed after ``COMPUTE_MAX_ATTEMPTS``.

Every change of a run's state is a conditional UPDATE on its current state (and attempt), so
two processes can never both move it: the one whose UPDATE matched wins.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from mltheory.portal.courses.models import Offering

from . import lab_bridge
from .models import ACTIVE_STATES, Queue, Quota, Run, State

try:
    from django.tasks import task  # Django 6
except ImportError:  # Django 5.2: the backport
    from django_tasks import task


class QuotaExceeded(Exception):
    """A submission that the student's remaining budget cannot cover."""

    def __init__(self, queue: str, needed_s: float, remaining_s: float) -> None:
        self.queue, self.needed_s, self.remaining_s = queue, needed_s, remaining_s
        super().__init__(
            f"This run may take up to {hours(needed_s)} {queue.upper()}-hours, but your "
            f"remaining {queue.upper()} budget this term is {hours(max(remaining_s, 0))} hours."
        )


def hours(seconds: float) -> str:
    return f"{seconds / 3600:.2f}"


# A run's time limit per seed is the lab's estimate (``mlt run --plan``) times this margin plus
# the start-up the estimate leaves out, never more than the scale's limit: the plan says "a
# factor of 2 either way; more on a busy machine".
ESTIMATE_MARGIN = 4
STARTUP_S = 60


def per_seed_limit_s(scale: str, estimate_s: float | None) -> float:
    """One seed's (one sweep cell's) time limit: from the lab's estimate when there is one (a
    catalog experiment), else the scale's limit (a student's module, or a config without a
    cost)."""
    cap = settings.COMPUTE_TIME_LIMIT_S[scale]
    if estimate_s is None:
        return cap
    return min(cap, ESTIMATE_MARGIN * estimate_s + STARTUP_S)


def beyond_the_scale_limit(scale: str, queue: str, estimate_s: float | None) -> str | None:
    """Why a run estimated at ``estimate_s`` per seed cannot be taken at ``scale`` (it would be
    stopped at the scale's limit, its time charged for nothing), or ``None`` when it can."""
    cap = settings.COMPUTE_TIME_LIMIT_S[scale]
    if estimate_s is None or ESTIMATE_MARGIN * estimate_s + STARTUP_S <= cap:
        return None
    return (
        f"This configuration is estimated at about {estimate_s / 60:.0f} minutes per seed on "
        f"a {queue.upper()} (the lab's estimate: mlt run … --plan), and runs at scale {scale} "
        f"may take at most {cap / 60:.0f} minutes per seed including a ×{ESTIMATE_MARGIN} margin. "
        "Choose fewer steps or smaller models"
        + (", or the GPU queue." if queue != Queue.GPU else ".")
    )


def time_limit_s(
    scale: str, n_seeds: int, grid: dict | None = None, estimate_s: float | None = None
) -> float:
    """Per-run time limit: one seed's limit (see :func:`per_seed_limit_s`) per seed, and per
    cell for a sweep."""
    points = 1
    for values in (grid or {}).values():
        points *= len(values)
    return per_seed_limit_s(scale, estimate_s) * max(n_seeds, 1) * points


def quota_for(user, offering: Offering | None) -> Quota | None:
    """The student's quota for the term (made with the default budget the first time). Staff
    have none: their runs (e.g. the gallery's) are not charged."""
    if offering is None or user.is_staff:
        return None
    quota, _ = Quota.objects.get_or_create(
        user=user,
        offering=offering,
        defaults={
            "cpu_hours": settings.COMPUTE_DEFAULT_CPU_HOURS,
            "gpu_hours": settings.COMPUTE_DEFAULT_GPU_HOURS,
        },
    )
    return quota


def _reserved_field(queue: str) -> str:
    return "gpu_reserved_s" if queue == Queue.GPU else "cpu_reserved_s"


def _used_field(queue: str) -> str:
    return "gpu_used_s" if queue == Queue.GPU else "cpu_used_s"


def submit(
    owner,
    *,
    experiment: str,
    scale: str,
    seeds: list[int],
    overrides: dict,
    queue: str,
    grid: dict | None = None,
    module=None,
    priority: int = 0,
    published: bool = False,
    forked_from: Run | None = None,
) -> Run:
    """Create a queued run and enqueue it, after reserving its time limit from the owner's quota
    under a row lock; raises :class:`QuotaExceeded` (nothing is created) when it does not fit."""
    offering = Offering.objects.current()
    estimate = (
        None
        if module is not None  # a student's module is never imported in the web process
        else lab_bridge.estimated_seconds(experiment, scale, overrides, grid, queue)
    )
    limit = time_limit_s(scale, len(seeds), grid, estimate)
    quota = quota_for(owner, offering)
    with transaction.atomic():
        if quota is not None:
            # The row lock serializes concurrent submissions by the same student: each sees the
            # reservations of those before it.
            quota = Quota.objects.select_for_update().get(pk=quota.pk)
            if limit > quota.remaining_s(queue):
                raise QuotaExceeded(queue, limit, quota.remaining_s(queue))
            Quota.objects.filter(pk=quota.pk).update(
                **{_reserved_field(queue): F(_reserved_field(queue)) + limit}
            )
        run = Run.objects.create(
            owner=owner,
            offering=offering,
            experiment=experiment,
            module=module,
            scale=scale,
            seeds=seeds,
            overrides=overrides,
            grid=grid or {},
            queue=queue,
            priority=priority,
            published=published,
            forked_from=forked_from,
            time_limit_s=limit,
        )
        enqueue(run)
    return run


def enqueue(run: Run) -> None:
    """Put the run on its task queue (in the caller's transaction)."""
    result = execute_run.using(queue_name=run.task_queue_name, priority=run.priority).enqueue(
        run.pk
    )
    Run.objects.filter(pk=run.pk).update(task_id=str(result.id))
    run.task_id = str(result.id)


def reprioritize(run: Run, priority: int) -> None:
    """Change a queued run's place in its queue (higher runs first)."""
    from django_tasks_db.models import DBTaskResult

    with transaction.atomic():
        Run.objects.filter(pk=run.pk).update(priority=priority)
        DBTaskResult.objects.filter(id=run.task_id).update(priority=priority)


def release_reservation(run: Run) -> None:
    """Give back what the run had reserved and not used (when it ends in any way)."""
    if run.offering_id is None:
        return
    unused = max(run.time_limit_s - run.used_s, 0)
    with transaction.atomic():
        quota = (
            Quota.objects.select_for_update()
            .filter(user_id=run.owner_id, offering_id=run.offering_id)
            .first()
        )
        if quota is not None:
            field = _reserved_field(run.queue)
            Quota.objects.filter(pk=quota.pk).update(**{field: F(field) - unused})


def charge(run: Run, seconds: float) -> Quota | None:
    """Charge ``seconds`` of measured run time to the run and its owner's quota, under the
    quota's row lock; returns the quota as it now stands (None when the run is not charged)."""
    with transaction.atomic():
        Run.objects.filter(pk=run.pk).update(used_s=F("used_s") + seconds)
        run.used_s += seconds
        if run.offering_id is None:
            return None
        quota = (
            Quota.objects.select_for_update()
            .filter(user_id=run.owner_id, offering_id=run.offering_id)
            .first()
        )
        if quota is None:
            return None
        # Usage moves from the run's reservation into the used column (never below zero); a run
        # that already ended (cancelled) gave its reservation back then.
        active = Run.objects.filter(pk=run.pk, state__in=ACTIVE_STATES).exists()
        left = max(run.time_limit_s - (run.used_s - seconds), 0)
        from_reservation = min(seconds, left) if active else 0.0
        used, reserved = _used_field(run.queue), _reserved_field(run.queue)
        Quota.objects.filter(pk=quota.pk).update(
            **{used: F(used) + seconds, reserved: F(reserved) - from_reservation}
        )
        quota.refresh_from_db()
        return quota


def cancel(run: Run) -> bool:
    """Cancel a queued or running run (a running one's worker stops it at its next heartbeat).
    Returns False when the run had already ended."""
    changed = Run.objects.filter(pk=run.pk, state__in=[State.QUEUED, State.RUNNING]).update(
        state=State.CANCELLED, finished=timezone.now(), stop_reason="cancelled"
    )
    if changed:
        run.refresh_from_db()
        release_reservation(run)
    return bool(changed)


@dataclass
class Requeued:
    run_id: int
    failed: bool


def requeue_stale_runs(now=None) -> list[Requeued]:
    """Take again every running run whose worker stopped heartbeating (it died), or mark it
    failed once it has had ``COMPUTE_MAX_ATTEMPTS`` attempts. Safe to call from every worker at
    once: each run is moved by exactly one caller."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.COMPUTE_HEARTBEAT_TIMEOUT_S)
    moved = []
    stale = list(
        Run.objects.filter(state=State.RUNNING, heartbeat__lt=cutoff).values_list(
            "pk", "attempts", "task_id"
        )
    )
    for pk, attempts, task_id in stale:
        with transaction.atomic():
            run = (
                Run.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, state=State.RUNNING, attempts=attempts, heartbeat__lt=cutoff)
                .first()
            )
            if run is None:
                continue  # another worker took it, or it came back to life
            note = (
                f"[portal] attempt {attempts}: no heartbeat from worker "
                f"{run.worker.name if run.worker else '?'} for "
                f"{settings.COMPUTE_HEARTBEAT_TIMEOUT_S:g} s (it died)\n"
            )
            _fail_orphaned_task(task_id, now)
            if attempts >= settings.COMPUTE_MAX_ATTEMPTS:
                Run.objects.filter(pk=pk).update(
                    state=State.FAILED,
                    finished=now,
                    log=run.log.rstrip("\n") + "\n" + note,
                    stop_reason=f"failed {attempts} times (worker lost)",
                )
                run.refresh_from_db()
                release_reservation(run)
                moved.append(Requeued(pk, failed=True))
            else:
                # The next attempt's worker writes the note into the run's log file.
                Run.objects.filter(pk=pk).update(
                    state=State.QUEUED,
                    worker=None,
                    heartbeat=None,
                    log=run.log + note,
                    stop_reason=note.strip(),
                )
                run.refresh_from_db()
                enqueue(run)
                moved.append(Requeued(pk, failed=False))
    return moved


def _fail_orphaned_task(task_id: str, now) -> None:
    """The dead worker's task stays 'running' in the backend's table forever; say what happened."""
    from django_tasks_db.models import DBTaskResult

    try:
        from django.tasks import TaskResultStatus
    except ImportError:
        from django_tasks import TaskResultStatus

    if task_id:
        DBTaskResult.objects.filter(id=task_id, status=TaskResultStatus.RUNNING).update(
            status=TaskResultStatus.FAILED,
            finished_at=now,
            exception_class_path="mltheory.portal.compute.WorkerLost",
            traceback="the worker stopped heartbeating; the run was taken again",
        )


@task(queue_name="cpu")
def execute_run(run_id: int) -> str:
    """The queue's task: run #run_id on this worker (see :mod:`.worker`)."""
    from .worker import current_worker

    return current_worker().execute(run_id)
