"""``mlt reproduce``: run the catalog at one scale, keep going past crashes, write a report.

``DIR/<experiment>/`` is each experiment's run directory; ``DIR/summary.json`` and the
self-contained ``DIR/report.html`` are rewritten after every experiment, so an interrupted
reproduction still leaves a report. Rerunning with the same ``DIR`` skips finished
experiments (a finished ``result.json`` at the same scale and seed) and resumes a killed one
from its checkpoint.
"""

from __future__ import annotations

import traceback
from pathlib import Path
from typing import Any

from rich.console import Console

from mltheory.lab import registry, runner
from mltheory.lab.errors import BadInput, unknown
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
) -> dict[str, Any]:
    console = console or Console(stderr=True)
    if scale not in SCALE_NAMES:
        raise unknown("scale", scale, SCALE_NAMES)
    if topic is not None and topic not in registry.topics():
        raise unknown("topic", topic, registry.topics())
    # Catalog entries, not imported modules: an experiment whose package is missing or whose
    # module is broken becomes an error entry (with the pip command) and the others still run.
    exps = [e for e in registry.catalog().sorted() if topic is None or e.topic == topic]
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    summary_path = out / SUMMARY_FILE
    previous = (
        {e["name"]: e for e in read_json(summary_path)["experiments"]}
        if summary_path.exists()
        else {}
    )
    entries: list[dict[str, Any]] = []
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
        _write(out, entries, scale)
    summary = _write(out, entries, scale)
    console.print(tally(summary), highlight=False)
    print_paths(console, "summary", [summary_path])
    print_paths(console, "report", [out / REPORT_FILE])
    return summary


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


def _write(out: Path, entries: list[dict[str, Any]], scale: str) -> dict[str, Any]:
    summary = {"scale": scale, "experiments": entries}
    write_json_atomic(out / SUMMARY_FILE, summary)
    write_report(out)
    return summary


def write_report(out: str | Path) -> Path:
    """(Re)build ``report.html`` from ``summary.json`` and the run directories."""
    out = Path(out)
    summary = read_json(out / SUMMARY_FILE)
    items = []
    for e in summary["experiments"]:
        run_dir = out / e["dir"]
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
    tmp.write_text(catalog_html(f"mltheory reproduction — scale {summary['scale']}", items))
    tmp.replace(path)
    return path
