"""Everything the compute app knows about the lab, in one place.

The portal uses the lab only through its public Python API (``mltheory.lab.registry``,
``mltheory.lab.runner.prepare``/``execute``, ``Result``) and the run directory's documented
files (README: ``config.json`` first, ``metrics.jsonl`` as it goes, figures, ``result.json``
last). When the lab's API changes, this module is what changes.

Run as a program (``python -m mltheory.portal.compute.lab_bridge SPEC.json``) it is the child
process a worker starts for one run: it runs each seed into ``RUN_DIR/seed-N`` (so the lab's
checkpoint resume applies when a run is taken again) and exits 0 (done), 2 (bad input: the
lab's one-line message on stderr) or 3 (the experiment raised). Students' uploaded modules are
imported only here, in that child, on a worker allowed to run them; never in the web process.
"""

from __future__ import annotations

import json
import os
import sys
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SCALES = ("smoke", "cpu", "paper")
# The run directory's files, as the README documents them.
METRICS_FILE = "metrics.jsonl"
RESULT_FILE = "result.json"
CONFIG_FILE = "config.json"

EXIT_DONE, EXIT_BAD_INPUT, EXIT_CRASHED = 0, 2, 3


# --- the catalog (web process) ---------------------------------------------------------------


def catalog() -> list[dict[str, Any]]:
    """Every registered experiment: name, title, topic, paper, claims, lectures."""
    from mltheory.lab import registry

    return [e.describe() for e in registry.all_experiments()]


def experiment_names() -> set[str]:
    from mltheory.lab import registry

    return {e.name for e in registry.all_experiments()}


@dataclass
class FieldSpec:
    """One config field, as the submission form shows it."""

    name: str
    kind: str  # "int", "float", "bool", "choice", "json" (lists), "str"
    description: str
    scale_values: dict[str, Any]
    bounds: dict[str, float] = field(default_factory=dict)  # ge/gt/le/lt
    choices: list[str] = field(default_factory=list)
    min_length: int | None = None

    @property
    def bounds_text(self) -> str:
        symbols = {"ge": "≥", "gt": ">", "le": "≤", "lt": "<"}
        return ", ".join(f"{symbols[k]} {v}" for k, v in self.bounds.items())


def _kind(annotation: Any) -> tuple[str, list[str]]:
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return "choice", [str(a) for a in typing.get_args(annotation)]
    if origin in (list, tuple) or annotation in (list, tuple):
        return "json", []
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _kind(args[0]) if len(args) == 1 else ("json", [])
    for t, kind in ((bool, "bool"), (int, "int"), (float, "float"), (str, "str")):
        if annotation is t:
            return kind, []
    return "json", []


def config_fields(name: str) -> list[FieldSpec]:
    """The experiment's config fields with descriptions, bounds and each scale's value."""
    from mltheory.lab import registry

    exp = registry.get(name)
    specs = []
    for fname, info in exp.config.model_fields.items():
        kind, choices = _kind(info.annotation)
        bounds: dict[str, float] = {}
        min_length = None
        for m in info.metadata:
            for attr in ("ge", "gt", "le", "lt"):
                if getattr(m, attr, None) is not None:
                    bounds[attr] = getattr(m, attr)
            if getattr(m, "min_length", None) is not None:
                min_length = m.min_length
        scale_values = {
            s: exp.scales[s].get(fname, info.get_default(call_default_factory=True)) for s in SCALES
        }
        specs.append(
            FieldSpec(
                fname,
                kind,
                info.description or "",
                scale_values,
                bounds,
                choices,
                min_length,
            )
        )
    return specs


def validate_config(
    name: str, scale: str, overrides: dict[str, Any]
) -> tuple[dict[str, list[str]], list[str]]:
    """Check ``overrides`` at ``scale`` with the experiment's own pydantic ``Config``.

    Returns (messages per field, messages about the config as a whole); both empty when valid.
    """
    from pydantic import ValidationError

    from mltheory.lab import registry
    from mltheory.lab.spec import check_within_limits

    exp = registry.get(name)
    try:
        cfg = exp.config(**{**exp.scales[scale], **overrides})
    except ValidationError as err:
        per_field: dict[str, list[str]] = {}
        general: list[str] = []
        for e in err.errors():
            msg = e["msg"].removeprefix("Value error, ")
            if e["loc"]:
                per_field.setdefault(str(e["loc"][0]), []).append(msg)
            else:
                general.append(msg)
        return per_field, general
    try:
        check_within_limits(cfg)
    except ValueError as err:  # beyond the lab's limits: the config as a whole
        return {}, [str(err)]
    return {}, []


def parse_grid(name: str, lines: list[str]) -> dict[str, list[Any]]:
    """``["n=10,20", "noise_std=0,0.5"]`` → ``{"n": [10, 20], "noise_std": [0.0, 0.5]}``, each
    value checked by its field's type and bounds (the lab's ``mlt sweep --grid`` syntax).
    Raises the lab's ``BadInput`` with a one-line message."""
    from mltheory.lab import registry
    from mltheory.lab.sweep import parse_grid as lab_parse_grid

    return lab_parse_grid(registry.get(name), lines)


def grid_points(grid: dict[str, list[Any]]) -> list[dict[str, Any]]:
    from itertools import product

    return [dict(zip(grid, values, strict=True)) for values in product(*grid.values())]


def estimated_seconds(
    name: str, scale: str, overrides: dict[str, Any], grid: dict | None, queue: str
) -> float | None:
    """The lab's own estimate of one seed's run time on the queue's machine (what
    ``mlt run NAME --plan`` prints; the same estimate that bounds the config), for a sweep its
    costliest point; ``None`` when the experiment's config says nothing of its cost."""
    from mltheory.lab import plan
    from mltheory.lab.errors import BadInput

    worst = 0.0
    for point in grid_points(grid) if grid else [{}]:
        try:
            p = plan(name, scale, **{**overrides, **point})
        except BadInput:  # the form reports invalid configs itself
            return None
        e = p.gpu if queue == "gpu" else p.cpu
        if e is None:
            return None
        worst = max(worst, e.seconds)
    return worst


# --- a run's directory (worker process) --------------------------------------------------------


def seed_dir(run_dir: Path, seed: int) -> Path:
    return run_dir / f"seed-{seed}"


SWEEP_DIR = "sweep"


def read_progress(run_dir: Path, seeds: list[int], grid: dict | None = None) -> dict[str, Any]:
    """What a run has done so far: finished seeds (or sweep cells), and the running seed's
    metric rows."""
    if grid:
        cells = len(grid_points(grid)) * len(seeds)
        done = len(list((run_dir / SWEEP_DIR / "cells").glob(f"*/{RESULT_FILE}")))
        return {"cells": cells, "cells_done": done, "seeds": cells, "seeds_done": done, "rows": 0}
    done = [s for s in seeds if (seed_dir(run_dir, s) / RESULT_FILE).exists()]
    progress: dict[str, Any] = {"seeds": len(seeds), "seeds_done": len(done), "rows": 0}
    running = next((s for s in seeds if s not in done), None)
    if running is not None:
        metrics = seed_dir(run_dir, running) / METRICS_FILE
        if metrics.exists():
            lines = metrics.read_text().splitlines()
            progress.update(seed=running, rows=len(lines))
            for line in reversed(lines):
                try:
                    progress["last"] = json.loads(line)
                    break
                except json.JSONDecodeError:  # a line being written
                    continue
    return progress


def load_results(run_dir: Path, seeds: list[int]) -> dict[str, Any]:
    """Every seed's result (the lab's ``Result``) and each claim's pass rate over the seeds."""
    from mltheory.lab import Result

    per_seed = {str(s): Result.load(seed_dir(run_dir, s)).as_dict() for s in seeds}
    first = next(iter(per_seed.values()))
    verdicts = []
    for i, claim in enumerate(first["claims"]):
        outcomes = [r["claims"][i]["passed"] for r in per_seed.values()]
        checked = [o for o in outcomes if o is not None]
        verdicts.append(
            {
                "id": claim["id"],
                "statement": claim["statement"],
                "paper_value": claim["paper_value"],
                "measured": [r["claims"][i]["measured"] for r in per_seed.values()],
                "note": claim.get("note", ""),
                "passed": sum(o is True for o in checked),
                "checked": len(checked),
            }
        )
    return {"experiment": first["experiment"], "verdicts": verdicts, "seeds": per_seed}


def load_sweep_results(run_dir: Path) -> dict[str, Any]:
    """The lab's aggregation of a sweep (``sweep.json``): per grid point, each metric's mean and
    spread over the seeds and each claim's pass rate."""
    summary = json.loads((run_dir / SWEEP_DIR / "sweep.json").read_text())
    return {"experiment": summary["experiment"], "sweep": summary, "verdicts": [], "seeds": {}}


def figure_files(run_dir: Path, seeds: list[int], grid: dict | None = None) -> list[Path]:
    from mltheory.lab import Result

    if grid:
        return sorted((run_dir / SWEEP_DIR).glob("*.png"))
    return [p for s in seeds for p in Result.load(seed_dir(run_dir, s)).figure_paths()]


def child_command(spec_path: Path) -> list[str]:
    return [sys.executable, "-m", "mltheory.portal.compute.lab_bridge", str(spec_path)]


def write_spec(
    run_dir: Path,
    experiment: str,
    scale: str,
    seeds: list[int],
    overrides: dict[str, Any],
    device: str | None,
    module_path: Path | None,
    grid: dict[str, list[Any]] | None = None,
    sweep_executor: str = "local",
) -> Path:
    spec = {
        "grid": grid or {},
        "sweep_executor": sweep_executor,
        "experiment": experiment,
        "scale": scale,
        "seeds": seeds,
        "overrides": overrides,
        "device": device,
        "module": str(module_path) if module_path else None,
    }
    path = run_dir / "spec.json"
    path.write_text(json.dumps(spec, indent=2))
    return path


# --- the child process -------------------------------------------------------------------------


def _uploaded_experiment(module_path: str) -> str:
    """The one experiment that the uploaded file registered."""
    from mltheory.lab import registry

    target = Path(module_path).resolve()
    names = [
        e.name
        for e in registry.all_experiments()
        if getattr(sys.modules.get(e.module), "__file__", None)
        and Path(sys.modules[e.module].__file__).resolve() == target
    ]
    if len(names) != 1:
        from mltheory.lab import BadInput

        raise BadInput(
            f"the uploaded module must register exactly one experiment with @experiment; "
            f"it registered {len(names)}"
        )
    return names[0]


def child_main(spec_path: str) -> int:
    run_dir = Path(spec_path).parent
    spec = json.loads(Path(spec_path).read_text())
    if spec.get("module"):
        existing = os.environ.get("MLT_EXPERIMENT_MODULES", "")
        os.environ["MLT_EXPERIMENT_MODULES"] = os.pathsep.join(
            filter(None, [existing, spec["module"]])
        )
    from mltheory.lab import BadInput
    from mltheory.lab.runner import execute, prepare

    try:
        name = spec["experiment"] or _uploaded_experiment(spec["module"])
        if spec.get("grid"):
            return _run_sweep(name, spec, run_dir)
        for seed in spec["seeds"]:
            out = seed_dir(run_dir, seed)
            if (out / RESULT_FILE).exists():
                continue  # finished before the worker died
            prep = prepare(name, spec["scale"], seed, spec["overrides"], out, spec["device"])
            print(f"seed {seed}: {name} at {spec['scale']} scale on {prep.device}", flush=True)
            result = execute(prep, quiet=True)
            verdicts = ", ".join(f"{c.id}={c.verdict}" for c in result.claims)
            resumed = " (resumed from its checkpoint)" if result.resumed else ""
            print(f"seed {seed}: {result.duration_s:.1f} s{resumed}; {verdicts}", flush=True)
    except BadInput as err:
        print(f"error: {err}", file=sys.stderr, flush=True)
        return EXIT_BAD_INPUT
    except Exception:
        import traceback

        traceback.print_exc()
        return EXIT_CRASHED
    return EXIT_DONE


def _run_sweep(name: str, spec: dict[str, Any], run_dir: Path) -> int:
    """A sweep through the lab's sweep runner (locally, or on Ray with ``sweep_executor``); it
    skips finished cells and resumes a killed one, so a retried sweep goes on where it was."""
    from mltheory.lab.sweep import prepare_sweep, run_sweep

    lines = [f"{k}={','.join(json.dumps(v) for v in vs)}" for k, vs in spec["grid"].items()]
    executor = spec.get("sweep_executor") or "local"
    plan = prepare_sweep(
        name,
        grid=lines,
        seeds=len(spec["seeds"]),
        scale=spec["scale"],
        fixed=spec["overrides"],
        out=run_dir / SWEEP_DIR,
        device=spec["device"],
        executor=executor,
    )
    print(f"sweep: {name}, {len(plan.cells)} cells, executor {executor}", flush=True)
    summary = run_sweep(plan, executor=executor, quiet=True)
    cells = summary["cells"]
    print(f"sweep: {cells['completed']} cells completed, {cells['error']} crashed", flush=True)
    for error in summary["errors"]:
        print(f"  {error['cell']}: {error['error']}", flush=True)
    return EXIT_DONE


if __name__ == "__main__":
    sys.exit(child_main(sys.argv[1]))
