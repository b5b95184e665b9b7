"""Staff tools for compute: the queue (cancel, reprioritize, publish), workers, and each
student's quota and usage."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, Q

from . import queue
from .models import ExperimentModule, Quota, Run, State, Worker


@admin.register(Worker)
class WorkerAdmin(admin.ModelAdmin):
    list_display = ["name", "queue", "device", "hardware", "allowed_student_code", "last_seen"]
    list_editable = ["allowed_student_code"]
    list_filter = ["queue", "allowed_student_code"]
    readonly_fields = ["hostname", "hardware", "last_seen", "pid"]


class PriorityForm(admin.helpers.ActionForm):
    # Bounds are checked by the action itself, which says what is allowed.
    priority = forms.IntegerField(required=False, help_text="for 'Set priority': -100..100")


@admin.register(Run)
class RunAdmin(admin.ModelAdmin):
    list_display = [
        "pk",
        "owner",
        "experiment",
        "scale",
        "queue",
        "state",
        "priority",
        "attempts",
        "worker",
        "created",
        "used_hours",
        "published",
    ]
    list_filter = ["state", "queue", "scale", "published", "experiment"]
    search_fields = ["owner__username", "owner__email", "experiment"]
    # Only the priority and publication are edited here: a run's state changes through the
    # actions (cancel) and the workers, so that quotas and the task queue stay consistent.
    readonly_fields = [
        "owner",
        "offering",
        "module",
        "experiment",
        "scale",
        "seeds",
        "overrides",
        "grid",
        "queue",
        "state",
        "task_id",
        "attempts",
        "worker",
        "heartbeat",
        "first_progress",
        "started",
        "finished",
        "used_s",
        "time_limit_s",
        "progress",
        "result",
        "files",
        "log",
        "stop_reason",
        "forked_from",
    ]
    fields = ["priority", "published", *readonly_fields]
    action_form = PriorityForm
    actions = ["cancel_runs", "set_priority", "publish", "unpublish"]

    @admin.display(description="hours used")
    def used_hours(self, run: Run) -> str:
        return f"{run.used_s / 3600:.3f}"

    def has_add_permission(self, request) -> bool:
        return False  # runs are submitted from the portal's pages

    @admin.action(description="Cancel the selected runs")
    def cancel_runs(self, request, runs):
        cancelled = sum(queue.cancel(run) for run in runs)
        messages.success(request, f"Cancelled {cancelled} run(s).")

    @admin.action(description="Set priority (higher runs first)")
    def set_priority(self, request, runs):
        value = request.POST.get("priority", "")
        try:
            priority = int(value)
            if not -100 <= priority <= 100:
                raise ValueError
        except ValueError:
            messages.error(request, f"Priority must be an integer from -100 to 100, got {value!r}.")
            return
        for run in runs.filter(state=State.QUEUED):
            queue.reprioritize(run, priority)
        messages.success(request, f"Queued runs among the selection now have priority {priority}.")

    @admin.action(description="Publish in the gallery")
    def publish(self, request, runs):
        runs.update(published=True)

    @admin.action(description="Remove from the gallery")
    def unpublish(self, request, runs):
        runs.update(published=False)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "priority" in form.changed_data and obj.state == State.QUEUED:
            queue.reprioritize(obj, obj.priority)


@admin.register(Quota)
class QuotaAdmin(admin.ModelAdmin):
    list_display = [
        "user",
        "offering",
        "cpu_hours",
        "cpu_used_hours",
        "gpu_hours",
        "gpu_used_hours",
        "runs",
        "active_runs",
    ]
    list_editable = ["cpu_hours", "gpu_hours"]
    list_filter = ["offering"]
    search_fields = ["user__username", "user__email"]
    readonly_fields = ["cpu_used_s", "gpu_used_s", "cpu_reserved_s", "gpu_reserved_s"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                n_runs=Count("user__compute_runs", distinct=True),
                n_active=Count(
                    "user__compute_runs",
                    filter=Q(user__compute_runs__state__in=[State.QUEUED, State.RUNNING]),
                    distinct=True,
                ),
            )
        )

    @admin.display(description="CPU-hours used")
    def cpu_used_hours(self, q: Quota) -> str:
        return f"{q.cpu_used_s / 3600:.3f}"

    @admin.display(description="GPU-hours used")
    def gpu_used_hours(self, q: Quota) -> str:
        return f"{q.gpu_used_s / 3600:.3f}"

    @admin.display(description="runs")
    def runs(self, q: Quota) -> int:
        return q.n_runs

    @admin.display(description="queued or running")
    def active_runs(self, q: Quota) -> int:
        return q.n_active


@admin.register(ExperimentModule)
class ExperimentModuleAdmin(admin.ModelAdmin):
    list_display = ["original_name", "owner", "uploaded"]
    readonly_fields = ["owner", "file", "original_name", "uploaded"]
