"""gan-modes: smoke run, the written-out Adam and the measures on known cases, resume, and a
negative control (a one-mode target, the remedy turned off) for every claim."""

from __future__ import annotations

import math

import pytest
import torch

from mltheory.lab import registry, runner
from mltheory.lab.data.two_d import ring_centres, ring_of_gaussians
from mltheory.lab.errors import BadInput
from mltheory.lab.experiments.generative import gan_modes as gm

NEGATIVE_CONTROLS = {
    "vanilla-collapses": "test_a_one_mode_target_is_covered_by_the_vanilla_gan",
    "remedy-covers-more": "test_the_remedy_turned_off_fails_the_remedy_claims",
    "remedy-covers-all": "test_the_remedy_turned_off_fails_the_remedy_claims",
    "remedy-closer": "test_the_remedy_turned_off_fails_the_remedy_claims",
    "hq-definition": "test_hq_definition_fails_when_sigma_is_wrong",
}


def _verdicts(metrics: dict, scale: str = "cpu") -> dict[str, bool | None]:
    return {c.id: c.passed for c in registry.get("gan-modes").evaluate(metrics, scale)}


@pytest.fixture(scope="module")
def smoke_result(tmp_path_factory):
    return runner.run("gan-modes", scale="smoke", seed=0, out=tmp_path_factory.mktemp("gan"))


def test_smoke_run_passes_its_checked_claims(smoke_result):
    checked = {c.id for c in smoke_result.claims if c.passed is not None}
    assert checked == {"hq-definition"}
    assert all(c.passed for c in smoke_result.claims if c.passed is not None)
    m = smoke_result.metrics
    assert m["eval_steps"] == [0, 100, 200, 300]
    assert len(m["vanilla_modes"]) == len(m["remedy_energy"]) == m["replicates"] == 2
    assert all(len(c) == 4 for c in m["remedy_modes_curve"])
    for name in ("samples_over_training.png", "mode_coverage.png"):
        assert (smoke_result.out_dir / name).stat().st_size > 0


def test_adam_update_is_torch_adam():
    g = torch.Generator().manual_seed(0)
    w = torch.randn(3, 4, generator=g)
    ref = torch.nn.Parameter(w.clone())
    opt = torch.optim.Adam([ref], lr=0.01, betas=(0.5, 0.999))
    p, m, v = [w.clone()], [torch.zeros_like(w)], [torch.zeros_like(w)]
    for t in range(1, 6):
        grad = torch.randn(3, 4, generator=g)
        ref.grad = grad.clone()
        opt.step()
        p, m, v = gm.adam_update(p, [grad], m, v, t, 0.01, 0.5)
    assert torch.allclose(p[0], ref.detach(), atol=1e-6)


def test_look_ahead_is_differentiated_through():
    """The unrolled objective depends on the generator through the look-ahead steps too: its
    gradient differs from the one-step objective's, and matches finite differences."""
    gens = [torch.Generator().manual_seed(1)]
    disc = gm.MemberMLPs([2, 8, 1], torch.tanh, gens).double()
    real = torch.randn(1, 16, 2, generator=gens[0]).double()
    fake0 = torch.randn(1, 16, 2, generator=gens[0]).double()

    def unrolled_loss(fake: torch.Tensor, steps: int) -> torch.Tensor:
        look = [p.detach().clone().requires_grad_() for p in disc.params]
        m = [torch.zeros_like(p) for p in look]
        v = [torch.zeros_like(p) for p in look]
        for k in range(steps):
            loss = gm.discriminator_loss(disc(real, look), disc(fake, look))
            grads = torch.autograd.grad(loss, look, create_graph=True)
            look, m, v = gm.adam_update(look, grads, m, v, k + 1, 0.05, 0.5)
        return gm.generator_loss(disc(fake, look))

    grads = {}
    for k in (0, 3):
        fake = fake0.clone().requires_grad_()
        grads[k] = torch.autograd.grad(unrolled_loss(fake, k), fake)[0]
    assert not torch.allclose(grads[0], grads[3], atol=1e-4)
    h, i = 1e-6, (0, 3, 1)
    bumped = fake0.clone()
    bumped[i] += h
    numeric = (unrolled_loss(bumped, 3) - unrolled_loss(fake0, 3)) / h
    assert float(numeric.detach()) == pytest.approx(float(grads[3][i]), rel=1e-3, abs=1e-6)


def test_mode_measures_on_known_points():
    centres = ring_centres(8, 2.0)
    on_modes = centres.repeat(10, 1)
    exact = gm.mode_measures(on_modes, centres, 0.05, 0.01)
    assert exact["hq_share"] == 1.0 and exact["modes"] == 8
    one = gm.mode_measures(centres[:1].repeat(100, 1), centres, 0.05, 0.01)
    assert one["modes"] == 1 and one["covered"] == [0]
    far = gm.mode_measures(torch.zeros(50, 2), centres, 0.05, 0.01)
    assert far["hq_share"] == 0.0 and far["modes"] == 0


def test_exact_permutation_p_values():
    assert gm.permutation_gain_p([8] * 5, [0, 1, 0, 1, 0]) == pytest.approx(1 / math.comb(10, 5))
    assert gm.permutation_gain_p([8, 8], [1, 0]) == pytest.approx(1 / 6)
    assert gm.permutation_gain_p([3, 3, 3], [3, 3, 3]) == 1.0
    assert gm.permutation_gain_p([0] * 5, [8] * 5) == 1.0


def test_hq_definition_fails_when_sigma_is_wrong(smoke_result):
    """hq-definition checks the 3σ rule on the target's own samples; measured with a σ half the
    target's (points at twice the assumed spread), the share falls to 1 − e^{−9/8} ≈ 68%."""
    g = torch.Generator().manual_seed(0)
    target = ring_of_gaussians(2500, g, 8, 2.0, std=0.1)
    share = gm.mode_measures(target, ring_centres(8, 2.0), 0.05, 0.01)["hq_share"]
    assert share == pytest.approx(1 - math.exp(-9 / 8), abs=0.03)
    assert _verdicts(dict(smoke_result.metrics, target_hq_share=share))["hq-definition"] is False


def test_a_one_mode_target_is_covered_by_the_vanilla_gan(tmp_path):
    """vanilla-collapses says the vanilla GAN covers fewer modes than the target has; with one
    mode there is nothing to collapse onto but the target itself, and the claim must fail."""
    r = runner.run(
        "gan-modes",
        scale="smoke",
        seed=0,
        out=tmp_path / "one-mode",
        n_modes=1,
        steps=500,
        eval_every=250,
    )
    assert r.metrics["vanilla_modes"] == [1, 1]
    assert _verdicts(r.metrics)["vanilla-collapses"] is False


def test_the_remedy_turned_off_fails_the_remedy_claims(tmp_path):
    """With unroll_steps = 0 the "remedy" arm is a second set of vanilla GANs: enough
    replicates (5 + 5) that the permutation tests could pass, and none of remedy-covers-more,
    remedy-covers-all or remedy-closer may."""
    r = runner.run(
        "gan-modes", scale="smoke", seed=0, out=tmp_path / "off", unroll_steps=0, replicates=5
    )
    assert r.metrics["unroll_steps"] == 0
    verdicts = _verdicts(r.metrics)
    assert verdicts["remedy-covers-more"] is False
    assert verdicts["remedy-covers-all"] is False
    assert verdicts["remedy-closer"] is False


def test_interrupted_run_resumes_and_ends_the_same(smoke_result, tmp_path, monkeypatch):
    from mltheory.lab.context import RunContext

    monkeypatch.setenv("MLT_CHECKPOINT_EVERY_S", "0")  # checkpoint after every step
    original_log, calls = RunContext.log, []

    def log_then_die(self, **values):
        calls.append(values)
        if len(calls) == 10:  # inside the remedy arm (the vanilla arm logs 7 rows)
            raise KeyboardInterrupt
        original_log(self, **values)

    monkeypatch.setattr(RunContext, "log", log_then_die)
    out = tmp_path / "killed"
    with pytest.raises(KeyboardInterrupt):
        runner.run("gan-modes", scale="smoke", seed=0, out=out)
    monkeypatch.setattr(RunContext, "log", original_log)
    resumed = runner.run("gan-modes", scale="smoke", seed=0, out=out)
    assert resumed.resumed
    assert resumed.metrics == smoke_result.metrics


@pytest.mark.parametrize(
    "override",
    [
        {"replicates": 0},
        {"mode_std": 0.0},
        {"unroll_steps": -1},
        {"min_mode_share": 1.0},
        {"energy_samples": 600},  # more than the smoke scale's 500 generated samples
    ],
)
def test_config_refuses_bad_input(override):
    with pytest.raises(BadInput):
        runner.prepare("gan-modes", "smoke", overrides=override)
