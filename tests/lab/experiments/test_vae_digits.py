"""vae-digits: smoke run, the bound and the baseline checked on known cases, claims that fail."""

from __future__ import annotations

import math

import pytest
import torch
from typer.testing import CliRunner

from mltheory.cli import app
from mltheory.lab import registry, runner
from mltheory.lab.errors import BadInput
from mltheory.lab.experiments.generative import vae_digits as vd

# Each claim and the test in which it must FAIL (checked by tests/lab/test_claims.py).
NEGATIVE_CONTROLS = {
    "beats-factorised": "test_one_training_step_fails_the_bound_claims",
    "elbo-improves": "test_one_training_step_fails_the_bound_claims",
    "reconstructs": "test_a_latent_of_zero_capacity_fails_to_reconstruct",
}


@pytest.fixture(scope="module")
def smoke_result(tmp_path_factory):
    return runner.run("vae-digits", scale="smoke", seed=0, out=tmp_path_factory.mktemp("vae"))


def verdicts_at(metrics: dict, scale: str = "cpu") -> dict[str, bool | None]:
    return {c.id: c.passed for c in registry.get("vae-digits").evaluate(metrics, scale)}


def test_smoke_run_passes_its_checked_claims(smoke_result):
    checked = {c.id for c in smoke_result.claims if c.passed is not None}
    assert checked == {"beats-factorised", "reconstructs"}
    assert all(c.passed for c in smoke_result.claims if c.passed is not None), (
        smoke_result.failed_claims
    )
    m = smoke_result.metrics
    assert m["n_train"] + m["n_held_out"] == 1797
    assert m["epochs"] == list(range(16))
    # The ELBO is its two terms, and the bound rose from the random start.
    for e, r, k in zip(m["elbo_held_out"], m["recon_held_out"], m["kl_held_out"], strict=True):
        assert e == pytest.approx(r - k, abs=1e-3)
        assert k >= 0
    assert m["elbo_held_out"][-1] > m["elbo_held_out"][0] + 10
    for name in ("elbo", "reconstructions", "samples", "latent_traversal"):
        assert (smoke_result.out_dir / f"{name}.png").stat().st_size > 0


def test_the_split_follows_the_seed(smoke_result, tmp_path):
    other = runner.run("vae-digits", scale="smoke", seed=1, out=tmp_path / "other", epochs=1)
    assert other.metrics["factorised_log_lik"] != smoke_result.metrics["factorised_log_lik"]


def test_factorised_bernoulli_is_the_smoothed_pixel_frequency():
    x = torch.tensor([[1.0, 0.0, 1.0], [1.0, 0.0, 0.0], [1.0, 0.0, 1.0], [0.0, 0.0, 1.0]])
    p = vd.factorised_bernoulli(x)
    assert p.tolist() == pytest.approx([4 / 6, 1 / 6, 4 / 6])
    ll = vd.bernoulli_log_lik(torch.tensor([[1.0, 1.0, 0.0]]), p)
    assert float(ll) == pytest.approx(math.log(4 / 6) + math.log(1 / 6) + math.log(2 / 6))


def test_the_elbo_is_a_lower_bound_with_the_closed_form_kl():
    """On a 3-pixel, 1-latent VAE, log p(x) = log ∫ p(x|z) N(z; 0, 1) dz by quadrature: the
    ELBO stays below it, and the closed-form KL matches its Monte Carlo estimate."""
    torch.manual_seed(0)
    model = vd.VAE(pixels=3, hidden=4, latent=1).double()
    x = torch.tensor([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0]], dtype=torch.float64)
    z = torch.linspace(-8, 8, 4001, dtype=torch.float64)[:, None]
    with torch.no_grad():
        logits = model.decoder(z)  # (grid, 3)
        log_lik = -torch.nn.functional.binary_cross_entropy_with_logits(
            logits[:, None, :].expand(-1, 2, -1), x.expand(len(z), -1, -1), reduction="none"
        ).sum(-1)  # (grid, 2)
        log_prior = -0.5 * z**2 - 0.5 * math.log(2 * math.pi)
        log_px = torch.logsumexp(log_lik + log_prior, 0) + math.log(float(z[1] - z[0]))
        g = torch.Generator().manual_seed(0)
        recon, kl_dims, elbo = model.elbo_terms(x, g, samples=20_000)
        mu, logvar = model.posterior(x)
        eps = torch.randn((20_000, *mu.shape), generator=g, dtype=torch.float64)
        zq = mu + (0.5 * logvar).exp() * eps
        log_q = -0.5 * eps**2 - 0.5 * logvar - 0.5 * math.log(2 * math.pi)
        log_p = -0.5 * zq**2 - 0.5 * math.log(2 * math.pi)
        kl_mc = (log_q - log_p).sum(-1).mean(0)
    assert torch.all(elbo < log_px)
    assert kl_dims.sum(-1).tolist() == pytest.approx(kl_mc.tolist(), abs=0.02)


def test_one_training_step_fails_the_bound_claims(tmp_path):
    """Negative control for beats-factorised and elbo-improves: after a single step (one epoch
    of one batch holding every training image) the bound is still near its random start, far
    below the factorised model, and has not risen and levelled off."""
    r = runner.run(
        "vae-digits", scale="smoke", seed=0, out=tmp_path / "one", epochs=1, batch_size=2000
    )
    assert r.metrics["epochs"] == [0, 1]
    verdicts = verdicts_at(r.metrics)
    assert verdicts["beats-factorised"] is False
    assert verdicts["elbo-improves"] is False


def test_a_latent_of_zero_capacity_fails_to_reconstruct(tmp_path):
    """Negative control for reconstructs: with the KL term weighted ×100 (β = 100) any
    information in z costs more than it buys, q(z|x) collapses to the prior, and the decoder
    can do no better than each pixel's majority value."""
    r = runner.run("vae-digits", scale="smoke", seed=0, out=tmp_path / "beta", beta=100.0)
    assert r.metrics["kl_held_out"][-1] < 0.05
    assert verdicts_at(r.metrics)["reconstructs"] is False


def test_paper_scale_refuses_missing_mnist_before_any_work(tmp_path):
    # The lab's test setup points MLT_DATA at an empty folder.
    with pytest.raises(BadInput, match="MNIST files not found"):
        runner.prepare("vae-digits", "paper", out_dir=tmp_path / "run")
    res = CliRunner().invoke(
        app, ["run", "vae-digits", "--scale", "paper", "--out", str(tmp_path / "run")]
    )
    assert res.exit_code == 2, res.output
    assert not (tmp_path / "run").exists()


def test_config_refuses_bad_values():
    for field, value in (("held_out_fraction", 1.0), ("latent_dim", 0), ("beta", -1.0)):
        with pytest.raises(BadInput, match=field):
            runner.prepare("vae-digits", "smoke", overrides={field: value})
