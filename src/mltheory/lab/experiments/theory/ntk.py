"""Wide networks train like their linearization, with the tangent kernel fixed at initialization.

Papers: Jacot, Gabriel, Hongler (2018), "Neural tangent kernel: convergence and generalization in
neural networks", arXiv 1806.07572 (Theorem 1: at initialization the empirical NTK converges to
a deterministic kernel as the widths grow; Theorem 2: it stays constant during training);
Lee, Xiao, Schoenholz, Bahri, Novak, Sohl-Dickstein, Pennington (2019), "Wide neural networks
of any depth evolve as linear models under gradient descent", arXiv 1902.06720 (Theorem 2.1:
the trained network and its linearization differ by O(n^{-1/2}) in width n; eq. 9–10: the
linearized network's outputs in closed form; the same theorem bounds the kernel's change
during training by O(n^{-1/2})). MIT 18.408.

Setting. Inputs on the sphere of radius √d in d = 8 dimensions, a smooth random target
``y = sin(2⟨u, x⟩) + ½ cos(3⟨v, x⟩)`` (u, v uniform unit vectors, standardized), ``n_train``
training and ``n_test`` test points. ReLU networks with ``depth`` hidden layers of width m in the
NTK parameterization (``nn.ParameterizedMLP``: every layer ``√2 · W z/√fan_in + 0.1 · b`` with
``W, b ~ N(0, 1)``, float64), ``inits`` networks per width, trained by full-batch gradient
descent on ½·mean squared error for ``steps`` steps with ``η = lr_factor · n / λ_max(Θ₀(X, X))``
(``lr_factor`` < 2 keeps the linear model stable). For each network:

* ``Θ₀``, ``Θ_T``: the empirical NTK at initialization and after training, on the training and
  test points, from ``torch.func`` per-example Jacobians (``mltheory.lab.ntk.empirical_ntk``);
* the distance of ``Θ₀`` to the infinite-width kernel ``Θ_∞`` (closed form: the ReLU layer
  recursion, ``mltheory.lab.ntk.relu_ntk``), ``‖Θ₀ − Θ_∞‖_F / ‖Θ_∞‖_F``;
* the linearization gap: RMS over the test points of ``f_T − f_T^lin``, where ``f_T^lin`` is the
  linearized network after the same ``T`` steps of the same GD, in closed form from ``Θ₀`` and
  ``f_0`` (Lee et al. eq. 9–10);
* the kernel's relative change ``‖Θ_T − Θ₀‖_F / ‖Θ₀‖_F``;
* kernel regression with ``Θ₀`` (the linearized model's T → ∞ limit, from ``f_0``): its relative
  error ``‖f_T − f_krr‖ / ‖f_T‖`` on the test points.

Each quantity is averaged over the inits at each width and its log-log slope against width fitted
by least squares; a bootstrap over inits (redrawing each width's inits) gives the slope's 1%–99%
range, shown beside it.

Why d = 8. The theorems' constants grow as the smallest eigenvalue of Θ_∞(X, X) falls: the
slowest directions of the residual are learned at a rate the kernel's small change can alter by
a large fraction. With d = 4 and 32 points (condition number 250–1 000) one development run
(seed 1, 2026-11-29) kept a gap of 0.29 from width 1 024 to 4 096 while its kernel changed by
2%, and its training residual was still 18% after 1 000 steps. With d = 8 the condition number
is ≈ 80: 1 000 steps at η = n/λ_max fit the training set and the linearized model reaches
kernel regression.

Claims and tolerances (theory beside each):
* ``init-kernel-converges`` (Jacot et al. Thm 1): the distance of Θ₀ to Θ_∞ has slope in
  [−0.65, −0.35] (a mean over m i.i.d. units: −1/2 by the central limit theorem);
* ``gap-shrinks`` (Lee et al. Thm 2.1, O(n^{-1/2})): the linearization gap's slope lies in
  [−1, −0.4]. The theorem bounds the gap by a constant times n^{-1/2}; Dyer & Gur-Ari (2019,
  arXiv 1909.11304) argue that the deviation is O(1/n) at large width. The range admits the
  rates between the two and refuses a gap that does not shrink (mean-field: ≈ 0). Development
  runs (seeds 0–2, 2026-11-29): −0.63, −0.61, −0.64;
* ``kernel-change-shrinks`` (Lee et al. Thm 2.1: ‖Θ_t − Θ₀‖_F = O(n^{-1/2})): slope in
  [−1.2, −0.4]; development runs: −0.85, −0.82, −0.85, nearer Dyer & Gur-Ari's O(1/n);
* the slope claims also ask for the slope's bootstrap 99% quantile (over inits) to be below 0;
* ``ntk-predicts-wide``: kernel regression with the widest net's own Θ₀ predicts its trained test
  outputs to within 10% (relative error; development runs 2.1–2.7% at width 4 096), and at most
  half the narrowest net's relative error (23–31% at width 64).

Negative controls (tests): the standard parameterization's kernel grows with width instead of
converging (slope ≈ +1); the mean-field parameterization (output × 1/√m, step ∝ m) learns
features: its gap, kernel change and kernel-regression error do not shrink.

Scales (2-core CPU, one thread, float64):
    smoke  d = 8, 16 + 32 points, widths 32–256, 2 inits, 200 steps: a few seconds; checks the
           kernel's convergence at initialization and its shrinking change
    cpu    d = 8, 32 + 64 points, widths 64–4096 (×2), 4 inits, 1 000 steps
    paper  d = 16, 64 + 128 points, 2 hidden layers, widths 64–2048, 8 inits, 2 000 steps (a GPU)

.. evidence: begin
Evidence (written by ``mlt evidence`` from evidence/cpu-seeds3; do not edit):
cpu scale, seeds 0–2, 30 s per seed: reproduces on 3/3 seeds; 2026-11-29, AMD EPYC, 2 cores, torch 2.13.0+cpu, 1 thread(s).
    init-kernel-converges: -0.5131 [-0.5811, -0.4451] (3/3 seeds)
    gap-shrinks: -0.628 [-0.6637, -0.5924] (3/3 seeds)
    kernel-change-shrinks: -0.8399 [-0.8883, -0.7916] (3/3 seeds)
    ntk-predicts-wide: 2.34% [1.52%, 3.16%] (3/3 seeds)
smoke scale: 3.0 s per seed, reproduces on 3/3 seeds.
Reproduce: ``mlt reproduce --scale cpu --seeds 3 --out cpu-seeds3``
.. evidence: end
Command: ``mlt run ntk --scale cpu --seed 0``
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

import numpy as np
import torch
from pydantic import Field, field_validator

from mltheory.lab.claims import bootstrap_quantile, fitted_slope
from mltheory.lab.context import RunContext
from mltheory.lab.engine import TrainState, supervised_step, train_loop
from mltheory.lab.estimate import Cost, Workload
from mltheory.lab.figures import new_figure, readable_log_axis
from mltheory.lab.nn import ParameterizedMLP
from mltheory.lab.ntk import empirical_ntk, linearized_predictions, relu_ntk
from mltheory.lab.spec import Claim, ExperimentConfig, Paper, experiment

PAPER = Paper(
    title="Wide neural networks of any depth evolve as linear models under gradient descent "
    "(with Jacot et al. 2018, Neural tangent kernel: convergence and generalization in neural "
    "networks)",
    authors="Lee, Xiao, Schoenholz, Bahri, Novak, Sohl-Dickstein, Pennington (with Jacot, "
    "Gabriel, Hongler)",
    year=2019,
    arxiv="1902.06720",
    reproduces="Jacot et al. 2018 (arXiv 1806.07572) Thm 1 (the empirical NTK converges to its "
    "infinite-width limit); Lee et al. 2019 Thm 2.1 and eq. 9–10 (the trained network stays "
    "within O(n^{-1/2}) of its linearization; the kernel barely moves)",
)

SIGMA_W = math.sqrt(2)
SIGMA_B = 0.1


class Config(ExperimentConfig):
    in_dim: int = Field(8, ge=2, le=256, description="input dimension d (inputs on a sphere)")
    n_train: int = Field(32, ge=2, le=2048, description="training points")
    n_test: int = Field(64, ge=1, le=4096, description="test points")
    depth: int = Field(1, ge=1, le=4, description="hidden layers")
    widths: list[Annotated[int, Field(ge=2, le=65536)]] = Field(
        [64, 128, 256, 512, 1024, 2048, 4096],
        min_length=2,
        max_length=16,
        description="hidden widths m, increasing",
    )
    inits: int = Field(4, ge=1, le=64, description="networks (initializations) per width")
    steps: int = Field(1000, ge=1, le=100_000, description="full-batch gradient descent steps")
    lr_factor: float = Field(
        1.0, gt=0, le=4, description="step η = lr_factor · n_train / λ_max(Θ₀(X, X)); < 2: stable"
    )
    parameterization: Literal["ntk", "standard", "mean-field"] = Field(
        "ntk", description="where the 1/√fan_in factors live (nn.parameterized_mlp)"
    )

    @field_validator("widths")
    @classmethod
    def _increasing(cls, v: list[int]) -> list[int]:
        if len(set(v)) != len(v):
            raise ValueError("widths must be distinct")
        return sorted(v)

    def cost(self) -> Cost:
        """Every (width, init) network in turn: ``steps`` full-batch GD steps, and two kernels
        (per-example Jacobians of every point, then their Gram matrix) in ``extra_flops``.

        Calibrated against development runs (2026-11-29, one thread): a float64 step of these
        small networks costs about 3 plain steps of Python and autograd overhead, and float64
        products run at about a quarter of the calibrated float32 rate, so the training
        arithmetic is counted 4 times (the 6 · params · batch term once, 3 more in extra_flops)."""
        points = self.n_train + self.n_test
        workloads = []
        for m in self.widths:
            p = n_params(self, m)
            train = 6.0 * p * self.n_train * self.steps * self.inits
            kernels = self.inits * 2 * (6.0 * p * points + 2.0 * p * points**2)
            workloads.append(
                Workload(
                    f"width {m}",
                    n_params=p,
                    steps=self.steps * self.inits,
                    batch_size=self.n_train,
                    activations_per_example=self.depth * m,
                    # The per-example Jacobians of every point (float64), and the kernels.
                    data_bytes=8 * p * points * 2 + 8 * points**2 * 4,
                    extra_flops=3 * train + kernels,
                    overhead_per_step=3.0,
                )
            )
        return Cost(
            workloads,
            what=f"ntk with widths up to {self.widths[-1]} at depth {self.depth}",
        )


def n_params(cfg: Config, width: int) -> int:
    dims = [cfg.in_dim, *[width] * cfg.depth, 1]
    return sum(a * b + b for a, b in zip(dims[:-1], dims[1:], strict=True))


SCALES = {
    "smoke": {
        "n_train": 16,
        "n_test": 32,
        "widths": [32, 64, 128, 256],
        "inits": 2,
        "steps": 200,
    },
    "cpu": {},
    "paper": {
        "in_dim": 16,
        "n_train": 64,
        "n_test": 128,
        "depth": 2,
        "widths": [64, 128, 256, 512, 1024, 2048],
        "inits": 8,
        "steps": 2000,
    },
}

METRICS = {
    "widths": "hidden widths m",
    "parameterization": "ntk, standard or mean-field",
    "init_kernel_distance": "‖Θ₀ − Θ_∞‖_F / ‖Θ_∞‖_F per width, mean over inits",
    "linearization_gap": "RMS over test points of f_T − f_T^lin per width, mean over inits",
    "kernel_change": "‖Θ_T − Θ₀‖_F / ‖Θ₀‖_F per width, mean over inits",
    "krr_relative_error": "‖f_T − f_krr‖ / ‖f_T‖ on the test points per width, mean over inits",
    "train_rmse": "RMS training residual of the trained networks per width, mean over inits",
    "init_kernel_distance_runs": "the same per width and init (one list per width)",
    "linearization_gap_runs": "the same per width and init",
    "kernel_change_runs": "the same per width and init",
    "krr_relative_error_runs": "the same per width and init",
    "lr_by_width": "GD step η per width, mean over inits",
    "init_kernel_slope": "log-log slope of init_kernel_distance against width",
    "gap_slope": "log-log slope of linearization_gap against width",
    "kernel_change_slope": "log-log slope of kernel_change against width",
    "krr_error_widest": "krr_relative_error at the widest width",
    "krr_error_narrowest": "krr_relative_error at the narrowest width",
    "test_outputs_widest": "trained outputs of the widest width's first network on the test points",
    "krr_outputs_widest": "kernel regression's predictions for the same network and points",
    "test_outputs_narrowest": "trained outputs of the narrowest width's first network",
    "krr_outputs_narrowest": "kernel regression's predictions for the same network",
}

INIT_SLOPE = (-0.65, -0.35)  # −1/2 (central limit theorem over m hidden units)
GAP_SLOPE = (-1.0, -0.4)  # Lee et al.: O(n^{-1/2}) bound; Dyer & Gur-Ari: O(1/n)
KERNEL_CHANGE_SLOPE = (-1.2, -0.4)  # Lee et al.: O(n^{-1/2}) bound; Dyer & Gur-Ari: O(1/n)
KRR_TOL = 0.10  # relative error of kernel regression at the widest width
KRR_GAIN = 2.0  # ... and at most 1/KRR_GAIN of the narrowest width's
LEVEL = 0.01  # the slope's bootstrap range: LEVEL and 1 − LEVEL quantiles over inits


def _mean_slope(widths: list[int], runs: list[list[float]]) -> float:
    return fitted_slope(widths, [float(np.mean(r)) for r in runs])


def slope_claim(
    id: str,
    statement: str,
    paper_value: str,
    key: str,
    bounds: tuple[float, float],
    label: str,
    scales: tuple[str, ...] = ("smoke", "cpu", "paper"),
) -> Claim:
    """The log-log slope of ``key`` (mean over inits) against width lies in ``bounds``, and its
    bootstrap ``1 − LEVEL`` quantile over inits is below 0 (it shrinks beyond its noise)."""
    lo, hi = bounds

    def check(m):
        widths, runs = m["widths"], m[f"{key}_runs"]
        values = [v for r in runs for v in r]
        if not all(math.isfinite(v) and v > 0 for v in values):
            return None, False, "a value is not finite and positive"
        slope = _mean_slope(widths, runs)
        low = bootstrap_quantile(runs, lambda s: _mean_slope(widths, s), LEVEL)
        high = bootstrap_quantile(runs, lambda s: _mean_slope(widths, s), 1 - LEVEL)
        detail = f"bootstrap {LEVEL:.0%}–{1 - LEVEL:.0%}: [{low:.2f}, {high:.2f}]"
        return slope, lo <= slope <= hi and high < 0, detail

    return Claim(
        id,
        f"{statement} (slope in [{lo:g}, {hi:g}], bootstrap {1 - LEVEL:.0%} quantile < 0)",
        paper_value,
        check,
        reads=("widths", f"{key}_runs"),
        label=label,
        scales=scales,
    )


def _krr(m):
    wide, narrow = m["krr_error_widest"], m["krr_error_narrowest"]
    ok = wide < KRR_TOL and wide * KRR_GAIN <= narrow
    return wide, ok, f"narrowest width: {narrow:.1%}"


CLAIMS = [
    slope_claim(
        "init-kernel-converges",
        "at initialization the empirical NTK approaches the infinite-width kernel Θ_∞ (closed "
        "form) like 1/√width",
        "−1/2 (Jacot et al. Thm 1; fluctuations of a mean over m units)",
        "init_kernel_distance",
        INIT_SLOPE,
        "log-log slope of ‖Θ₀ − Θ_∞‖/‖Θ_∞‖ against width",
    ),
    slope_claim(
        "gap-shrinks",
        "the trained network's distance to its linearization (RMS on test points) shrinks with "
        "width",
        "−1/2 (Lee et al. Thm 2.1: O(n^{-1/2}) bound)",
        "linearization_gap",
        GAP_SLOPE,
        "log-log slope of the linearization gap against width",
        scales=("cpu", "paper"),
    ),
    slope_claim(
        "kernel-change-shrinks",
        "the NTK's relative change during training shrinks with width",
        "−1/2 (Lee et al. Thm 2.1: O(n^{-1/2}) bound); −1 (Dyer & Gur-Ari 2019)",
        "kernel_change",
        KERNEL_CHANGE_SLOPE,
        "log-log slope of ‖Θ_T − Θ₀‖/‖Θ₀‖ against width",
    ),
    Claim(
        "ntk-predicts-wide",
        f"kernel regression with the initial empirical NTK predicts the widest net's trained test "
        f"outputs within {KRR_TOL:.0%} (relative error), at most 1/{KRR_GAIN:g} of the narrowest "
        "net's error",
        "the wide network's outputs are those of kernel regression with Θ (Jacot et al. §5; "
        "Lee et al. eq. 10)",
        _krr,
        reads=("krr_error_widest", "krr_error_narrowest"),
        label="relative test error of NTK kernel regression, widest net",
        unit="%",
        scales=("cpu", "paper"),
    ),
]


# --- the data, the networks, one run -------------------------------------------------------------


def sphere_task(cfg: Config, rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """``n_train + n_test`` points uniform on the sphere of radius √d and the standardized target
    ``sin(2⟨u, x⟩) + ½ cos(3⟨v, x⟩)`` (training points first)."""
    n, d = cfg.n_train + cfg.n_test, cfg.in_dim
    x = rng.standard_normal((n, d))
    x *= math.sqrt(d) / np.linalg.norm(x, axis=1, keepdims=True)
    u, v = rng.standard_normal((2, d))
    u, v = u / np.linalg.norm(u), v / np.linalg.norm(v)
    y = np.sin(2 * x @ u) + 0.5 * np.cos(3 * x @ v)
    y = (y - y.mean()) / y.std()
    return torch.from_numpy(x), torch.from_numpy(y)


def build_network(cfg: Config, width: int, seed: int) -> ParameterizedMLP:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net = ParameterizedMLP(
            cfg.in_dim, [width] * cfg.depth, 1, cfg.parameterization, SIGMA_W, SIGMA_B
        )
    return net.double()


def rms(t: torch.Tensor) -> float:
    return float(t.pow(2).mean().sqrt())


def train_one(
    cfg: Config,
    ctx: RunContext,
    x: torch.Tensor,
    y: torch.Tensor,
    theta_inf: torch.Tensor,
    width: int,
    init: int,
) -> dict:
    """Train one network and measure it against its linearization and its kernels."""
    n = cfg.n_train
    net = build_network(cfg, width, ctx.int_seed("init", width, init))
    theta0 = empirical_ntk(net, x)
    with torch.no_grad():
        f0 = net(x).squeeze(-1)
    lr = cfg.lr_factor * n / float(torch.linalg.eigvalsh(theta0[:n, :n]).max())
    x_train, y_train = x[:n], y[:n]

    def loss(state: TrainState, _batch: None) -> torch.Tensor:
        return 0.5 * (state.model(x_train).squeeze(-1) - y_train).pow(2).mean()

    state = TrainState(model=net, optimizer=torch.optim.SGD(net.parameters(), lr=lr))
    train_loop(
        state,
        supervised_step(loss),
        steps=cfg.steps,
        ctx=ctx,
        description=f"width {width} init {init}",
        name=f"width {width} init {init}",
    )
    with torch.no_grad():
        f_t = net(x).squeeze(-1)
    theta_t = empirical_ntk(net, x)
    args = (theta0[:n, :n], theta0[n:, :n], f0[:n], f0[n:], y_train, lr)
    f_lin = linearized_predictions(*args, cfg.steps)
    f_krr = linearized_predictions(*args, None)
    return {
        "lr": lr,
        "init_kernel_distance": float((theta0 - theta_inf).norm() / theta_inf.norm()),
        "linearization_gap": rms(f_t[n:] - f_lin),
        "kernel_change": float((theta_t - theta0).norm() / theta0.norm()),
        "krr_relative_error": float((f_t[n:] - f_krr).norm() / f_t[n:].norm()),
        "train_rmse": rms(f_t[:n] - y_train),
        "test_outputs": f_t[n:].tolist(),
        "krr_outputs": f_krr.tolist(),
    }


KEYS = (
    "init_kernel_distance",
    "linearization_gap",
    "kernel_change",
    "krr_relative_error",
    "train_rmse",
)


@experiment(
    "ntk",
    title="Wide networks stay close to their linearization; the NTK barely moves",
    topic="theory",
    paper=PAPER,
    config=Config,
    scales=SCALES,
    claims=CLAIMS,
    metrics=METRICS,
    lectures=("MIT 18.408",),
)
def run(cfg: Config, ctx: RunContext) -> dict:
    x, y = sphere_task(cfg, ctx.rng("data"))
    theta_inf = relu_ntk(x, x, cfg.depth, SIGMA_W, SIGMA_B)
    keys = [(m, r) for m in cfg.widths for r in range(cfg.inits)]
    runs = ctx.run_phases(
        keys, lambda k: train_one(cfg, ctx, x, y, theta_inf, *k), description="networks"
    )
    per_width = {
        key: [[runs[(m, r)][key] for r in range(cfg.inits)] for m in cfg.widths] for key in KEYS
    }
    means = {key: [float(np.mean(v)) for v in per_width[key]] for key in KEYS}
    widest, narrowest = runs[(cfg.widths[-1], 0)], runs[(cfg.widths[0], 0)]
    metrics = {
        "widths": cfg.widths,
        "parameterization": cfg.parameterization,
        **means,
        **{f"{key}_runs": per_width[key] for key in KEYS if key != "train_rmse"},
        "lr_by_width": [
            float(np.mean([runs[(m, r)]["lr"] for r in range(cfg.inits)])) for m in cfg.widths
        ],
        "init_kernel_slope": fitted_slope(cfg.widths, means["init_kernel_distance"]),
        "gap_slope": fitted_slope(cfg.widths, means["linearization_gap"]),
        "kernel_change_slope": fitted_slope(cfg.widths, means["kernel_change"]),
        "krr_error_widest": means["krr_relative_error"][-1],
        "krr_error_narrowest": means["krr_relative_error"][0],
        "test_outputs_widest": widest["test_outputs"],
        "krr_outputs_widest": widest["krr_outputs"],
        "test_outputs_narrowest": narrowest["test_outputs"],
        "krr_outputs_narrowest": narrowest["krr_outputs"],
    }
    _plot_scaling(cfg, ctx, metrics)
    _plot_prediction(cfg, ctx, metrics)
    return metrics


def _loglog_panel(ax, widths, runs, means, slope, color, ylabel, title) -> None:
    for m, r in zip(widths, runs, strict=True):
        ax.loglog([m] * len(r), r, "o", color=color, alpha=0.3, ms=3)
    ax.loglog(widths, means, "o-", color=color, lw=1.5, label=f"measured (mean): slope {slope:.2f}")
    grid = np.array([widths[0], widths[-1]], float)
    # The theory's rates through the first mean.
    ax.loglog(
        grid, means[0] * (grid / grid[0]) ** -0.5, "k--", lw=1, label=r"$\propto m^{-1/2}$ (paper)"
    )
    ax.loglog(grid, means[0] * (grid / grid[0]) ** -1.0, "k:", lw=1, label=r"$\propto m^{-1}$")
    ax.set(xlabel="hidden width m", ylabel=ylabel, title=title)
    readable_log_axis(ax, "x")
    readable_log_axis(ax, "y")
    ax.legend(fontsize=7)


def _plot_scaling(cfg: Config, ctx: RunContext, m: dict) -> None:
    fig, axes = new_figure(ncols=3, width=4.6)
    panels = [
        (
            "linearization_gap",
            "gap_slope",
            r"RMS of $f_T - f_T^{\rm lin}$ (test points)",
            "distance to the linearization",
        ),
        (
            "kernel_change",
            "kernel_change_slope",
            r"$\|\Theta_T - \Theta_0\|_F \,/\, \|\Theta_0\|_F$",
            "kernel's change in training",
        ),
        (
            "init_kernel_distance",
            "init_kernel_slope",
            r"$\|\Theta_0 - \Theta_\infty\|_F \,/\, \|\Theta_\infty\|_F$",
            r"$\Theta_0$ vs the infinite-width $\Theta_\infty$ (closed form)",
        ),
    ]
    for ax, (key, slope, ylabel, title), color in zip(
        axes, panels, ("C0", "C1", "C2"), strict=True
    ):
        _loglog_panel(ax, m["widths"], m[f"{key}_runs"], m[key], m[slope], color, ylabel, title)
    fig.suptitle(
        f"{cfg.parameterization} parameterization, {cfg.depth} hidden layer(s), "
        f"{cfg.steps} GD steps, {cfg.inits} inits per width"
    )
    ctx.save_figure(fig, "ntk_scaling")


def _plot_prediction(cfg: Config, ctx: RunContext, m: dict) -> None:
    fig, axes = new_figure(ncols=2, width=4.2, height=4.0)
    for ax, which, width in zip(
        axes, ("narrowest", "widest"), (m["widths"][0], m["widths"][-1]), strict=True
    ):
        net, krr = np.array(m[f"test_outputs_{which}"]), np.array(m[f"krr_outputs_{which}"])
        lim = max(np.abs(net).max(), np.abs(krr).max()) * 1.05
        ax.plot([-lim, lim], [-lim, lim], "k--", lw=1, label="y = x")
        ax.plot(krr, net, "o", ms=3, alpha=0.7)
        err = np.linalg.norm(net - krr) / np.linalg.norm(net)
        ax.set(
            xlabel=r"kernel regression with $\Theta_0$ (prediction)",
            ylabel="trained network (test output)",
            title=f"width {width}: relative error {err:.1%}",
            xlim=(-lim, lim),
            ylim=(-lim, lim),
            aspect="equal",
        )
        ax.legend(fontsize=7)
    ctx.save_figure(fig, "ntk_prediction")
