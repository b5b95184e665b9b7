"""``mlt sweep``: grid expansion, bad input, batching, crashes, a real kill and resume, Ray."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from mltheory.cli import app
from mltheory.lab import registry
from mltheory.lab.store import RESULT_FILE
from mltheory.lab.sweep import (
    ERROR_FILE,
    SWEEP_FILE,
    cell_slug,
    group_cells,
    parse_grid,
    prepare_sweep,
    run_sweep,
)

FIXTURES = str(Path(__file__).with_name("sweep_fixtures.py"))
cli = CliRunner()


@pytest.fixture(autouse=True)
def toy_experiment(monkeypatch):
    """``sweep-toy`` registered here and in subprocesses and Ray workers (they inherit the env)."""
    modules = [m for m in os.environ.get("MLT_EXPERIMENT_MODULES", "").split(os.pathsep) if m]
    monkeypatch.setenv("MLT_EXPERIMENT_MODULES", os.pathsep.join([*modules, FIXTURES]))
    registry.import_experiment_module(FIXTURES)


def toy_module():
    return sys.modules[registry.get("sweep-toy").module]


def mlt(*args: str):
    return cli.invoke(app, list(args))


def results_by_slug(out: Path) -> dict[str, dict]:
    return {p.parent.name: json.loads(p.read_text()) for p in out.glob(f"cells/*/{RESULT_FILE}")}


# --- grid expansion and bad input ----------------------------------------------------------------
def test_grid_values_are_parsed_by_each_fields_type():
    exp = registry.get("sweep-toy")
    grid = parse_grid(exp, ["x=0.5,1e-1,2", "width=2,16", "mode=plain,shifted"])
    assert grid == {"x": [0.5, 0.1, 2.0], "width": [2, 16], "mode": ["plain", "shifted"]}
    assert all(type(v) is float for v in grid["x"]) and all(type(v) is int for v in grid["width"])


def test_plan_has_one_cell_per_grid_point_and_seed(tmp_path):
    plan = prepare_sweep(
        "sweep-toy",
        ["x=1,2,3", "width=2,4"],
        seeds=2,
        scale="smoke",
        fixed=["mode=shifted"],
        out=tmp_path / "s",
    )
    assert len(plan.points) == 6 and len(plan.cells) == 12
    assert len({c.slug for c in plan.cells}) == 12
    assert plan.cells[0].slug == "x=1.0_width=2_seed=0"
    assert all(plan.configs[c.slug]["mode"] == "shifted" for c in plan.cells)
    assert not (tmp_path / "s").exists()  # validation writes nothing


@pytest.mark.parametrize(
    ("args", "must_say"),
    [
        (["--grid", "widht=2,4"], ["widht", "did you mean: width"]),
        (["--grid", "width=two"], ["width", "'two'", "valid integer", "allowed: type int"]),
        (["--grid", "width=0,4"], ["width", "'0'", ">= 1"]),
        (["--grid", "mode=plain,fancy"], ["mode", "'fancy'", "plain", "shifted"]),
        (["--grid", "width=2,,4"], ["width", "empty value"]),
        (["--grid", "width=2,2"], ["width", "repeated"]),
        (["--grid", "width=2", "--grid", "width=4"], ["width", "twice"]),
        (["--grid", "width=2,4", "--set", "width=8"], ["width", "both"]),
        (["--grid", "width=2,4", "--set", "sleep=1"], ["sleep", "did you mean: sleep_s"]),
        (["--grid", "width=2,4", "--set", "x=99"], ["x=99", "<= 10"]),
        (["--seeds", "0"], ["--seeds"]),
        (["--executor", "dask"], ["executor", "local", "ray"]),
        (["--address", "127.0.0.1:6379"], ["--address", "--executor ray"]),
        (["--scale", "huge"], ["scale", "smoke"]),
        (["--executor", "ray", "--address", "127.0.0.1:1"], ["no Ray cluster answers", ":1"]),
    ],
)
def test_bad_input_exits_2_before_any_work(tmp_path, args, must_say):
    out = tmp_path / "sweep"
    res = mlt("sweep", "sweep-toy", "--out", str(out), *args)
    assert res.exit_code == 2, res.output
    for text in must_say:
        assert text in res.output
    assert not out.exists()


def test_unknown_experiment_suggests_the_closest_name(tmp_path):
    res = mlt("sweep", "min_norm", "--grid", "n=10,20", "--out", str(tmp_path / "s"))
    assert res.exit_code == 2
    assert "did you mean: min-norm" in res.output


def test_a_sweep_directory_refuses_another_experiment(tmp_path):
    out = tmp_path / "s"
    assert (
        mlt(
            "sweep",
            "sweep-toy",
            "--scale",
            "smoke",
            "--grid",
            "x=1,2",
            "--out",
            str(out),
            "--quiet",
        ).exit_code
        == 0
    )
    res = mlt("sweep", "min-norm", "--scale", "smoke", "--grid", "n=10,12", "--out", str(out))
    assert res.exit_code == 2
    message = " ".join(res.stderr.split())
    assert "holds another sweep (it differs in: experiment, grid)" in message
    assert "another --out" in message


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=12), min_size=2, max_size=6, unique=True))
def test_cell_slugs_are_distinct_and_filesystem_safe(values):
    slugs = [cell_slug((("mode", v),), 0) for v in values]
    assert len(set(slugs)) == len(slugs)
    for s in slugs:
        assert "/" not in s and "\0" not in s and len(s) <= 150 and s.isascii()


# --- batching -------------------------------------------------------------------------------------
def test_cells_differing_only_in_batch_fields_and_seed_are_grouped(tmp_path):
    plan = prepare_sweep(
        "sweep-toy", ["x=1,2", "width=2,4,8"], seeds=2, scale="smoke", out=tmp_path / "s"
    )
    groups = group_cells(plan.exp, plan.cells)
    assert [len(g) for g in groups] == [6, 6]
    for g in groups:
        assert len({dict(c.point)["x"] for c in g}) == 1
    assert [len(g) for g in group_cells(plan.exp, plan.cells, batch=False)] == [1] * 12
    # An experiment without run_batch is never grouped.
    mn = prepare_sweep("min-norm", ["n=10,12"], seeds=2, scale="smoke", out=tmp_path / "m")
    assert [len(g) for g in group_cells(mn.exp, mn.cells)] == [1] * 4


def test_batched_cells_match_unbatched_cells(tmp_path):
    spec = dict(grid=["x=1,-2", "width=2,4,8"], seeds=2, scale="smoke", fixed=["mode=shifted"])
    calls = toy_module().BATCH_CALLS
    calls.clear()
    batched = run_sweep(prepare_sweep("sweep-toy", out=tmp_path / "b", **spec), quiet=True)
    assert calls == [6, 6]  # two populations of 3 widths × 2 seeds
    unbatched = run_sweep(
        prepare_sweep("sweep-toy", out=tmp_path / "u", **spec), batch=False, quiet=True
    )
    assert calls == [6, 6]
    b, u = results_by_slug(tmp_path / "b"), results_by_slug(tmp_path / "u")
    assert len(b) == 12 and set(b) == set(u)
    for slug in b:
        assert b[slug]["batch"] and "batch" not in u[slug]
        assert {k: v for k, v in b[slug]["metrics"].items() if k != "pid"} == {
            k: v for k, v in u[slug]["metrics"].items() if k != "pid"
        }
        assert b[slug]["claims"] == u[slug]["claims"]
        assert b[slug]["config"] == u[slug]["config"]
    assert batched["points"] == unbatched["points"]


def test_aggregation_across_seeds(tmp_path):
    summary = run_sweep(
        prepare_sweep("sweep-toy", ["x=-1,2"], seeds=3, scale="smoke", out=tmp_path / "s"),
        quiet=True,
    )
    on_disk = json.loads((tmp_path / "s" / SWEEP_FILE).read_text())
    assert on_disk == summary
    assert summary["cells"] == {"total": 6, "completed": 6, "error": 0, "pending": 0}
    results = results_by_slug(tmp_path / "s")
    for p in summary["points"]:
        ys = [results[cell_slug(tuple(p["point"].items()), s)]["metrics"]["y"] for s in range(3)]
        y = p["metrics"]["y"]
        mean = sum(ys) / 3
        std = (sum((v - mean) ** 2 for v in ys) / 2) ** 0.5  # sample std (ddof=1)
        assert y["n"] == 3 and y["mean"] == pytest.approx(mean) and y["std"] == pytest.approx(std)
        assert (y["min"], y["max"]) == (min(ys), max(ys))
        # Only numeric scalars are aggregated: not lists, strings or booleans.
        assert set(p["metrics"]) == {"y", "width_seen", "nan_when_negative"}
        claim = p["claims"]["y-positive"]
        assert claim["checked"] == 3 and claim["pass_rate"] == claim["passed"] / 3
        assert p["claims"]["paper-only"] == {"passed": 0, "checked": 0, "pass_rate": None}
    negative = next(p for p in summary["points"] if p["point"]["x"] == -1.0)
    assert negative["metrics"]["nan_when_negative"] == {
        "mean": None,
        "std": None,
        "min": None,
        "max": None,
        "n": 0,
        "n_nonfinite": 3,
    }
    assert negative["claims"]["y-positive"]["pass_rate"] == 0.0
    # One figure per aggregated metric that has finite values, with a panel per numeric field.
    assert summary["figures"] == ["y.png", "width_seen.png", "nan_when_negative.png"]
    for f in summary["figures"]:
        assert (tmp_path / "s" / f).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# --- crashes --------------------------------------------------------------------------------------
def test_a_crashing_cell_is_recorded_and_the_others_finish(tmp_path):
    out = tmp_path / "s"
    args = [
        "sweep",
        "sweep-toy",
        "--scale",
        "smoke",
        "--grid",
        "width=2,3,4",
        "--seeds",
        "2",
        "--set",
        "crash_width=3",
        "--out",
        str(out),
        "--json",
    ]
    res = cli.invoke(app, args)
    assert res.exit_code == 3, res.output
    summary = json.loads(res.stdout)
    assert summary["cells"] == {"total": 6, "completed": 4, "error": 2, "pending": 0}
    assert {e["cell"] for e in summary["errors"]} == {"width=3_seed=0", "width=3_seed=1"}
    for seed in (0, 1):
        record = json.loads((out / "cells" / f"width=3_seed={seed}" / ERROR_FILE).read_text())
        assert record["error"] == "RuntimeError: width 3 crashes on purpose"
        assert "Traceback (most recent call last)" in record["traceback"]
        assert "_check_crash" in record["traceback"]
        # The population crashed first; its cells were then run one by one.
        assert "crashes on purpose" in record["batch_error"]
        assert not (out / "cells" / f"width=3_seed={seed}" / RESULT_FILE).exists()
    finished = results_by_slug(out)
    assert set(finished) == {f"width={w}_seed={s}" for w in (2, 4) for s in (0, 1)}
    # Rerun: the crashed cells are tried again (and crash again); finished ones are not rerun.
    mtimes = {s: (out / "cells" / s / RESULT_FILE).stat().st_mtime_ns for s in finished}
    res = cli.invoke(app, args)
    assert res.exit_code == 3
    assert json.loads(res.stdout)["cells"]["error"] == 2
    assert mtimes == {s: (out / "cells" / s / RESULT_FILE).stat().st_mtime_ns for s in finished}


# --- a real kill, then resume ---------------------------------------------------------------------
KILL_ARGS = [
    "sweep",
    "sweep-toy",
    "--scale",
    "smoke",
    "--grid",
    "x=1,2,3,4,5,6",
    "--seeds",
    "2",
    "--set",
    "sleep_s=0.3",
    "--no-batch",
]


def test_killed_sweep_reruns_only_unfinished_cells_and_matches_uninterrupted(tmp_path):
    out = tmp_path / "killed"
    proc = subprocess.Popen(
        [sys.executable, "-m", "mltheory.cli", *KILL_ARGS, "--out", str(out), "--quiet"],
        env=dict(os.environ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while len(list(out.glob(f"cells/*/{RESULT_FILE}"))) < 3:
            assert proc.poll() is None, proc.stderr.read().decode()
            assert time.monotonic() < deadline, "the sweep never finished 3 cells"
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
        proc.stderr.close()
    finished = results_by_slug(out)  # every result.json parses: nothing is half-written
    assert 3 <= len(finished) < 12
    for path in out.rglob("*.json"):
        json.loads(path.read_text())
    before = {s: (out / "cells" / s / RESULT_FILE).stat().st_mtime_ns for s in finished}

    res = mlt(*KILL_ARGS, "--out", str(out))
    assert res.exit_code == 0, res.output
    said = " ".join(res.output.split())  # rich wraps long lines
    assert f"{len(finished)} already finished, {12 - len(finished)} to run" in said
    for slug in finished:
        assert f"done {slug} " not in said
    after = results_by_slug(out)
    assert len(after) == 12
    assert {s: after[s] for s in finished} == finished
    assert before == {s: (out / "cells" / s / RESULT_FILE).stat().st_mtime_ns for s in finished}

    # The resumed sweep aggregates exactly like one that was never interrupted.
    res = mlt(*KILL_ARGS, "--out", str(tmp_path / "whole"), "--quiet")
    assert res.exit_code == 0
    resumed = json.loads((out / SWEEP_FILE).read_text())
    whole = json.loads((tmp_path / "whole" / SWEEP_FILE).read_text())
    assert resumed == whole
    assert resumed["cells"]["completed"] == 12


# --- Ray ------------------------------------------------------------------------------------------
@pytest.mark.ray
def test_ray_executor_on_a_local_instance_matches_local(tmp_path):
    pytest.importorskip("ray")
    args = [
        "sweep",
        "sweep-toy",
        "--scale",
        "smoke",
        "--grid",
        "x=1,2",
        "--grid",
        "width=2,4",
        "--seeds",
        "2",
        "--set",
        "crash_width=4",
    ]
    res = mlt(*args, "--executor", "ray", "--workers", "2", "--out", str(tmp_path / "r"), "--json")
    assert res.exit_code == 3, res.output  # the width-4 cells crash, in Ray workers too
    on_ray = json.loads(res.stdout)
    assert on_ray["cells"] == {"total": 8, "completed": 4, "error": 4, "pending": 0}
    err = json.loads((tmp_path / "r" / "cells" / "x=1.0_width=4_seed=0" / ERROR_FILE).read_text())
    assert "crashes on purpose" in err["traceback"]
    ray_results = results_by_slug(tmp_path / "r")
    assert all(r["metrics"]["pid"] != str(os.getpid()) for r in ray_results.values())

    res = mlt(*args, "--out", str(tmp_path / "l"), "--json")
    assert res.exit_code == 3
    assert json.loads(res.stdout)["points"] == on_ray["points"]
