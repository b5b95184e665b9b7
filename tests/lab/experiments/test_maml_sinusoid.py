"""maml-sinusoid: smoke run, determinism, second-order meta-gradient, closed-form references,
and a negative control for every claim."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from mltheory.lab import registry, runner
from mltheory.lab.errors import BadInput
from mltheory.lab.experiments.representation import maml_sinusoid as maml

NEGATIVE_CONTROLS = {
    "one-step-k10-mse-below-1": "test_untrained_networks_fail_the_claims",
    "beats-half-of-pretrained": "test_untrained_networks_fail_the_claims",
    "k10-beats-k5": "test_claims_pass_on_good_metrics_and_fail_on_their_controls",
    "keeps-improving": "test_claims_pass_on_good_metrics_and_fail_on_their_controls",
    "pretrained-learns-the-mean": "test_untrained_networks_fail_the_claims",
}


@pytest.fixture(scope="module")
def smoke_result(tmp_path_factory):
    return runner.run("maml-sinusoid", scale="smoke", seed=0, out=tmp_path_factory.mktemp("ms"))


def test_smoke_run_passes_its_checked_claims(smoke_result):
    checked = {c.id for c in smoke_result.claims if c.passed is not None}
    assert checked == {"pretrained-learns-the-mean"}
    assert all(c.passed for c in smoke_result.claims if c.passed is not None), (
        smoke_result.failed_claims
    )
    m = smoke_result.metrics
    assert len(m["maml_large_1step"]) == m["test_tasks"] == 100
    assert len(m["mse_curve_maml_large"]) == 11
    for name in ("maml_test_tasks.png", "maml_mse_vs_steps.png"):
        assert (smoke_result.out_dir / name).stat().st_size > 0


def test_same_seed_same_metrics(smoke_result, tmp_path):
    again = runner.run("maml-sinusoid", scale="smoke", seed=0, out=tmp_path / "again")
    assert again.metrics == smoke_result.metrics
    other = runner.run("maml-sinusoid", scale="smoke", seed=1, out=tmp_path / "other")
    assert other.metrics["maml_large_1step"] != smoke_result.metrics["maml_large_1step"]


def test_untrained_networks_fail_the_claims(tmp_path):
    """Negative control: no meta-training and no pretraining (both networks stay at their
    shared random initialization) must fail the MSE bound, the half-of-pretrained margin and
    the sanity check, judged at cpu scale."""
    res = runner.run(
        "maml-sinusoid",
        scale="smoke",
        seed=0,
        out=tmp_path / "untrained",
        meta_steps=0,
        pretrain_steps=0,
    )
    verdicts = {c.id: c.passed for c in registry.get("maml-sinusoid").evaluate(res.metrics, "cpu")}
    assert verdicts["one-step-k10-mse-below-1"] is False
    assert verdicts["beats-half-of-pretrained"] is False
    assert verdicts["pretrained-learns-the-mean"] is False


def _synthetic_metrics(n=400, seed=0):
    """Per-task MSEs shaped like a good cpu run (noisy, heavy-tailed like A²)."""
    rng = np.random.default_rng(seed)
    scale = rng.uniform(0.1, 5, n) ** 2
    agnostic = 0.7 * scale
    # The metrics no claim reads are left as None (evaluate wants every declared key).
    return dict.fromkeys(maml.METRICS) | {
        "maml_small_1step": list(0.20 * scale * rng.uniform(0.5, 1.5, n)),
        "maml_large_1step": list(0.08 * scale * rng.uniform(0.5, 1.5, n)),
        "maml_large_last": list(0.02 * scale * rng.uniform(0.5, 1.5, n)),
        "pretrained_large_0step": list(agnostic * rng.uniform(0.95, 1.05, n)),
        "pretrained_large_1step": list(agnostic * rng.uniform(0.9, 1.0, n)),
        "zero_predictor": list(scale),
        "best_agnostic": list(agnostic),
    }


def test_claims_pass_on_good_metrics_and_fail_on_their_controls():
    exp = registry.get("maml-sinusoid")
    good = _synthetic_metrics()
    assert all(c.passed for c in exp.evaluate(good, "cpu")), exp.evaluate(good, "cpu")

    def verdict(metrics, claim):
        return {c.id: c.passed for c in exp.evaluate(metrics, "cpu")}[claim]

    rng = np.random.default_rng(1)
    noise = list(rng.normal(0.5, 0.3, 400))
    # A shift of zero: K=10 no better than K=5 (the same per-task errors).
    assert verdict(dict(good, maml_small_1step=good["maml_large_1step"]), "k10-beats-k5") is False
    # A flat curve of noise: ten steps no better than one.
    flat = dict(good, maml_large_1step=noise, maml_large_last=list(rng.permutation(noise)))
    assert verdict(flat, "keeps-improving") is False
    # An effect smaller than its noise: a mean just under 1 but an upper bound above it.
    z = rng.normal(size=400)
    near = list(0.97 + (z - z.mean()) / z.std())  # mean 0.97, sd 1: standard error 0.05
    assert verdict(dict(good, maml_large_1step=near), "one-step-k10-mse-below-1") is False
    # MAML at 60% of the pretrained error: better, but not below half.
    sixty = list(0.6 * np.asarray(good["pretrained_large_1step"]))
    assert verdict(dict(good, maml_large_1step=sixty), "beats-half-of-pretrained") is False
    # A pretrained network 30% worse than the best task-agnostic predictor.
    off = list(1.3 * np.asarray(good["best_agnostic"]))
    assert verdict(dict(good, pretrained_large_0step=off), "pretrained-learns-the-mean") is False


def test_meta_gradient_is_second_order():
    """The meta-gradient matches central finite differences of the meta-objective (float64)
    and differs from the first-order approximation, which drops the inner step's Hessian."""
    torch.manual_seed(0)
    net = maml.sine_network([8]).double()
    cfg = maml.Config()
    _, _, x, y = maml.sample_tasks(4, 10, cfg, torch.Generator().manual_seed(0))
    x, y = x.double(), y.double()
    xs, ys, xq, yq = x[:, :5], y[:, :5], x[:, 5:], y[:, 5:]
    lr = 0.05
    meta_grad, meta_objective = maml.maml_meta_gradient(net, lr)
    params = {k: p.detach() for k, p in net.named_parameters()}
    g = meta_grad(params, xs, ys, xq, yq)

    eps = 1e-6
    for name, p in params.items():
        fd = torch.zeros_like(p)
        for idx in np.ndindex(*p.shape):
            plus = {k: v.clone() for k, v in params.items()}
            minus = {k: v.clone() for k, v in params.items()}
            plus[name][idx] += eps
            minus[name][idx] -= eps
            fd[idx] = (
                meta_objective(plus, xs, ys, xq, yq) - meta_objective(minus, xs, ys, xq, yq)
            ) / (2 * eps)
        torch.testing.assert_close(g[name], fd, rtol=1e-5, atol=1e-7)

    # First-order MAML: the query-loss gradient at the adapted weights, summed over tasks.
    task_mse, adapt = maml.make_functional(net)
    adapted = {k: v.detach() for k, v in adapt(maml.per_task(params, 4), xs, ys, lr, 1).items()}
    first_order = torch.func.grad(lambda p: task_mse(p, xq, yq).mean())(adapted)
    gap = max(float((g[k] - first_order[k].sum(0)).abs().max()) for k in params)
    assert gap > 1e-4


def test_closed_form_references_match_monte_carlo():
    cfg = maml.Config()
    amp, _, x, y = maml.sample_tasks(20000, 50, cfg, torch.Generator().manual_seed(0))
    zero = (y**2).mean(dim=(1, 2)).double()
    agn = ((maml.best_agnostic_prediction(x, cfg) - y) ** 2).mean(dim=(1, 2)).double()
    for mc, exact in [(zero, maml.zero_predictor_mse(cfg)), (agn, maml.best_agnostic_mse(cfg))]:
        se = float(mc.std() / math.sqrt(len(mc)))
        assert abs(float(mc.mean()) - exact) < 4 * se
    assert maml.zero_predictor_mse(cfg) == pytest.approx(4.25, abs=0.01)
    assert maml.best_agnostic_mse(cfg) == pytest.approx(3.006, abs=0.001)
    # The best task-agnostic predictor is the conditional mean: shifting it costs error.
    shifted = ((maml.best_agnostic_prediction(x, cfg) + 0.3 - y) ** 2).mean()
    assert float(shifted) > float(agn.mean())


@pytest.mark.parametrize(
    "override, field",
    [
        ({"shots": [10, 5]}, "shots"),
        ({"amp_min": 5.0, "amp_max": 1.0}, "amp_min"),
        ({"inner_lr": float("nan")}, "inner_lr"),
        ({"finetune_lrs": [0.01, float("inf")]}, "finetune_lrs"),
    ],
)
def test_bad_config_is_refused(override, field):
    with pytest.raises(BadInput, match=field):
        runner.prepare("maml-sinusoid", "smoke", overrides=override)
