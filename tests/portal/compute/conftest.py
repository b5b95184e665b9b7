"""Fixtures for the compute app: students, a term, and real `mlt worker` processes that reach
this test's database."""

from __future__ import annotations

import pytest
from compute_testing import PHASES_MODULE, Workers
from django.contrib.auth.models import User

from mltheory.portal.courses.models import Offering


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


@pytest.fixture
def workers(compute_dirs):
    compute_dirs.mkdir(parents=True, exist_ok=True)
    w = Workers(compute_dirs)
    yield w
    w.stop_all()
