"""Compute pages: submitting runs, my runs (live progress), a run's page, the public gallery.

A student sees, cancels, reruns and forks only their own runs, plus published ones (which
anyone may see and fork); staff see everything. A run the viewer may not see is a 404, so that
run numbers do not reveal whose runs exist.
"""

from __future__ import annotations

import json
import mimetypes

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mltheory.portal.courses.models import Offering

from . import gallery as gallery_data
from . import lab_bridge, queue
from .forms import RunForm, UploadRunForm
from .models import ExperimentModule, Run


def may_submit(user) -> bool:
    """Admitted (enrolled) students and staff."""
    return user.is_authenticated and (user.is_staff or user.enrollments.exists())


def _require_submitter(request) -> None:
    if not may_submit(request.user):
        raise PermissionDenied("Only students enrolled in a course (and staff) can submit runs.")


def _visible_run(request, pk: int) -> Run:
    run = get_object_or_404(Run.objects.select_related("owner", "worker", "module"), pk=pk)
    if not run.visible_to(request.user):
        raise Http404("No such run.")
    return run


def _fork_source(request, pk: str | None) -> Run | None:
    """The run named by ``?fork=`` (one the viewer may see), or None when none is named."""
    if not pk:
        return None
    if not (pk.isascii() and pk.isdigit()):  # "²".isdigit() is True, and int("²") raises
        raise Http404(f"No run {pk!r}.")
    return _visible_run(request, int(pk))


def _may_manage(user, run: Run) -> bool:
    return user.is_authenticated and (run.owner_id == user.pk or user.is_staff)


def _quota_text(user) -> str:
    quota = queue.quota_for(user, Offering.objects.current())
    if quota is None:
        return ""
    return (
        f"Remaining this term: {queue.hours(quota.remaining_s('cpu'))} of {quota.cpu_hours:g} "
        f"CPU-hours, {queue.hours(quota.remaining_s('gpu'))} of {quota.gpu_hours:g} GPU-hours "
        f"(queued and running runs hold their time limit until they end)."
    )


@login_required
@require_GET
def experiments(request):
    _require_submitter(request)
    return render(
        request,
        "compute/experiments.html",
        {"experiments": lab_bridge.catalog(), "quota": _quota_text(request.user)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def submit(request, name: str):
    _require_submitter(request)
    if name not in lab_bridge.experiment_names():
        raise Http404(f"No experiment named {name!r}.")
    fork = _fork_source(
        request, (request.POST if request.method == "POST" else request.GET).get("fork")
    )
    if fork is not None and (fork.module_id or fork.experiment != name):
        raise Http404("That run is not a run of this experiment to fork.")
    if request.method == "POST":
        form = RunForm(request.POST, experiment=name, user=request.user)
        if form.is_valid():
            try:
                run = queue.submit(
                    request.user,
                    experiment=name,
                    scale=form.cleaned_data["scale"],
                    seeds=form.cleaned_data["seeds"],
                    overrides=form.overrides(),
                    queue=form.cleaned_data["queue"],
                    grid=form.cleaned_data["grid"],
                    published=form.cleaned_data.get("publish", False),
                    forked_from=fork,
                )
            except queue.QuotaExceeded as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, f"Run {run.pk} is queued.")
                return redirect(run)
    else:
        initial = {}
        if fork is not None:
            initial = {
                "scale": fork.scale,
                "seeds": ",".join(map(str, fork.seeds)),
                "queue": fork.queue,
                "grid": "\n".join(
                    f"{k}={','.join(json.dumps(v) for v in vs)}" for k, vs in fork.grid.items()
                ),
                **{f"cfg_{k}": v for k, v in fork.overrides.items()},
            }
        form = RunForm(initial=initial, experiment=name, user=request.user)
    return render(
        request,
        "compute/submit.html",
        {"form": form, "name": name, "fork": fork, "quota": _quota_text(request.user)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def upload(request):
    _require_submitter(request)
    form = UploadRunForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        f = form.cleaned_data["module"]
        try:
            module = ExperimentModule(owner=request.user, original_name=f.name[:200])
            module.file.save(f.name, f, save=False)
            module.save()
            run = queue.submit(
                request.user,
                experiment="",
                module=module,
                scale=form.cleaned_data["scale"],
                seeds=form.cleaned_data["seeds"],
                overrides=form.cleaned_data["overrides"],
                queue=form.cleaned_data["queue"],
            )
        except queue.QuotaExceeded as exc:
            # Nothing was queued: the module stored for the run goes too, so a student over
            # quota cannot pile up files.
            module.file.delete(save=False)
            module.delete()
            form.add_error(None, str(exc))
        else:
            messages.success(
                request, f"Run {run.pk} is queued for a worker that runs students' code."
            )
            return redirect(run)
    return render(
        request, "compute/upload.html", {"form": form, "quota": _quota_text(request.user)}
    )


@login_required
@require_GET
def my_runs(request):
    runs = Run.objects.filter(owner=request.user).select_related("module")[:200]
    return render(
        request, "compute/my_runs.html", {"runs": runs, "quota": _quota_text(request.user)}
    )


def status_dict(run: Run) -> dict:
    return {
        "id": run.pk,
        "state": run.state,
        "attempts": run.attempts,
        "progress": run.progress,
        "used_s": round(run.used_s, 1),
        "stop_reason": run.stop_reason,
        "started": run.started.isoformat() if run.started else None,
        "first_progress": run.first_progress.isoformat() if run.first_progress else None,
        "finished": run.finished.isoformat() if run.finished else None,
        "created": run.created.isoformat(),
    }


@never_cache  # live progress: never a cached copy (public runs are seen anonymously)
@login_required
@require_GET
def my_runs_status(request):
    """The small JSON that the my-runs page polls for live progress."""
    runs = Run.objects.filter(owner=request.user)[:200]
    return JsonResponse({"runs": [status_dict(r) for r in runs]})


@never_cache  # live progress: never a cached copy (public runs are seen anonymously)
@require_GET
def run_detail(request, pk: int):
    run = _visible_run(request, pk)
    result = run.result or {}
    return render(
        request,
        "compute/run_detail.html",
        {
            "run": run,
            "verdicts": result.get("verdicts", []),
            "seed_results": result.get("seeds", {}),
            "sweep": result.get("sweep"),
            "figures": run.figure_names(),
            "may_manage": _may_manage(request.user, run),
            "may_fork": may_submit(request.user) and not run.module_id,
        },
    )


@never_cache  # live progress: never a cached copy (public runs are seen anonymously)
@require_GET
def run_status(request, pk: int):
    run = _visible_run(request, pk)
    data = status_dict(run)
    data["log_tail"] = run.log[-4000:]
    return JsonResponse(data)


@require_GET
def run_file(request, pk: int, path: str):
    """A stored file of the run (figure, result, metrics, log), after the permission check."""
    run = _visible_run(request, pk)
    name = run.files.get(path)
    if name is None or not default_storage.exists(name):
        raise Http404("No such file.")
    content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
    if content_type not in ("image/png", "application/json"):
        content_type = "text/plain; charset=utf-8"  # never rendered as HTML
    return FileResponse(default_storage.open(name, "rb"), content_type=content_type)


@login_required
@require_POST
def cancel(request, pk: int):
    run = _visible_run(request, pk)
    if not _may_manage(request.user, run):
        raise Http404("No such run.")
    if queue.cancel(run):
        messages.success(request, f"Run {run.pk} is cancelled.")
    else:
        messages.info(request, f"Run {run.pk} had already ended ({run.state}).")
    return redirect(run)


@login_required
@require_POST
def rerun(request, pk: int):
    run = _visible_run(request, pk)
    _require_submitter(request)
    if not _may_manage(request.user, run) and not run.published:
        raise Http404("No such run.")
    if run.module_id and run.owner_id != request.user.pk:
        raise Http404("Only its owner can rerun an uploaded experiment module.")
    try:
        new = queue.submit(
            request.user,
            experiment=run.experiment if not run.module_id else "",
            module=run.module,
            scale=run.scale,
            seeds=run.seeds,
            overrides=run.overrides,
            queue=run.queue,
            grid=run.grid,
            forked_from=run,
        )
    except queue.QuotaExceeded as exc:
        messages.error(request, str(exc))
        return redirect(run)
    messages.success(request, f"Run {new.pk} is queued (a rerun of run {run.pk}).")
    return redirect(new)


@require_GET
def gallery(request):
    return render(request, "compute/gallery.html", gallery_data.build())
