"""Benchmark: how long a student waits for a smoke run, with a worker already waiting.

Sets up a fresh portal database (SQLite in a temporary directory, or ``DATABASE_URL``), starts
one ``mlt worker`` and lets it become idle, then submits smoke runs of an experiment one after
another (as the portal's submit page does) and prints, for each, the time from submission to:
the worker claiming it, the first progress the worker reported (metric rows or a finished seed),
and the verdict being stored. The run's own measured time is printed beside them: the rest is
the queue's polling interval, the child process starting (Python, torch, the catalog) and
storing the results.

    python benchmarks/compute_latency.py                       # min-norm, 3 runs
    python benchmarks/compute_latency.py --experiment deep-linear --runs 2
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experiment", default="min-norm")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    data = tempfile.mkdtemp(prefix="mlt-compute-bench-")
    os.environ.update(
        MLT_PORTAL_DATA_DIR=data, MLT_PORTAL_DEBUG="1", MLT_PORTAL_SECURE="0", MLT_HOME=data
    )
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    from mltheory.portal.server import prepare_database, setup_django

    setup_django(local=True)
    prepare_database(verbosity=0)
    from django.contrib.auth.models import User

    from mltheory.portal.compute import queue
    from mltheory.portal.compute.models import Run, State, Worker

    staff = User.objects.create_user("bench", is_staff=True)
    worker = subprocess.Popen(
        [sys.executable, "-m", "mltheory.cli", "worker", "--name", "bench"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        while not Worker.objects.filter(name="bench").exists():
            time.sleep(0.1)
        time.sleep(2)  # idle, polling the queue
        print(f"{args.experiment}, smoke scale, one idle worker, {os.cpu_count()} CPUs")
        for i in range(args.runs):
            t0 = time.monotonic()
            run = queue.submit(
                staff,
                experiment=args.experiment,
                scale="smoke",
                seeds=[0],
                overrides={},
                queue="cpu",
            )
            marks: dict[str, float] = {}
            while True:
                r = Run.objects.get(pk=run.pk)
                now = time.monotonic() - t0
                if r.state != State.QUEUED:
                    marks.setdefault("claimed", now)
                if r.first_progress:
                    marks.setdefault("first progress", now)
                if r.state not in (State.QUEUED, State.RUNNING):
                    marks["verdict stored"] = now
                    break
                time.sleep(0.05)
            took = r.result["seeds"]["0"]["duration_s"] if r.result else float("nan")
            print(
                f"run {i + 1}: {r.state}; "
                + ", ".join(f"{k} {v:.2f} s" for k, v in marks.items())
                + f"; the experiment itself {took:.2f} s"
            )
    finally:
        worker.terminate()
        worker.wait()


if __name__ == "__main__":
    main()
