"""Policy gradient on LQR converges to the Riccati gain, geometrically, from a stabilizing start.

Paper: Fazel, Ge, Kakade, Mesbahi (2018), "Global convergence of policy gradient methods for the
linear quadratic regulator" (ICML 2018, arXiv 1801.05039): exact gradient descent, natural
policy gradient and Gauss–Newton converge linearly to the optimal K* from any stabilizing
start, and so does the model-free method (zeroth-order gradient estimates from rollouts of
smoothly perturbed policies) with polynomially many rollouts. CS 229br lecture 9.

The system is ``x_{t+1} = A x_t + B u_t`` with ``u_t = −K x_t`` and cost
``C(K) = E_{x₀~N(0,I)} Σ_t (x_tᵀ Q x_t + u_tᵀ R u_t) = tr(P_K)``, where ``P_K`` solves the
Lyapunov equation ``P = Q + KᵀRK + (A − BK)ᵀ P (A − BK)``. A is a random 3 × 3 matrix scaled to
spectral radius 1.1 (unstable without control), B a random 3 × 2 matrix, Q = I, R = I; both are
drawn afresh from each seed. The optimum K* comes from the discrete algebraic Riccati equation
(``scipy.linalg.solve_discrete_are``). The start K₀ is the Riccati gain of the same system with
inputs 10× more expensive: stabilizing by construction, with a cost gap of 10–40%.

* **Exact gradient descent**: ``K ← K − η ∇C(K)``, ``∇C(K) = 2[(R + BᵀP_K B)K − BᵀP_K A] Σ_K``
  with ``Σ_K = Σ_t E x_t x_tᵀ`` (a second Lyapunov equation). The step is
  ``η = 0.5 / L`` with L the largest Hessian eigenvalue of C at K₀ or at K* (finite differences
  of the exact gradient). It runs until the relative gap reaches rounding level (1e-13), at
  most 30 000 iterations: the random systems' Hessians at K* have condition numbers from ~3 to
  ~200, so the iterations needed range from ~200 to ~13 000.
* **Model-free** (zeroth order): each iteration draws ``m`` perturbations U uniform on the
  Frobenius sphere of radius r, rolls out K + U and K − U for ℓ steps from one shared x₀
  each, and steps along ``(d / 2r²) mean[(Ĉ(K+U) − Ĉ(K−U)) U]`` (d = entries of K) with the
  same η. This is the two-point form of Fazel et al.'s one-point smoothing estimator (Malik et
  al. 2019); sharing x₀ between the two rollouts removes most of its variance (K* is optimal
  from every x₀, so each rollout pair's first-order term vanishes there; what is left is the
  smoothing's O(r²) bias and O(r) noise, a floor near 1e-6–1e-5 in relative cost).
* Natural policy gradient (``K ← K − 2η_N E_K``) and Gauss–Newton (η = ½: Hewer's policy
  iteration) are drawn beside them in the figure for comparison; no claim reads them.

Claims and tolerances.
* exact-converges: ‖K − K*‖_F / ‖K*‖_F < 1e-4 at the end (measured ~1e-6).
* geometric-rate: near K*, gradient descent is a linear map ``δ ← (I − ηH)δ`` on the gain's
  error, so the cost gap (quadratic in δ) shrinks by ``ρ = max_i (1 − ηλ_i(H*))²`` per step.
  We fit log(gap) against the iteration over the gaps between 1e-11 and 1e-3 and require the
  fitted exponent within 10% of ln ρ (measured within 0.0002–3% on seeds 0–2) with R² ≥ 0.999.
* stays-stabilizing: every exact iterate keeps ρ(A − BK) < 1 (the cost is infinite outside;
  Fazel et al.'s analysis shows small steps never leave).
* model-free-converges: the model-free iterate ends with a relative cost gap below 1e-3
  (measured 1e-6–2e-5, that floor). Few samples do not break it (m = 1 still reaches ~1e-4 on
  seed 0: the shared x₀ keeps the estimate's noise small near K*); rollouts too short to see
  the cost (ℓ = 3) do: they follow the gradient of the wrong objective.

Scales (one core of a 2-core laptop CPU):
    smoke  400 exact and 200 model-free iterations
    cpu    up to 30 000 exact and 4 000 model-free iterations, m = 10, ℓ = 60
    paper  6 × 3 system, up to 100 000 exact and 10 000 model-free iterations, m = 50, ℓ = 100

.. evidence: begin
Evidence (written by ``mlt evidence`` from evidence/cpu-seeds3; do not edit):
cpu scale, seeds 0–2, 10.0 s per seed: reproduces on 3/3 seeds; 2026-11-29, AMD EPYC, 2 cores, torch 2.13.0+cpu, 1 thread(s).
    exact-converges: 7.987e-07 [-3.488e-08, 1.632e-06] (3/3 seeds)
    geometric-rate: 0.01204 [-0.02048, 0.04456] (3/3 seeds)
    stays-stabilizing: 0.6633 [0.3803, 0.9463] (3/3 seeds)
    model-free-converges: 0.000861% [-0.000919%, 0.00264%] (3/3 seeds)
smoke scale: 1.4 s per seed, reproduces on 3/3 seeds.
Reproduce: ``mlt reproduce --scale cpu --seeds 3 --out cpu-seeds3``
.. evidence: end
Command: ``mlt run lqr-policy-gradient --scale cpu --seed 0``
"""

from __future__ import annotations

import math

import numpy as np
import scipy.linalg
from pydantic import Field

from mltheory.lab.claims import below
from mltheory.lab.context import RunContext
from mltheory.lab.engine import TrainState, train_loop
from mltheory.lab.estimate import Cost, Workload
from mltheory.lab.figures import new_figure
from mltheory.lab.spec import Claim, ExperimentConfig, Paper, experiment

PAPER = Paper(
    title="Global convergence of policy gradient methods for the linear quadratic regulator",
    authors="Fazel, Ge, Kakade, Mesbahi",
    year=2018,
    arxiv="1801.05039",
    reproduces="global linear convergence of exact policy gradient to K* from a stabilizing "
    "start, and of the model-free zeroth-order method",
)

COMPARISON_ITERATIONS = 1000  # at most, for natural gradient and Gauss–Newton (figure only)
ROUNDING_GAP = 1e-13  # an exact method stops at this relative cost gap (rounding level)


class Config(ExperimentConfig):
    n_states: int = Field(3, ge=1, le=30, description="state dimension n")
    n_inputs: int = Field(2, ge=1, le=30, description="input dimension m")
    open_loop_radius: float = Field(
        1.1, gt=0, le=3, description="spectral radius of A (above 1: unstable without control)"
    )
    start_input_penalty: float = Field(
        10.0, gt=1, le=1e6, description="K₀ is the Riccati gain with R multiplied by this"
    )
    iterations: int = Field(
        30_000,
        ge=1,
        le=1_000_000,
        description="exact-gradient iterations at most (it stops once the gap is at rounding level)",
    )
    lr_scale: float = Field(
        0.5, gt=0, le=100, description="step η = lr_scale / L (L: largest Hessian eigenvalue)"
    )
    mf_iterations: int = Field(4000, ge=1, le=1_000_000, description="model-free iterations")
    mf_samples: int = Field(
        10, ge=1, le=100_000, description="perturbations U per model-free gradient estimate"
    )
    mf_radius: float = Field(
        0.05, gt=0, le=10, description="smoothing radius r (Frobenius norm of each U)"
    )
    rollout_length: int = Field(60, ge=1, le=100_000, description="steps ℓ of each rollout")

    def cost(self) -> Cost:
        n, m = self.n_states, self.n_inputs
        lyapunov = 30.0 * n**3  # a Schur-based Lyapunov solve
        rollouts = 2 * self.mf_samples * self.rollout_length * (4 * n * n + 2 * n * m)
        return Cost(
            [
                Workload(
                    "exact policy gradient, natural gradient, Gauss–Newton",
                    n_params=n * m,
                    steps=self.iterations + 2 * min(self.iterations, COMPARISON_ITERATIONS),
                    batch_size=1,
                    # Each iteration solves three Lyapunov equations (~0.3 ms with SciPy's
                    # overhead, ~3 steps of the cost model's overhead).
                    overhead_per_step=3.0,
                    upper_bound=True,  # gradient descent stops once at rounding level
                    extra_flops=3.0 * lyapunov * (self.iterations + 2 * COMPARISON_ITERATIONS),
                ),
                Workload(
                    f"model-free: {self.mf_samples} × 2 rollouts of {self.rollout_length} steps",
                    n_params=n * m,
                    steps=self.mf_iterations,
                    batch_size=2 * self.mf_samples,
                    # A Python loop over the rollout's steps (~8 µs each) and one Lyapunov solve.
                    overhead_per_step=1.0 + self.rollout_length * 0.08,
                    extra_flops=self.mf_iterations * (rollouts + lyapunov),
                    data_bytes=8 * 2 * self.mf_samples * (n * n + n * m + n),
                ),
            ],
            what=f"lqr-policy-gradient with {self.iterations} exact and {self.mf_iterations} "
            f"model-free iterations",
        )


SCALES = {
    "smoke": {"iterations": 400, "mf_iterations": 200},
    "cpu": {},
    "paper": {
        "n_states": 6,
        "n_inputs": 3,
        "iterations": 100_000,
        "mf_iterations": 10_000,
        "mf_samples": 50,
        "rollout_length": 100,
    },
}

K_TOL = 1e-4  # exact gradient descent: ‖K − K*‖_F / ‖K*‖_F at the end
RATE_TOL = 0.1  # relative error of the fitted log-rate against the Hessian's prediction
FIT_WINDOW = (1e-11, 1e-3)  # relative cost gaps used for the rate fit (local; above rounding)
MIN_R2 = 0.999
MIN_FIT_POINTS = 20
MF_TOL = 1e-3  # model-free: relative cost gap at the end
CURVE_POINTS = 400  # curves kept in the metrics (every k-th iteration)


# --- LQR: cost, gradient, Hessian ---------------------------------------------------------------


def spectral_radius(a: np.ndarray) -> float:
    return float(np.abs(np.linalg.eigvals(a)).max())


def riccati_gain(a, b, q, r) -> tuple[np.ndarray, np.ndarray]:
    """K* and P* of the infinite-horizon discrete-time LQR (``solve_discrete_are``)."""
    p = scipy.linalg.solve_discrete_are(a, b, q, r)
    return np.linalg.solve(r + b.T @ p @ b, b.T @ p @ a), p


def lqr_cost(a, b, q, r, k) -> float:
    """C(K) = tr(P_K) for x₀ ~ N(0, I); infinite if A − BK is not stable."""
    closed = a - b @ k
    if spectral_radius(closed) >= 1:
        return math.inf
    return float(np.trace(scipy.linalg.solve_discrete_lyapunov(closed.T, q + k.T @ r @ k)))


def lqr_gradient(a, b, q, r, k) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """∇C(K) = 2 E_K Σ_K with E_K = (R + BᵀP_K B)K − BᵀP_K A (Fazel et al., Lemma 1).
    Returns (∇C, E_K, R + BᵀP_K B)."""
    closed = a - b @ k
    p = scipy.linalg.solve_discrete_lyapunov(closed.T, q + k.T @ r @ k)
    sigma = scipy.linalg.solve_discrete_lyapunov(closed, np.eye(a.shape[0]))
    curvature = r + b.T @ p @ b
    e = curvature @ k - b.T @ p @ a
    return 2 * e @ sigma, e, curvature


def lqr_hessian(a, b, q, r, k, h: float = 1e-6) -> np.ndarray:
    """The Hessian of C at K over K's entries, by central differences of the exact gradient."""
    d = k.size
    hess = np.zeros((d, d))
    for i in range(d):
        step = np.zeros(d)
        step[i] = h
        step = step.reshape(k.shape)
        plus, minus = lqr_gradient(a, b, q, r, k + step)[0], lqr_gradient(a, b, q, r, k - step)[0]
        hess[:, i] = ((plus - minus) / (2 * h)).ravel()
    return (hess + hess.T) / 2


def random_system(cfg: Config, rng: np.random.Generator):
    """A (scaled to ``open_loop_radius``), B, Q = I, R = I, and the stabilizing start K₀."""
    a = rng.standard_normal((cfg.n_states, cfg.n_states))
    a *= cfg.open_loop_radius / spectral_radius(a)
    b = rng.standard_normal((cfg.n_states, cfg.n_inputs))
    q, r = np.eye(cfg.n_states), np.eye(cfg.n_inputs)
    k0, _ = riccati_gain(a, b, q, cfg.start_input_penalty * r)
    return a, b, q, r, k0


def rollout_costs(a, b, q, r, gains: np.ndarray, x0: np.ndarray, length: int) -> np.ndarray:
    """Σ_{t<ℓ} (x_tᵀQx_t + u_tᵀRu_t) of each gain in ``gains`` (batch, m, n) from its x₀."""
    closed = a[None] - b[None] @ gains
    weight = q[None] + gains.transpose(0, 2, 1) @ r[None] @ gains
    x, total = x0.copy(), np.zeros(len(x0))
    for _ in range(length):
        total += np.einsum("bi,bij,bj->b", x, weight, x)
        x = np.einsum("bij,bj->bi", closed, x)
    return total


def zeroth_order_gradient(cfg: Config, a, b, q, r, k, rng) -> np.ndarray:
    """Two-point smoothed gradient estimate from 2·m rollouts (module docstring)."""
    m = cfg.mf_samples
    u = rng.standard_normal((m, *k.shape))
    u *= cfg.mf_radius / np.sqrt((u**2).sum((1, 2), keepdims=True))
    x0 = rng.standard_normal((m, cfg.n_states))
    costs = rollout_costs(
        a, b, q, r, np.concatenate([k + u, k - u]), np.concatenate([x0, x0]), cfg.rollout_length
    )
    diff = costs[:m] - costs[m:]
    return (k.size / (2 * cfg.mf_radius**2)) * (diff[:, None, None] * u).mean(0)


def fit_rate(gaps: list[float]) -> tuple[float, float, int]:
    """Per-iteration factor of the gaps inside FIT_WINDOW (log-linear least squares), its R²
    and the number of points; NaN when fewer than MIN_FIT_POINTS."""
    pts = [(i, g) for i, g in enumerate(gaps) if FIT_WINDOW[0] <= g <= FIT_WINDOW[1]]
    if len(pts) < MIN_FIT_POINTS:
        return math.nan, math.nan, len(pts)
    it, y = np.array([p[0] for p in pts], float), np.log([p[1] for p in pts])
    slope, intercept = np.polyfit(it, y, 1)
    resid = y - (slope * it + intercept)
    r2 = 1 - (resid**2).sum() / ((y - y.mean()) ** 2).sum()
    return float(math.exp(slope)), float(r2), len(pts)


METRICS = {
    "k_star": "the Riccati gain K* (rows: inputs)",
    "c_star": "C(K*) = tr(P*)",
    "start_gap": "(C(K₀) − C*) / C* of the start",
    "step_size": "η = lr_scale / L",
    "hessian_eigenvalues": "eigenvalues of the Hessian of C at K*",
    "predicted_rate": "max_i (1 − ηλ_i(H*))²: the gap's predicted per-iteration factor",
    "fitted_rate": "per-iteration factor fitted to the exact-gradient gaps in the fit window",
    "fit_r2": "R² of that log-linear fit",
    "fit_points": "iterations inside the fit window",
    "gd_gap": "exact gradient descent: (C(K) − C*) / C*, at most ~400 evenly spaced iterations",
    "natural_gap": "natural policy gradient: relative cost gap, likewise",
    "gauss_newton_gap": "Gauss–Newton (η = ½): relative cost gap, likewise",
    "mf_gap": "model-free gradient descent: relative cost gap, likewise",
    "gd_iterations": "iterations exact gradient descent ran (it stops at rounding level)",
    "gd_final_gap": "exact gradient descent's final relative cost gap",
    "gd_k_error": "‖K − K*‖_F / ‖K*‖_F after exact gradient descent",
    "gd_max_radius": "largest ρ(A − BK) over the exact iterates (≥ 1: left the stable set)",
    "mf_final_gap": "model-free final relative cost gap (None if it left the stable set)",
    "mf_k_error": "‖K − K*‖_F / ‖K*‖_F after model-free descent (None if it left)",
    "mf_left_at": "iteration at which model-free descent left the stable set (None: never)",
}


def _geometric_rate(m):
    fitted, predicted, r2 = m["fitted_rate"], m["predicted_rate"], m["fit_r2"]
    if fitted is None or not math.isfinite(fitted) or r2 is None:
        return None, False, f"only {m['fit_points']} iterations in the fit window"
    err = abs(math.log(fitted) / math.log(predicted) - 1)
    detail = f"fitted {fitted:.6f} vs predicted {predicted:.6f} per iteration; R² = {r2:.5f}"
    return err, err < RATE_TOL and r2 >= MIN_R2, detail


def _model_free(m):
    gap = m["mf_final_gap"]
    if gap is None:
        return None, False, f"left the stabilizing set at iteration {m['mf_left_at']}"
    return gap, gap < MF_TOL, f"‖K − K*‖/‖K*‖ = {m['mf_k_error']:.2g}"


CLAIMS = [
    below(
        "exact-converges",
        f"exact policy gradient reaches the Riccati gain: ‖K − K*‖_F / ‖K*‖_F < {K_TOL:g}",
        "gradient descent converges to K* from any stabilizing start",
        "gd_k_error",
        K_TOL,
        label="‖K − K*‖_F / ‖K*‖_F after exact gradient descent",
        scales=("cpu", "paper"),
    ),
    Claim(
        "geometric-rate",
        "the exact-gradient cost gap falls geometrically, at the rate max(1 − ηλ(H*))² that the "
        f"Hessian at K* predicts: fitted log-rate within {RATE_TOL:.0%}, R² ≥ {MIN_R2:g}",
        "linear convergence: C(K_t) − C* ≤ (1 − c)^t (C(K₀) − C*) for a problem-dependent c > 0",
        _geometric_rate,
        scales=("cpu", "paper"),
        reads=("fitted_rate", "predicted_rate", "fit_r2", "fit_points"),
        label="relative error of the fitted log-rate",
    ),
    below(
        "stays-stabilizing",
        "every exact-gradient iterate stays in the stabilizing set: ρ(A − BK_t) < 1",
        "gradient descent with a small enough step never leaves the set of stabilizing K",
        "gd_max_radius",
        1.0,
        label="largest spectral radius of A − BK_t",
    ),
    Claim(
        "model-free-converges",
        f"model-free policy gradient (two-point zeroth-order estimates from rollouts) ends with "
        f"a relative cost gap below {MF_TOL:g}",
        "the model-free method reaches C(K) − C* ≤ ε with polynomially many rollouts",
        _model_free,
        scales=("cpu", "paper"),
        reads=("mf_final_gap", "mf_k_error", "mf_left_at"),
        unit="%",
        label="model-free final (C(K) − C*) / C*",
    ),
]


@experiment(
    "lqr-policy-gradient",
    title="Policy gradient on LQR converges geometrically to the Riccati gain",
    topic="rl",
    paper=PAPER,
    config=Config,
    scales=SCALES,
    claims=CLAIMS,
    metrics=METRICS,
    lectures=("CS 229br lecture 9",),
)
def run(cfg: Config, ctx: RunContext) -> dict:
    a, b, q, r, k0 = random_system(cfg, ctx.rng("system"))
    k_star, p_star = riccati_gain(a, b, q, r)
    c_star = float(np.trace(p_star))

    def gap(k: np.ndarray) -> float:
        return (lqr_cost(a, b, q, r, k) - c_star) / c_star

    h_star = np.linalg.eigvalsh(lqr_hessian(a, b, q, r, k_star))
    h_start = np.linalg.eigvalsh(lqr_hessian(a, b, q, r, k0))
    eta = cfg.lr_scale / max(h_star.max(), h_start.max())
    predicted = max(abs(1 - eta * h_star.min()), abs(1 - eta * h_star.max())) ** 2

    def descend(method: str) -> dict:
        """One method's iterations on the engine: a killed run resumes inside them."""
        iterations = {
            "gradient": cfg.iterations,
            "natural": min(cfg.iterations, COMPARISON_ITERATIONS),
            "gauss-newton": min(cfg.iterations, COMPARISON_ITERATIONS),
            "model-free": cfg.mf_iterations,
        }[method]
        state = TrainState(k=k0.copy(), gaps=[], radius=[], left_at=None)
        if method == "model-free":
            state.rollouts = ctx.rng("rollouts")
        # Natural gradient's step, as in Fazel et al.'s analysis: 1 / (2‖R + BᵀP_{K₀}B‖).
        eta_natural = 1 / (2 * np.linalg.norm(lqr_gradient(a, b, q, r, k0)[2], 2))

        def step(state: TrainState, _: None) -> dict:
            if method == "model-free":
                direction = eta * zeroth_order_gradient(cfg, a, b, q, r, state.k, state.rollouts)
            else:
                grad, e, curvature = lqr_gradient(a, b, q, r, state.k)
                if method == "gradient":
                    direction = eta * grad
                elif method == "natural":
                    direction = 2 * eta_natural * e
                else:  # Gauss–Newton with η = ½: K ← (R + BᵀPB)⁻¹BᵀPA (policy iteration)
                    direction = np.linalg.solve(curvature, e)
            state.k = state.k - direction
            state.radius.append(spectral_radius(a - b @ state.k))
            g = gap(state.k)
            state.gaps.append(g)
            if not math.isfinite(g):
                state.left_at = state.step + 1
            return {"gap": g if math.isfinite(g) else None}

        train_loop(
            state,
            step,
            steps=iterations,
            ctx=ctx,
            # Exact methods stop once the gap is at rounding level; model-free runs its budget.
            stop=lambda s: (
                s.left_at is not None
                or (method != "model-free" and bool(s.gaps) and s.gaps[-1] < ROUNDING_GAP)
            ),
            log_every=max(1, iterations // 20),
            log={"method": method},
            description=f"{method} iterations",
            name=method,
        )
        return {
            "gaps": state.gaps,
            "k_error": float(np.linalg.norm(state.k - k_star) / np.linalg.norm(k_star)),
            "max_radius": max(state.radius),
            "left_at": state.left_at,
        }

    methods = ("gradient", "natural", "gauss-newton", "model-free")
    runs = ctx.run_phases(methods, descend, description="methods")
    gd, mf = runs["gradient"], runs["model-free"]
    fitted, r2, n_fit = fit_rate(gd["gaps"])

    def curve(gaps: list[float]) -> list[float | None]:
        """At most about CURVE_POINTS evenly spaced gaps, the last one included."""
        stride = max(1, len(gaps) // CURVE_POINTS)
        return [g if math.isfinite(g) else None for g in gaps[::-1][::stride][::-1]]

    _plot(cfg, ctx, runs, eta, predicted, gap(k0))

    return {
        "k_star": k_star.tolist(),
        "c_star": c_star,
        "start_gap": gap(k0),
        "step_size": float(eta),
        "hessian_eigenvalues": h_star.tolist(),
        "predicted_rate": float(predicted),
        "fitted_rate": fitted if math.isfinite(fitted) else None,
        "fit_r2": r2 if math.isfinite(r2) else None,
        "fit_points": n_fit,
        "gd_gap": curve(gd["gaps"]),
        "natural_gap": curve(runs["natural"]["gaps"]),
        "gauss_newton_gap": curve(runs["gauss-newton"]["gaps"]),
        "mf_gap": curve(mf["gaps"]),
        "gd_iterations": len(gd["gaps"]),
        "gd_final_gap": gd["gaps"][-1] if math.isfinite(gd["gaps"][-1]) else None,
        "gd_k_error": gd["k_error"] if gd["left_at"] is None else None,
        "gd_max_radius": gd["max_radius"],
        "mf_final_gap": mf["gaps"][-1] if mf["left_at"] is None else None,
        "mf_k_error": mf["k_error"] if mf["left_at"] is None else None,
        "mf_left_at": mf["left_at"],
    }


def _plot(cfg, ctx, runs, eta, predicted, start_gap) -> None:
    fig, (ax,) = new_figure(width=6.5, height=4.2)
    styles = {
        "gradient": ("C0", "exact policy gradient"),
        "natural": ("C2", "natural policy gradient"),
        "gauss-newton": ("C4", "Gauss–Newton (policy iteration)"),
        "model-free": ("C1", f"model-free ({cfg.mf_samples}×2 rollouts of {cfg.rollout_length})"),
    }
    floor = 1e-16  # a gap at rounding level is drawn there
    for method, (color, label) in styles.items():
        gaps = np.array([g if math.isfinite(g) else np.nan for g in runs[method]["gaps"]])
        it = np.arange(1, len(gaps) + 1)
        ax.plot(
            it,
            np.maximum(gaps, floor),
            color=color,
            lw=2.5 if method == "gradient" else 1.5,
            label=label,
        )
        if runs[method]["left_at"] is not None:
            ax.plot([it[-1]], [1.0], "x", color=color, ms=8)
    # The local prediction, drawn from the first exact-gradient gap inside the fit window on.
    gd = runs["gradient"]["gaps"]
    first = next((i for i, g in enumerate(gd) if g <= FIT_WINDOW[1]), None)
    if first is not None:
        it = np.arange(first, len(gd))
        ax.plot(
            it + 1,
            gd[first] * predicted ** (it - first),
            "k--",
            lw=1,
            label=f"max(1 − ηλ(H*))² per step = {predicted:.5f} (predicted at K*)",
        )
    ax.axhline(
        start_gap,
        color="0.6",
        lw=0.8,
        ls=":",
        label=f"start K₀ (Riccati gain with R × {cfg.start_input_penalty:g})",
    )
    ax.set_yscale("log")
    ax.set_ylim(1e-15, max(10.0, 2 * start_gap))
    ax.set(
        xlabel="iteration",
        ylabel="(C(K) − C*) / C*  (C* from the Riccati equation)",
        title=f"LQR, n = {cfg.n_states}, m = {cfg.n_inputs}: policy gradient from a stabilizing "
        f"K₀ (η = {eta:.2g})",
    )
    ax.legend(fontsize=7, loc="upper right")
    ctx.save_figure(fig, "lqr_policy_gradient")
