"""Gradient descent on a matrix factorization from a small start finds a low nuclear norm,
low-rank solution; a deeper factorization finds a lower rank still.

Papers: Gunasekar, Woodworth, Bhojanapalli, Neyshabur, Srebro (2017), "Implicit regularization in
matrix factorization" (arXiv 1705.09280), §2–3 and Fig. 2; Arora, Cohen, Hu, Luo (2019),
"Implicit regularization in deep matrix factorization" (arXiv 1905.13655), §2–3, Figs. 2–3.

Setting (matrix sensing). A planted n×n matrix ``M*`` of rank r (singular values
``singular_values``, Haar-random singular vectors) is observed through ``m`` Gaussian
measurements ``y_i = ⟨A_i, M*⟩``, with ``r(2n − r) < m < n²``: more than the degrees of freedom
of a rank-r matrix, far fewer than its n² entries, so infinitely many matrices fit the data. A
depth-N factorization ``W = W_N ⋯ W_1`` (every ``W_j`` n×n: no rank is imposed) is trained by
full-batch gradient descent on ``(1/2m) Σ (⟨A_i, W⟩ − y_i)²`` from ``W_j = α·G_j/√n`` (G_j
standard Gaussian, so every factor starts with spectral norm about 2α). Nothing in the loss
prefers one interpolant to another: whatever GD picks is its implicit bias.

* Gunasekar et al.: for depth 2 the limit as α → 0 is (conjecturally; proven when the A_i
  commute) the interpolant of minimum nuclear norm. The reference is computed, not assumed:
  ``mltheory.lab.low_rank.min_nuclear_norm`` solves ``min ‖X‖_* s.t. 𝒜X = y`` by ADMM and
  returns a certificate (a dual feasible point) bounding the minimum from below, so the
  reference is known to a stated relative gap (claim ``certified``; its tests check the solver
  against closed forms). Claim ``nuclear-norm``: the depth-2 solution's nuclear norm is within
  ``NUCLEAR_TOL`` = 10% of the minimum on every instance. Why 10% and not "= 1 to rounding":
  the conjecture is false in general. Li, Luo & Lyu (2021, arXiv 2012.09839) show that depth-2
  gradient flow from a vanishing start performs greedy low-rank learning, which can end above
  the minimum nuclear norm (also Razin & Cohen 2020). Measured here (dated note below), the
  excess levels off at a few per cent as α shrinks instead of going to 0, and the step size
  does not change it: it is the limit, not an unconverged run. For scale: the least-ℓ2
  interpolant (GD on X itself from 0) lies ~45% above the minimum and a start at α = 0.3 ~60%;
  the init sweep (figure ``nuclear_norm_vs_init``, Gunasekar's Fig. 2) shows the fall.
* Arora et al.: depth ≥ 3 sharpens the bias towards low rank beyond what the nuclear norm
  explains. Claim ``depth-sharpens``: the effective rank (Roy & Vetterli: exp of the entropy of
  the normalised singular values) of the deepest factorization's solution is lower than depth
  2's, paired over the instances (exact sign test, p < ``LEVEL``, and a mean drop of at least
  ``MIN_ERANK_DROP``). Claim ``beats-nuclear``: with these few measurements the deepest
  factorization recovers ``M*`` better than nuclear norm minimization (Arora et al.'s Fig. 2:
  depth 3 reaches lower reconstruction error than the minimum nuclear norm solution when
  measurements are scarce): sign test, and a median error ratio at most ``MAX_ERROR_RATIO``.
* Claim ``fits``: every run interpolates (relative residual ‖𝒜W − y‖/‖y‖ < ``FIT_TOL``), so the
  solutions compared are interpolants. 1e-2, not 1e-6: depth-2 runs reach 1e-5 and below, but
  for depth ≥ 3 a singular value that must shrink to zero decays only polynomially (its rate
  is ∝ σ^{2−2/N}), so an instance that grew a stray third direction on the way keeps a residual
  of a few 1e-3 for tens of thousands of steps (seed 0, instance 9: 7.7e-3 after 12 000 steps,
  5.4e-3 after 16 000, 2.6e-3 after 32 000).

Everything runs in float64 on the CPU: the matrices are tiny (an accelerator's launch overhead
would dominate) and the comparison with the certified minimum must not be limited by rounding.
The ``instances`` sensing problems of a run are trained together as one batched computation.

Scales (2-core laptop CPU unless noted):
    smoke  n = 10, rank 2, m = 50, 8 instances, depths 2 and 3 at α = 0.03, 3 000 GD steps:
           about 2 s of CPU; checks the depth effect and the certificate only
    cpu    n = 20, rank 2, m = 120 (dof 76, n² = 400), 12 instances, depth 2 at α = 0.3, 0.1,
           0.03, 0.01 and depth 3 at α = 0.01, at most 16 000 steps each: about 40 s of CPU
    paper  n = 50, rank 3, m = 600 (dof 291), 16 instances, depths 2, 3 and 4, α down to
           0.003, at most 60 000 steps: a GPU or a patient CPU

Development notes (2026-11-29, cpu scale, shared 2-core machine). Depth-2 excess over the
certified minimum, max over 12 instances at α = 0.01: 6.7%, 5.7%, 5.4% on seeds 0–2 (medians
3.5%, 3.2%, 3.6%). Seed 0 with longer runs: median 3.9%, 3.2%, 2.9% at α = 0.01, 0.001, 1e-4
(max 5.1%, 5.1%, 5.9%); at α = 0.01 with a 5× smaller step, 3.8% (max 5.0%). The depth-2
solutions' effective rank meanwhile keeps falling (3.9, 2.9, 2.5; the minimum nuclear norm
solutions': ~3): the limit is lower-rank than the nuclear norm minimiser, as greedy low-rank
learning predicts. Depth 3 recovers M* to ~1e-3 on nearly every instance (effective rank 1.89
= M*'s), where the minimum nuclear norm solution misses by 8–40%.

.. evidence: begin
Evidence (written by ``mlt evidence`` from evidence/cpu-seeds3; do not edit):
cpu scale, seeds 0–2, 79 s per seed: reproduces on 3/3 seeds; 2026-11-29, AMD EPYC, 2 cores, torch 2.13.0+cpu, 1 thread(s).
    nuclear-norm: 5.93% [4.13%, 7.73%] (3/3 seeds)
    depth-sharpens: 1.9 [1.696, 2.105] (3/3 seeds)
    beats-nuclear: 0.0009318 × [0.0005998 ×, 0.001264 ×] (3/3 seeds)
    fits: 0.002049 [-0.005257, 0.009355] (3/3 seeds)
    certified: 9.894e-08 [9.813e-08, 9.974e-08] (3/3 seeds)
smoke scale: 4.4 s per seed, reproduces on 3/3 seeds.
Reproduce: ``mlt reproduce --scale cpu --seeds 3 --out cpu-seeds3``
.. evidence: end
Command: ``mlt run matrix-factorization --scale cpu --seed 0``
"""

from __future__ import annotations

import math
import statistics
from typing import Annotated

import numpy as np
import torch
from pydantic import Field, field_validator, model_validator

from mltheory.lab.claims import below, paired_gain_p
from mltheory.lab.context import RunContext
from mltheory.lab.data.matrix_sensing import SensingProblem, gaussian_sensing, planted_low_rank
from mltheory.lab.engine import TrainState, train_loop
from mltheory.lab.estimate import Cost, Workload
from mltheory.lab.figures import new_figure
from mltheory.lab.low_rank import effective_rank, min_nuclear_norm, nuclear_norm
from mltheory.lab.spec import Claim, ExperimentConfig, Paper, experiment

PAPER = Paper(
    title="Implicit regularization in matrix factorization; Implicit regularization in deep "
    "matrix factorization",
    authors="Gunasekar, Woodworth, Bhojanapalli, Neyshabur, Srebro; Arora, Cohen, Hu, Luo",
    year=2017,
    arxiv="1705.09280",
    reproduces="Gunasekar et al. Fig. 2 (GD from a small start on an underdetermined factorized "
    "sensing problem reaches the minimum nuclear norm) and Arora et al. (arXiv 1905.13655) "
    "Figs. 2–3 (deeper factorizations: lower effective rank, better recovery than the nuclear "
    "norm)",
)


class Config(ExperimentConfig):
    n: int = Field(20, ge=2, le=200, description="side of the square matrices (n×n)")
    singular_values: list[Annotated[float, Field(gt=0, le=100)]] = Field(
        [1.0, 0.5],
        min_length=1,
        max_length=50,
        description="non-zero singular values of the planted matrix M* (its rank = how many)",
    )
    measurements: int = Field(
        120, ge=1, le=40_000, description="Gaussian measurements m, between r(2n − r) and n²"
    )
    instances: int = Field(
        12, ge=1, le=256, description="independent sensing problems, trained as one batch"
    )
    depths: list[Annotated[int, Field(ge=2, le=8)]] = Field(
        [2, 3],
        min_length=2,
        max_length=6,
        description="factorization depths, non-decreasing, the first 2 (compared with the last)",
    )
    init_scales: list[Annotated[float, Field(gt=0, le=1)]] = Field(
        [0.3, 0.1, 0.03, 0.01],
        min_length=1,
        max_length=10,
        description="per-factor start scales α, decreasing: depth 2 runs at each, every depth "
        "at the last",
    )
    lr: float = Field(0.1, gt=0, le=1, description="gradient-descent step size")
    steps: int = Field(
        16_000, ge=1, le=1_000_000, description="GD steps of every run (at most: see CONVERGED)"
    )
    solver_tol: float = Field(
        1e-7, gt=0, lt=1, description="certified relative gap at which ADMM stops"
    )
    solver_max_iter: int = Field(
        5_000, ge=1, le=1_000_000, description="ADMM iterations at most, per instance"
    )
    log_every: int = Field(500, ge=1, le=1_000_000, description="log every this many GD steps")

    @field_validator("depths")
    @classmethod
    def _starts_at_two(cls, v: list[int]) -> list[int]:
        if v[0] != 2 or any(b < a for a, b in zip(v, v[1:], strict=False)):
            raise ValueError("depths must start at 2 and never decrease, e.g. [2, 3]")
        return v

    @field_validator("init_scales")
    @classmethod
    def _decreasing(cls, v: list[float]) -> list[float]:
        if any(b >= a for a, b in zip(v, v[1:], strict=False)):
            raise ValueError("init_scales must decrease strictly, e.g. [0.3, 0.1, 0.03]")
        return v

    @model_validator(mode="after")
    def _fits_the_shapes(self) -> Config:
        r, n = len(self.singular_values), self.n
        if r > n:
            raise ValueError(f"{r} singular values need n ≥ {r}")
        if self.measurements > n * n:
            raise ValueError(
                f"measurements ({self.measurements}) must be at most n² = {n * n} (more are "
                "linearly dependent)"
            )
        return self

    def cost(self) -> Cost:
        n, m, k = self.n, self.measurements, self.instances
        # ADMM, per iteration and instance: an n×n SVD (~20n³) and two passes through the m×n²
        # measurement matrix; a few small operations each (overheads measured 2026-11-29).
        solver = Workload(
            "minimum nuclear norm by ADMM, instance by instance",
            n_params=n * n,
            steps=k * self.solver_max_iter,
            batch_size=0,
            data_bytes=8 * (m * n * n + m * m),
            extra_flops=k * self.solver_max_iter * (20 * n**3 + 4 * m * n * n),
            upper_bound=True,
            overhead_per_step=1.5,
        )
        # GD, per step and instance: the products of the factors and their gradients (~4·depth
        # n×n products of 2n³) and two passes through the measurements; about six plain steps'
        # worth of Python per step. A run stops early once every instance fits to rounding.
        runs = [2] * len(self.init_scales) + self.depths[1:]
        gd = [
            Workload(
                f"GD on a depth-{d} factorization, {k} instances batched",
                n_params=d * n * n,
                steps=self.steps,
                batch_size=0,
                members=k,
                data_bytes=8 * k * 2 * m * n * n,
                extra_flops=self.steps * k * (4 * d * 2 * n**3 + 4 * m * n * n),
                upper_bound=True,
                overhead_per_step=6.0,
            )
            for d in runs
        ]
        return Cost(
            [solver, *gd],
            what=f"matrix-factorization with n={n}, m={m}, {k} instances, {len(runs)} GD runs "
            f"of {self.steps} steps",
        )


SCALES = {
    "smoke": {
        "n": 10,
        "measurements": 50,
        "instances": 8,
        "init_scales": [0.03],
        "steps": 3000,
        "log_every": 250,
    },
    "cpu": {},
    "paper": {
        "n": 50,
        "singular_values": [1.0, 0.7, 0.4],
        "measurements": 600,
        "instances": 16,
        "depths": [2, 3, 4],
        "init_scales": [0.3, 0.1, 0.03, 0.01, 0.003],
        "steps": 60_000,
        "solver_max_iter": 20_000,
        "log_every": 2000,
    },
}

NUCLEAR_TOL = 0.10  # ‖W₂‖_*/‖X_min‖_* − 1 on every instance; see the module docstring
FIT_TOL = 1e-2  # relative residual of every run; see the module docstring
CERTIFIED_GAP = 1e-5  # the convex reference's certified relative gap
LEVEL = 0.01  # one-sided sign tests over the instances
MIN_ERANK_DROP = 0.1  # mean effective-rank drop from depth 2 to the deepest
MAX_ERROR_RATIO = 0.5  # median (deepest's recovery error) / (min nuclear norm's)
CONVERGED = 1e-10  # a run whose every relative residual is below this stops early


def _depth_sharpens(m):
    drops = [float(d) for d in m["erank_drop"]]
    lower, higher = sum(d > 0 for d in drops), sum(d < 0 for d in drops)
    p = paired_gain_p(lower, higher)
    mean = statistics.fmean(drops)
    detail = f"lower on {lower}/{len(drops)} instances, sign test p = {p:.2g}"
    return mean, p < LEVEL and mean >= MIN_ERANK_DROP, detail


def _beats_nuclear(m):
    deep = [float(e) for e in m["recovery_error_by_depth"][-1]]
    nuc = [float(e) for e in m["recovery_error_min_nuclear"]]
    better = sum(d < c for d, c in zip(deep, nuc, strict=True))
    worse = sum(d > c for d, c in zip(deep, nuc, strict=True))
    p = paired_gain_p(better, worse)
    ratio = statistics.median(d / c if c > 0 else math.inf for d, c in zip(deep, nuc, strict=True))
    detail = f"better on {better}/{len(deep)} instances, sign test p = {p:.2g}"
    return ratio, p < LEVEL and ratio <= MAX_ERROR_RATIO, detail


METRICS = {
    "n": "matrix side",
    "rank": "rank r of the planted matrix",
    "measurements": "Gaussian measurements m",
    "degrees_of_freedom": "r(2n − r): the dimension of the rank-r matrices",
    "depths": "factorization depths (the first is 2)",
    "init_scales": "per-factor start scales α of the depth-2 sweep (decreasing)",
    "min_nuclear_norm": "certified minimum nuclear norm of an interpolant, per instance",
    "solver_max_gap": "largest certified relative gap of the convex reference",
    "solver_max_iterations": "most ADMM iterations an instance needed",
    "nuclear_excess_least_norm": "‖X_ℓ2‖_*/min − 1 of the least-Frobenius-norm interpolant "
    "(what GD on X itself from 0 finds), per instance: the scale of a large excess",
    "nuclear_excess_depth2": "‖W‖_*/min − 1 of depth 2 at the smallest α, per instance",
    "max_nuclear_excess_depth2": "the largest |excess| (an excess below 0 would mean a run "
    "that does not interpolate)",
    "median_nuclear_excess_by_init": "depth 2: median ‖W‖_*/min − 1 over instances, per α",
    "median_nuclear_excess_by_depth": "median ‖W‖_*/min − 1 per depth at the smallest α",
    "effective_rank_truth": "effective rank of M*",
    "effective_rank_min_nuclear": "effective rank of the minimum nuclear norm solution, per "
    "instance",
    "effective_rank_by_depth": "per depth, the effective rank of each instance's solution",
    "erank_drop": "per instance: effective rank at depth 2 minus at the deepest",
    "recovery_error_min_nuclear": "‖X_min − M*‖_F/‖M*‖_F per instance",
    "recovery_error_by_depth": "per depth, ‖W − M*‖_F/‖M*‖_F of each instance",
    "max_rel_residual": "largest ‖𝒜W − y‖/‖y‖ over every run and instance",
    "gd_steps": "GD steps each run took (depth-2 sweep, then the deeper depths)",
}

CLAIMS = [
    below(
        "nuclear-norm",
        "GD on a depth-2 factorization from a small start ends at an interpolant whose nuclear "
        "norm is close to the minimum (computed by a convex solver), on every instance",
        "→ the minimum nuclear norm as α → 0 (Fig. 2; conjectured, proven for commuting "
        f"measurements); here within {NUCLEAR_TOL:.0%}",
        "max_nuclear_excess_depth2",
        NUCLEAR_TOL,
        label="largest |‖W‖_*/min‖X‖_* − 1| over instances (depth 2, smallest α)",
        unit="%",
        scales=("cpu", "paper"),
    ),
    Claim(
        "depth-sharpens",
        "the deepest factorization's solution has lower effective rank than depth 2's, paired "
        f"over instances (sign test p < {LEVEL:g}, mean drop ≥ {MIN_ERANK_DROP:g})",
        "depth ≥ 3: lower effective rank than depth 2 (Arora et al. Fig. 3)",
        _depth_sharpens,
        reads=("erank_drop",),
        label="mean effective-rank drop, depth 2 → deepest",
    ),
    Claim(
        "beats-nuclear",
        "with few measurements the deepest factorization recovers M* better than nuclear norm "
        f"minimization (sign test p < {LEVEL:g}, median error ratio ≤ {MAX_ERROR_RATIO:g})",
        "depth 3 reaches lower reconstruction error than min nuclear norm at few measurements "
        "(Arora et al. Fig. 2)",
        _beats_nuclear,
        reads=("recovery_error_by_depth", "recovery_error_min_nuclear"),
        unit="×",
        label="median recovery error, deepest / min nuclear norm",
        scales=("cpu", "paper"),
    ),
    below(
        "fits",
        "every run interpolates the measurements (the solutions compared all fit the data)",
        f"training loss → 0; here ‖𝒜W − y‖/‖y‖ < {FIT_TOL:g}",
        "max_rel_residual",
        FIT_TOL,
        label="largest relative residual over runs and instances",
        scales=("cpu", "paper"),
    ),
    below(
        "certified",
        "the convex reference is the minimum to a certified relative gap (a dual feasible point "
        "bounds it from below; a check of the reference computation)",
        f"duality gap < {CERTIFIED_GAP:g}",
        "solver_max_gap",
        CERTIFIED_GAP,
        label="largest certified relative gap",
        sanity=True,
    ),
]


# --- the deep factorization ------------------------------------------------------------------


def start_factors(
    depth: int, alpha: float, shape: tuple[int, ...], generator: torch.Generator
) -> list[torch.Tensor]:
    """``depth`` factors ``α·G/√n`` (``shape`` = (*batch, n, n)), float64."""
    n = shape[-1]
    return [
        alpha / math.sqrt(n) * torch.randn(*shape, generator=generator, dtype=torch.float64)
        for _ in range(depth)
    ]


def end_to_end(factors: list[torch.Tensor]) -> tuple[torch.Tensor, list[torch.Tensor | None]]:
    """``W = W_N ⋯ W_1`` and the partial products ``W_{j−1} ⋯ W_1`` below each factor j
    (``None`` below the first)."""
    below_j: list[torch.Tensor | None] = []
    product = None
    for f in factors:
        below_j.append(product)
        product = f if product is None else f @ product
    return product, below_j


def factor_gradients(
    factors: list[torch.Tensor], below_j: list[torch.Tensor | None], grad_w: torch.Tensor
) -> list[torch.Tensor]:
    """The chain rule through ``W = W_N ⋯ W_1``: ``∂L/∂W_j = (W_N⋯W_{j+1})ᵀ (∂L/∂W)
    (W_{j−1}⋯W_1)ᵀ``, written out (the autograd graph of a 2–4 factor product costs more than
    its arithmetic at these sizes; the tests check it against autograd)."""
    grads: list[torch.Tensor] = [grad_w] * len(factors)
    above = None  # W_N ⋯ W_{j+1}
    for j in range(len(factors) - 1, -1, -1):
        left = grad_w if above is None else above.mT @ grad_w
        grads[j] = left if below_j[j] is None else left @ below_j[j].mT
        above = factors[j] if above is None else above @ factors[j]
    return grads


def train_factorization(
    problem: SensingProblem,
    depth: int,
    alpha: float,
    cfg: Config,
    ctx: RunContext,
    generator: torch.Generator,
) -> dict:
    """Full-batch GD on ``(1/2m)‖𝒜(W_N⋯W_1) − y‖²`` for every instance at once; returns the
    end-to-end matrices and their relative residuals."""
    y = problem.observations
    y_norm = y.norm(dim=-1)
    factors = start_factors(depth, alpha, tuple(problem.target.shape), generator)
    state = TrainState(factors=factors, max_rel_residual=1.0)

    def gd_step(state: TrainState, _: None) -> dict:
        w, below_j = end_to_end(state.factors)
        residual = problem.measure(w) - y
        grads = factor_gradients(state.factors, below_j, problem.adjoint(residual) / problem.m)
        for f, g in zip(state.factors, grads, strict=True):
            f -= cfg.lr * g
        rel = float((residual.norm(dim=-1) / y_norm).max())
        state.max_rel_residual = rel
        return {"max_rel_residual": rel if math.isfinite(rel) else None}

    train_loop(
        state,
        gd_step,
        steps=cfg.steps,
        ctx=ctx,
        log_every=cfg.log_every,
        log={"depth": depth, "init_scale": alpha},
        # Every instance fits to rounding: nothing is left to move (large starts get there early).
        stop=lambda state: state.max_rel_residual < CONVERGED,
        description=f"depth {depth}, α = {alpha:g}",
    )
    w, _ = end_to_end(state.factors)
    rel = (problem.measure(w) - y).norm(dim=-1) / y_norm
    return {"w": w, "rel_residual": rel, "steps": state.step}


def _finite(values) -> list[float | None]:
    return [v if math.isfinite(v) else None for v in (float(x) for x in values)]


@experiment(
    "matrix-factorization",
    title="Implicit regularization in (deep) matrix factorization: low nuclear norm, low rank",
    topic="theory",
    paper=PAPER,
    config=Config,
    scales=SCALES,
    claims=CLAIMS,
    metrics=METRICS,
    lectures=("MIT 18.408",),
)
def run(cfg: Config, ctx: RunContext) -> dict:
    n, k, r = cfg.n, cfg.instances, len(cfg.singular_values)
    # The instances (planted matrices and measurement operators) are drawn afresh for every seed.
    g = ctx.torch_rng("problem")
    target = planted_low_rank(n, n, cfg.singular_values, g, batch=(k,))
    problem = gaussian_sensing(target, cfg.measurements, g)

    def solve(_: str) -> dict:
        out = [
            min_nuclear_norm(
                problem.operators[i],
                problem.observations[i],
                tol=cfg.solver_tol,
                max_iter=cfg.solver_max_iter,
            )
            for i in range(k)
        ]
        return {
            "x": torch.stack([s.solution for s in out]),
            "value": torch.stack([s.value for s in out]),
            "gap": torch.stack([s.relative_gap for s in out]),
            "iterations": max(s.iterations for s in out),
        }

    # Runs: depth 2 at every α (the init sweep), then every deeper depth at the smallest α.
    last = len(cfg.init_scales) - 1
    runs = [(0, a) for a in range(len(cfg.init_scales))]
    runs += [(d, last) for d in range(1, len(cfg.depths))]

    def phase(key):
        if key == "min-nuclear-norm":
            return solve(key)
        d, a = key
        depth, alpha = cfg.depths[d], cfg.init_scales[a]
        return train_factorization(problem, depth, alpha, cfg, ctx, ctx.torch_rng("init", d, a))

    done = ctx.run_phases(["min-nuclear-norm", *runs], phase, description="solver and GD runs")
    ref = done["min-nuclear-norm"]
    by_depth = [done[(0, last)]] + [done[(d, last)] for d in range(1, len(cfg.depths))]

    def excess(w: torch.Tensor) -> torch.Tensor:
        return nuclear_norm(w) / ref["value"] - 1

    def recovery(x: torch.Tensor) -> torch.Tensor:
        return torch.linalg.matrix_norm(x - target) / torch.linalg.matrix_norm(target)

    eranks = [effective_rank(run_["w"]) for run_ in by_depth]
    excess_2 = excess(by_depth[0]["w"])
    a = problem.operators.flatten(-2)  # (k, m, n²)
    least_norm = a.mT @ torch.linalg.solve(a @ a.mT, problem.observations.unsqueeze(-1))
    excess_ln = excess(least_norm.reshape(k, n, n))
    residuals = torch.cat([done[key]["rel_residual"] for key in runs])

    figure_singular_values(cfg, target, ref["x"], by_depth, eranks, effective_rank(ref["x"]), ctx)
    sweep = [excess(done[(0, a)]["w"]) for a in range(len(cfg.init_scales))]
    figure_init_sweep(cfg, sweep, float(excess_ln.quantile(0.5)), ctx)

    return {
        "n": n,
        "rank": r,
        "measurements": cfg.measurements,
        "degrees_of_freedom": r * (2 * n - r),
        "depths": cfg.depths,
        "init_scales": cfg.init_scales,
        "min_nuclear_norm": ref["value"].tolist(),
        "solver_max_gap": float(ref["gap"].max()),
        "solver_max_iterations": int(ref["iterations"]),
        "nuclear_excess_least_norm": excess_ln.tolist(),
        "nuclear_excess_depth2": _finite(excess_2),
        "max_nuclear_excess_depth2": _finite([excess_2.abs().max()])[0],
        "median_nuclear_excess_by_init": _finite(
            excess(done[(0, a)]["w"]).quantile(0.5) for a in range(len(cfg.init_scales))
        ),
        "median_nuclear_excess_by_depth": _finite(
            excess(run_["w"]).quantile(0.5) for run_ in by_depth
        ),
        "effective_rank_truth": float(effective_rank(target[0])),
        "effective_rank_min_nuclear": effective_rank(ref["x"]).tolist(),
        "effective_rank_by_depth": [_finite(e) for e in eranks],
        "erank_drop": _finite(eranks[0] - eranks[-1]),
        "recovery_error_min_nuclear": recovery(ref["x"]).tolist(),
        "recovery_error_by_depth": [_finite(recovery(run_["w"])) for run_ in by_depth],
        "max_rel_residual": _finite([residuals.max()])[0],
        "gd_steps": [int(done[key]["steps"]) for key in runs],
    }


# --- figures -----------------------------------------------------------------------------------


def figure_singular_values(cfg, target, x_min, by_depth, eranks, erank_min, ctx) -> None:
    """Left: the singular values of one instance's solutions against M*'s. Right: every
    instance's effective rank for each depth, paired lines, beside M*'s and the convex
    solution's."""
    fig, (ax1, ax2) = new_figure(ncols=2)
    index = np.arange(1, cfg.n + 1)
    floor = 1e-10  # zero singular values, drawn on the log axis's floor

    def spectrum(x: torch.Tensor) -> np.ndarray:
        return np.maximum(torch.linalg.svdvals(x).numpy(), floor)

    ax1.semilogy(index, spectrum(target[0]), "ks", ms=7, mfc="none", label="ground truth M*")
    ax1.semilogy(index, spectrum(x_min[0]), "x", color="0.4", label="min ‖X‖_* (convex solver)")
    for i, (depth, run_) in enumerate(zip(cfg.depths, by_depth, strict=True)):
        ax1.semilogy(
            index,
            spectrum(run_["w"][0]),
            "o-",
            ms=3,
            lw=1,
            color=f"C{i}",
            label=f"GD, depth {depth}",
        )
    ax1.set(
        xlabel="index i",
        ylabel="singular value σ_i",
        title=f"instance 0: n = {cfg.n}, m = {cfg.measurements}, α = {cfg.init_scales[-1]:g}",
        ylim=(floor / 3, None),
    )
    ax1.legend(fontsize=7)

    labels = ["min ‖X‖_*"] + [f"depth {d}" for d in cfg.depths]
    columns = [erank_min.numpy()] + [e.numpy() for e in eranks]
    xs = np.arange(len(columns))
    for i in range(cfg.instances):
        ax2.plot(xs, [c[i] for c in columns], "-", color="0.7", lw=0.8)
    for j, c in enumerate(columns):
        ax2.plot(np.full(len(c), xs[j]), c, "o", ms=4, color="0.4" if j == 0 else f"C{j - 1}")
    truth = float(effective_rank(target[0]))
    ax2.axhline(truth, color="k", ls="--", lw=1, label=f"M*: {truth:.2f}")
    ax2.set_xticks(xs, labels)
    ax2.set(ylabel="effective rank (Roy & Vetterli)", title=f"{cfg.instances} instances, paired")
    ax2.legend(fontsize=7)
    ctx.save_figure(fig, "singular_values")


def figure_init_sweep(cfg, excess_by_init, excess_least_norm, ctx) -> None:
    """Gunasekar et al.'s Fig. 2: depth-2 nuclear norm over the certified minimum, against α."""
    fig, (ax,) = new_figure()
    alphas = np.array(cfg.init_scales)
    ratios = np.array([(e + 1).numpy() for e in excess_by_init])  # (alphas, instances)
    for i in range(cfg.instances):
        ax.plot(alphas, ratios[:, i], "-", color="C0", lw=0.6, alpha=0.4)
    ax.plot(alphas, np.median(ratios, axis=1), "o-", color="C0", lw=2, label="median instance")
    ax.axhline(1.0, color="k", ls="--", lw=1, label="minimum nuclear norm (certified)")
    ax.axhline(
        1 + excess_least_norm, color="C3", ls="-.", lw=1, label="least-ℓ2 interpolant (median)"
    )
    ax.axhline(1 + NUCLEAR_TOL, color="k", ls=":", lw=0.8, label=f"claim: within {NUCLEAR_TOL:.0%}")
    ax.set_xscale("log")
    ax.set(
        xlabel="per-factor start scale α",
        ylabel="‖W‖_* / min ‖X‖_*  (depth 2)",
        title="smaller start → closer to minimum nuclear norm",
    )
    ax.legend(fontsize=7)
    ctx.save_figure(fig, "nuclear_norm_vs_init")
