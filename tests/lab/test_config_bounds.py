"""Values that used to pass validation and then crash, hang or write non-standard JSON (issue 8,
item 3): every one is bad input now (exit 2, one line, nothing written); results are strict JSON."""

from __future__ import annotations

import json
import math

import pytest
from typer.testing import CliRunner

from mltheory.cli import app
from mltheory.lab import registry, runner
from mltheory.lab.errors import BadInput
from mltheory.lab.store import strict_json_value, write_json_atomic

BAD_RUNS = [
    # seed * 1_000_003 used to overflow torch's 64-bit seed
    (["min-norm", "--seed", "18446744073709"], "--seed"),
    (["min-norm", "--seed", str(2**32)], "--seed"),
    (["random-labels", "--set", "hidden=[-5]"], "hidden"),
    (["random-labels", "--set", "hidden=[0]"], "hidden"),
    (["random-labels", "--set", "n_train=100000000"], "n_train"),
    (["linear-double-descent", "--set", "signal_norm=1e300"], "signal_norm"),  # OverflowError
    (["linear-double-descent", "--set", "noise_std=1e-300"], "noise_std"),  # ZeroDivisionError
    (["deep-linear", "--set", "duration=1e9"], "duration"),  # tried to allocate 1.6 TB
    (["deep-linear", "--set", "duration=999", "--set", "lr=0.0001"], "GD steps"),
    (["sparse-parity", "--set", "ns=[100000]"], "ns"),  # ran for minutes
    # 1e999 parses as infinity: refused rather than run into NaN/Infinity in result.json
    (["linear-double-descent", "--set", "noise_std=1e999"], "noise_std"),
    (["min-norm", "--set", "init_scale=1e999"], "init_scale"),
    (["deep-double-descent", "--set", "weight_decay=1e999"], "weight_decay"),
    (["deep-double-descent", "--set", "lr=nan"], "lr"),
    (["deep-double-descent", "--set", "max_width=4096", "--set", "steps=1000000"], "operations"),
    (["sparse-parity", "--set", "runs_per_n=100", "--set", "max_steps=1000000"], "iterations"),
    (["linear-double-descent", "--set", "trials=1000000", "--set", "grid_points=100"], "loop"),
]


@pytest.mark.parametrize("args,names", BAD_RUNS, ids=[" ".join(a) for a, _ in BAD_RUNS])
def test_values_that_used_to_crash_or_hang_are_bad_input(args, names, tmp_path, monkeypatch):
    # A value that got through validation would start the (huge) run: fail at once instead.
    monkeypatch.setattr(runner, "execute", lambda *a, **k: pytest.fail(f"{args} was accepted"))
    out = tmp_path / "run"
    res = CliRunner().invoke(app, ["run", *args, "--scale", "smoke", "--out", str(out)])
    assert res.exit_code == 2, res.output
    assert names in " ".join(res.output.split()) and "Traceback" not in res.output
    assert not out.exists()


def test_sweep_seeds_are_bounded(tmp_path):
    res = CliRunner().invoke(
        app, ["sweep", "min-norm", "--seeds", "99999999999999", "--out", str(tmp_path / "s")]
    )
    assert res.exit_code == 2 and "--seeds" in res.output, res.output


def test_every_numeric_config_field_of_the_catalog_has_bounds():
    """Each int or float field has a lower and an upper bound; each list a maximum length."""
    unbounded = []
    for exp in registry.all_experiments():
        if not exp.module.startswith("mltheory.lab."):
            continue
        for name, info in exp.config.model_fields.items():
            kinds = {type(m).__name__ for m in info.metadata}
            if info.annotation in (int, float):
                bounded = {"Ge", "Gt"} & kinds and {"Le", "Lt"} & kinds
            else:
                bounded = "list" not in str(info.annotation) or "MaxLen" in kinds
            if not bounded:
                unbounded.append(f"{exp.name}.{name}")
    assert unbounded == []


def test_result_json_is_strict_json_even_with_non_finite_measurements(tmp_path):
    data = {"a": math.nan, "b": [1.0, math.inf, -math.inf], "c": {"d": math.nan}}
    assert strict_json_value(data) == {"a": "nan", "b": [1.0, "inf", "-inf"], "c": {"d": "nan"}}
    write_json_atomic(tmp_path / "r.json", data)
    text = (tmp_path / "r.json").read_text()
    assert "NaN" not in text and "Infinity" not in text

    def strict(token):
        raise ValueError(f"non-standard JSON constant {token}")

    json.loads(text, parse_constant=strict)


def test_a_run_with_nan_metrics_writes_strict_json(tmp_path):
    # Too few widths fit nothing at smoke: the run's NaN-free metrics, and the sparse-parity
    # smoke run at k=1 with one n has a NaN slope; both must serialise strictly.
    r = runner.run("sparse-parity", scale="smoke", seed=0, out=tmp_path / "sp", ns=[6], k=1)
    assert math.isnan(r.metrics["loglog_slope"])
    text = (tmp_path / "sp" / "result.json").read_text()
    json.loads(text, parse_constant=lambda t: pytest.fail(f"non-standard JSON {t}"))
    assert json.loads(text)["metrics"]["loglog_slope"] == "nan"
    assert math.isnan(runner.Result.load(tmp_path / "sp").metrics["loglog_slope"])  # read back
    for line in (tmp_path / "sp" / "metrics.jsonl").read_text().splitlines():
        json.loads(line, parse_constant=lambda t: pytest.fail(f"non-standard JSON {t}"))


def test_the_seed_bound_is_checked_before_any_work(tmp_path):
    with pytest.raises(BadInput, match="2\\*\\*32"):
        runner.prepare("min-norm", "smoke", seed=2**32, out_dir=tmp_path / "x")
    runner.prepare("min-norm", "smoke", seed=2**32 - 1, out_dir=tmp_path / "y")
