"""``mlt reproduce``: run the catalog at one scale, keep going past crashes, write a report.

``DIR/<experiment>/`` is each experiment's run directory; ``DIR/summary.json`` and the
self-contained ``DIR/report.html`` are rewritten after every experiment, so an interrupted
reproduction still leaves a report. Rerunning with the same ``DIR`` skips finished
experiments (a finished ``result.json`` at the same scale and seed) and resumes a killed one
from its checkpoint. A rerun of some experiments only (``--topic``, ``--only``) keeps the
summary's entries of the others, so the catalog's evidence can be brought up to date one new
experiment at a time.
"""

from __future__ import annotations

import html
import traceback
from pathlib import Path
from typing import Any

from rich.console import Console

from mltheory.lab import registry, runner
from mltheory.lab.errors import BadInput, unknown
from mltheory.lab.output_dir import check_out_path, make_out_dir
from mltheory.lab.report import catalog_html, print_paths, print_result
from mltheory.lab.spec import SCALE_NAMES
from mltheory.lab.store import RESULT_FILE, read_json, write_json_atomic

SUMMARY_FILE = "summary.json"
REPORT_FILE = "report.html"


def reproduce_catalog(
    scale: str = "cpu",
    topic: str | None = None,
    out: str | Path = "reproduction",
    seed: int = 0,
    device: str | None = None,
    quiet: bool = False,
    console: Console | None = None,
    seeds: int | None = None,
    only: list[str] | None = None,
) -> dict[str, Any]:
    """With ``seeds=K``, every experiment runs on seeds 0..K-1 in ``DIR/<experiment>/`` (see
    :mod:`mltheory.lab.verdicts`) and the summary and report give each claim's pass rate."""
    console = console or Console(stderr=True)
    if scale not in SCALE_NAMES:
        raise unknown("scale", scale, SCALE_NAMES)
    if topic is not None and topic not in registry.topics():
        raise unknown("topic", topic, registry.topics())
    names = {e.name for e in registry.catalog().sorted()}
    for name in only or []:
        if name not in names:
            raise unknown("experiment (--only)", name, sorted(names))

    def selected(e: Any) -> bool:
        return (topic is None or e.topic == topic) and (not only or e.name in only)

    if seeds is not None:
        if seed != 0:
            raise BadInput("--seed and --seeds together: --seeds K runs seeds 0..K-1; give one")
        return _reproduce_over_seeds(scale, selected, Path(out), seeds, device, quiet, console)
    # Catalog entries, not imported modules: an experiment whose package is missing or whose
    # module is broken becomes an error entry (with the pip command) and the others still run.
    exps = [e for e in registry.catalog().sorted() if selected(e)]
    out = check_out_path(out)
    make_out_dir(out)
    summary_path = out / SUMMARY_FILE
    previous = (
        {e["name"]: e for e in read_json(summary_path)["experiments"]}
        if summary_path.exists()
        else {}
    )
    entries = _kept_entries(out, {e.name for e in exps}, scale, None, seed)
    for exp in exps:
        run_dir = out / exp.name
        done = _finished(run_dir, scale, seed)
        if done is not None:
            console.print(f"[dim]{exp.name}: already finished, skipped[/dim]")
            entries.append(_entry(exp.name, "completed", run_dir, done))
            continue
        console.print(f"[bold]{exp.name}[/bold] ({scale})")
        try:
            prep = runner.prepare(exp.name, scale, seed, {}, run_dir, device, fresh=False)
            result = runner.execute(prep, quiet=quiet)
        except KeyboardInterrupt:
            _write(
                out,
                entries + [previous[e.name] for e in exps[len(entries) :] if e.name in previous],
                scale,
                seed=seed,
            )
            raise
        except BadInput as e:
            entries.append(_entry(exp.name, "error", run_dir, error=f"bad input: {e}"))
            console.print(f"[red]{exp.name}: {e}[/red]")
        except Exception:
            tb = traceback.format_exc()
            entries.append(_entry(exp.name, "error", run_dir, error=tb))
            console.print(f"[red]{exp.name} crashed; traceback recorded, going on[/red]")
        else:
            entries.append(_entry(exp.name, "completed", run_dir, result))
            if not quiet:
                print_result(result, console)
        _write(out, entries, scale, seed=seed)
    summary = _write(out, entries, scale, seed=seed)
    console.print(tally(summary), highlight=False)
    print_paths(console, "summary", [summary_path])
    print_paths(console, "report", [out / REPORT_FILE])
    return summary


def _reproduce_over_seeds(
    scale: str,
    selected: Any,
    out: Path,
    seeds: int,
    device: str | None,
    quiet: bool,
    console: Console,
) -> dict[str, Any]:
    from mltheory.lab import verdicts

    exps = [e for e in registry.all_experiments() if selected(e)]
    # Every experiment's seeds are validated before the first one starts.
    plans = [verdicts.prepare_seeds(e.name, scale, seeds, {}, out / e.name, device) for e in exps]
    out.mkdir(parents=True, exist_ok=True)
    entries = _kept_entries(out, {e.name for e in exps}, scale, seeds)
    for exp, plan in zip(exps, plans, strict=True):
        console.print(f"[bold]{exp.name}[/bold] ({scale}, seeds 0–{seeds - 1})")
        try:
            result = verdicts.run_seeds(plan, quiet=quiet, console=console)
        except KeyboardInterrupt:
            _write(out, entries, scale, seeds)
            raise
        except Exception:
            tb = traceback.format_exc()
            entries.append(_entry(exp.name, "error", plan.out, error=tb))
            console.print(f"[red]{exp.name} crashed; traceback recorded, going on[/red]")
        else:
            entries.append(_seeds_entry(exp.name, plan.out, result))
            if not quiet:
                verdicts.print_seeds(result, console)
        _write(out, entries, scale, seeds)
    summary = _write(out, entries, scale, seeds)
    console.print(tally(summary), highlight=False)
    print_paths(console, "summary", [out / SUMMARY_FILE])
    print_paths(console, "report", [out / REPORT_FILE])
    return summary


def _kept_entries(
    out: Path, rerun: set[str], scale: str, seeds: int | None, seed: int = 0
) -> list[dict[str, Any]]:
    """The previous summary's entries of experiments this run does not run (same scale and
    seeds; an experiment no longer in the catalog is dropped)."""
    path = out / SUMMARY_FILE
    if not path.exists():
        return []
    previous = read_json(path)
    same = (
        previous.get("seeds") == list(range(seeds))
        if seeds is not None
        else "seeds" not in previous and previous.get("seed", 0) == seed
    )
    if previous.get("scale") != scale or not same:
        return []
    catalog = {e.name for e in registry.catalog().sorted()}
    return [e for e in previous["experiments"] if e["name"] not in rerun and e["name"] in catalog]


def _seeds_entry(name: str, run_dir: Path, result: dict[str, Any]) -> dict[str, Any]:
    failed_any = sum(c["passed"] < c["checked"] for c in result["claims"])
    return {
        "name": name,
        "status": "error" if result["crashed"] else "completed",
        "dir": run_dir.name,
        "error": "; ".join(f"seed {c['seed']}: {c['error']}" for c in result["crashed"]) or None,
        "duration_s": result["duration_s"],
        "seeds": result["seeds"],
        "reproduced_seeds": result["reproduced_seeds"],
        "reproduces": result["reproduces"],
        "passed": sum(c["checked"] > 0 and c["passed"] == c["checked"] for c in result["claims"]),
        "failed": failed_any,
        "not_checked": sum(c["checked"] == 0 for c in result["claims"]),
        "claims": result["claims"],
    }


def tally(summary: dict[str, Any]) -> str:
    """One line for the whole reproduction: experiments completed, claims passed and failed."""
    exps = summary["experiments"]
    done = sum(e["status"] == "completed" for e in exps)
    passed = sum(e.get("passed", 0) for e in exps)
    failed = sum(e.get("failed", 0) for e in exps)
    unchecked = sum(e.get("not_checked", 0) for e in exps)
    errors = [e["name"] for e in exps if e["status"] != "completed"]
    line = (
        f"{done}/{len(exps)} experiments completed at {summary['scale']} scale; "
        f"claims: {passed} PASS, {failed} FAIL"
        + (f", {unchecked} not checked at this scale" if unchecked else "")
    )
    if errors:
        line += f"; errors: {', '.join(errors)}"
    return line + "."


def _finished(run_dir: Path, scale: str, seed: int) -> runner.Result | None:
    path = run_dir / RESULT_FILE
    if not path.exists():
        return None
    result = runner.Result.load(run_dir)
    return result if (result.scale, result.seed) == (scale, seed) else None


def _entry(
    name: str,
    status: str,
    run_dir: Path,
    result: runner.Result | None = None,
    error: str | None = None,
) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": name, "status": status, "dir": run_dir.name, "error": error}
    if result is not None:
        entry.update(
            duration_s=result.duration_s,
            passed=sum(c.passed is True for c in result.claims),
            failed=sum(c.passed is False for c in result.claims),
            not_checked=sum(c.passed is None for c in result.claims),
            claims=[c.as_dict() for c in result.claims],
        )
    return entry


def _write(
    out: Path,
    entries: list[dict[str, Any]],
    scale: str,
    seeds: int | None = None,
    seed: int = 0,
) -> dict[str, Any]:
    order = {e.name: i for i, e in enumerate(registry.catalog().sorted())}
    entries = sorted(entries, key=lambda e: order.get(e["name"], len(order)))
    summary: dict[str, Any] = {"scale": scale, "experiments": entries}
    if seeds is not None:
        summary["seeds"] = list(range(seeds))
    else:
        summary["seed"] = seed
    how = f"--seeds {seeds}" if seeds is not None else f"--seed {seed}"
    summary["environment"] = environment(f"mlt reproduce --scale {scale} {how} --out {out.name}")
    write_json_atomic(out / SUMMARY_FILE, summary)
    write_report(out)
    return summary


def environment(command: str) -> dict[str, Any]:
    """Where and how the evidence was made (``mlt evidence`` prints it beside the numbers)."""
    import os
    import platform
    from datetime import datetime, timezone

    import torch

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "date": datetime.now(timezone.utc).date().isoformat(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "gpu": torch.cuda.get_device_name() if torch.cuda.is_available() else None,
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "python": platform.python_version(),
        "command": command,
    }


def write_report(out: str | Path) -> Path:
    """(Re)build ``report.html`` from ``summary.json`` and the run directories."""
    out = Path(out)
    summary = read_json(out / SUMMARY_FILE)
    items = []
    for e in summary["experiments"]:
        run_dir = out / e["dir"]
        if "seeds" in e:  # a run over seeds: its seeds table, and seed 0's figures
            items.append(_seeds_item(e, run_dir, summary["scale"]))
            continue
        result = (
            runner.Result.load(run_dir)
            if (e["status"] == "completed" and (run_dir / RESULT_FILE).exists())
            else None
        )
        try:
            paper = registry.info(e["name"]).data["paper"]
        except BadInput:
            paper = None
        items.append({**e, "result": result, "paper": paper})
    path = out / REPORT_FILE
    tmp = path.with_suffix(".tmp")
    title = f"mltheory reproduction — scale {summary['scale']}"
    if "seeds" in summary:
        title += f", seeds 0–{len(summary['seeds']) - 1}"
    tmp.write_text(catalog_html(title, items))
    tmp.replace(path)
    return path


def _seeds_item(entry: dict[str, Any], run_dir: Path, scale: str) -> dict[str, Any]:
    from mltheory.lab import verdicts
    from mltheory.lab.report import _img

    try:
        paper = registry.get(entry["name"]).paper.as_dict()
    except BadInput:
        paper = None
    body = verdicts.seeds_html({**entry, "experiment": entry["name"], "scale": scale}, paper)
    first = run_dir / "cells" / f"seed={entry['seeds'][0]}"
    if (first / RESULT_FILE).exists():
        body += "".join(_img(p, True) for p in runner.Result.load(first).figure_paths())
    if entry.get("error"):
        body += f"<p class='ERROR'>crashed</p><pre>{html.escape(entry['error'])}</pre>"
    return {**entry, "result": None, "paper": paper, "html": body}
