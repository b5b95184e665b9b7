"""``mlt worker``: one worker process per GPU or CPU slot, on any machine that reaches the database.

The loop that takes tasks off the queue is ``django_tasks_db``'s own worker (its claim is a
``SELECT ... FOR UPDATE SKIP LOCKED``, so no task goes to two workers). For each run this module
starts the lab in a child process (:mod:`.lab_bridge`), and while it runs, every
``COMPUTE_HEARTBEAT_S`` seconds: charges the measured time to the run and its owner's quota,
writes the heartbeat, progress and log tail, and stops the child when the run was cancelled or
went over its time limit or its owner's quota. A background thread keeps the worker's row
fresh and takes again the runs of workers that died (:func:`.queue.requeue_stale_runs`).
"""

from __future__ import annotations

import os
import platform
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import close_old_connections, connection, transaction
from django.utils import timezone

from . import die_with_parent, lab_bridge
from .models import Queue, Run, State, Worker
from .queue import charge, enqueue, release_reservation, requeue_stale_runs

LOG_TAIL_CHARS = 20_000
_current: RunWorker | None = None


def current_worker() -> RunWorker:
    if _current is None:
        raise RuntimeError("execute_run runs only inside `mlt worker`")
    return _current


def describe_hardware(device: str | None) -> str:
    host = socket.gethostname()
    if device and device.startswith("cuda"):
        import torch

        index = int(device.split(":")[1]) if ":" in device else 0
        return f"{host}: {torch.cuda.get_device_name(index)} ({device})"
    return f"{host}: {platform.machine()} CPU, {os.cpu_count()} cores"


class RunWorker:
    def __init__(self, row: Worker, device: str | None) -> None:
        self.row = row
        self.device = device
        self.loop = None  # django_tasks_db's Worker, set by main()

    # --- one run ---------------------------------------------------------------------------
    def claim(self, run_id: int) -> tuple[Run, int] | None:
        """Move the run from queued to running under this worker; None when it is not queued
        (cancelled while it waited, or already taken again)."""
        with transaction.atomic():
            run = Run.objects.select_for_update().filter(pk=run_id).first()
            if run is None or run.state != State.QUEUED:
                return None
            self.row.refresh_from_db(fields=["allowed_student_code"])
            if run.student_code and not self.row.allowed_student_code:
                # Staff revoked this worker's permission after it started listening on the
                # student queue: hand the run back and stop taking tasks.
                enqueue(run)
                if self.loop is not None:
                    self.loop.running = False
                return None
            attempt = run.attempts + 1
            now = timezone.now()
            Run.objects.filter(pk=run.pk).update(
                state=State.RUNNING,
                attempts=attempt,
                worker=self.row,
                heartbeat=now,
                started=run.started or now,
            )
            run.refresh_from_db()
        return run, attempt

    def execute(self, run_id: int) -> str:
        claimed = self.claim(run_id)
        if claimed is None:
            return "not queued"
        run, attempt = claimed
        run_dir = Path(settings.COMPUTE_WORK_DIR) / f"run-{run.pk}"
        run_dir.mkdir(parents=True, exist_ok=True)
        module_path = None
        if run.module_id:
            module_path = run_dir / "experiment_module.py"
            with run.module.file.open("rb") as src, module_path.open("wb") as dst:
                shutil.copyfileobj(src, dst)
        spec = lab_bridge.write_spec(
            run_dir,
            run.experiment,
            run.scale,
            run.seeds,
            run.overrides,
            self.device,
            module_path,
            grid=run.grid,
            sweep_executor=settings.COMPUTE_SWEEP_EXECUTOR,
        )
        log_path = run_dir / "log.txt"
        with log_path.open("a") as log:
            if run.stop_reason:  # why the previous attempt ended (e.g. its worker died)
                log.write(f"{run.stop_reason}\n")
                Run.objects.filter(pk=run.pk).update(stop_reason="")
            log.write(f"[portal] attempt {attempt} on worker {self.row.name}\n")
            log.flush()
            env = {
                **os.environ,
                "MLT_HOME": str(Path(settings.COMPUTE_WORK_DIR) / "lab-home"),
                "PYTHONUNBUFFERED": "1",
            }
            proc = subprocess.Popen(
                lab_bridge.child_command(spec),
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=run_dir,
                env=env,
                preexec_fn=die_with_parent if sys.platform == "linux" else None,
            )
            try:
                stop_reason = self._watch(run, attempt, proc, run_dir, log_path)
            finally:
                if proc.poll() is None:  # e.g. the database went away mid-heartbeat
                    proc.kill()
                    proc.wait()
        return self._finish(run, attempt, proc.returncode, stop_reason, run_dir, log_path)

    def _watch(self, run, attempt, proc, run_dir: Path, log_path: Path) -> str:
        """Heartbeat until the child exits; returns why it was stopped ("" if it was not)."""
        last = time.monotonic()
        while True:
            try:
                proc.wait(timeout=settings.COMPUTE_HEARTBEAT_S)
                exited = True
            except subprocess.TimeoutExpired:
                exited = False
            now = time.monotonic()
            reason = self._beat(run, attempt, now - last, run_dir, log_path)
            last = now
            if exited:
                return ""
            if reason:
                proc.kill()
                proc.wait()
                return reason

    def _beat(self, run: Run, attempt: int, seconds: float, run_dir: Path, log_path: Path) -> str:
        quota = charge(run, seconds)
        progress = lab_bridge.read_progress(run_dir, run.seeds, run.grid)
        fields = {
            "heartbeat": timezone.now(),
            "progress": progress,
            "log": _tail(log_path),
        }
        if run.first_progress is None and (progress["rows"] or progress["seeds_done"]):
            fields["first_progress"] = run.first_progress = timezone.now()
        if not Run.objects.filter(pk=run.pk, state=State.RUNNING, attempts=attempt).update(
            **fields
        ):
            return "cancelled"  # or taken away from this worker: either way, stop
        if run.used_s > run.time_limit_s:
            return (
                f"stopped: it ran past its time limit of {run.time_limit_s / 3600:.2f} hours "
                f"(set by its scale and number of seeds)"
            )
        if quota is not None and quota.remaining_s(run.queue) + quota.reserved_s(run.queue) < 0:
            return f"stopped: the {run.queue.upper()} quota for the term is used up"
        return ""

    def _finish(
        self, run: Run, attempt: int, returncode: int, stop_reason: str, run_dir, log_path
    ) -> str:
        mine = Run.objects.filter(pk=run.pk, state=State.RUNNING, attempts=attempt)
        log = _tail(log_path)
        now = timezone.now()
        if stop_reason == "cancelled":
            outcome = "cancelled"
        elif stop_reason:
            outcome = "stopped"
            if mine.update(state=State.FAILED, stop_reason=stop_reason, finished=now, log=log):
                release_reservation(Run.objects.get(pk=run.pk))
        elif returncode == lab_bridge.EXIT_DONE:
            outcome = "done"
            if run.grid:
                result = lab_bridge.load_sweep_results(run_dir)
            else:
                result = lab_bridge.load_results(run_dir, run.seeds)
            result["hardware"] = self.row.hardware
            files = self._store_files(run, run_dir, log_path)
            progress = lab_bridge.read_progress(run_dir, run.seeds, run.grid)
            if mine.update(
                state=State.DONE,
                experiment=result["experiment"],
                result=result,
                files=files,
                finished=now,
                log=log,
                progress=progress,
                first_progress=run.first_progress or now,
            ):
                release_reservation(Run.objects.get(pk=run.pk))
        elif returncode == lab_bridge.EXIT_BAD_INPUT or attempt >= settings.COMPUTE_MAX_ATTEMPTS:
            outcome = "failed"
            reason = (
                "bad input (see the log)"
                if returncode == lab_bridge.EXIT_BAD_INPUT
                else f"failed {attempt} times (see the log)"
            )
            if mine.update(state=State.FAILED, stop_reason=reason, finished=now, log=log):
                release_reservation(Run.objects.get(pk=run.pk))
        else:
            outcome = "retry"
            with transaction.atomic():
                if mine.update(state=State.QUEUED, worker=None, heartbeat=None, log=log):
                    enqueue(Run.objects.get(pk=run.pk))
        return outcome

    def _store_files(self, run: Run, run_dir: Path, log_path: Path) -> dict[str, str]:
        """Copy the results, metrics, figures and log into Django's storage."""
        files = {}
        paths = [log_path]
        if run.grid:
            paths.append(run_dir / lab_bridge.SWEEP_DIR / "sweep.json")
        else:
            for seed in run.seeds:
                d = lab_bridge.seed_dir(run_dir, seed)
                paths += [d / lab_bridge.RESULT_FILE, d / lab_bridge.METRICS_FILE]
        paths += lab_bridge.figure_files(run_dir, run.seeds, run.grid)
        for path in paths:
            if not path.exists():
                continue
            rel = path.relative_to(run_dir).as_posix()
            name = f"compute/runs/{run.pk}/{rel}"
            default_storage.delete(name)
            files[rel] = default_storage.save(name, ContentFile(path.read_bytes()))
        return files

    # --- the worker's own heartbeat ----------------------------------------------------------
    def keep_alive(self, stopped: threading.Event) -> None:
        """Background thread: the worker row's last_seen, and taking again dead workers' runs."""
        try:
            while not stopped.wait(settings.COMPUTE_HEARTBEAT_S):
                close_old_connections()
                Worker.objects.filter(pk=self.row.pk).update(last_seen=timezone.now())
                requeue_stale_runs()
        finally:
            connection.close()


def _tail(path: Path) -> str:
    if not path.exists():
        return ""
    with path.open("rb") as f:
        f.seek(0, os.SEEK_END)
        size = f.tell()
        f.seek(max(size - LOG_TAIL_CHARS, 0))
        return f.read().decode("utf-8", errors="replace")


def register(name: str, queue: str, device: str | None) -> Worker:
    row, _ = Worker.objects.update_or_create(
        name=name,
        defaults={
            "queue": queue,
            "device": device or "",
            "hostname": socket.gethostname(),
            "hardware": describe_hardware(device),
            "last_seen": timezone.now(),
            "pid": os.getpid(),
        },
    )
    return row


def start(
    queue: str = Queue.CPU,
    device: str | None = None,
    name: str | None = None,
    interval: float = 1.0,
    batch: bool = False,
    max_tasks: int | None = None,
) -> None:
    """Run a worker until it is stopped (SIGTERM/Ctrl-C finish the current run first)."""
    global _current
    from django_tasks_db.management.commands.db_worker import Worker as TaskLoop

    name = name or f"{socket.gethostname()}-{queue}-{device or 'auto'}-{os.getpid()}"
    row = register(name[:64], queue, device)
    _current = RunWorker(row, device)
    queues = [queue] + ([f"{queue}-student"] if row.allowed_student_code else [])
    loop = TaskLoop(
        queue_names=queues,
        interval=interval,
        batch=batch,
        backend_name="default",
        startup_delay=False,
        max_tasks=max_tasks,
        worker_id=row.name,
        excluded_queue_names=[],
    )
    _current.loop = loop
    stopped = threading.Event()
    keeper = threading.Thread(target=_current.keep_alive, args=(stopped,), daemon=True)
    keeper.start()
    print(
        f"worker {row.name}: queues {', '.join(queues)}; device {device or 'auto'}; {row.hardware}",
        flush=True,
    )
    loop.configure_signals()
    try:
        loop.run()
    finally:
        stopped.set()
