"""Students' own experiment modules: stored, never imported by the web process, run only by a
worker that staff allowed to run student code."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from compute_testing import PHASES_MODULE, run_state, wait_for
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from mltheory.portal.compute.models import Run, State, Worker
from mltheory.portal.courses.models import Course, Enrollment

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

STUDENT_MODULE = PHASES_MODULE.read_text().replace('"compute-test-phases"', '"my-own-experiment"')


def test_an_uploaded_module_runs_only_on_a_worker_allowed_to_run_student_code(
    client, offering, student, workers
):
    course = Course.objects.create(
        offering=offering,
        code="CS 229br",
        slug="cs229br",
        title="ML theory",
        institution="Harvard",
        instructor="B",
        capacity=10,
    )
    Enrollment.objects.create(user=student, course=course)
    client.force_login(student)
    resp = client.post(
        reverse("compute:upload"),
        {
            "module": SimpleUploadedFile("my_experiment.py", STUDENT_MODULE.encode()),
            "scale": "smoke",
            "seeds": "0",
            "queue": "cpu",
            "overrides": '{"phases": 2}',
        },
    )
    run = Run.objects.get()
    assert resp.status_code == 302, resp.content.decode()
    assert (run.task_queue_name, run.overrides) == ("cpu-student", {"phases": 2})
    # The web process stored the file and never imported it.
    assert not any("my_experiment" in name for name in sys.modules)

    untrusted = workers.start("--queue", "cpu", "--name", "untrusted", "--batch")
    assert untrusted.wait(timeout=120) == 0  # found nothing it may take
    assert run_state(run.pk).state == State.QUEUED

    Worker.objects.create(name="trusted", queue="cpu", allowed_student_code=True)
    workers.start("--queue", "cpu", "--name", "trusted", "--batch")
    done = wait_for(
        lambda: run_state(run.pk).state not in (State.QUEUED, State.RUNNING) and run_state(run.pk),
        what="the uploaded module's run",
        logs=workers.logs,
    )
    assert done.state == State.DONE, done.log
    assert done.worker.name == "trusted"
    assert done.experiment == "my-own-experiment"
    assert done.result["seeds"]["0"]["metrics"]["phases_run"] == 2


def test_an_upload_that_is_not_python_is_refused(client, offering, student):
    course = Course.objects.create(
        offering=offering,
        code="CS 229br",
        slug="cs229br",
        title="ML theory",
        institution="Harvard",
        instructor="B",
        capacity=10,
    )
    Enrollment.objects.create(user=student, course=course)
    client.force_login(student)
    resp = client.post(
        reverse("compute:upload"),
        {
            "module": SimpleUploadedFile("notes.txt", b"hello"),
            "scale": "smoke",
            "seeds": "0",
            "queue": "cpu",
        },
    )
    assert "Upload a Python file (.py), got &#x27;notes.txt&#x27;." in resp.content.decode()
    assert not Run.objects.exists()


def test_an_upload_refused_for_quota_leaves_no_module_or_file(client, offering, student, settings):
    from mltheory.portal.compute import queue
    from mltheory.portal.compute.models import ExperimentModule, Quota

    course = Course.objects.create(
        offering=offering,
        code="CS 229br",
        slug="cs229br",
        title="ML theory",
        institution="Harvard",
        instructor="B",
        capacity=10,
    )
    Enrollment.objects.create(user=student, course=course)
    quota = queue.quota_for(student, offering)
    Quota.objects.filter(pk=quota.pk).update(cpu_hours=0)
    client.force_login(student)
    resp = client.post(
        reverse("compute:upload"),
        {
            "module": SimpleUploadedFile("mine.py", STUDENT_MODULE.encode()),
            "scale": "smoke",
            "seeds": "0",
            "queue": "cpu",
        },
    )
    assert resp.status_code == 200
    assert not Run.objects.exists()
    assert not ExperimentModule.objects.exists()
    assert "remaining" in resp.content.decode()  # the quota's refusal, not another error
    assert list(Path(settings.MEDIA_ROOT).rglob("*.py")) == []
