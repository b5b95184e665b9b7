"""Lab test setup: an isolated run store and the lab's test-only experiments."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

FIXTURE_EXPERIMENTS = str(Path(__file__).parent / "fixture_experiments" / "lab_test_experiments.py")


@pytest.fixture(autouse=True)
def isolated_lab(tmp_path_factory, monkeypatch):
    """Each test gets its own run store; the fixture experiments are discoverable in-process
    and in subprocesses (which inherit the environment)."""
    home = tmp_path_factory.mktemp("mlt-home")
    monkeypatch.setenv("MLT_HOME", str(home))
    monkeypatch.setenv("MLT_DATA", str(home / "datasets"))
    monkeypatch.setenv("MLT_EXPERIMENT_MODULES", FIXTURE_EXPERIMENTS)
    from mltheory.lab import registry

    registry.import_experiment_module(FIXTURE_EXPERIMENTS)
    yield home


@pytest.fixture
def mlt_env() -> dict[str, str]:
    """Environment for ``mlt`` subprocesses: the current one (with the fixture's settings)."""
    return dict(os.environ)
