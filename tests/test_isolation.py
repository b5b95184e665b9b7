"""The test suite stays out of the user's data, and runs without the portal extra."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).parent
REPO = TESTS.parent

STORE_USING_TESTS = """
import os

import pytest

from mltheory.lab import run


@pytest.fixture(scope="module")
def result():  # module-scoped: it runs before any function-scoped (autouse) fixture
    return run("min-norm", scale="smoke", n=10, d=30)


def test_a_run_into_the_default_store(result):
    print("RUN_DIR", result.out_dir)
"""


def _run_suite(suite: Path, tmp_path: Path) -> tuple[subprocess.CompletedProcess, Path]:
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if k not in ("MLT_HOME", "XDG_DATA_HOME")}
    env.update(HOME=str(home), MPLCONFIGDIR=str(tmp_path / "mpl"))
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", str(suite), "-q", "-s", "-p", "no:cacheprovider"],
        capture_output=True,
        text=True,
        env=env,
        cwd=suite,
    )
    # Where platformdirs puts the user's real store when MLT_HOME is unset, under this HOME.
    return proc, home / ".local" / "share" / "mltheory"


def test_tests_never_write_into_the_users_run_store(tmp_path):
    with_conftest = tmp_path / "suite"
    with_conftest.mkdir()
    (with_conftest / "test_store.py").write_text(STORE_USING_TESTS)
    shutil.copy(TESTS / "conftest.py", with_conftest / "conftest.py")
    proc, real_store = _run_suite(with_conftest, tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert not real_store.exists(), "a test wrote into the user's real run store"
    run_dir = Path(proc.stdout.split("RUN_DIR ")[1].split()[0])
    assert not run_dir.exists(), "the session's temporary store is removed at the end"

    # The control: the same tests without the conftest write into the real store.
    without = tmp_path / "bare"
    without.mkdir()
    (without / "test_store.py").write_text(STORE_USING_TESTS)
    proc, real_store = _run_suite(without, tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (real_store / "runs" / "min-norm").is_dir()


def test_without_django_the_portal_tests_are_skipped_with_the_reason(tmp_path):
    shadow = tmp_path / "no-django" / "django"
    shadow.mkdir(parents=True)
    # Importing django fails as it does when the portal extra is not installed.
    (shadow / "__init__.py").write_text(
        "raise ModuleNotFoundError(\"No module named 'django'\", name='django')\n"
    )
    # This session set DJANGO_SETTINGS_MODULE (tests/conftest.py); a fresh shell has none.
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in [str(shadow.parent), env.get("PYTHONPATH", "")] if p
    )
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "--co", "-q", "-rs", "-p", "no:cacheprovider"]
        + ["--ignore", str(TESTS / "lab"), "--ignore", __file__, str(TESTS)],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
    )
    assert proc.returncode in (0, 5), proc.stdout + proc.stderr  # 5: nothing left to collect
    assert "SKIPPED" in proc.stdout and "need the portal extra" in proc.stdout
    assert "error" not in proc.stdout.lower()


def test_a_portal_subdirectory_runs_on_its_own():
    """Its conftest imports Django models as it loads, so Django must be set up before: by
    tests/conftest.py (the settings are no longer in pyproject.toml)."""
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "--co", "-q", "-p", "no:cacheprovider"]
        + [str(TESTS / "portal" / "admissions")],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
