"""Matrix completion has no spurious local minima: gradient descent from a random start
recovers the planted matrix on every run, and stops at a minimum, not a saddle.

Paper: Ge, Lee, Ma (2016), "Matrix completion has no spurious local minimum" (NeurIPS 2016,
arXiv 1605.07272), Theorems 2.1–2.3.

Setting (symmetric matrix completion, the paper's §2). A planted PSD matrix ``M* = U*U*ᵀ``
(n×n, rank r, eigenvalues ``eigenvalues``, Haar-random eigenvectors) is observed on a random
symmetric set Ω of entries, each entry (and its mirror) observed with probability ``p``. The
non-convex objective over X ∈ R^{n×r}

    f(X) = (1/2p) ‖P_Ω(XXᵀ − M*)‖_F²

is minimised by full-batch gradient descent from a random start ``X₀`` (entries N(0, σ²/n),
σ = ``init_scale``: X₀X₀ᵀ has the size of M*). The theorem: once p ≥ poly(μ, r, κ)·log n / n,
every local minimum of (a regularised) f is global — ``XXᵀ = M*`` — and every saddle has a
direction of negative curvature, so GD from a random start does not get stuck. The
regulariser, which keeps rows of X from growing large (incoherence), is a device of the proof:
it is left out here, as in the paper's discussion of practice, and recovery is measured
without it. Each of ``instances`` problems (M*, Ω) is started from ``starts`` random points,
and all instances × starts runs are trained as one batched computation.

Claims:
* ``recovers``: every run ends with ``‖XXᵀ − M*‖_F/‖M*‖_F < RECOVERY_TOL`` = 1e-6. GD near a
  global minimum converges linearly; runs stop once the observed residual is at rounding
  level (1e-13), where the error is ~1e-14. A spurious local minimum or a saddle would leave an
  error of order 1 (the start has error ≈ 1.6): 1e-6 separates the two by many decades.
* ``minimum``: at every run's end point the smallest Hessian eigenvalue (Lanczos,
  ``scipy.sparse.linalg.eigsh``, on Hessian–vector products through ``torch.func``:
  ``mltheory.lab.hessian``) is ``≥ −HESSIAN_TOL·λ_max`` with HESSIAN_TOL = 1e-8. Exactly 0 is
  not measurable: Lanczos is run to a relative tolerance of 1e-10, and the end point is
  ~1e-14 from the set of minima, where eigenvalues move by about as much. 1e-8 is a hundred
  times those, and a saddle's negative curvature is of the order of λ_max itself (at X = 0 it
  is −(2/p)λ_max(P_Ω(M*)), about −λ_max/2 here).
* ``curved-off-symmetry``: f(XR) = f(X) for every orthogonal r×r R, so at a minimum the
  Hessian has r(r − 1)/2 zero eigenvalues along the rotations ``X·S`` (S skew-symmetric).
  Deflating exactly those directions, the smallest remaining eigenvalue is positive, at least
  ``MIN_CURVATURE`` = 1e-6·λ_max (a hundred times HESSIAN_TOL): the minimum is strict up to
  the symmetry, the local picture the paper's strict-saddle analysis relies on. With too few
  observations the zero-loss set is larger than M*'s rotation orbit and more flat directions
  appear (a negative control).

Everything runs in float64 on the CPU: the claims compare numbers near rounding level, and the
matrices are tiny.

Scales (2-core laptop CPU unless noted):
    smoke  n = 20, rank 2, p = 0.6, 3 instances × 4 starts, at most 1 500 steps: seconds
    cpu    n = 60, rank 3 (eigenvalues 1, 0.75, 0.5), p = 0.5 (≈ 900 observed entries, 5× the
           n·r − r(r−1)/2 = 177 degrees of freedom), 10 instances × 10 starts, at most 4 000
           steps
    paper  n = 200, rank 5, p = 0.3, 16 instances × 16 starts, at most 20 000 steps

Development notes (2026-11-29): what the sample-size condition means in practice. The
theorem's p ≥ poly(μ, r, κ)·log n/n has unspecified constants; measured with this file's GD
(seeds 0–4, 64 runs each, 4 000 steps): at n = 60, p = 0.5 all 320 runs recover; at p = 0.4,
319 do. The one that does not (seed 0, problem 5, start 4) has no regulariser to stop it: one
row of X grows without bound (‖row‖ 0.4 → 1.9 over 8 000 steps, at step sizes 0.1, 0.05 and
0.02 alike) while the observed residual stalls at 0.24. With the paper's regulariser added
(λ·Σᵢ(‖e_iᵀX‖ − α)₊⁴, λ = 1, α = twice M*'s largest √M_ii) the same start stops at a genuine
spurious local minimum: gradient 1e-15, Hessian ⪰ 0 (three zero modes, next 0.03), loss 0.06,
error 1.15. Below the sample size the landscape does have bad minima, as the theorem allows;
at p = 0.15 no run recovers (the negative control in the tests).

.. evidence: begin
Evidence (written by ``mlt evidence`` from evidence/cpu-seeds3; do not edit):
cpu scale, seeds 0–2, 39 s per seed: reproduces on 3/3 seeds; 2026-11-29, AMD EPYC, 2 cores, torch 2.13.0+cpu, 1 thread(s).
    recovers: 2.184e-13 [1.648e-13, 2.719e-13] (3/3 seeds)
    minimum: -1.918e-15 [-4.956e-15, 1.12e-15] (3/3 seeds)
    curved-off-symmetry: 0.05369 [0.0354, 0.07199] (3/3 seeds)
smoke scale: 3.4 s per seed, reproduces on 3/3 seeds.
Reproduce: ``mlt reproduce --scale cpu --seeds 3 --out cpu-seeds3``
.. evidence: end
Command: ``mlt run landscape --scale cpu --seed 0``
"""

from __future__ import annotations

import math
from typing import Annotated

import numpy as np
import torch
from pydantic import Field, model_validator

from mltheory.lab.claims import at_least, below
from mltheory.lab.context import RunContext
from mltheory.lab.data.matrix_sensing import completion_mask, planted_low_rank
from mltheory.lab.engine import TrainState, train_loop
from mltheory.lab.estimate import Cost, Workload
from mltheory.lab.figures import new_figure
from mltheory.lab.hessian import extreme_eigenvalues, hessian_operator, orthonormal_span
from mltheory.lab.spec import ExperimentConfig, Paper, experiment

PAPER = Paper(
    title="Matrix completion has no spurious local minimum",
    authors="Ge, Lee, Ma",
    year=2016,
    arxiv="1605.07272",
    reproduces="Theorems 2.1–2.3: all local minima of the (symmetric) matrix completion "
    "objective are global; gradient descent from a random start recovers M*",
)


class Config(ExperimentConfig):
    n: int = Field(60, ge=2, le=2000, description="side of the planted n×n PSD matrix")
    eigenvalues: list[Annotated[float, Field(gt=0, le=100)]] = Field(
        [1.0, 0.75, 0.5],
        min_length=1,
        max_length=50,
        description="non-zero eigenvalues of M* (its rank r = how many)",
    )
    p: float = Field(0.5, gt=0, le=1, description="probability that an entry is observed")
    instances: int = Field(10, ge=1, le=256, description="planted problems (M*, Ω)")
    starts: int = Field(10, ge=1, le=256, description="random starts per problem")
    init_scale: float = Field(
        1.0, ge=0, le=10, description="σ: start entries N(0, σ²/n); 0 starts at the saddle X = 0"
    )
    lr: float = Field(0.1, gt=0, le=1, description="gradient-descent step size")
    max_steps: int = Field(
        4000, ge=1, le=1_000_000, description="GD steps at most (runs stop once all have fit)"
    )
    log_every: int = Field(
        25, ge=1, le=100_000, description="record every run's error every this many steps"
    )
    lanczos_tol: float = Field(
        1e-10, gt=0, lt=1e-3, description="relative tolerance of the Lanczos eigenvalues"
    )

    @model_validator(mode="after")
    def _fits_the_shapes(self) -> Config:
        r = len(self.eigenvalues)
        if r >= self.n:
            raise ValueError(f"rank {r} needs n > {r}")
        return self

    def cost(self) -> Cost:
        n, r, runs = self.n, len(self.eigenvalues), self.instances * self.starts
        d = n * r
        # GD per step and run: XXᵀ (n²r), the masked residual times X (n²r), elementwise n².
        gd = Workload(
            f"GD on f(X), {runs} runs batched",
            n_params=d,
            steps=self.max_steps,
            batch_size=0,
            members=runs,
            data_bytes=8 * runs * 3 * n * n,
            extra_flops=self.max_steps * runs * (4 * n * n * r + 4 * n * n),
            upper_bound=True,
            overhead_per_step=3.0,
        )
        # Lanczos, per run: λ_max, the smallest few and the deflated smallest, ~100 Hessian–vector
        # products each (~3 gradients of 4n²r each; ~200 µs of Python and dispatch apiece).
        products = 3 * 100
        lanczos = Workload(
            "Hessian spectra by Lanczos on Hessian–vector products",
            n_params=d,
            steps=(runs + self.instances) * products,
            batch_size=0,
            extra_flops=(runs + self.instances) * products * 3 * 4 * n * n * r,
            upper_bound=True,
            overhead_per_step=2.0,
        )
        return Cost(
            [gd, lanczos],
            what=f"landscape with n={n}, rank {r}, {runs} runs of at most {self.max_steps} steps",
        )


SCALES = {
    "smoke": {
        "n": 20,
        "eigenvalues": [1.0, 0.5],
        "p": 0.6,
        "instances": 3,
        "starts": 4,
        "max_steps": 1500,
    },
    "cpu": {},
    "paper": {
        "n": 200,
        "eigenvalues": [1.0, 0.8, 0.6, 0.5, 0.4],
        "p": 0.3,
        "instances": 16,
        "starts": 16,
        "max_steps": 20_000,
        "log_every": 100,
    },
}

RECOVERY_TOL = 1e-6  # ‖XXᵀ − M*‖_F/‖M*‖_F of every run; see the module docstring
HESSIAN_TOL = 1e-8  # λ_min ≥ −HESSIAN_TOL·λ_max; see the module docstring
MIN_CURVATURE = 1e-6  # smallest eigenvalue off the rotation directions, over λ_max
CONVERGED = 1e-13  # GD stops once every run's observed relative residual is below this
ZERO_MODE = 1e-6  # |λ|/λ_max below this counts as a zero eigenvalue (figure, zero-mode count)

METRICS = {
    "n": "matrix side",
    "rank": "rank r of M*",
    "p": "observation probability",
    "degrees_of_freedom": "n·r − r(r−1)/2: the dimension of the rank-r PSD matrices",
    "min_observed_entries": "fewest observed entries (upper triangle and diagonal) of a problem",
    "runs": "instances × starts",
    "steps_run": "GD steps taken (all runs together; stopped once every run had fit)",
    "final_rel_error": "‖XXᵀ − M*‖_F/‖M*‖_F of every run at the end",
    "max_final_rel_error": "the largest of those",
    "recovered_runs": f"runs whose error is below {RECOVERY_TOL:g}",
    "hessian_max_eig": "largest Hessian eigenvalue λ_max at every run's end",
    "hessian_min_eig_rel": "smallest Hessian eigenvalue over λ_max at every run's end",
    "min_hessian_eig_rel": "the smallest of those (≥ 0 at a minimum)",
    "zero_modes": "eigenvalues with |λ|/λ_max < ZERO_MODE among the smallest few, per run",
    "symmetry_dim": "r(r−1)/2: zero eigenvalues forced by the rotation symmetry X → XR",
    "off_symmetry_min_eig_rel": "smallest eigenvalue off the rotation directions over λ_max, "
    "per run",
    "min_off_symmetry_eig_rel": "the smallest of those",
    "saddle_min_eig": "smallest Hessian eigenvalue at the saddle X = 0 (Lanczos), per problem",
    "saddle_min_eig_closed_form": "−(2/p)·λ_max(P_Ω(M*)), the same in closed form, per problem",
}

CLAIMS = [
    below(
        "recovers",
        "gradient descent from a random start recovers the planted matrix on every run "
        "(every problem, every start)",
        "all local minima are global: XXᵀ = M* (Thm 2.3); here error < "
        f"{RECOVERY_TOL:g} on every run",
        "max_final_rel_error",
        RECOVERY_TOL,
        label="largest ‖XXᵀ − M*‖_F/‖M*‖_F over runs",
    ),
    at_least(
        "minimum",
        "every run ends at a minimum, not a saddle: the smallest Hessian eigenvalue (Lanczos on "
        "Hessian–vector products) is ≥ 0 up to its measurement tolerance",
        f"local minimum: ∇²f ⪰ 0; here λ_min ≥ −{HESSIAN_TOL:g}·λ_max",
        "min_hessian_eig_rel",
        -HESSIAN_TOL,
        label="smallest λ_min/λ_max over runs",
    ),
    at_least(
        "curved-off-symmetry",
        "apart from the r(r−1)/2 rotation directions X·S (S skew), the Hessian at every end "
        "point is positive definite: the minimum is strict up to the symmetry",
        f"strict up to X → XR; here λ_min off the rotations ≥ {MIN_CURVATURE:g}·λ_max",
        "min_off_symmetry_eig_rel",
        MIN_CURVATURE,
        label="smallest λ_min/λ_max off the rotation directions, over runs",
    ),
]


# --- the objective ------------------------------------------------------------------------------


def completion_gradient(
    x: torch.Tensor, mask: torch.Tensor, target: torch.Tensor, p: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """``∇f(X) = (2/p)·P_Ω(XXᵀ − M*)·X`` (Ω symmetric) for a batch ``x`` of shape (…, n, r),
    and the masked residual ``P_Ω(XXᵀ − M*)``."""
    residual = mask * (x @ x.mT - target)
    return (2 / p) * residual @ x, residual


def completion_loss(mask: torch.Tensor, target: torch.Tensor, p: float, r: int):
    """``f`` of one problem as a function of the flat ``vec(X)`` (for ``torch.func``)."""
    n = target.shape[-1]

    def f(x_flat: torch.Tensor) -> torch.Tensor:
        x = x_flat.reshape(n, r)
        return 0.5 / p * ((mask * (x @ x.T - target)) ** 2).sum()

    return f


def rotation_directions(x: torch.Tensor) -> torch.Tensor:
    """An orthonormal basis of ``{vec(X·S) : S skew-symmetric}``, the tangent space of the
    orbit ``X·O(r)`` along which f is constant (``n·r × r(r−1)/2``, fewer if X is degenerate:
    none at X = 0)."""
    n, r = x.shape
    columns = []
    for a in range(r):
        for b in range(a + 1, r):
            v = torch.zeros_like(x)
            v[:, b] = x[:, a]  # X·(e_a e_bᵀ − e_b e_aᵀ)
            v[:, a] = -x[:, b]
            columns.append(v.reshape(-1))
    if not columns:
        return x.new_zeros(n * r, 0)
    return orthonormal_span(torch.stack(columns, dim=1))


def hessian_summary(
    f, x: torch.Tensor, r: int, v0: np.ndarray, tol: float
) -> dict[str, float | int | list[float]]:
    """λ_max, the smallest few eigenvalues, the zero-mode count and the smallest eigenvalue off
    the rotation directions of ∇²f at ``x`` (flat)."""
    op = hessian_operator(f, x)
    lam_max = float(extreme_eigenvalues(op, 1, which="LA", v0=v0, tol=tol)[0])
    sym = r * (r - 1) // 2
    k = min(sym + 3, x.numel() - 1)
    smallest = extreme_eigenvalues(op, k, which="SA", v0=v0, tol=tol)
    basis = rotation_directions(x.reshape(-1, r))
    scale = abs(lam_max) if lam_max != 0 else 1.0
    if basis.shape[1] > 0:
        # The rotation directions are pushed above λ_max: the smallest eigenvalue left is the
        # smallest on their orthogonal complement.
        deflated = hessian_operator(f, x, deflate=basis, shift=2 * scale)
        off = float(extreme_eigenvalues(deflated, 1, which="SA", v0=v0, tol=tol)[0])
    else:
        off = float(smallest[0])
    return {
        "max": lam_max,
        "smallest": (smallest / scale).tolist(),
        "min_rel": float(smallest[0]) / scale,
        "zero_modes": int(np.sum(np.abs(smallest) / scale < ZERO_MODE)),
        "off_rel": off / scale,
    }


@experiment(
    "landscape",
    title="Matrix completion has no spurious local minima: every random start recovers M*",
    topic="theory",
    paper=PAPER,
    config=Config,
    scales=SCALES,
    claims=CLAIMS,
    metrics=METRICS,
    lectures=("MIT 18.408",),
)
def run(cfg: Config, ctx: RunContext) -> dict:
    n, r, k, s = cfg.n, len(cfg.eigenvalues), cfg.instances, cfg.starts
    runs = k * s
    # Problems and starts are drawn afresh for every seed, each from its own stream.
    g = ctx.torch_rng("problem")
    targets = planted_low_rank(n, n, cfg.eigenvalues, g, psd=True, batch=(k,))
    masks = completion_mask(n, n, cfg.p, g, symmetric=True, batch=(k,)).double()
    # Run j is start j % s of problem j // s.
    target, mask = targets.repeat_interleave(s, 0), masks.repeat_interleave(s, 0)
    x0 = torch.randn(runs, n, r, generator=ctx.torch_rng("starts"), dtype=torch.float64)
    x0 *= cfg.init_scale / math.sqrt(n)
    target_norm = torch.linalg.matrix_norm(target)
    observed_norm = torch.linalg.matrix_norm(mask * target)

    def rel_error(x: torch.Tensor) -> torch.Tensor:
        return torch.linalg.matrix_norm(x @ x.mT - target) / target_norm

    def descend(_: str) -> dict:
        state = TrainState(x=x0.clone(), fit=1.0, curve={"step": [], "error": []})

        def record(state: TrainState) -> None:
            if state.step % cfg.log_every == 0:
                state.curve["step"].append(state.step)
                state.curve["error"].append(rel_error(state.x).tolist())

        def gd_step(state: TrainState, _: None) -> dict:
            grad, residual = completion_gradient(state.x, mask, target, cfg.p)
            state.x -= cfg.lr * grad
            fit = torch.linalg.matrix_norm(residual) / observed_norm
            state.fit = float(fit.max()) if bool(torch.isfinite(fit).all()) else math.inf
            return {"max_observed_residual": state.fit if math.isfinite(state.fit) else None}

        record(state)
        train_loop(
            state,
            gd_step,
            steps=cfg.max_steps,
            ctx=ctx,
            log_every=cfg.log_every,
            hooks=[record],
            stop=lambda state: state.fit < CONVERGED,
            description="gradient descent",
        )
        if state.curve["step"][-1] != state.step:
            state.curve["step"].append(state.step)
            state.curve["error"].append(rel_error(state.x).tolist())
        return {"x": state.x, "curve": state.curve, "steps": state.step}

    done = ctx.run_phases(["gradient descent"], descend, description="GD")["gradient descent"]
    x_end = done["x"]
    errors = rel_error(x_end)

    # Hessians at every end point, and at the saddle X = 0 of every problem.
    v0_rng = ctx.rng("lanczos start")
    ends = []
    for j in range(runs):
        f = completion_loss(mask[j], target[j], cfg.p, r)
        v0 = v0_rng.standard_normal(n * r)
        ends.append(hessian_summary(f, x_end[j].reshape(-1), r, v0, cfg.lanczos_tol))
    saddle, saddle_exact = [], []
    for i in range(k):
        f = completion_loss(masks[i], targets[i], cfg.p, r)
        op = hessian_operator(f, torch.zeros(n * r, dtype=torch.float64))
        v0 = v0_rng.standard_normal(n * r)
        saddle.append(float(extreme_eigenvalues(op, 1, v0=v0, tol=cfg.lanczos_tol)[0]))
        saddle_exact.append(float(-2 / cfg.p * torch.linalg.eigvalsh(masks[i] * targets[i])[-1]))

    figure_errors(cfg, done["curve"], ctx)
    figure_hessian(cfg, ends, saddle, [e["max"] for e in ends[::s]], ctx)

    finite = [float(e) if math.isfinite(float(e)) else None for e in errors]
    observed = torch.triu(masks).sum((-2, -1))
    return {
        "n": n,
        "rank": r,
        "p": cfg.p,
        "degrees_of_freedom": n * r - r * (r - 1) // 2,
        "min_observed_entries": int(observed.min()),
        "runs": runs,
        "steps_run": int(done["steps"]),
        "final_rel_error": finite,
        "max_final_rel_error": None if None in finite else max(finite),
        "recovered_runs": sum(e is not None and e < RECOVERY_TOL for e in finite),
        "hessian_max_eig": [e["max"] for e in ends],
        "hessian_min_eig_rel": [e["min_rel"] for e in ends],
        "min_hessian_eig_rel": min(e["min_rel"] for e in ends),
        "zero_modes": [e["zero_modes"] for e in ends],
        "symmetry_dim": r * (r - 1) // 2,
        "off_symmetry_min_eig_rel": [e["off_rel"] for e in ends],
        "min_off_symmetry_eig_rel": min(e["off_rel"] for e in ends),
        "saddle_min_eig": saddle,
        "saddle_min_eig_closed_form": saddle_exact,
    }


# --- figures -----------------------------------------------------------------------------------


def figure_errors(cfg: Config, curve: dict, ctx: RunContext) -> None:
    """The relative error of every run against GD steps, coloured by problem."""
    fig, (ax,) = new_figure(width=6.0, height=4.0)
    steps = np.array(curve["step"])
    errors = np.maximum(np.array(curve["error"]), 1e-17)  # (records, runs)
    for j in range(errors.shape[1]):
        ax.semilogy(steps, errors[:, j], color=f"C{(j // cfg.starts) % 10}", lw=0.8, alpha=0.7)
    ax.axhline(RECOVERY_TOL, color="k", ls="--", lw=1, label=f"claim: < {RECOVERY_TOL:g}")
    for i in range(min(cfg.instances, 10)):
        ax.plot([], [], color=f"C{i}", label=f"problem {i + 1}")
    ax.set(
        xlabel="gradient-descent step",
        ylabel="‖XXᵀ − M*‖_F / ‖M*‖_F",
        title=f"n = {cfg.n}, r = {len(cfg.eigenvalues)}, p = {cfg.p:g}: "
        f"{cfg.instances} problems × {cfg.starts} random starts",
    )
    ax.legend(fontsize=6, ncol=2, loc="upper right")
    ctx.save_figure(fig, "error_vs_steps")


def figure_hessian(cfg: Config, ends: list[dict], saddle: list[float], scale: list[float], ctx):
    """The smallest Hessian eigenvalues (over λ_max) at every run's end, and at X = 0."""
    fig, (ax,) = new_figure(width=6.0, height=4.0)
    r = len(cfg.eigenvalues)
    sym = r * (r - 1) // 2
    for e in ends:
        idx = np.arange(1, len(e["smallest"]) + 1)
        ax.plot(idx, e["smallest"], "o", color="C0", ms=3, alpha=0.4)
    ax.plot([], [], "o", color="C0", ms=3, label="end points of all runs")
    at_zero = [lam / abs(sc) for lam, sc in zip(saddle, scale, strict=True)]
    ax.plot(
        np.ones(len(at_zero)), at_zero, "v", color="C3", ms=6, label="saddle X = 0 (each problem)"
    )
    ax.set_yscale("symlog", linthresh=1e-10)
    ticks = [-1.0, -1e-4, -1e-8, 0.0, 1e-8, 1e-4, 1.0]
    ax.set_yticks(ticks, ["−1", "−10⁻⁴", "−10⁻⁸", "0", "10⁻⁸", "10⁻⁴", "1"])
    ax.minorticks_off()
    ax.axhspan(-HESSIAN_TOL, HESSIAN_TOL, color="0.85", label=f"±{HESSIAN_TOL:g} (tolerance)")
    ax.axhline(0, color="k", lw=0.6)
    if sym:
        ax.axvline(sym + 0.5, color="0.5", ls=":", lw=1)
        ax.annotate(
            f"{sym} zero modes:\nrotations X → XR",
            (sym + 0.5, 1e-3),
            xytext=(-4, 0),
            textcoords="offset points",
            ha="right",
            fontsize=7,
        )
    ax.set(
        xlabel="eigenvalue index (smallest first)",
        xticks=range(1, sym + 4),
        ylabel="Hessian eigenvalue / λ_max (λ_max at the end point)",
        title="every end point is a minimum; X = 0 is a saddle",
    )
    ax.legend(fontsize=7, loc="lower right")
    ctx.save_figure(fig, "hessian_spectrum")
