"""Shared fixtures for the portal's tests: Playwright driving Debian's Chromium, and a mail
server that is down (a closed port, for the outbox's retries)."""

from __future__ import annotations

import os
import shutil
import socket
from contextlib import contextmanager
from datetime import timedelta
from unittest import mock

import pytest

# Without the portal extra (`pip install -e ".[dev]"`), skip the portal's tests with the reason.
pytest.importorskip(
    "django", reason="the portal's tests need the portal extra: pip install -e '.[portal,dev]'"
)

from django.utils import timezone  # noqa: E402

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def chromium_browser():
    """One headless Chromium for the session. Skips (with the reason) only if Chromium is absent;
    CI installs it, so there the browser tests always run."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"Chromium not found at {CHROMIUM}; install Debian's chromium package")
    # live_server runs Django in a thread beside Playwright's event loop.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium_browser, live_server):
    """A fresh browser context and page for one test, with the live server's URL at ``page.base``."""
    # A fixed zone and locale: the viewer's time is then known exactly (formatting is per locale).
    context = chromium_browser.new_context(timezone_id="Europe/Berlin", locale="en-US")
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    pg.base = live_server.url
    yield pg
    context.close()


class MailServerDown:
    """While active, the portal mails through SMTP to a local port nothing listens on: a real
    mail server that is down (connection refused), not a patched method."""

    ERROR = "ConnectionRefusedError"

    def __init__(self, settings) -> None:
        self._settings = settings
        self._backend = settings.EMAIL_BACKEND
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            closed_port = probe.getsockname()[1]
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = closed_port
        settings.EMAIL_USE_TLS = False
        settings.EMAIL_USE_SSL = False
        self.down = True

    def restore(self) -> None:
        """The mail server is back (the test's own mail backend again)."""
        if self.down:
            self._settings.EMAIL_BACKEND = self._backend
            self.down = False


@pytest.fixture
def mail_server_down(settings):
    down = MailServerDown(settings)
    yield down
    down.restore()


@contextmanager
def _past_first_retry_delay():
    later = timezone.now() + timedelta(minutes=2)
    with mock.patch("django.utils.timezone.now", return_value=later):
        yield


@pytest.fixture
def after_first_retry_delay():
    """``with after_first_retry_delay():`` moves the clock past the outbox's first retry delay
    (1 minute), so a retried email is due."""
    return _past_first_retry_delay
