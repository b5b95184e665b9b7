"""Settings for the test suite: the real settings with test-friendly defaults.

``DATABASE_URL`` still decides the database, so CI runs the suite on PostgreSQL and a
developer without it runs on SQLite.
"""

import os
import tempfile

os.environ.setdefault("MLT_PORTAL_DEBUG", "1")
os.environ.setdefault("MLT_PORTAL_SECURE", "0")
os.environ.setdefault("MLT_PORTAL_DATA_DIR", tempfile.mkdtemp(prefix="mlt-portal-test-"))

from .settings import *  # noqa: E402,F403

EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Hashing passwords slowly is a production feature, not something to pay for in tests.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# The whole suite signs in from 127.0.0.1 through one in-process cache; rate limits would trip
# on unrelated tests. tests/portal/accounts turns them back on to test them.
RATELIMIT_ENABLE = False
# Django's live test server (browser tests) serves MEDIA_URL out of MEDIA_ROOT and crashes on
# every request when MEDIA_URL is None. A URL on another, unresolvable host makes it serve
# nothing, so uploads stay reachable only through permission-checked views, as in production.
MEDIA_URL = "http://uploads.invalid/"
# Static files come straight from the apps (no collectstatic before a test run); the manifest
# storage production uses has its own test (tests/portal/test_static_files.py).
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# `mlt worker` subprocesses started by the compute tests must reach the test database, which an
# in-memory SQLite database cannot offer; a file in this process's own temporary directory can.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATA_DIR.mkdir(parents=True, exist_ok=True)  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}  # noqa: F405
# Compute: heartbeats often in the tests, so a killed worker's run is taken again in seconds.
# The timeout leaves room for a live worker starved of CPU on a busy 2-core machine (at 3 s a
# rescuer's own heartbeat went stale while its child imported torch, and it was requeued too).
COMPUTE_HEARTBEAT_S = 0.5
COMPUTE_HEARTBEAT_TIMEOUT_S = 10.0
