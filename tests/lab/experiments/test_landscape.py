"""landscape: smoke run, the objective's derivatives, the saddle at 0, and claims that can fail."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from mltheory.lab import registry, runner
from mltheory.lab.data.matrix_sensing import completion_mask, planted_low_rank
from mltheory.lab.errors import BadInput
from mltheory.lab.experiments.theory import landscape as ls
from mltheory.lab.hessian import hessian_operator

# Each claim and the test in which it must FAIL (checked by tests/lab/test_claims.py).
NEGATIVE_CONTROLS = {
    "recovers": "test_too_few_observations_do_not_recover",
    "minimum": "test_a_start_at_the_saddle_ends_at_the_saddle",
    "curved-off-symmetry": "test_too_few_observations_do_not_recover",
}

F64 = torch.float64


def verdicts(metrics: dict, scale: str = "cpu") -> dict[str, bool | None]:
    return {c.id: c.passed for c in registry.get("landscape").evaluate(metrics, scale)}


@pytest.fixture(scope="module")
def smoke_result(tmp_path_factory):
    return runner.run("landscape", scale="smoke", seed=0, out=tmp_path_factory.mktemp("ls"))


def test_smoke_run_passes_its_checked_claims(smoke_result):
    checked = [c for c in smoke_result.claims if c.passed is not None]
    assert {c.id for c in checked} == {"recovers", "minimum", "curved-off-symmetry"}
    assert all(c.passed for c in checked), smoke_result.failed_claims
    m = smoke_result.metrics
    assert m["recovered_runs"] == m["runs"]
    # Exactly the rotation symmetry's r(r−1)/2 zero modes at every end point.
    assert set(m["zero_modes"]) == {m["symmetry_dim"]}
    for name in ("error_vs_steps.png", "hessian_spectrum.png"):
        assert (smoke_result.out_dir / name).stat().st_size > 0


def test_lanczos_at_the_saddle_matches_the_closed_form(smoke_result):
    # At X = 0 the Hessian is −(2/p)·P_Ω(M*) ⊗ I_r: its smallest eigenvalue is
    # −(2/p)·λ_max(P_Ω(M*)), negative — X = 0 is a saddle, not a minimum.
    m = smoke_result.metrics
    lanczos, exact = np.array(m["saddle_min_eig"]), np.array(m["saddle_min_eig_closed_form"])
    assert (exact < 0).all()
    assert np.allclose(lanczos, exact, rtol=1e-8)


def test_gradient_is_the_derivative_of_the_loss():
    g = torch.Generator().manual_seed(0)
    n, r, p = 7, 2, 0.6
    target = planted_low_rank(n, n, [1.0, 0.5], g, psd=True)
    mask = completion_mask(n, n, p, g, symmetric=True).double()
    x = torch.randn(n, r, generator=g, dtype=F64)
    ours, _ = ls.completion_gradient(x, mask, target, p)
    auto = torch.func.grad(ls.completion_loss(mask, target, p, r))(x.reshape(-1))
    assert torch.allclose(ours.reshape(-1), auto, atol=1e-12)


def test_rotations_are_flat_at_a_global_minimum():
    g = torch.Generator().manual_seed(1)
    n, r, p = 8, 3, 0.7
    target = planted_low_rank(n, n, [1.0, 0.7, 0.4], g, psd=True)
    mask = completion_mask(n, n, p, g, symmetric=True).double()
    evals, evecs = torch.linalg.eigh(target)
    x_star = evecs[:, -r:] * evals[-r:].sqrt()  # X*X*ᵀ = M*: a global minimum
    basis = ls.rotation_directions(x_star)
    assert basis.shape == (n * r, r * (r - 1) // 2)
    op = hessian_operator(ls.completion_loss(mask, target, p, r), x_star.reshape(-1))
    for v in basis.T:
        assert np.abs(op.matvec(v.numpy())).max() < 1e-12
    assert ls.rotation_directions(torch.zeros(n, r, dtype=F64)).shape[1] == 0


def test_too_few_observations_do_not_recover(tmp_path):
    """p = 0.15 at n = 20, r = 2: about 31 observed entries for 39 degrees of freedom. GD fits
    what it sees, but many matrices do: the error stays of order 1 (recovers FAILS), and the
    zero-loss set has flat directions beyond the rotations (curved-off-symmetry FAILS)."""
    r = runner.run(
        "landscape", scale="smoke", seed=0, out=tmp_path / "few", p=0.15, instances=2, starts=3
    )
    m = r.metrics
    assert m["min_observed_entries"] < m["degrees_of_freedom"]
    assert m["recovered_runs"] == 0
    v = verdicts(m)
    assert v["recovers"] is False
    assert v["curved-off-symmetry"] is False


def test_a_start_at_the_saddle_ends_at_the_saddle(tmp_path):
    """From X₀ = 0 the gradient vanishes: GD never moves, and the Hessian there has a negative
    eigenvalue of order λ_max (minimum FAILS; nothing is recovered either)."""
    r = runner.run("landscape", scale="smoke", seed=0, out=tmp_path / "zero", init_scale=0.0)
    m = r.metrics
    assert m["min_hessian_eig_rel"] < -0.1
    v = verdicts(m)
    assert v["minimum"] is False
    assert v["recovers"] is False


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"eigenvalues": [1.0] * 20}, "rank"),
        ({"p": 0.0}, "p"),
        ({"init_scale": -1.0}, "init_scale"),
        ({"n": 2000, "instances": 256, "starts": 256}, "memory"),
    ],
)
def test_config_refuses_bad_input(overrides, message):
    with pytest.raises(BadInput, match=message):
        runner.prepare("landscape", "smoke", overrides=overrides)


def test_interrupted_run_resumes_and_ends_the_same(tmp_path, monkeypatch):
    from mltheory.lab.context import RunContext

    short = {"max_steps": 200, "instances": 2, "starts": 2}
    whole = runner.run("landscape", scale="smoke", seed=0, out=tmp_path / "a", **short)
    monkeypatch.setenv("MLT_CHECKPOINT_EVERY_S", "0")
    original_log = RunContext.log

    def log_then_die(self, **values):
        if values.get("step") == 100:
            raise KeyboardInterrupt
        original_log(self, **values)

    monkeypatch.setattr(RunContext, "log", log_then_die)
    out = tmp_path / "killed"
    with pytest.raises(KeyboardInterrupt):
        runner.run("landscape", scale="smoke", seed=0, out=out, **short)
    monkeypatch.setattr(RunContext, "log", original_log)
    resumed = runner.run("landscape", scale="smoke", seed=0, out=out, **short)
    assert resumed.resumed
    assert resumed.metrics == whole.metrics
    assert (out / "metrics.jsonl").read_text() == (whole.out_dir / "metrics.jsonl").read_text()
