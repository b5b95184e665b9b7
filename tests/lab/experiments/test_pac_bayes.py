"""pac-bayes: the kl-inverse bounds on known cases, a smoke run, and claims that can fail."""

from __future__ import annotations

import math

import pytest
import torch

from mltheory.lab import registry, runner
from mltheory.lab.errors import BadInput
from mltheory.lab.pac_bayes import (
    DiagonalGaussian,
    binary_kl,
    kl_inverse,
    pac_bayes_kl_bound,
    sample_convergence_bound,
)

# Each claim and the test in which it must FAIL (checked by tests/lab/test_claims.py).
NEGATIVE_CONTROLS = {
    "non-vacuous-on-true-labels": "test_an_unoptimized_posterior_is_vacuous",
    "bound-holds": "test_an_unoptimized_posterior_is_vacuous",
    "vacuous-on-random-labels": "test_true_labels_in_place_of_random_ones_are_not_vacuous",
}


@pytest.fixture(scope="module")
def smoke_result(tmp_path_factory):
    return runner.run("pac-bayes", scale="smoke", seed=0, out=tmp_path_factory.mktemp("pb"))


def verdicts(metrics, scale="cpu"):
    return {c.id: c.passed for c in registry.get("pac-bayes").evaluate(metrics, scale)}


def test_kl_inverse_on_known_cases():
    assert binary_kl(0.3, 0.3) == 0
    assert binary_kl(0.0, 0.5) == pytest.approx(math.log(2))
    for c in (0.01, 0.1, 1.0):  # kl(0 ‖ p) = −ln(1 − p): the inverse is 1 − e^{−c}
        assert kl_inverse(0.0, c) == pytest.approx(1 - math.exp(-c), abs=1e-9)
    p = kl_inverse(0.2, 0.05)
    assert p > 0.2 and binary_kl(0.2, p) == pytest.approx(0.05, abs=1e-9)
    assert kl_inverse(0.5, 10.0) == pytest.approx(1.0, abs=1e-6)  # only p = 1 is excluded
    # More samples or a smaller KL give a tighter bound; never below the empirical error.
    assert (
        0.1 < sample_convergence_bound(0.1, 10_000, 0.01) < sample_convergence_bound(0.1, 100, 0.01)
    )
    assert pac_bayes_kl_bound(0.05, 10, 10_000, 0.025) < pac_bayes_kl_bound(
        0.05, 1000, 10_000, 0.025
    )


def test_the_posteriors_kl_matches_torch_distributions():
    g = torch.Generator().manual_seed(0)
    mean, prior_mean = torch.randn(50, generator=g), torch.randn(50, generator=g)
    q = DiagonalGaussian(mean, sigma=0.3, prior_variance=0.5)
    with torch.no_grad():
        q.log_sigma += 0.1 * torch.randn(50, generator=g)
        ours = float(q.kl_to_prior(prior_mean, torch.tensor(0.5)))
    sigma = torch.exp(q.log_sigma.detach())
    theirs = torch.distributions.kl_divergence(
        torch.distributions.Normal(mean, sigma),
        torch.distributions.Normal(prior_mean, math.sqrt(0.5)),
    ).sum()
    assert ours == pytest.approx(float(theirs), rel=1e-5)


def test_smoke_run_bound_holds_and_draws_its_figure(smoke_result):
    checked = {c.id: c.passed for c in smoke_result.claims if c.passed is not None}
    assert checked == {"bound-holds": True}, smoke_result.failed_claims
    m = smoke_result.metrics
    # The random task's network cannot beat guessing on held-out points by much.
    assert m["sgd_test_error"][1] > 0.4 and m["sgd_test_error"][0] < 0.1
    assert all(b > e for b, e in zip(m["bound"], m["q_train_error_upper"], strict=True))
    assert (smoke_result.out_dir / "pac_bayes.png").stat().st_size > 0


def test_the_split_and_the_coins_follow_the_seed(smoke_result, tmp_path):
    again = runner.run("pac-bayes", scale="smoke", seed=0, out=tmp_path / "again")
    assert again.metrics == smoke_result.metrics
    other = runner.run("pac-bayes", scale="smoke", seed=1, out=tmp_path / "other")
    assert other.metrics["bound"] != smoke_result.metrics["bound"]


def test_an_unoptimized_posterior_is_vacuous(smoke_result, tmp_path):
    """Without the posterior's optimization (σ = 0.01 around the SGD solution, λ = 10⁻³) the
    KL to the prior is tens of thousands of nats: the bound on true labels is vacuous. The
    bound-holds claim fails on doctored metrics only (a valid bound cannot be made to fail)."""
    r = runner.run("pac-bayes", scale="smoke", seed=0, out=tmp_path / "raw", bound_steps=0)
    assert r.metrics["kl"][0] > r.metrics["m"]  # KL/m > 1 nat per example
    assert verdicts(r.metrics)["non-vacuous-on-true-labels"] is False
    broken = dict(smoke_result.metrics, bound_minus_test_error=[-0.05, 0.1])
    assert verdicts(broken)["bound-holds"] is False


def test_true_labels_in_place_of_random_ones_are_not_vacuous(tmp_path):
    """random_fraction=0 gives the 'random' task the true labels: its optimized bound falls below
    0.5, and vacuous-on-random-labels fails (a small network and a short, fast optimization)."""
    r = runner.run(
        "pac-bayes",
        scale="smoke",
        seed=0,
        out=tmp_path / "true",
        random_fraction=0.0,
        hidden=8,
        sgd_steps=1000,
        bound_steps=1000,
        bound_lr=0.01,
    )
    assert r.metrics["bound_random"] < 0.5
    assert verdicts(r.metrics)["vacuous-on-random-labels"] is False


def test_config_refuses_a_training_set_without_a_test_set():
    with pytest.raises(BadInput, match="n_train"):
        runner.prepare("pac-bayes", "smoke", overrides={"n_train": 1790})


def test_paper_scale_without_mnist_stops_before_any_work(tmp_path):
    with pytest.raises(BadInput, match="MNIST"):
        runner.prepare("pac-bayes", "paper", out_dir=tmp_path / "paper")
