"""Inner axes: per-point checkpoints, populations across seeds and configs, curves with bands."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from mltheory.lab import registry, runner
from mltheory.lab.context import RunContext
from mltheory.lab.sweep import SWEEP_FILE, aggregate_curves, prepare_sweep, run_sweep

FIXTURES = str(Path(__file__).with_name("seeds_fixtures.py"))


@pytest.fixture(autouse=True)
def axis_experiment(monkeypatch):
    modules = [m for m in os.environ.get("MLT_EXPERIMENT_MODULES", "").split(os.pathsep) if m]
    monkeypatch.setenv("MLT_EXPERIMENT_MODULES", os.pathsep.join([*modules, FIXTURES]))
    registry.import_experiment_module(FIXTURES)
    measured = sys.modules[registry.get("axis-toy").module].MEASURED
    measured.clear()
    return measured


def test_a_run_measures_its_curve_point_by_point(tmp_path, axis_experiment):
    r = runner.run("axis-toy", seed=2, out=tmp_path / "r", shift=0.5)
    assert r.metrics["levels"] == [1.0, 2.0, 4.0]
    assert r.metrics["y"] == [3.5, 6.5, 12.5] and r.metrics["y_last"] == 12.5
    assert axis_experiment == [(1.0, 1), (2.0, 1), (4.0, 1)]


def test_a_killed_run_resumes_at_the_point_it_was_measuring(tmp_path, axis_experiment):
    exp = registry.get("axis-toy")
    cfg = exp.config(fail_at=4.0)
    with pytest.raises(RuntimeError, match="fails on purpose"):
        exp.fn(cfg, RunContext(tmp_path / "r", seed=0, quiet=True))
    assert axis_experiment == [(1.0, 1), (2.0, 1)]
    cfg.fail_at = -1.0
    resumed = exp.fn(cfg, RunContext(tmp_path / "r", seed=0, quiet=True))
    assert axis_experiment[2:] == [(4.0, 1)]  # points 1 and 2 came from the checkpoint
    assert resumed["y"] == [1.0, 2.0, 4.0]


def test_a_sweep_measures_seeds_and_batch_fields_as_one_population(tmp_path, axis_experiment):
    plan = prepare_sweep("axis-toy", ["shift=0,1"], seeds=3, scale="smoke", out=tmp_path / "s")
    summary = run_sweep(plan, quiet=True)
    assert summary["cells"]["completed"] == 6
    # one population of all six cells, one call per point
    assert axis_experiment == [(1.0, 6), (2.0, 6), (4.0, 6)]
    for cell in plan.cells:
        got = json.loads((plan.cell_dir(cell) / "result.json").read_text())
        alone = runner.run(
            "axis-toy", seed=cell.seed, out=tmp_path / "alone" / cell.slug, **dict(cell.point)
        )
        assert got["metrics"] == alone.metrics
        assert [c["passed"] for c in got["claims"]] == [c.passed for c in alone.claims]
    # curves aggregated point by point with their bands: y = L·(1 + seed) + shift
    by_shift = {p["point"]["shift"]: p["curves"] for p in summary["points"]}
    y = by_shift[1.0]["y"]
    assert y["x"] == [1.0, 2.0, 4.0] and y["x_name"] == "level" and y["n"] == 3
    assert y["mean"] == pytest.approx([3.0, 5.0, 9.0])
    assert y["std"] == pytest.approx([1.0, 2.0, 4.0])
    assert y["min"] == pytest.approx([2.0, 3.0, 5.0]) and y["max"] == pytest.approx(
        [4.0, 7.0, 13.0]
    )
    assert by_shift[0.0]["flat"]["std"] == [0.0, 0.0, 0.0]
    assert "levels" not in by_shift[0.0]  # the points are the x, not a curve
    assert "curve-y.png" in summary["figures"]
    assert (plan.out / "curve-y.png").stat().st_size > 0
    on_disk = json.loads((plan.out / SWEEP_FILE).read_text())
    assert on_disk["points"][0]["curves"]["y"]["mean"] == pytest.approx([2.0, 4.0, 8.0])


def test_curves_leave_non_finite_points_out_and_count_them():
    exp = registry.get("axis-toy")
    runs = [
        {"levels": [1.0, 2.0], "y": [1.0, float("nan")], "ragged": [1.0, 2.0]},
        {"levels": [1.0, 2.0], "y": [3.0, 2.0], "ragged": [1.0, 2.0, 3.0]},
    ]
    curves = aggregate_curves(exp, runs)
    assert set(curves) == {"y"}  # a list whose length differs between seeds is not a curve
    y = curves["y"]
    assert y["x"] == [1.0, 2.0] and y["mean"] == [2.0, 2.0] and y["n_finite"] == [2, 1]
    assert y["std"] == pytest.approx([2**0.5, 0.0])
    other = registry.get("seeds-toy")  # no inner axis: the points are positions
    assert aggregate_curves(other, runs)["y"]["x_name"] == "index"


def test_points_of_one_shape_are_measured_as_one_population(tmp_path, axis_experiment):
    plan = prepare_sweep(
        "axis-toy-together", ["shift=0,1"], seeds=2, scale="smoke", out=tmp_path / "s"
    )
    run_sweep(plan, quiet=True)
    assert axis_experiment == [(None, 3 * 4)]  # 3 levels × (2 seeds × 2 shifts), one call
    for cell in plan.cells:
        got = json.loads((plan.cell_dir(cell) / "result.json").read_text())["metrics"]
        per_point = runner.run(
            "axis-toy", seed=cell.seed, out=tmp_path / "alone" / cell.slug, **dict(cell.point)
        )
        assert got == per_point.metrics
