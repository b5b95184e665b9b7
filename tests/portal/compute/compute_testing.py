"""Helpers for the compute tests: real `mlt worker` processes on the test's database, and
waiting for a run to get somewhere."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.db import connection

from mltheory.portal.compute.models import Run

PHASES_MODULE = Path(__file__).with_name("phases_experiment.py")
REPO_SRC = Path(__file__).resolve().parents[3] / "src"


def database_url() -> str:
    """The test database, as a URL a worker process can use."""
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


class Workers:
    """Start `mlt worker` processes on this test's database; all are stopped at the end."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.procs: list[subprocess.Popen] = []

    def env(self, **extra: str) -> dict[str, str]:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "mltheory.portal.settings_test",
            "DATABASE_URL": database_url(),
            "MLT_PORTAL_DATA_DIR": str(self.data_dir),
            "MLT_EXPERIMENT_MODULES": str(PHASES_MODULE),
            "COMPUTE_TEST_EXECUTIONS": str(self.data_dir / "executions"),
            "PYTHONPATH": os.pathsep.join(
                filter(None, [str(REPO_SRC), os.environ.get("PYTHONPATH")])
            ),
            "OMP_NUM_THREADS": "1",
        }
        env.pop("SECRET_KEY", None)
        env.update(extra)
        return env

    def start(self, *args: str, **env: str) -> subprocess.Popen:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = (self.data_dir / f"worker-{len(self.procs)}.log").open("w")
        proc = subprocess.Popen(
            [sys.executable, "-m", "mltheory.cli", "worker", *args],
            env=self.env(**env),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        proc.log_path = log.name
        self.procs.append(proc)
        return proc

    def stop_all(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()

    def logs(self) -> str:
        return "\n".join(Path(p.log_path).read_text() for p in self.procs)


def wait_for(predicate, timeout: float = 90.0, what: str = "", logs=None):
    """Poll ``predicate`` until it returns something truthy (waiting is not a timed assertion:
    the timeout only bounds a test that would otherwise hang)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"gave up waiting for {what}" + (f"\n{logs()}" if logs else ""))


def executions(data_dir: Path, run_dir: Path) -> list[int]:
    """The phases that the test experiment ran in ``run_dir``, in order (see phases_experiment)."""
    path = data_dir / "executions" / (str(run_dir.resolve()).strip("/").replace("/", "__") + ".txt")
    return [int(x) for x in path.read_text().split()] if path.exists() else []


def run_state(pk: int) -> Run:
    return Run.objects.get(pk=pk)
