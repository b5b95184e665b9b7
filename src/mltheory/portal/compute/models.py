"""Compute: runs of lab experiments, the workers that run them, and students' quotas.

A :class:`Run` row is the truth about a run: its state, its attempts, its worker's heartbeat,
its progress and its results. The queue (Django's tasks framework, ``django_tasks_db``) only
carries "run #N" to a worker; see :mod:`mltheory.portal.compute.queue` and docs/compute.md.
"""

from __future__ import annotations

import uuid
from pathlib import PurePath

from django.conf import settings
from django.core.validators import FileExtensionValidator
from django.db import models
from django.urls import reverse

from mltheory.portal.courses.models import Offering


class Queue(models.TextChoices):
    CPU = "cpu", "CPU"
    GPU = "gpu", "GPU"


class State(models.TextChoices):
    QUEUED = "queued", "queued"
    RUNNING = "running", "running"
    DONE = "done", "done"
    FAILED = "failed", "failed"
    CANCELLED = "cancelled", "cancelled"


ACTIVE_STATES = (State.QUEUED, State.RUNNING)


class Worker(models.Model):
    """One `mlt worker` process (one GPU or CPU slot). It registers itself under its name when it
    starts; staff decide whether it may run students' uploaded experiment modules."""

    name = models.CharField(max_length=64, unique=True, help_text="`mlt worker --name`")
    hostname = models.CharField(max_length=200, blank=True)
    queue = models.CharField(max_length=8, choices=Queue.choices)
    device = models.CharField(max_length=40, blank=True, help_text="e.g. cuda:0 or cpu")
    hardware = models.CharField(max_length=300, blank=True, help_text="what the worker reported")
    allowed_student_code = models.BooleanField(
        default=False,
        help_text="May run students' uploaded experiment modules (arbitrary code). Only for "
        "isolated machines.",
    )
    last_seen = models.DateTimeField(null=True, blank=True)
    pid = models.IntegerField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.queue}, {self.device or 'auto'})"


class Quota(models.Model):
    """A student's compute budget for one term. Usage is charged from measured run time; a
    queued or running run holds a reservation for the rest of its time limit."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    offering = models.ForeignKey(Offering, on_delete=models.CASCADE, verbose_name="term")
    cpu_hours = models.FloatField(help_text="CPU-hours for the term")
    gpu_hours = models.FloatField(help_text="GPU-hours for the term")
    cpu_used_s = models.FloatField(default=0)
    gpu_used_s = models.FloatField(default=0)
    cpu_reserved_s = models.FloatField(default=0, help_text="held by queued and running runs")
    gpu_reserved_s = models.FloatField(default=0, help_text="held by queued and running runs")

    class Meta:
        unique_together = [("user", "offering")]

    def __str__(self) -> str:
        return f"{self.user} in {self.offering}"

    def limit_s(self, queue: str) -> float:
        return 3600 * (self.gpu_hours if queue == Queue.GPU else self.cpu_hours)

    def used_s(self, queue: str) -> float:
        return self.gpu_used_s if queue == Queue.GPU else self.cpu_used_s

    def reserved_s(self, queue: str) -> float:
        return self.gpu_reserved_s if queue == Queue.GPU else self.cpu_reserved_s

    def remaining_s(self, queue: str) -> float:
        return self.limit_s(queue) - self.used_s(queue) - self.reserved_s(queue)


def module_upload_to(instance, filename: str) -> str:
    return f"compute/modules/{uuid.uuid4().hex}{PurePath(filename).suffix.lower()[:4]}"


class ExperimentModule(models.Model):
    """A student's own experiment: one ``.py`` file, stored and never imported by the portal.
    Only workers marked ``allowed_student_code`` run it."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    file = models.FileField(upload_to=module_upload_to, validators=[FileExtensionValidator(["py"])])
    original_name = models.CharField(max_length=200)
    uploaded = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.original_name


class Run(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="compute_runs"
    )
    offering = models.ForeignKey(
        Offering, on_delete=models.SET_NULL, null=True, blank=True, verbose_name="term"
    )
    experiment = models.CharField(max_length=100, help_text="catalog name (`mlt list`)")
    module = models.ForeignKey(
        ExperimentModule,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        help_text="an uploaded experiment module instead of the catalog",
    )
    scale = models.CharField(max_length=10, default="smoke")
    seeds = models.JSONField(default=list, help_text="list of seeds, each run in turn")
    overrides = models.JSONField(default=dict, blank=True, help_text="config fields changed")
    grid = models.JSONField(
        default=dict,
        blank=True,
        help_text="a sweep: {field: [values]} (seeds are then 0..K-1); empty for a single run",
    )
    queue = models.CharField(max_length=8, choices=Queue.choices, default=Queue.CPU)
    priority = models.IntegerField(
        default=0, help_text="-100..100; higher runs first among queued runs"
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    published = models.BooleanField(default=False, help_text="shown in the public gallery")
    forked_from = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True)

    created = models.DateTimeField(auto_now_add=True)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)
    # The current task in the queue (a django_tasks_db result id).
    task_id = models.CharField(max_length=64, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    worker = models.ForeignKey(Worker, on_delete=models.SET_NULL, null=True, blank=True)
    heartbeat = models.DateTimeField(null=True, blank=True)
    first_progress = models.DateTimeField(null=True, blank=True)

    time_limit_s = models.FloatField(help_text="reserved from the quota; stopped beyond it")
    used_s = models.FloatField(default=0, help_text="measured run time charged so far")

    progress = models.JSONField(default=dict, blank=True)
    log = models.TextField(blank=True)
    stop_reason = models.CharField(max_length=300, blank=True)
    result = models.JSONField(null=True, blank=True)
    # Storage names of the figures, as {"seed-0/fig.png": "compute/runs/7/seed-0/fig.png"}.
    files = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created"]
        indexes = [models.Index(fields=["state", "heartbeat"])]
        permissions = [("view_all_runs", "Can see every student's runs")]

    def __str__(self) -> str:
        return f"run {self.pk}: {self.experiment_label} ({self.scale})"

    @property
    def experiment_label(self) -> str:
        if self.module_id:
            return f"{self.experiment or 'uploaded'} ({self.module.original_name})"
        return self.experiment

    @property
    def is_sweep(self) -> bool:
        return bool(self.grid)

    @property
    def is_active(self) -> bool:
        return self.state in ACTIVE_STATES

    @property
    def student_code(self) -> bool:
        return self.module_id is not None

    @property
    def task_queue_name(self) -> str:
        return f"{self.queue}-student" if self.student_code else self.queue

    def get_absolute_url(self) -> str:
        return reverse("compute:run", args=[self.pk])

    def visible_to(self, user) -> bool:
        return (
            self.published
            or (user.is_authenticated and self.owner_id == user.pk)
            or user.has_perm("compute.view_all_runs")
        )

    def figure_names(self) -> list[str]:
        return [k for k in self.files if k.endswith(".png")]
