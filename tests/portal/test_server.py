"""Running the portal: the demo loader, the SQLite default, and the production settings check.

The subprocess tests matter when CI runs the suite on PostgreSQL: they still cover SQLite
(the embedded default) and the production settings module, which the test settings replace.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
import textwrap

import pytest
from django.core.management import call_command
from typer.testing import CliRunner

from mltheory import cli
from mltheory.portal import server
from mltheory.portal.courses.models import Assignment, Course, Lecture, Offering, course_zone


def _clean_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("MLT_PORTAL_", "DJANGO_", "DATABASE_URL", "SECRET_KEY"))
        and k not in {"ALLOWED_HOSTS", "EMAIL_HOST", "SITE_URL", "CSRF_TRUSTED_ORIGINS"}
    }
    env.update(extra)
    return env


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args], env=env, capture_output=True, text=True, timeout=120
    )


PRODUCTION_ENV = {
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "example.org",
    "SITE_URL": "https://example.org",
    "DATABASE_URL": "postgres://portal:secret@db.example.org:5432/portal",
}


def test_check_deploy_passes_with_production_settings():
    result = _run(
        ["-m", "mltheory.portal", "check", "--deploy", "--fail-level", "WARNING"],
        _clean_env(**PRODUCTION_ENV),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_flags_debug_so_the_check_above_means_something():
    result = _run(
        ["-m", "mltheory.portal", "check", "--deploy", "--fail-level", "WARNING"],
        _clean_env(**PRODUCTION_ENV, MLT_PORTAL_DEBUG="1"),
    )
    assert result.returncode != 0
    assert "security.W018" in result.stdout + result.stderr  # DEBUG on in deployment


def test_production_redirects_to_https_and_sends_hsts(tmp_path):
    """Behind the proxy: plain http is redirected, and https responses carry the headers."""
    script = textwrap.dedent(
        """
        from mltheory.portal import server
        server.setup_django(local=False)
        from django.test import Client
        client = Client()
        plain = client.get("/seminars/", HTTP_HOST="example.org")
        print("PLAIN", plain.status_code, plain.get("Location"))
        proxied = {"HTTP_HOST": "example.org", "HTTP_X_FORWARDED_PROTO": "https"}
        secure = client.get("/no-such-page/", **proxied)
        for name in ("Strict-Transport-Security", "X-Content-Type-Options", "X-Frame-Options"):
            print(name, "=", secure.get(name))
        """
    )
    env = _clean_env(**PRODUCTION_ENV)
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'unused.sqlite3'}"  # no page here queries it
    result = _run(["-c", script], env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "PLAIN 301 https://example.org/seminars/" in result.stdout
    assert (
        "Strict-Transport-Security = max-age=31536000; includeSubDomains; preload" in result.stdout
    )
    assert "X-Content-Type-Options = nosniff" in result.stdout
    assert "X-Frame-Options = DENY" in result.stdout


def test_production_settings_refuse_to_start_without_secret_key():
    env = _clean_env(**PRODUCTION_ENV)
    del env["SECRET_KEY"]
    for command in (["check"], ["migrate"], ["send_outbox"], ["createstaff", "--noinput"]):
        result = _run(["-m", "mltheory.portal", *command], env)
        assert result.returncode == 2, command
        # One line naming what is missing and what to do, not a traceback.
        assert result.stderr.startswith("error: SECRET_KEY is not set."), result.stderr
        assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_a_bad_database_url_is_one_line():
    env = _clean_env(MLT_PORTAL_DEBUG="1", DATABASE_URL="mysq://nowhere/db")
    result = _run(["-m", "mltheory.portal", "migrate"], env)
    assert result.returncode == 2
    assert result.stderr.startswith("error: DATABASE_URL is not a database URL")
    assert "Traceback" not in result.stderr


def test_management_help_works_without_debug_or_secret_key():
    env = _clean_env()
    result = _run(["-m", "mltheory.portal", "--help"], env)
    assert result.returncode == 0, result.stderr
    # Every command is listed (the settings loaded), the portal's own included.
    assert "send_outbox" in result.stdout and "createstaff" in result.stdout
    result = _run(["-m", "mltheory.portal", "send_outbox", "--help"], env)
    assert result.returncode == 0, result.stderr
    assert (
        "usage: python -m mltheory.portal send_outbox" in result.stdout
        and "--loop" in result.stdout
    )


@pytest.mark.django_db
def test_migrations_match_the_models():
    # A model change without its migration would pass the suite (the test database is built
    # from the models' migrations) and then break `mlt portal` on an existing database.
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def test_mlt_portal_command_runs_the_server_with_or_without_the_demo(monkeypatch):
    calls = []
    monkeypatch.setattr(server, "serve", lambda **kwargs: calls.append(kwargs))
    runner = CliRunner()
    for args in (["portal"], ["portal", "demo"], ["portal", "--demo", "--port", "8080"]):
        result = runner.invoke(cli.app, args)
        assert result.exit_code == 0, result.output
    assert calls == [
        {"host": "127.0.0.1", "port": 8000, "demo": False},
        {"host": "127.0.0.1", "port": 8000, "demo": True},
        {"host": "127.0.0.1", "port": 8080, "demo": True},
    ]
    result = runner.invoke(cli.app, ["portal", "demos"])
    assert result.exit_code == cli.EXIT_BAD_INPUT and len(calls) == 3


def test_fresh_sqlite_default_migrates_and_loads_the_demo(tmp_path):
    """The embedded default: no DATABASE_URL, SQLite under MLT_PORTAL_DATA_DIR."""
    script = textwrap.dedent(
        """
        from mltheory.portal import server
        server.setup_django(local=True)
        from django.conf import settings
        print("ENGINE", settings.DATABASES["default"]["ENGINE"])
        server.prepare_database(verbosity=0)
        server.load_demo()
        server.load_demo()
        from mltheory.portal.courses.models import Course, Lecture
        cs = Course.objects.get(slug="cs229br")
        print("COURSES", Course.objects.count(), "LECTURES", cs.lectures.count())
        from django.test import Client
        print("HOME", Client().get("/").status_code)
        """
    )
    result = _run(["-c", script], _clean_env(MLT_PORTAL_DATA_DIR=str(tmp_path)))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ENGINE django.db.backends.sqlite3" in result.stdout
    assert (tmp_path / "portal" / "portal.sqlite3").exists()
    assert "COURSES 2 LECTURES 12" in result.stdout
    assert "HOME 200" in result.stdout


@pytest.mark.django_db
def test_load_demo_is_idempotent_with_real_facts(capsys):
    server.load_demo()
    server.load_demo()
    offering = Offering.objects.get()
    assert offering.slug == "spring-2021" and offering.is_current
    cs229br = Course.objects.get(slug="cs229br")
    mit18408 = Course.objects.get(slug="18408")
    assert (cs229br.instructor, mit18408.instructor) == ("Boaz Barak", "Ankur Moitra")
    assert cs229br.meeting_summary == "Mondays 12:00–15:00 Eastern"
    assert mit18408.meeting_summary == "Wednesdays 12:00–15:00 Eastern"
    lectures = list(cs229br.lectures.all())
    mit_lectures = list(mit18408.lectures.all())
    # 12 Monday lectures, 8 Wednesday sessions by topic, one lecture shared: 20 in all.
    assert len(lectures) == 12 and len(mit_lectures) == 9 and Lecture.objects.count() == 20
    # 12:00 Eastern stored as UTC: 17:00 before daylight saving, 16:00 after.
    assert lectures[0].starts_at.isoformat() == "2021-01-25T17:00:00+00:00"
    assert lectures[-1].starts_at.isoformat() == "2021-04-26T16:00:00+00:00"
    assert lectures[-1].title == "The statistical physics view of machine learning"
    shared = [lecture for lecture in lectures if lecture.is_shared()]
    assert len(shared) == 1 and shared[0] in mit_lectures
    wednesdays = [lecture for lecture in mit_lectures if not lecture.is_shared()]
    assert [
        lec.starts_at.astimezone(course_zone()).strftime("%a %b %d %H:%M") for lec in wednesdays
    ][:2] == [
        "Wed Feb 17 12:00",
        "Wed Feb 24 12:00",
    ]
    assert "Barron" in wednesdays[0].title and wednesdays[0].experiment_names == ["barron"]
    assert "Lower bounds" in wednesdays[-1].title
    pset0 = Assignment.objects.get()
    assert set(pset0.courses.all()) == {cs229br, mit18408}
    assert "Demo: Spring 2021 with 2 courses loaded." in capsys.readouterr().out
    from mltheory.portal.admissions.models import ApplicationCall
    from mltheory.portal.seminars.models import Talk

    assert ApplicationCall.objects.get().offering == offering  # loaded once, not twice
    talks = Talk.objects.all()
    assert talks and all("[Example]" in t.title for t in talks)
    assert len({t.title for t in talks}) == len(talks)


def test_serve_migrates_loads_demo_and_runs_without_autoreload(monkeypatch):
    monkeypatch.setenv("SITE_URL", "https://unchanged.example.org")
    calls = []
    monkeypatch.setattr(server, "setup_django", lambda local: calls.append(("setup", local)))
    monkeypatch.setattr(server, "prepare_database", lambda: calls.append(("migrate",)))
    monkeypatch.setattr(server, "load_demo", lambda: calls.append(("demo",)))
    monkeypatch.setattr(server, "start_local_mail_worker", lambda: calls.append(("mail worker",)))
    monkeypatch.setattr(
        server, "start_local_compute_worker", lambda: calls.append(("compute worker",))
    )
    import django.core.management

    monkeypatch.setattr(
        django.core.management,
        "call_command",
        lambda *args, **kwargs: calls.append(("command", *args, kwargs)),
    )
    server.serve(host="127.0.0.1", port=8123, demo=True)
    assert calls == [
        ("setup", True),
        ("migrate",),
        ("demo",),
        ("mail worker",),
        ("compute worker",),
        ("command", "runserver", "127.0.0.1:8123", {"use_reloader": False}),
    ]


@pytest.mark.django_db(transaction=True)
def test_local_mail_worker_sends_queued_seminar_mail_in_the_background(settings):
    """`mlt portal` prints confirmation emails without a separate worker process."""
    import time

    from django.core import mail

    from mltheory.portal.mail.models import OutgoingEmail
    from mltheory.portal.seminars.mailing import confirmation_email
    from mltheory.portal.seminars.models import Subscriber

    subscriber = Subscriber.objects.create(email="reader@example.org")
    OutgoingEmail.objects.enqueue(
        confirmation_email(subscriber), kind="confirmation", subscriber=subscriber
    )
    worker = server.start_local_mail_worker(interval=0.1)
    try:
        deadline = time.time() + 20
        while time.time() < deadline and not mail.outbox:
            time.sleep(0.1)
        assert worker.is_alive()
    finally:
        worker.stop()
    assert not worker.is_alive()
    assert [m.to for m in mail.outbox] == [["reader@example.org"]]


@pytest.mark.django_db
def test_demo_startup_text_lists_the_demo_accounts_and_their_passwords(capsys, client):
    from django.contrib.auth.models import User

    server.load_demo()
    out = capsys.readouterr().out
    listed = re.findall(r"^  (\S+@\S+)\s+password (\S+)", out, re.MULTILINE)
    assert [email for email, _ in listed] == ["staff@example.edu", "student@example.edu"]
    for email, password in listed:
        client.post("/accounts/login/", {"username": email, "password": password})
        assert client.session["_auth_user_id"] == str(User.objects.get(email=email).pk)
        client.post("/accounts/logout/")
    assert User.objects.get(email="staff@example.edu").is_superuser
    assert not User.objects.get(email="student@example.edu").is_staff


@pytest.mark.parametrize(
    "host, port, site_url",
    [
        ("127.0.0.1", 8123, "http://127.0.0.1:8123"),
        ("localhost", 9000, "http://localhost:9000"),
        ("::1", 8080, "http://[::1]:8080"),
        ("0.0.0.0", 8123, None),  # each request's own host is used instead
    ],
)
def test_serve_points_emailed_links_at_its_own_address(monkeypatch, host, port, site_url):
    monkeypatch.delenv("SITE_URL", raising=False)
    for name in ("setup_django", "prepare_database", "start_local_mail_worker"):
        monkeypatch.setattr(server, name, lambda *args, **kwargs: None)
    import django.core.management

    monkeypatch.setattr(django.core.management, "call_command", lambda *args, **kwargs: None)
    server.serve(host=host, port=port)
    assert os.environ.get("SITE_URL") == site_url
    # An explicit SITE_URL wins.
    monkeypatch.setenv("SITE_URL", "https://mltheory.example.org")
    server.serve(host=host, port=port)
    assert os.environ["SITE_URL"] == "https://mltheory.example.org"


@pytest.mark.django_db
def test_mlt_portal_createstaff_makes_a_staff_account_that_signs_in_by_email(monkeypatch, client):
    from django.contrib.auth.models import User

    from mltheory.portal.accounts.models import EmailVerification

    # The test database stands in for the local one.
    monkeypatch.setattr(server, "setup_django", lambda local: None)
    monkeypatch.setattr(server, "prepare_database", lambda verbosity: None)
    runner = CliRunner()
    args = ["portal", "createstaff", "--email", "Boaz@Harvard.edu"]
    result = runner.invoke(cli.app, [*args, "--password", "a-long-staff-passphrase"])
    assert result.exit_code == 0, result.output
    assert "Created superuser account boaz@harvard.edu" in result.output
    user = User.objects.get(email="boaz@harvard.edu")
    assert user.is_staff and user.is_superuser and EmailVerification.is_verified(user)
    client.post(
        "/accounts/login/", {"username": "BOAZ@harvard.edu", "password": "a-long-staff-passphrase"}
    )
    assert client.session["_auth_user_id"] == str(user.pk)

    # Bad input: one line, exit 2, nothing created.
    for bad, message in [
        ([*args, "--password", "a-long-staff-passphrase"], "already exists"),
        (["portal", "createstaff", "--email", "not-an-address", "--password", "x"], "not an email"),
        (["portal", "createstaff", "--email", "x@mit.edu", "--password", "123"], "too weak"),
    ]:
        result = runner.invoke(cli.app, bad)
        assert result.exit_code == cli.EXIT_BAD_INPUT, result.output
        assert message in result.output and "Traceback" not in result.output
    assert User.objects.count() == 1
