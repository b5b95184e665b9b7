"""Gradient descent on underdetermined least squares finds the minimum-norm interpolant.

Paper: Zhang, Bengio, Hardt, Recht, Vinyals (2017), "Understanding deep learning requires
rethinking generalization", §5 (implicit regularization in linear models); also problem set 0.

With n < d, ``Xw = y`` has infinitely many solutions. Gradient descent on ``½‖Xw − y‖²/n``
started at ``w₀`` only ever moves within the row space of X (every gradient is ``Xᵀ r``), so it
converges to ``X⁺y + P⊥w₀``: the pseudo-inverse (minimum ℓ2-norm) interpolant when started
from zero, shifted by exactly the start's component outside the row space otherwise.

Scales (2-core laptop CPU unless noted):
    smoke  n=20,  d=60,   seconds
    cpu    n=200, d=1000, about a second
    paper  n=2000, d=20000 (GPU or a patient CPU)

.. evidence: begin
Evidence (written by ``mlt evidence`` from evidence/cpu-seeds3; do not edit):
cpu scale, seeds 0–2, 0.7 s per seed: reproduces on 3/3 seeds; 2026-11-29, AMD EPYC, 2 cores, torch 2.13.0+cpu, 1 thread(s).
    pinv-limit: 4.433e-15 [4.297e-15, 4.568e-15] (3/3 seeds)
    interpolates: 1.97e-16 [1.562e-16, 2.377e-16] (3/3 seeds)
    row-space: 2.512e-15 [2.464e-15, 2.561e-15] (3/3 seeds)
    shifted-start: 2.894e-15 [2.77e-15, 3.018e-15] (3/3 seeds)
    min-norm: 5.973e-16 [1.075e-16, 1.087e-15] (3/3 seeds)
smoke scale: 0.4 s per seed, reproduces on 3/3 seeds.
Reproduce: ``mlt reproduce --scale cpu --seeds 3 --out cpu-seeds3``
.. evidence: end
Command: ``mlt run min-norm --scale cpu --seed 0``
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from pydantic import Field, model_validator

from mltheory.lab.claims import below, within_rel
from mltheory.lab.context import RunContext
from mltheory.lab.estimate import Cost, Workload
from mltheory.lab.figures import new_figure
from mltheory.lab.spec import ExperimentConfig, Paper, experiment

PAPER = Paper(
    title="Understanding deep learning requires rethinking generalization",
    authors="Zhang, Bengio, Hardt, Recht, Vinyals",
    year=2017,
    arxiv="1611.03530",
    reproduces="§5: SGD on linear least squares converges to the minimum-norm solution",
)


class Config(ExperimentConfig):
    n: int = Field(200, ge=2, le=20_000, description="number of samples (rows of X)")
    d: int = Field(1000, ge=3, le=200_000, description="dimension (columns of X); must exceed n")
    noise_std: float = Field(
        0.5, ge=0, le=1e3, description="std of the label noise added to X·beta"
    )
    steps: int = Field(3000, ge=1, le=1_000_000, description="gradient-descent steps")
    lr_scale: float = Field(
        1.0, gt=0, le=1.99, description="step size as a multiple of 1/L (L: smoothness)"
    )
    init_scale: float = Field(
        1.0, ge=1e-3, le=1e3, description="norm of the non-zero starting point"
    )
    record_every: int = Field(
        10, ge=1, le=1_000_000, description="record distances every this many steps"
    )

    @model_validator(mode="after")
    def _underdetermined(self) -> Config:
        # Checked with the config, so `--set n=100` at smoke scale (d=60) exits 2 before work.
        if self.d <= self.n:
            raise ValueError(
                f"min-norm needs an underdetermined system: d ({self.d}) must exceed n ({self.n})"
            )
        return self

    def cost(self) -> Cost:
        # X, its pseudo-inverse and a row-space basis (n×d float64 each, plus workspace); two
        # GD runs (from zero and from a random start) of 2 matrix-vector products per step,
        # and an SVD.
        return Cost(
            [
                Workload(
                    "two GD runs and an SVD",
                    n_params=self.d,
                    steps=2 * self.steps,
                    batch_size=0,
                    members=2,
                    data_bytes=4 * 8 * self.n * self.d,
                    extra_flops=2 * self.steps * 4 * self.n * self.d + 10 * self.n**2 * self.d,
                )
            ],
            what=f"min-norm with n={self.n}, d={self.d}, steps={self.steps}",
        )


SCALES = {
    "smoke": {"n": 20, "d": 60, "steps": 1500},
    "cpu": {},
    "paper": {"n": 2000, "d": 20000, "steps": 5000},
}

METRICS = {
    "rel_err_to_pinv": "‖w_T − X⁺y‖/‖X⁺y‖ of GD from zero after the last step",
    "rel_train_residual": "‖X w_T − y‖/‖y‖ of GD from zero",
    "max_row_space_leak": "largest ‖P⊥(w_t − w₀)‖/‖w_t‖ over the run from zero",
    "rel_err_shifted_start": "relative distance of GD from w₀ to X⁺y + P⊥w₀",
    "shifted_start_dist_to_pinv": "relative distance of GD from w₀ to X⁺y",
    "norm_gap_sq": "‖w_T from w₀‖² − ‖X⁺y‖²",
    "perp_start_norm_sq": "‖P⊥w₀‖²: the start's squared norm outside the row space",
    "pinv_norm": "‖X⁺y‖",
    "lr": "the GD step size used (lr_scale / L)",
}

TOL = 1e-4

CLAIMS = [
    below(
        "pinv-limit",
        "GD from zero converges to the pseudo-inverse (minimum ℓ2-norm) interpolant",
        f"relative error < {TOL:g}",
        "rel_err_to_pinv",
        TOL,
        label="‖w_T − X⁺y‖/‖X⁺y‖",
    ),
    below(
        "interpolates",
        "the limit fits the training data exactly (n < d)",
        "training residual ≈ 0",
        "rel_train_residual",
        TOL,
        label="‖Xw_T − y‖/‖y‖",
    ),
    # Every GD step adds a multiple of Xᵀr, so this holds by construction, after any number of
    # steps: it checks the implementation (and rounding), not the paper's finding.
    below(
        "row-space",
        "every iterate from zero stays in the row space of X (true of every GD step by "
        "construction: a check of the implementation)",
        "‖P⊥ w_t‖ = 0 (to rounding)",
        "max_row_space_leak",
        1e-8,
        label="max ‖P⊥w_t‖/‖w_t‖",
        sanity=True,
    ),
    below(
        "shifted-start",
        "from a non-zero start the limit is X⁺y plus the start's component outside the row space",
        f"relative error to X⁺y + P⊥w₀ < {TOL:g}",
        "rel_err_shifted_start",
        TOL,
        label="‖w_T − (X⁺y + P⊥w₀)‖/‖·‖",
    ),
    within_rel(
        "min-norm",
        "the limit from zero has the smallest norm among interpolants (the shifted start's is "
        "larger by exactly ‖P⊥w₀‖²)",
        "‖w₀-start limit‖² − ‖X⁺y‖² = ‖P⊥w₀‖²",
        "norm_gap_sq",
        "perp_start_norm_sq",
        1e-6,
        label="relative gap from ‖P⊥w₀‖²",
    ),
]


def gradient_descent(
    x: torch.Tensor,
    y: torch.Tensor,
    w0: torch.Tensor,
    steps: int,
    lr: float,
    record_every: int,
    targets: dict[str, torch.Tensor],
    perp: Callable[[torch.Tensor], torch.Tensor],
):
    """Run GD on ½‖Xw − y‖²/n from ``w0``; record distances to ``targets`` and the row-space leak
    (``perp``: the projection onto the orthogonal complement of the row space)."""
    n = x.shape[0]
    w = w0.clone()
    trace = {"step": [], "leak": [], **{k: [] for k in targets}}
    for t in range(steps + 1):
        if t % record_every == 0 or t == steps:
            trace["step"].append(t)
            trace["leak"].append(perp(w - w0).norm().item() / max(w.norm().item(), 1e-300))
            for k, target in targets.items():
                trace[k].append(((w - target).norm() / target.norm()).item())
        if t < steps:
            w = w - lr * (x.T @ (x @ w - y)) / n
    return w, trace


@experiment(
    "min-norm",
    title="GD on underdetermined least squares finds the minimum-norm interpolant",
    topic="generalization",
    paper=PAPER,
    config=Config,
    scales=SCALES,
    claims=CLAIMS,
    metrics=METRICS,
    lectures=("CS 229br lecture 1", "problem set 0"),
)
def run(cfg: Config, ctx: RunContext) -> dict:
    # Named streams of the run's seed: the data (X, β, noise) is drawn afresh for every seed, as
    # the theorem is about any X; the start w₀ has its own stream.
    g = ctx.torch_rng("data")
    # float64: the claims are about exact limits, so rounding must stay far below the tolerance.
    x = torch.randn(cfg.n, cfg.d, generator=g, dtype=torch.float64, device="cpu")
    beta = torch.randn(cfg.d, generator=g, dtype=torch.float64)
    y = x @ beta / math.sqrt(cfg.d) + cfg.noise_std * torch.randn(
        cfg.n, generator=g, dtype=torch.float64
    )
    x, y = x.to(ctx.device), y.to(ctx.device)

    w_pinv = torch.linalg.pinv(x) @ y
    # An orthonormal basis of X's row space (d×n), so P⊥v = v − Q Qᵀv never forms a d×d matrix.
    row_basis, _ = torch.linalg.qr(x.T)

    def perp(v: torch.Tensor) -> torch.Tensor:
        return v - row_basis @ (row_basis.T @ v)

    # Largest eigenvalue of XᵀX/n: the objective's smoothness constant L.
    smoothness = torch.linalg.matrix_norm(x, ord=2).item() ** 2 / cfg.n
    lr = cfg.lr_scale / smoothness

    w0 = torch.randn(cfg.d, generator=ctx.torch_rng("start"), dtype=torch.float64).to(ctx.device)
    w0 *= cfg.init_scale / w0.norm()
    shifted_target = w_pinv + perp(w0)

    zeros = torch.zeros(cfg.d, dtype=x.dtype, device=x.device)
    w_zero, trace_zero = gradient_descent(
        x, y, zeros, cfg.steps, lr, cfg.record_every, {"to_pinv": w_pinv}, perp
    )
    w_shift, trace_shift = gradient_descent(
        x,
        y,
        w0,
        cfg.steps,
        lr,
        cfg.record_every,
        {"to_shifted": shifted_target, "to_pinv": w_pinv},
        perp,
    )
    for i, step in enumerate(trace_zero["step"]):
        ctx.log(
            step=step,
            rel_err_to_pinv=trace_zero["to_pinv"][i],
            rel_err_shifted_start=trace_shift["to_shifted"][i],
        )

    fig, (ax1, ax2) = new_figure(ncols=2)
    ax1.semilogy(trace_zero["step"], trace_zero["to_pinv"], label="from 0: ‖w_t − X⁺y‖/‖X⁺y‖")
    ax1.semilogy(trace_shift["step"], trace_shift["to_pinv"], label="from w₀: distance to X⁺y")
    ax1.semilogy(
        trace_shift["step"],
        trace_shift["to_shifted"],
        "--",
        label="from w₀: distance to X⁺y + P⊥w₀",
    )
    ax1.set(xlabel="GD step", ylabel="relative distance", title=f"n={cfg.n}, d={cfg.d}")
    ax1.legend(fontsize=8)
    ax2.semilogy(trace_zero["step"], [max(v, 1e-18) for v in trace_zero["leak"]])
    ax2.set(
        xlabel="GD step", ylabel="‖P⊥(w_t − w₀)‖ / ‖w_t‖", title="iterates stay in the row space"
    )
    ctx.save_figure(fig, "min_norm")

    return {
        "rel_err_to_pinv": trace_zero["to_pinv"][-1],
        "rel_train_residual": ((x @ w_zero - y).norm() / y.norm()).item(),
        "max_row_space_leak": max(trace_zero["leak"]),
        "rel_err_shifted_start": trace_shift["to_shifted"][-1],
        "shifted_start_dist_to_pinv": trace_shift["to_pinv"][-1],
        "norm_gap_sq": (w_shift.norm() ** 2 - w_pinv.norm() ** 2).item(),
        "perp_start_norm_sq": (perp(w0).norm() ** 2).item(),
        "pinv_norm": w_pinv.norm().item(),
        "lr": lr,
    }
