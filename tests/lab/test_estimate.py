"""``mlt run NAME --plan`` and ``mltheory.lab.plan``: the cost of a run, known before running."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from mltheory.cli import app
from mltheory.lab import plan, registry, spec
from mltheory.lab.errors import BadInput
from mltheory.lab.estimate import CPU, Machine, Workload, estimate, flops, mlp_params
from mltheory.lab.experiments.generalization import deep_double_descent as ddd
from mltheory.lab.store import store_root

cli = CliRunner()


def test_mlp_params_counts_weights_and_biases():
    assert mlp_params(40, [8, 8], 10) == 40 * 8 + 8 + 8 * 8 + 8 + 8 * 10 + 10


def test_generic_cost_model():
    machine = Machine("m", step_overhead_s=1e-3, flops_per_s=1e9, how="test")
    w = Workload("w", n_params=1000, steps=10, batch_size=5, members=2, eval_examples=100)
    e = estimate([w, w], machine)
    one = 10 * 1e-3 + (6 * 1000 * 5 * 2 * 10 + 2 * 1000 * 100 * 2) / 1e9
    assert e.seconds == pytest.approx(2 * one)
    assert e.memory_bytes == 16 * 1000 * 2  # parameters' training state; workloads run in turn
    assert flops([w]) == 6 * 1000 * 5 * 2 * 10 + 2 * 1000 * 100 * 2


def test_plan_of_deep_double_descent():
    p = plan("deep-double-descent", "smoke", max_width=32)
    assert p.config["max_width"] == 32 and p.config["steps"] == 300  # smoke scale, overridden
    widths = ddd.widths_for(ddd.Config(**p.config))
    assert p.n_params == sum(2 * mlp_params(40, [w, w], 10) for w in widths)
    assert p.largest_model_params == mlp_params(40, [32, 32], 10)
    assert [d.name for d in p.data] == ["MNIST-1D"]
    assert p.cpu.how == CPU.how and 0 < p.gpu.seconds < p.cpu.seconds
    # more steps and more widths cost more
    assert plan("deep-double-descent", "cpu").cpu.seconds > 10 * p.cpu.seconds
    assert json.dumps(p.as_dict())  # what the portal stores


def test_plan_refuses_what_the_run_would_refuse():
    with pytest.raises(BadInput, match="n_widths"):
        plan("deep-double-descent", "cpu", n_widths=500)
    with pytest.raises(BadInput, match="scale"):
        plan("deep-double-descent", "huge")


def test_missing_data_is_reported_not_raised():
    p = plan("random-labels", "paper")  # CIFAR-10, absent under the tests' MLT_DATA
    assert [(d.name, d.present) for d in p.data] == [("CIFAR-10", False)]
    assert "cifar" in p.data[0].note.lower()
    # every level trains a fixed budget of steps: the estimate is not an upper bound
    assert not p.cpu.upper_bound and p.largest_model_params == mlp_params(3072, [512], 10)


def test_an_experiment_whose_config_has_no_cost_gets_no_estimate():
    p = plan("test-train", "smoke")  # a student's quick experiment (tests' fixture)
    assert p.cpu is None and "no cost()" in p.note and p.config


@pytest.mark.parametrize("scale", ["smoke", "cpu", "paper"])
def test_every_catalog_experiment_is_estimated_at_every_scale(scale):
    for exp in registry.all_experiments():
        if not exp.module.startswith("mltheory.lab.experiments"):
            continue
        p = plan(exp.name, scale)
        assert p.cpu is not None and p.cpu.seconds > 0 and p.cpu.memory_bytes > 0, exp.name
        assert p.gpu is not None and p.gpu.seconds > 0, exp.name


def test_the_config_bound_and_the_plan_are_one_estimate(monkeypatch):
    """The bound refuses exactly the configs whose cost() is over the lab's limits: a config
    just under the flop limit plans; lowering the limit below its estimate refuses it, with the
    cost's description in the message."""
    p = plan("deep-double-descent", "cpu")
    needed = flops(p.workloads)
    assert needed == ddd.Config(**p.config).cost().flops
    monkeypatch.setattr(spec, "FLOP_LIMIT", needed * 0.99)
    with pytest.raises(BadInput, match="deep-double-descent with widths up to .* operations"):
        plan("deep-double-descent", "cpu")
    monkeypatch.setattr(spec, "FLOP_LIMIT", needed * 1.01)
    assert plan("deep-double-descent", "cpu").cpu.seconds == p.cpu.seconds


def test_extra_flops_and_step_overheads_count():
    machine = Machine("m", step_overhead_s=1e-3, flops_per_s=1e9, how="test")
    w = Workload("trials", n_params=0, steps=100, batch_size=0, extra_flops=5e9)
    assert estimate([w], machine).seconds == pytest.approx(100 * 1e-3 + 5)
    slow = Workload("maml", n_params=0, steps=100, batch_size=0, overhead_per_step=10)
    assert estimate([slow], machine).seconds == pytest.approx(100 * 10 * 1e-3)


def test_cli_plan_trains_nothing():
    runs = store_root() / "runs"
    r = cli.invoke(app, ["run", "deep-double-descent", "--scale", "paper", "--plan", "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["scale"] == "paper" and out["cpu"]["seconds"] > out["gpu"]["seconds"] > 0
    assert not runs.exists() or not any(runs.iterdir())
    r = cli.invoke(app, ["run", "deep-double-descent", "--plan"], terminal_width=200)
    assert r.exit_code == 0 and "parameters:" in r.output and "cpu: ~" in r.output
    r = cli.invoke(app, ["run", "deep-double-descent", "--plan", "--set", "steps=0"])
    assert r.exit_code == 2 and "steps" in r.output
