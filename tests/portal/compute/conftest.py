"""Fixtures for the compute app: students, a term, and real `mlt worker` processes that reach
this test's database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.db import connection

from mltheory.portal.compute.models import Run
from mltheory.portal.courses.models import Offering

PHASES_MODULE = Path(__file__).with_name("phases_experiment.py")
REPO_SRC = Path(__file__).resolve().parents[3] / "src"


@pytest.fixture(autouse=True)
def compute_dirs(settings, tmp_path):
    """Uploaded files and run directories in this test's own directory (workers get the same
    through MLT_PORTAL_DATA_DIR)."""
    data = tmp_path / "data"
    settings.MEDIA_ROOT = data / "portal" / "media"
    settings.COMPUTE_WORK_DIR = data / "portal" / "compute"
    return data


@pytest.fixture(autouse=True)
def phases_experiment(monkeypatch):
    """The test experiment joins the catalog here and in the workers."""
    from mltheory.lab import registry

    monkeypatch.setenv("MLT_EXPERIMENT_MODULES", str(PHASES_MODULE))
    registry.import_experiment_module(str(PHASES_MODULE))


@pytest.fixture
def offering(db):
    return Offering.objects.create(name="Spring 2021", slug="spring-2021", is_current=True)


@pytest.fixture
def student(db):
    return User.objects.create_user("ada", "ada@example.edu", "pw-ada-123456")


@pytest.fixture
def other_student(db):
    return User.objects.create_user("bob", "bob@example.edu", "pw-bob-123456")


@pytest.fixture
def staff(db):
    return User.objects.create_user("staff", "staff@example.edu", "pw-staff-123456", is_staff=True)


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


@pytest.fixture
def workers(compute_dirs):
    compute_dirs.mkdir(parents=True, exist_ok=True)
    w = Workers(compute_dirs)
    yield w
    w.stop_all()


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


def run_state(pk: int) -> Run:
    return Run.objects.get(pk=pk)
