"""Run the portal locally: ``mlt portal`` calls :func:`serve`, ``mlt portal demo`` adds the demo.

Local runs use the embedded defaults (DEBUG on, no HTTPS-only settings, SQLite in the user's
data directory, email printed to the console). Production runs behind gunicorn instead; see
``docs/portal.md``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import webbrowser


def setup_django(local: bool = True) -> None:
    """Configure Django for the portal. ``local`` fills in development defaults, never
    overriding what the environment already says (so DATABASE_URL still picks PostgreSQL)."""
    if local:
        os.environ.setdefault("MLT_PORTAL_DEBUG", "1")
        os.environ.setdefault("MLT_PORTAL_SECURE", "0")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mltheory.portal.settings")
    import django

    django.setup()


def prepare_database(verbosity: int = 1) -> None:
    """Create the data directory and bring the database schema up to date."""
    from django.conf import settings
    from django.core.management import call_command

    settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
    call_command("migrate", interactive=False, verbosity=verbosity)


def load_demo():
    """Load the Spring 2021 demo: courses, the application call, seminar talks and the demo
    accounts (printed with their passwords). Safe to run again: it updates instead of
    duplicating."""
    from mltheory.portal.accounts import demo as accounts_demo
    from mltheory.portal.admissions import demo as admissions_demo
    from mltheory.portal.compute import demo as compute_demo
    from mltheory.portal.courses import demo as courses_demo
    from mltheory.portal.seminars import demo as seminars_demo

    offering = courses_demo.load()
    admissions_demo.load(offering)
    seminars_demo.load()
    queued = compute_demo.load(offering)
    if queued:
        print(f"Demo: {len(queued)} smoke-scale lab runs queued for the gallery.")
    print(f"Demo: {offering.name} with {offering.courses.count()} courses loaded.")
    print(accounts_demo.startup_text(accounts_demo.load()))
    return offering


class LocalMailWorker(threading.Thread):
    """Sends the portal's outbox in a background thread, so account verification links, seminar
    confirmations and admissions decisions appear on the console while ``mlt portal`` runs.
    Production runs ``send_outbox --loop`` as its own service."""

    def __init__(self, interval: float = 2.0) -> None:
        super().__init__(name="outbox-worker", daemon=True)
        self.interval = interval
        self.stopped = threading.Event()

    def run(self) -> None:
        from django.db import connection

        from mltheory.portal.mail.models import OutgoingEmail

        try:
            while not self.stopped.is_set():
                try:
                    OutgoingEmail.objects.send_due()
                except Exception as exc:  # noqa: BLE001 -- the database; try again next round
                    print(f"outbox: {type(exc).__name__}: {exc}")
                    connection.close()
                self.stopped.wait(self.interval)
        finally:
            connection.close()

    def stop(self) -> None:
        self.stopped.set()
        self.join(timeout=10)


def start_local_mail_worker(interval: float = 2.0) -> LocalMailWorker:
    worker = LocalMailWorker(interval)
    worker.start()
    return worker


def start_local_compute_worker() -> subprocess.Popen:
    """One `mlt worker` (CPU) beside the demo, so that submitted runs run; it stops with the
    portal. Production runs workers as their own services (docs/compute.md)."""
    import atexit

    from mltheory.portal.compute import die_with_parent

    proc = subprocess.Popen(
        [sys.executable, "-m", "mltheory.cli", "worker", "--queue", "cpu", "--name", "local-cpu"],
        preexec_fn=die_with_parent if sys.platform == "linux" else None,
    )
    atexit.register(proc.terminate)
    print(f"A local compute worker runs beside the portal (pid {proc.pid}).")
    return proc


WILDCARD_HOSTS = ("0.0.0.0", "::", "")


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def serve(
    host: str = "127.0.0.1", port: int = 8000, demo: bool = False, open_browser: bool = False
) -> None:
    """Migrate, optionally load the demo, and run the development server until interrupted."""
    if host not in WILDCARD_HOSTS:
        # Emails' links point where this server answers (unless SITE_URL says otherwise); on a
        # wildcard address each request's own host is used instead (mail/links.py).
        os.environ.setdefault("SITE_URL", f"http://{_url_host(host)}:{port}")
    setup_django(local=True)
    prepare_database()
    if demo:
        load_demo()
    from django.core.management import call_command

    start_local_mail_worker()
    if demo:
        start_local_compute_worker()
    url = f"http://{_url_host(host)}:{port}/"
    if open_browser:
        # runserver blocks; open the page once it has had a moment to start listening.
        threading.Timer(1.5, webbrowser.open, args=(url,)).start()
    print(f"The portal runs at {url} (Ctrl-C stops it). For production see docs/portal.md.")
    call_command("runserver", f"{host}:{port}", use_reloader=False)
