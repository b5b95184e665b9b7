"""Verdicts over seeds: does a reproduction hold on seeds 0..K-1, and how much do its numbers move?

``mlt run NAME --seeds K`` (and ``mlt reproduce --seeds K``) runs the experiment once per seed,
each seed in its own ordinary run directory ``DIR/cells/seed=S/`` (through the sweep machinery,
so a rerun with the same ``DIR`` skips finished seeds, resumes a killed one from its checkpoint,
and an experiment that can batch seeds trains them as one population). Then, per claim:

* the **pass rate**: on how many of the seeds where it was checked the claim passed;
* the measured value's **mean with a 95% confidence interval** over the seeds: Student's t
  interval ``mean ± t(0.975, K−1)·s/√K`` (SciPy), element-wise for a list of numbers of one
  length; for K = 1 there is no interval. Measured values that are not numbers (a sentence) are
  listed per seed.

The experiment **reproduces on a seed** when that seed's run completed and none of its checked
claims failed; the tables say "reproduces on k/K seeds". ``DIR/seeds.json`` keeps it all.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

from mltheory.lab.errors import BadInput
from mltheory.lab.spec import format_measured as format_value  # one format for every table
from mltheory.lab.store import RESULT_FILE, store_root, write_json_atomic

SEEDS_FILE = "seeds.json"
CONFIDENCE = 0.95


# --- statistics -----------------------------------------------------------------------------------
def t_interval(values: Sequence[float], level: float = CONFIDENCE) -> dict[str, Any]:
    """Mean, sample standard deviation and Student's t interval of ``values`` (finite ones)."""
    from scipy import stats

    arr = np.asarray(values, dtype=float)
    arr = arr[np.isfinite(arr)]
    n = int(arr.size)
    if n == 0:
        return {"mean": None, "std": None, "ci": None, "n": 0}
    mean = float(arr.mean())
    if n == 1:
        return {"mean": mean, "std": None, "ci": None, "n": 1}
    std = float(arr.std(ddof=1))
    half = float(stats.t.ppf(0.5 + level / 2, n - 1)) * std / math.sqrt(n)
    return {"mean": mean, "std": std, "ci": [mean - half, mean + half], "n": n}


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def summarize_measured(values: Sequence[Any]) -> dict[str, Any]:
    """The measured values of one claim over seeds: numbers → mean and t interval; lists of
    numbers of one length → the same element-wise; anything else → the values as they are."""
    if values and all(_is_number(v) for v in values):
        return {"kind": "number", **t_interval(values), "level": CONFIDENCE}
    if (
        values
        and all(isinstance(v, list) and v and all(_is_number(x) for x in v) for v in values)
        and len({len(v) for v in values}) == 1
    ):
        cols = [t_interval(col) for col in zip(*values, strict=True)]
        return {
            "kind": "list",
            "mean": [c["mean"] for c in cols],
            "ci": None if cols[0]["ci"] is None else [c["ci"] for c in cols],
            "n": cols[0]["n"],
            "level": CONFIDENCE,
        }
    return {"kind": "values", "values": list(values)}


def over_seeds(results: Sequence[Any], seeds: Sequence[int]) -> dict[str, Any]:
    """Aggregate finished runs (:class:`~mltheory.lab.runner.Result`, one per completed seed)
    of one experiment at one scale into the seeds summary (what ``seeds.json`` holds)."""
    by_id: dict[str, dict[str, Any]] = {}
    measured: dict[str, list[Any]] = {}
    reproduced = []
    for r in results:
        if all(c.passed is not False for c in r.claims):
            reproduced.append(r.seed)
        for c in r.claims:
            entry = by_id.setdefault(
                c.id,
                {
                    "id": c.id,
                    "statement": c.statement,
                    "paper_value": c.paper_value,
                    "unit": getattr(c, "unit", ""),
                    "passed": 0,
                    "checked": 0,
                    "failed_seeds": [],
                    "notes": [],
                },
            )
            if c.passed is not None:
                entry["checked"] += 1
                entry["passed"] += bool(c.passed)
                if not c.passed:
                    entry["failed_seeds"].append(r.seed)
            if c.note and c.note not in entry["notes"]:
                entry["notes"].append(c.note)
            measured.setdefault(c.id, []).append(c.measured)
    claims = []
    for cid, entry in by_id.items():
        entry["pass_rate"] = entry["passed"] / entry["checked"] if entry["checked"] else None
        entry["measured"] = summarize_measured(measured[cid])
        claims.append(entry)
    first = results[0] if results else None
    return {
        "experiment": first.experiment if first else None,
        "scale": first.scale if first else None,
        "seeds": list(seeds),
        "completed_seeds": [r.seed for r in results],
        "reproduced_seeds": reproduced,
        "reproduces": f"{len(reproduced)}/{len(seeds)}",
        "duration_s": round(sum(r.duration_s for r in results), 3),
        "claims": claims,
    }


# --- running ------------------------------------------------------------------------------------
def default_seeds_dir(name: str, scale: str, k: int) -> Path:
    from datetime import datetime

    stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    return store_root() / "runs" / name / f"{stamp}-{scale}-seeds{k}"


def prepare_seeds(
    name: str,
    scale: str = "cpu",
    seeds: int = 3,
    overrides: Mapping[str, Any] | None = None,
    out: str | Path | None = None,
    device: str | None = None,
    fresh: bool = False,
) -> Any:
    """Validate a run over seeds 0..K-1 before any work (raises :class:`BadInput`); returns
    the sweep plan (no grid, K seeds) that :func:`run_seeds` executes. ``fresh``: discard what
    ``out`` holds from an earlier run over seeds (only the lab's own files) instead of resuming."""
    from mltheory.lab import sweep

    if seeds < 1:
        raise BadInput(f"--seeds must be at least 1, got {seeds}")
    out = Path(out) if out is not None else default_seeds_dir(name, scale, seeds)
    return sweep.prepare_sweep(
        name,
        grid=[],
        seeds=seeds,
        scale=scale,
        fixed=dict(overrides or {}),
        out=out,
        device=device,
        fresh=fresh,
    )


def run_seeds(plan: Any, quiet: bool = False, console: Console | None = None) -> dict[str, Any]:
    """Run every unfinished seed of ``plan`` (from :func:`prepare_seeds`), then write and return
    the seeds summary ``DIR/seeds.json``."""
    from mltheory.lab import sweep
    from mltheory.lab.runner import Result

    swept = sweep.run_sweep(plan, quiet=quiet, console=console or Console(stderr=True))
    results = [
        Result.load(plan.cell_dir(c))
        for c in plan.cells
        if (plan.cell_dir(c) / RESULT_FILE).exists()
    ]
    summary = over_seeds(results, plan.seeds)
    summary["experiment"] = plan.exp.name
    summary["scale"] = plan.scale
    summary["dir"] = str(plan.out)
    summary["runs"] = {c.seed: f"cells/{c.slug}" for c in plan.cells}
    summary["crashed"] = [
        {"seed": c.seed, "error": e["error"], "traceback_file": e["traceback_file"]}
        for c in plan.cells
        for e in swept["errors"]
        if e["cell"] == c.slug
    ]
    write_json_atomic(plan.out / SEEDS_FILE, summary)
    return summary


def all_reproduced(summary: Mapping[str, Any]) -> bool:
    return len(summary["reproduced_seeds"]) == len(summary["seeds"])


# --- presenting ---------------------------------------------------------------------------------
def format_summary_measured(m: Mapping[str, Any], unit: str = "") -> str:
    """``0.0198 [0.0181, 0.0215]`` (mean and 95% CI); element-wise for lists."""
    if m["kind"] == "number":
        if m["mean"] is None:
            return "—"
        if m["ci"] is None:
            return format_value(m["mean"], unit)
        lo, hi = m["ci"]
        return (
            f"{format_value(m['mean'], unit)} [{format_value(lo, unit)}, {format_value(hi, unit)}]"
        )
    if m["kind"] == "list":
        return "mean " + format_value(m["mean"], unit)
    distinct = list(dict.fromkeys(str(v) for v in m["values"]))
    return " | ".join(distinct[:3]) + (" | …" if len(distinct) > 3 else "")


def _rate(c: Mapping[str, Any]) -> str:
    if not c["checked"]:
        return "n/a"
    return f"{c['passed']}/{c['checked']}"


def _rate_style(c: Mapping[str, Any]) -> str:
    if not c["checked"]:
        return "n/a"
    return "PASS" if c["passed"] == c["checked"] else "FAIL"


def headline(summary: Mapping[str, Any]) -> str:
    k = len(summary["seeds"])
    seeds = f"seed {summary['seeds'][0]}" if k == 1 else f"seeds 0–{k - 1}"
    return (
        f"{summary['experiment']} · scale={summary['scale']} · {seeds} · "
        f"reproduces on {summary['reproduces']} seeds"
    )


def seeds_table(summary: Mapping[str, Any]) -> Table:
    from mltheory.lab.report import VERDICT_STYLE

    level = f"{CONFIDENCE:.0%}"
    table = Table(title=f"{headline(summary)} · {summary['duration_s']:.1f}s")
    table.add_column("claim", overflow="fold", ratio=3)
    table.add_column("paper", overflow="fold", ratio=2)
    table.add_column(f"measured: mean [{level} CI]", overflow="fold", ratio=2)
    table.add_column("passed on seeds", no_wrap=True)
    for c in summary["claims"]:
        notes = "".join(f"\n[dim]{n}[/dim]" for n in c["notes"][:1])
        failed = f"\n[dim]failed on seed {', '.join(map(str, c['failed_seeds']))}[/dim]"
        table.add_row(
            f"[bold]{c['id']}[/bold]: {c['statement']}",
            c["paper_value"],
            format_summary_measured(c["measured"], c.get("unit", "")) + notes,
            f"[{VERDICT_STYLE[_rate_style(c)]}]{_rate(c)}[/]"
            + (failed if c["failed_seeds"] else ""),
        )
    return table


def print_seeds(summary: Mapping[str, Any], console: Console) -> None:
    console.print(seeds_table(summary))
    for crash in summary.get("crashed", []):
        console.print(
            f"[red]seed {crash['seed']} crashed[/red]: {crash['error']} "
            f"({Path(summary['dir']) / crash['traceback_file']})",
            highlight=False,
        )
    if summary.get("dir"):
        console.print(f"seeds: {Path(summary['dir']) / SEEDS_FILE}", highlight=False)


def seeds_markdown(summary: Mapping[str, Any]) -> str:
    lines = [
        f"### {headline(summary)} ({summary['duration_s']:.1f} s)",
        "",
        f"| claim | paper | measured: mean [{CONFIDENCE:.0%} CI] | passed on seeds |",
        "|---|---|---|---|",
    ]
    for c in summary["claims"]:
        lines.append(
            f"| {c['id']}: {c['statement']} | {c['paper_value']} | "
            f"{format_summary_measured(c['measured'], c.get('unit', ''))} | {_rate(c)} |"
        )
    return "\n".join(lines) + "\n"


def seeds_html(summary: Mapping[str, Any], paper: Mapping[str, Any] | None = None) -> str:
    rows = "".join(
        f"<tr><td><b>{html.escape(c['id'])}</b>: {html.escape(c['statement'])}</td>"
        f"<td>{html.escape(c['paper_value'])}</td>"
        f"<td>{html.escape(format_summary_measured(c['measured'], c.get('unit', '')))}</td>"
        f"<td class='{_rate_style(c).replace('/', '')}'>{html.escape(_rate(c))}</td></tr>"
        for c in summary["claims"]
    )
    head = f"<h3>{html.escape(summary['experiment'])}</h3>"
    if paper:
        link = paper.get("url")
        title = html.escape(f"{paper['authors']} ({paper['year']}). {paper['title']}")
        cite = f"<a href={html.escape(link)!r}>{title}</a>" if link else title
        head += f"<p>{cite} — {html.escape(paper['reproduces'])}</p>"
    head += f"<p>{html.escape(headline(summary))}, {summary['duration_s']:.1f} s in all</p>"
    return (
        f"{head}<table><tr><th>claim</th><th>paper</th>"
        f"<th>measured: mean [{CONFIDENCE:.0%} CI]</th><th>passed on seeds</th></tr>{rows}</table>"
    )
