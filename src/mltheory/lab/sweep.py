"""Sweeps: one experiment over a grid of config values and seeds, aggregated and plotted.

A sweep directory ``DIR`` holds::

    DIR/sweep.json          the plan and the aggregation across seeds (rewritten as cells finish)
    DIR/<metric>.png        each scalar metric against each swept numeric field, mean ± std band
    DIR/cells/<slug>/       one ordinary run directory per cell (grid point, seed): config.json,
                            metrics.jsonl, checkpoint.pt while unfinished, result.json once done,
                            and error.json (with the traceback) if the cell crashed
    DIR/batches/<id>/       the shared run context (checkpoints) of cells run as one population

Nothing lost, nothing done twice: a cell is finished exactly when its ``result.json`` exists,
and that file is written last and atomically. Rerunning with the same ``DIR`` skips finished
cells, resumes a killed cell from its checkpoint, and tries crashed cells again.

Cells whose configs differ only in the experiment's ``batch_fields`` and the seed are run as one
population through ``exp.run_batch`` when the experiment provides it; each cell still gets its
own ``result.json``, checked against the claims exactly like a single run.

Executors: ``local`` runs the cells one after another in this process (each cell uses every core
through torch); ``ray`` runs each cell (or population) as a Ray task, on a local Ray instance or
on an existing cluster. The driver alone writes ``sweep.json`` and ``error.json``; Ray workers
write their cells' run directories themselves, so on a multi-node cluster ``DIR`` must lie on a
filesystem every node sees.
"""

from __future__ import annotations

import hashlib
import importlib
import itertools
import json
import math
import os
import re
import socket
import time
import traceback
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated, Any

import numpy as np
from pydantic import TypeAdapter, ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from mltheory.lab import registry, runner
from mltheory.lab.context import RunContext
from mltheory.lab.errors import BadInput, unknown
from mltheory.lab.figures import new_figure
from mltheory.lab.output_dir import check_out_path, check_sweep_dir, clear_sweep_dir, make_out_dir
from mltheory.lab.spec import SCALE_NAMES, Experiment
from mltheory.lab.store import RESULT_FILE, RunIndex, read_json, write_json_atomic

SWEEP_FILE = "sweep.json"
ERROR_FILE = "error.json"
CELLS_DIR = "cells"
BATCHES_DIR = "batches"
EXECUTORS = ("local", "ray")
MAX_SEEDS = 1000
MAX_CELLS = 10_000  # one sweep directory; each cell is a run directory and a row of sweep.json
# A local Ray instance keeps its object store small: cells return a few numbers, not tensors,
# and the machine is often a shared laptop.
LOCAL_RAY_OBJECT_STORE_BYTES = 128 * 2**20

Point = tuple[tuple[str, Any], ...]  # a grid point as ((field, value), ...) in --grid order


# --- the plan -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Cell:
    """One run of the sweep: a grid point and a seed, in the run directory ``cells/<slug>``."""

    point: Point
    seed: int
    slug: str


@dataclass
class SweepPlan:
    exp: Experiment
    scale: str
    fixed: dict[str, Any]
    grid: dict[str, list[Any]]
    seeds: list[int]
    cells: list[Cell]
    out: Path
    device: str | None
    configs: dict[str, dict[str, Any]] = field(default_factory=dict)  # slug -> resolved config
    fresh: bool = False  # discard what the sweep directory holds before running

    @property
    def points(self) -> list[Point]:
        return grid_points(self.grid)

    def cell_dir(self, cell: Cell) -> Path:
        return self.out / CELLS_DIR / cell.slug

    def overrides(self, cell: Cell) -> dict[str, Any]:
        return {**self.fixed, **dict(cell.point)}


def grid_points(grid: dict[str, list[Any]]) -> list[Point]:
    keys = list(grid)
    return [tuple(zip(keys, values, strict=True)) for values in itertools.product(*grid.values())]


def parse_grid(exp: Experiment, specs: Iterable[str]) -> dict[str, list[Any]]:
    """``["n=10,20", "noise_std=0,0.5"]`` → ``{"n": [10, 20], "noise_std": [0.0, 0.5]}``.

    Each value is parsed by the config field's own type and bounds, so ``n=ten`` or ``n=1``
    (below a ``ge=2`` bound) fails here, naming the field and what it allows.
    """
    fields = exp.config.model_fields
    grid: dict[str, list[Any]] = {}
    for spec in specs:
        if "=" not in spec:
            raise BadInput(f"--grid expects FIELD=V1,V2,..., got {spec!r}")
        key, raw = spec.split("=", 1)
        key = key.strip().replace("-", "_")
        if key not in fields:
            raise unknown(f"config field of {exp.name}:", key, fields)
        if key in grid:
            raise BadInput(f"--grid {key} is given twice; list all its values in one --grid")
        raws = [r.strip() for r in split_top_level(raw)]
        if any(r == "" for r in raws):
            raise BadInput(f"--grid {key}: empty value in {raw!r}; write {key}=V1,V2,...")
        values = [parse_field_value(exp, key, r) for r in raws]
        if len({json.dumps(v, sort_keys=True, default=str) for v in values}) != len(values):
            raise BadInput(f"--grid {key}: a value is repeated in {raw!r}")
        grid[key] = values
    return grid


def split_top_level(raw: str) -> list[str]:
    """Split ``raw`` on the commas outside brackets, braces and quotes, so that list-valued
    fields keep their own commas: ``[1,2,4],[2,4,8]`` → ``["[1,2,4]", "[2,4,8]"]``."""
    parts, depth, quote, start = [], 0, "", 0
    for i, ch in enumerate(raw):
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch in "[{(":
            depth += 1
        elif ch in "]})":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(raw[start:i])
            start = i + 1
    parts.append(raw[start:])
    return parts


def parse_field_value(exp: Experiment, key: str, raw: str) -> Any:
    """One command-line value for config field ``key``, validated by the field's type and bounds."""
    info = exp.config.model_fields[key]
    annotation = Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation
    adapter = TypeAdapter(annotation)
    try:
        return adapter.validate_strings(raw)
    except ValidationError as err:
        try:  # JSON spellings: null for an optional field, [1, 2] for a list
            return adapter.validate_python(json.loads(raw))
        except (json.JSONDecodeError, ValidationError):
            pass
        problem = err.errors()[0]["msg"]
        allowed = runner.describe_allowed(info)
        raise BadInput(f"--grid {key}: {raw!r} is not allowed: {problem}{allowed}") from None


MAX_SEEDS = 1000  # seeds 0..K−1 per grid point; more is a mistake, not a sweep


def cell_slug(point: Point, seed: int) -> str:
    """A readable, filesystem-safe directory name: ``n=10_noise_std=0.5_seed=0``."""
    parts = []
    for key, value in point:
        text = json.dumps(value) if not isinstance(value, str) else value
        safe = re.sub(r"[^A-Za-z0-9.+-]+", "-", text)
        if safe != text:  # keep names apart that sanitising would merge ("a/b" vs "a-b")
            safe += "~" + hashlib.sha1(text.encode()).hexdigest()[:6]
        parts.append(f"{key}={safe}")
    slug = "_".join([*parts, f"seed={seed}"])
    if len(slug) > 150:  # file names have a length limit
        slug = slug[:120] + "~" + hashlib.sha1(slug.encode()).hexdigest()[:12]
    return slug


def default_out(name: str, scale: str, fixed: dict, grid: dict, seeds: list[int]) -> Path:
    """``sweeps/<name>-<scale>-<hash>``: the same command always finds its own directory again."""
    spec = json.dumps({"fixed": fixed, "grid": grid, "seeds": seeds}, sort_keys=True, default=str)
    return Path("sweeps") / f"{name}-{scale}-{hashlib.sha1(spec.encode()).hexdigest()[:8]}"


def prepare_sweep(
    name: str,
    grid: Iterable[str] = (),
    seeds: int = 1,
    scale: str = "cpu",
    fixed: Iterable[str] | dict[str, Any] = (),
    out: str | Path | None = None,
    device: str | None = None,
    executor: str = "local",
    address: str | None = None,
    fresh: bool = False,
) -> SweepPlan:
    """Validate a whole sweep before any work starts (raises :class:`BadInput`).

    An existing ``out`` is resumed only when it holds this very sweep (same experiment, scale,
    grid, fixed overrides and seeds); ``fresh`` discards a sweep directory's contents instead.
    A directory holding anything a sweep does not write is refused either way."""
    exp = registry.get(name)
    if scale not in SCALE_NAMES:
        raise unknown("scale", scale, SCALE_NAMES)
    if executor not in EXECUTORS:
        raise unknown("executor", executor, EXECUTORS)
    if address and executor != "ray":
        raise BadInput("--address names a Ray cluster; it needs --executor ray")
    if executor == "ray":
        try:
            import ray  # noqa: F401
        except ImportError:
            raise BadInput("--executor ray needs Ray: pip install 'mltheory[ray]'") from None
        _check_reachable(address or os.environ.get("RAY_ADDRESS") or "auto")
    if not 1 <= seeds <= MAX_SEEDS:
        raise BadInput(f"--seeds must be between 1 and {MAX_SEEDS}, got {seeds}.")
    fixed_values = (
        dict(fixed) if isinstance(fixed, dict) else dict(runner.parse_override(s) for s in fixed)
    )
    grid_values = parse_grid(exp, grid)
    both = sorted(set(fixed_values) & set(grid_values))
    if both:
        raise BadInput(f"{', '.join(both)} given both with --set and --grid; use one")
    seed_list = list(range(seeds))
    n_cells = math.prod(len(v) for v in grid_values.values()) * seeds
    if n_cells > MAX_CELLS:
        raise BadInput(
            f"the sweep has {n_cells} cells (grid points × seeds); at most {MAX_CELLS} are "
            "allowed in one sweep: split it into several --out directories."
        )
    out_dir = (
        check_out_path(out)
        if out is not None
        else default_out(exp.name, scale, fixed_values, grid_values, seed_list)
    )
    check_sweep_dir(out_dir)
    if not fresh:
        _check_same_sweep(out_dir, exp.name, scale, fixed_values, grid_values, seed_list)
    # Ray workers pick their own device (the driver may have no GPU); only check the spelling.
    known_device = device in (None, "auto", "cpu", "cuda") or (device or "").startswith("cuda:")
    if executor == "ray" and not known_device:
        raise BadInput(f"unknown device {device!r}; allowed: auto, cpu, cuda, cuda:N")
    check_device = device if executor == "local" else None
    plan = SweepPlan(
        exp, scale, fixed_values, grid_values, seed_list, [], out_dir, device, fresh=fresh
    )
    for point in grid_points(grid_values):
        for seed in seed_list:
            cell = Cell(point, seed, cell_slug(point, seed))
            # Validates the config (bounds, cross-field checks) and that an existing cell
            # directory holds this very run, for every cell, before any cell starts.
            prep = runner.prepare(
                exp.name,
                scale,
                seed,
                plan.overrides(cell),
                plan.cell_dir(cell),
                check_device,
                fresh=fresh,  # with --fresh the old cells are discarded, not compared
            )
            plan.cells.append(cell)
            plan.configs[cell.slug] = prep.cfg.model_dump(mode="json")
    return plan


def _check_same_sweep(
    out: Path, name: str, scale: str, fixed: dict, grid: dict, seeds: list[int]
) -> None:
    """An existing sweep directory is resumed only by the very same sweep: rerunning another
    grid into it would replace its summary and mix its cells with the new ones."""
    path = out / SWEEP_FILE
    if not path.exists():
        return
    try:
        old = read_json(path)
    except (OSError, ValueError):
        old = None
    if not isinstance(old, dict):
        raise BadInput(f"{path} cannot be read as a sweep's summary; use another --out or --fresh.")
    new = {"experiment": name, "scale": scale, "fixed": fixed, "grid": grid, "seeds": seeds}
    # Compared as JSON: the summary on disk holds lists where the plan holds tuples.
    diffs = [k for k, v in new.items() if old.get(k) != json.loads(json.dumps(v, default=str))]
    if diffs:
        raise BadInput(
            f"{out} holds another sweep (it differs in: {', '.join(diffs)}); use another "
            "--out, or --fresh to discard that sweep."
        )


# --- grouping cells into jobs -------------------------------------------------------------------
def group_cells(exp: Experiment, cells: list[Cell], batch: bool = True) -> list[list[Cell]]:
    """Cells that may run as one population: same values in every swept field outside
    ``exp.batch_fields`` (the fixed overrides are shared by all cells). Without ``run_batch``
    or an inner axis (or with ``batch=False``) every cell is a group of its own."""
    if not batch or not exp.batchable:
        return [[c] for c in cells]
    groups: dict[Point, list[Cell]] = {}
    for c in cells:
        key = tuple((k, v) for k, v in c.point if k not in exp.batch_fields)
        groups.setdefault(key, []).append(c)
    return list(groups.values())


@dataclass
class CellTask:
    """What a worker needs to run one cell (plain data: it travels to Ray workers)."""

    slug: str
    seed: int
    overrides: dict[str, Any]
    run_dir: str


@dataclass
class Job:
    """One unit of work: a single cell, or several cells run as one population."""

    experiment: str
    module: str
    scale: str
    device: str | None
    cells: list[CellTask]
    batch_dir: str | None = None


def make_jobs(plan: SweepPlan, cells: list[Cell], batch: bool = True) -> list[Job]:
    jobs = []
    for group in group_cells(plan.exp, cells, batch):
        tasks = [
            CellTask(c.slug, c.seed, plan.overrides(c), str(plan.cell_dir(c).resolve()))
            for c in group
        ]
        batch_dir = None
        if len(group) > 1:
            # Named by its members, so a different set of unfinished cells after a resume
            # never picks up a checkpoint of another population.
            members = hashlib.sha1(" ".join(c.slug for c in group).encode()).hexdigest()[:10]
            common = "_".join(
                f"{k}={v}" for k, v in group[0].point if k not in plan.exp.batch_fields
            )
            name = re.sub(r"[^A-Za-z0-9.=_+-]+", "-", common)[:80]
            batch_dir = str((plan.out / BATCHES_DIR / f"{name or 'all'}~{members}").resolve())
        jobs.append(Job(plan.exp.name, plan.exp.module, plan.scale, plan.device, tasks, batch_dir))
    return jobs


# --- running a job (in this process or in a Ray worker) -----------------------------------------
def run_job(job: Job) -> list[dict[str, Any]]:
    """Run a job's cells; returns one outcome per cell and never raises for a crashed cell.

    A population that crashes is retried one cell at a time, so that one bad cell cannot take
    its batch-mates down with it.
    """
    exp = _load_experiment(job)
    batch_error = None
    if job.batch_dir is not None and len(job.cells) > 1:
        try:
            return _run_population(exp, job)
        except Exception:
            batch_error = traceback.format_exc()
    outcomes = [_run_single(exp, job, task) for task in job.cells]
    if batch_error is not None:
        for o in outcomes:
            o["batch_error"] = batch_error
    return outcomes


def _load_experiment(job: Job) -> Experiment:
    try:  # the catalog, entry points and MLT_EXPERIMENT_MODULES (workers inherit the env)
        return registry.get(job.experiment)
    except BadInput:
        # Registered some other way in the driver (e.g. a notebook imported the module):
        # importing the module in this worker registers it here too.
        if job.module == "__main__":
            raise
        importlib.import_module(job.module)
        return registry.get(job.experiment)


def _run_single(exp: Experiment, job: Job, task: CellTask) -> dict[str, Any]:
    t0 = time.perf_counter()
    try:
        prep = runner.prepare(
            exp.name, job.scale, task.seed, task.overrides, task.run_dir, job.device
        )
        runner.execute(prep, quiet=True)
    except Exception as exc:
        return _error_outcome(task, exc, traceback.format_exc(), time.perf_counter() - t0)
    return {"slug": task.slug, "status": "completed", "seconds": time.perf_counter() - t0}


def _error_outcome(task: CellTask, exc: BaseException, tb: str, seconds: float) -> dict[str, Any]:
    return {
        "slug": task.slug,
        "status": "error",
        "error": f"{type(exc).__name__}: {exc}",
        "traceback": tb,
        "seconds": seconds,
    }


def _run_population(exp: Experiment, job: Job) -> list[dict[str, Any]]:
    if exp.run_batch is None:
        return _run_inner_axis_population(exp, job)
    assert job.batch_dir is not None
    preps = [
        runner.prepare(exp.name, job.scale, t.seed, t.overrides, t.run_dir, job.device)
        for t in job.cells
    ]
    batch_dir = Path(job.batch_dir)
    batch_dir.mkdir(parents=True, exist_ok=True)
    write_json_atomic(batch_dir / "cells.json", [t.slug for t in job.cells])
    for prep in preps:
        runner.start_run_dir(prep)
    started = datetime.now(timezone.utc).isoformat(timespec="seconds")
    ctx = RunContext(
        batch_dir, seed=preps[0].seed, device=preps[0].device, quiet=True, scale=job.scale
    )
    t0 = time.perf_counter()
    all_metrics = exp.run_batch([p.cfg for p in preps], [p.seed for p in preps], ctx)
    seconds = time.perf_counter() - t0
    if len(all_metrics) != len(preps):
        raise ValueError(
            f"{exp.name}.run_batch returned {len(all_metrics)} results for {len(preps)} cells"
        )
    figures = [os.path.relpath(batch_dir / f, preps[0].out_dir) for f in ctx.figures]
    index = RunIndex()
    for prep, metrics in zip(preps, all_metrics, strict=True):
        runner.finish_run(
            prep,
            metrics,
            figures,
            started,
            seconds / len(preps),
            ctx.resumed_from is not None,
            index,
            extra={"batch": batch_dir.name},
        )
    ctx.clear_checkpoint()
    per_cell = seconds / len(preps)
    return [
        {"slug": t.slug, "status": "completed", "seconds": per_cell, "batched": len(preps)}
        for t in job.cells
    ]


def _run_inner_axis_population(exp: Experiment, job: Job) -> list[dict[str, Any]]:
    """Measure the cells' inner axis as one population per point (checkpointed in the batch
    directory), then run each cell's own ``run`` on its measured curves."""
    from mltheory.lab.inner_axis import Member, measure_curves, measured_ahead

    assert exp.inner_axis is not None and job.batch_dir is not None
    preps = [
        runner.prepare(exp.name, job.scale, t.seed, t.overrides, t.run_dir, job.device)
        for t in job.cells
    ]
    batch_dir = Path(job.batch_dir)
    batch_dir.mkdir(parents=True, exist_ok=True)
    write_json_atomic(batch_dir / "cells.json", [t.slug for t in job.cells])
    ctx = RunContext(
        batch_dir, seed=preps[0].seed, device=preps[0].device, quiet=True, scale=job.scale
    )
    t0 = time.perf_counter()
    members = [Member(p.cfg, p.seed) for p in preps]
    curves = measure_curves(exp.inner_axis, members, ctx)
    shared = (time.perf_counter() - t0) / len(preps)
    outcomes = []
    with measured_ahead({p.out_dir: c for p, c in zip(preps, curves, strict=True)}):
        for task, prep in zip(job.cells, preps, strict=True):
            result = runner.execute(prep, quiet=True)
            # The cell's time includes its share of the population's training.
            seconds = round(shared + result.duration_s, 3)
            path = prep.out_dir / RESULT_FILE
            write_json_atomic(
                path, {**read_json(path), "duration_s": seconds, "batch": batch_dir.name}
            )
            outcomes.append(
                {
                    "slug": task.slug,
                    "status": "completed",
                    "seconds": seconds,
                    "batched": len(preps),
                }
            )
    ctx.clear_checkpoint()
    return outcomes


# --- executors ----------------------------------------------------------------------------------
OnOutcomes = Callable[[Job, list[dict[str, Any]]], None]


def run_local(jobs: list[Job], on_outcomes: OnOutcomes) -> None:
    for job in jobs:
        on_outcomes(job, run_job(job))


def run_on_ray(
    jobs: list[Job],
    on_outcomes: OnOutcomes,
    address: str | None = None,
    workers: int | None = None,
    cpus_per_cell: float = 1.0,
    gpus_per_cell: float | None = None,
    device: str | None = None,
) -> None:
    """Run each job as a Ray task; outcomes come back to this (the driver) process.

    Connects to ``address`` or ``$RAY_ADDRESS`` (``auto``: the cluster ``ray start`` began on
    this machine); otherwise starts a private local instance with ``workers`` CPUs, shut down
    at the end. A task asks for ``cpus_per_cell`` CPUs and, when cells run on CUDA, for
    ``gpus_per_cell`` GPUs (default 1; a fraction packs several small cells on one GPU).
    """
    import ray

    started_here = False
    if not ray.is_initialized():
        address = address or os.environ.get("RAY_ADDRESS") or None
        if address:
            try:
                ray.init(address=address, log_to_driver=False)
            except (ConnectionError, RuntimeError) as exc:
                raise BadInput(
                    f"could not connect to the Ray cluster at {address}: {exc}. Is it running "
                    "(`ray status`)? A cluster with token authentication (the default for local "
                    "clusters since Ray 2.59) also needs RAY_AUTH_MODE=token and its token "
                    "(~/.ray/auth_token, RAY_AUTH_TOKEN or RAY_AUTH_TOKEN_PATH)"
                ) from None
        else:
            # "local": a new instance even if `ray start` left one on this machine; workers
            # inherit this process's environment (PYTHONPATH, MLT_HOME).
            ray.init(
                address="local",
                num_cpus=workers or os.cpu_count() or 1,
                include_dashboard=False,
                object_store_memory=LOCAL_RAY_OBJECT_STORE_BYTES,
                log_to_driver=False,
            )
        started_here = True
    pending: dict[Any, Job] = {}
    try:
        if gpus_per_cell is None:
            gpus_per_cell = 1.0 if _cells_use_cuda(device, ray.cluster_resources()) else 0.0
        task = ray.remote(run_job).options(
            num_cpus=cpus_per_cell, num_gpus=gpus_per_cell, max_retries=1
        )
        pending = {task.remote(job): job for job in jobs}
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            for ref in done:
                job = pending.pop(ref)
                try:
                    outcomes = ray.get(ref)
                except ray.exceptions.RayError as exc:  # the worker died, or could not start
                    outcomes = [_error_outcome(t, exc, str(exc), 0.0) for t in job.cells]
                on_outcomes(job, outcomes)
    except BaseException:
        for ref in pending:
            ray.cancel(ref, force=True)
        raise
    finally:
        if started_here:
            ray.shutdown()


def _check_reachable(address: str) -> None:
    """Fail fast on a HOST:PORT nobody listens on: Ray itself keeps retrying for minutes."""
    if address == "auto" or "://" in address or ":" not in address:
        return
    host, port = address.rsplit(":", 1)
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=10).close()
    except (OSError, ValueError) as exc:
        raise BadInput(f"no Ray cluster answers at {address} ({exc}); is it running?") from None


def _cells_use_cuda(device: str | None, resources: dict[str, float]) -> bool:
    if device is not None and device.startswith("cuda"):
        return True
    return device in (None, "auto") and resources.get("GPU", 0) > 0


# --- the driver ---------------------------------------------------------------------------------
def run_sweep(
    plan: SweepPlan,
    executor: str = "local",
    address: str | None = None,
    batch: bool = True,
    workers: int | None = None,
    cpus_per_cell: float = 1.0,
    gpus_per_cell: float | None = None,
    quiet: bool = False,
    console: Console | None = None,
) -> dict[str, Any]:
    """Run every unfinished cell of ``plan``, keep ``DIR/sweep.json`` current, draw the figures.

    Returns the final ``sweep.json`` content. A crashed cell is recorded in its ``error.json``
    and the sweep goes on; ``KeyboardInterrupt`` leaves ``sweep.json`` current and propagates.
    """
    console = console or Console(stderr=True)
    out = plan.out
    if plan.fresh:
        clear_sweep_dir(out)
    make_out_dir(out)
    (out / CELLS_DIR).mkdir(exist_ok=True)
    results: dict[str, dict[str, Any]] = {}
    errors: dict[str, dict[str, Any]] = {}
    for cell in plan.cells:
        cell_dir = plan.cell_dir(cell)
        if (cell_dir / RESULT_FILE).exists():
            results[cell.slug] = read_json(cell_dir / RESULT_FILE)
        elif (cell_dir / ERROR_FILE).exists():
            errors[cell.slug] = read_json(cell_dir / ERROR_FILE)
    pending = [c for c in plan.cells if c.slug not in results]
    jobs = make_jobs(plan, pending, batch)
    populations = sum(len(j.cells) > 1 for j in jobs)
    what = (
        f"{len(plan.points)} grid points × {len(plan.seeds)} seeds"
        if plan.grid
        else f"seeds 0–{len(plan.seeds) - 1}"
    )
    console.print(
        f"[bold]{plan.exp.name}[/bold] sweep ({plan.scale}): {len(plan.cells)} cells = {what}; "
        f"{len(plan.cells) - len(pending)} already finished, {len(pending)} to run"
        + (
            f" ({sum(len(j.cells) for j in jobs if len(j.cells) > 1)} of them batched into "
            f"{populations} population{'s' if populations > 1 else ''})"
            if populations
            else ""
        )
        + f"; executor {executor}; writing {out}",
        highlight=False,
    )
    write_json_atomic(out / SWEEP_FILE, aggregate(plan, results, errors))
    by_slug = {c.slug: c for c in plan.cells}
    progress = Progress(
        TextColumn("[bold]cells"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=quiet,
    )

    def on_outcomes(job: Job, outcomes: list[dict[str, Any]]) -> None:
        for o in outcomes:
            cell = by_slug[o["slug"]]
            cell_dir = plan.cell_dir(cell)
            if o["status"] == "completed" and not (cell_dir / RESULT_FILE).exists():
                o = {
                    **o,
                    "status": "error",
                    "error": f"the cell finished but {cell_dir / RESULT_FILE} is missing: on a "
                    "multi-node Ray cluster --out must be on a filesystem every node shares",
                    "traceback": "",
                }
            if o["status"] == "completed":
                results[cell.slug] = read_json(cell_dir / RESULT_FILE)
                errors.pop(cell.slug, None)
                (cell_dir / ERROR_FILE).unlink(missing_ok=True)
                if not quiet:
                    how = f", in a population of {o['batched']}" if o.get("batched") else ""
                    progress.console.print(
                        f"[green]done[/green] {cell.slug} ({o['seconds']:.2f} s{how})",
                        highlight=False,
                    )
            else:
                record = {
                    "cell": cell.slug,
                    "point": dict(cell.point),
                    "seed": cell.seed,
                    "error": o["error"],
                    "traceback": o["traceback"],
                    "batch_error": o.get("batch_error"),
                    "time": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                }
                cell_dir.mkdir(parents=True, exist_ok=True)
                write_json_atomic(cell_dir / ERROR_FILE, record)
                errors[cell.slug] = record
                progress.console.print(
                    f"[red]crashed[/red] {cell.slug}: {o['error']} "
                    f"(traceback in {cell_dir / ERROR_FILE}); going on",
                    highlight=False,
                )
            progress.advance(task_id)
        write_json_atomic(out / SWEEP_FILE, aggregate(plan, results, errors))

    with progress:
        task_id = progress.add_task("cells", total=len(pending))
        try:
            if executor == "ray":
                run_on_ray(
                    jobs,
                    on_outcomes,
                    address=address,
                    workers=workers,
                    cpus_per_cell=cpus_per_cell,
                    gpus_per_cell=gpus_per_cell,
                    device=plan.device,
                )
            else:
                run_local(jobs, on_outcomes)
        finally:
            write_json_atomic(out / SWEEP_FILE, aggregate(plan, results, errors))
    summary = aggregate(plan, results, errors)
    summary["figures"] = plot_sweep(plan, summary)
    write_json_atomic(out / SWEEP_FILE, summary)
    return summary


# --- aggregation --------------------------------------------------------------------------------
def aggregate(
    plan: SweepPlan, results: dict[str, dict[str, Any]], errors: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    """The sweep's ``sweep.json``: per grid point, every numeric scalar metric's mean, sample
    standard deviation, min, max and count across seeds, and each claim's pass rate."""
    cells_at: dict[Point, list[Cell]] = {}
    for c in plan.cells:
        cells_at.setdefault(c.point, []).append(c)
    points = []
    for point in plan.points:
        cells = cells_at.get(point, [])
        done = [results[c.slug] for c in cells if c.slug in results]
        crashed = [c.slug for c in cells if c.slug in errors and c.slug not in results]
        metric_names: dict[str, None] = {}  # ordered set
        for r in done:
            for k, v in r["metrics"].items():
                if _is_number(v):
                    metric_names[k] = None
        metrics = {
            k: _stats([r["metrics"][k] for r in done if _is_number(r["metrics"].get(k))])
            for k in metric_names
        }
        curves = aggregate_curves(plan.exp, [r["metrics"] for r in done])
        claims: dict[str, dict[str, Any]] = {}
        for r in done:
            for c in r["claims"]:
                entry = claims.setdefault(c["id"], {"passed": 0, "checked": 0})
                if c["passed"] is not None:
                    entry["checked"] += 1
                    entry["passed"] += bool(c["passed"])
        for entry in claims.values():
            entry["pass_rate"] = entry["passed"] / entry["checked"] if entry["checked"] else None
        points.append(
            {
                "point": dict(point),
                "cells": {
                    "total": len(cells),
                    "completed": len(done),
                    "error": len(crashed),
                    "pending": len(cells) - len(done) - len(crashed),
                },
                "metrics": metrics,
                "curves": curves,
                "claims": claims,
                "errors": crashed,
            }
        )
    n_done = sum(p["cells"]["completed"] for p in points)
    n_err = sum(p["cells"]["error"] for p in points)
    return {
        "experiment": plan.exp.name,
        "title": plan.exp.title,
        "scale": plan.scale,
        "fixed": plan.fixed,
        "grid": plan.grid,
        "seeds": plan.seeds,
        "cells": {
            "total": len(plan.cells),
            "completed": n_done,
            "error": n_err,
            "pending": len(plan.cells) - n_done - n_err,
        },
        "points": points,
        "errors": [
            {
                "cell": slug,
                "error": errors[slug]["error"],
                "traceback_file": f"{CELLS_DIR}/{slug}/{ERROR_FILE}",
            }
            for slug in (c.slug for c in plan.cells)
            if slug in errors and slug not in results
        ],
        "figures": [],
    }


def aggregate_curves(exp: Experiment, runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Every list-valued numeric metric (a curve) that has one length in all ``runs``: its mean,
    sample std, min and max point by point across seeds. ``x`` is the curve's points: the
    experiment's inner axis (``exp.inner_axis.points_key``) where it declares one and the points
    agree, else the positions 0, 1, …"""
    if not runs:
        return {}
    axis = exp.inner_axis
    x_key = axis.points_key if axis is not None else None
    xs = runs[0].get(x_key) if x_key else None
    if xs is not None and any(r.get(x_key) != xs for r in runs):
        xs = None
    curves: dict[str, Any] = {}
    for name, first in runs[0].items():
        if name == x_key or not _is_curve(first):
            continue
        values = [r.get(name) for r in runs]
        if not all(_is_curve(v) and len(v) == len(first) for v in values):
            continue
        arr = np.asarray(values, dtype=float)  # (seeds, points)
        arr[~np.isfinite(arr)] = np.nan  # NaN/inf are left out of the statistics, and counted
        n = (~np.isnan(arr)).sum(axis=0)
        with warnings.catch_warnings():  # a point with no finite value: null, not a warning
            warnings.simplefilter("ignore", RuntimeWarning)
            mean, low, high = np.nanmean(arr, 0), np.nanmin(arr, 0), np.nanmax(arr, 0)
            std = np.where(n > 1, np.nanstd(arr, 0, ddof=1), np.where(n == 1, 0.0, np.nan))
        on_axis = xs is not None and len(xs) == len(first)
        curves[name] = {
            "x": xs if on_axis else list(range(len(first))),
            "x_name": axis.name if on_axis else "index",
            "mean": _plain(mean),
            "std": _plain(std),
            "min": _plain(low),
            "max": _plain(high),
            "n": len(runs),
        }
        if (n < len(runs)).any():
            curves[name]["n_finite"] = n.tolist()
    return curves


def _is_curve(v: Any) -> bool:
    return isinstance(v, list) and len(v) > 1 and all(_is_number(x) for x in v)


def _plain(values: np.ndarray) -> list[float | None]:
    """An array as a JSON list (NaN: null)."""
    return [float(v) if np.isfinite(v) else None for v in values]


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _stats(values: list[float]) -> dict[str, Any]:
    arr = np.asarray(values, dtype=float)
    finite = arr[np.isfinite(arr)]
    n = int(finite.size)
    stats: dict[str, Any] = {
        "mean": float(finite.mean()) if n else None,
        "std": float(finite.std(ddof=1)) if n > 1 else (0.0 if n else None),
        "min": float(finite.min()) if n else None,
        "max": float(finite.max()) if n else None,
        "n": n,
    }
    if arr.size > n:  # NaN/inf are left out of the statistics (JSON has no NaN) but counted
        stats["n_nonfinite"] = int(arr.size - n)
    return stats


# --- figures ------------------------------------------------------------------------------------
def plot_sweep(plan: SweepPlan, summary: dict[str, Any]) -> list[str]:
    """One PNG per scalar metric in ``DIR``: a panel per swept numeric field, the metric's mean
    against it with a ±1 std band, one line per combination of the other swept fields; and one
    ``curve-<metric>.png`` per curve: its mean against its points, ±1 std band, one line per
    grid point."""
    return _plot_scalars(plan, summary) + plot_curves(plan, summary)


def plot_curves(plan: SweepPlan, summary: dict[str, Any]) -> list[str]:
    names: dict[str, None] = {}
    for p in summary["points"]:
        names.update(dict.fromkeys(p.get("curves", {})))
    written = []
    for name in names:
        fig, (ax,) = new_figure()
        x_name = "index"
        for p in summary["points"]:
            c = p.get("curves", {}).get(name)
            if c is None:
                continue
            x_name = c["x_name"]
            xs = np.asarray(c["x"], dtype=float)
            mean = np.asarray([np.nan if v is None else v for v in c["mean"]], dtype=float)
            std = np.asarray([np.nan if v is None else v for v in c["std"]], dtype=float)
            label = ", ".join(f"{k}={v}" for k, v in p["point"].items()) or None
            (line,) = ax.plot(xs, mean, marker="o", ms=3, label=label)
            if c["n"] > 1:
                ax.fill_between(xs, mean - std, mean + std, alpha=0.25, color=line.get_color())
        xs_all = [
            float(x)
            for p in summary["points"]
            for x in p.get("curves", {}).get(name, {}).get("x", [])
        ]
        if xs_all and min(xs_all) > 0 and max(xs_all) / min(xs_all) > 10:
            from matplotlib.ticker import NullFormatter, ScalarFormatter

            ax.set_xscale("log")
            # plain numbers, no crowded minor labels; the points themselves when they are few
            ax.xaxis.set_major_formatter(ScalarFormatter())
            ax.xaxis.set_minor_formatter(NullFormatter())
            points = sorted(set(xs_all))
            if len(points) <= 12:
                ax.set_xticks(points, [f"{x:g}" for x in points])
        ax.set(xlabel=x_name, ylabel=name)
        if len(summary["points"]) > 1:
            ax.legend(fontsize=7)
        fig.suptitle(
            f"{plan.exp.name} ({plan.scale}): {name}, mean ± std over {len(plan.seeds)} seed(s)",
            fontsize=10,
        )
        file = "curve-" + re.sub(r"[^A-Za-z0-9._-]+", "-", name) + ".png"
        fig.savefig(plan.out / file, dpi=110)
        written.append(file)
    return written


def _plot_scalars(plan: SweepPlan, summary: dict[str, Any]) -> list[str]:
    fields = [
        k
        for k, values in plan.grid.items()
        if len(values) > 1 and all(_is_number(v) for v in values)
    ]
    if not fields:
        return []
    metric_names: dict[str, None] = {}
    for p in summary["points"]:
        metric_names.update(dict.fromkeys(p["metrics"]))
    written = []
    for metric in metric_names:
        fig, axes = new_figure(ncols=len(fields))
        drawn = False
        for ax, xfield in zip(axes, fields, strict=True):
            drawn |= _plot_panel(ax, plan, summary, metric, xfield)
        if not drawn:
            continue
        fig.suptitle(
            f"{plan.exp.name} ({plan.scale}): mean ± std over {len(plan.seeds)} seed(s)",
            fontsize=10,
        )
        name = re.sub(r"[^A-Za-z0-9._-]+", "-", metric) + ".png"
        fig.savefig(plan.out / name, dpi=110)
        written.append(name)
    return written


def _plot_panel(ax: Any, plan: SweepPlan, summary: dict, metric: str, xfield: str) -> bool:
    others = [k for k in plan.grid if k != xfield]
    series: dict[tuple, list[tuple[float, dict]]] = {}
    for p in summary["points"]:
        s = p["metrics"].get(metric)
        if not s or not s["n"]:
            continue
        key = tuple((k, p["point"][k]) for k in others)
        series.setdefault(key, []).append((p["point"][xfield], s))
    if not series:
        return False
    lows, highs = [], []
    for key, pts in series.items():
        pts.sort(key=lambda t: t[0])
        xs = np.array([x for x, _ in pts], dtype=float)
        mean = np.array([s["mean"] for _, s in pts])
        std = np.array([s["std"] for _, s in pts])
        mins = np.array([s["min"] for _, s in pts])
        label = ", ".join(f"{k}={v}" for k, v in key) or None
        (line,) = ax.plot(xs, mean, marker="o", ms=3, label=label)
        lo = mean - std
        lows.append(mins)
        highs.append(mean + std)
        # On a log axis a band reaching below zero is cut at the smallest value seen.
        ax.fill_between(
            xs, np.where(lo > 0, lo, mins), mean + std, alpha=0.25, color=line.get_color()
        )
    xvalues = [float(v) for v in plan.grid[xfield]]
    if min(xvalues) > 0 and max(xvalues) / min(xvalues) > 10:
        ax.set_xscale("log")
    low, high = float(np.min(np.concatenate(lows))), float(np.max(np.concatenate(highs)))
    if low > 0 and high / low > 1e3:
        ax.set_yscale("log")
    ax.set(xlabel=xfield, ylabel=metric)
    if len(series) > 1:
        ax.legend(fontsize=7)
    return True


# --- terminal summary ---------------------------------------------------------------------------
def print_summary(summary: dict[str, Any], out: Path, console: Console) -> None:
    """A table with one row per grid point and metric (mean ± std, min … max across seeds),
    then crashed cells and the figures' paths."""
    grid_fields = list(summary["grid"])
    cells = summary["cells"]
    table = Table(
        title=f"{summary['experiment']} sweep ({summary['scale']}): "
        f"{cells['completed']}/{cells['total']} cells completed, {cells['error']} crashed",
    )
    for col in [*grid_fields, "cells", "claims passed", "metric", "mean ± std", "min … max"]:
        table.add_column(col, overflow="fold", no_wrap=col == "metric")
    for p in summary["points"]:
        passed = sum(c["passed"] for c in p["claims"].values())
        checked = sum(c["checked"] for c in p["claims"].values())
        c = p["cells"]
        head = [str(p["point"][k]) for k in grid_fields]
        head.append(
            f"{c['completed']}/{c['total']}" + (f" ({c['error']} crashed)" if c["error"] else "")
        )
        head.append(f"{passed}/{checked}" if checked else "n/a")
        rows = [(m, s) for m, s in p["metrics"].items() if s["n"]] or [("", None)]
        for i, (metric, s) in enumerate(rows):
            values = [_mean_std(s), f"{s['min']:.3g} … {s['max']:.3g}"] if s else ["", ""]
            table.add_row(
                *(head if i == 0 else [""] * len(head)),
                metric,
                *values,
                end_section=i == len(rows) - 1,
            )
    console.print(table)
    for e in summary["errors"]:
        console.print(
            f"[red]crashed[/red] {e['cell']}: {e['error']} ({out / e['traceback_file']})",
            highlight=False,
            soft_wrap=True,  # paths whole, to be copied
        )
    for f in summary["figures"]:
        console.print(f"figure: {out / f}", highlight=False, soft_wrap=True)
    console.print(f"sweep: {out / SWEEP_FILE}", highlight=False, soft_wrap=True)


def _mean_std(s: dict[str, Any]) -> str:
    if s["n"] == 1 or s["std"] == 0:
        return f"{s['mean']:.3g}"
    return f"{s['mean']:.3g} ± {s['std']:.2g}"
