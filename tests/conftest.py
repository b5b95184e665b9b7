"""Set up for every test, before anything imports the lab or the portal.

- The lab's run store: ``MLT_HOME`` points at a temporary directory for the whole session
  (module- and session-scoped fixtures included), so that no test ever writes into the user's
  real store; ``tests/lab/conftest.py`` gives each test a fresh one on top of that.
- The portal's settings: configured here (not in ``pyproject.toml``), and only when Django is
  installed, so that ``pytest`` after ``pip install -e ".[dev]"`` without the portal extra runs
  the lab's tests and skips the portal's with the reason (``tests/portal/conftest.py``).
"""

from __future__ import annotations

import os
import shutil
import tempfile

# At import time, not in a fixture: this module is imported before any test module or fixture.
SESSION_MLT_HOME = tempfile.mkdtemp(prefix="mlt-test-home-")
os.environ["MLT_HOME"] = SESSION_MLT_HOME

PORTAL_TEST_SETTINGS = "mltheory.portal.settings_test"

# Django is set up here, at import, and only when it is installed: the portal's conftests import
# models as they load (before any pytest_configure hook), and pytest-django, which would read
# the settings from pyproject.toml, fails outright when Django is missing. It finishes the set-up
# (blocking the database outside tests marked for it) in its own pytest_configure.
try:
    import django
except ImportError:  # the lab alone: tests/portal/conftest.py skips the portal's tests
    django = None
if django is not None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", PORTAL_TEST_SETTINGS)
    django.setup()


def pytest_unconfigure(config):
    shutil.rmtree(SESSION_MLT_HOME, ignore_errors=True)
