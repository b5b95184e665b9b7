"""Learning dynamics of a two-layer linear network: one sigmoid per singular mode.

Paper: Saxe, McClelland, Ganguli (2014), "Exact solutions to the nonlinear dynamics of learning
in deep linear neural networks" (arXiv 1312.6120), eq. 12 and Fig. 3 (left).

A network ``y = W2 W1 x`` is trained by full-batch gradient descent with a small step ``η`` on
``½ E‖y − W2 W1 x‖²`` over inputs whitened exactly (``E xxᵀ = I``), with targets ``y = M x``
whose input–output correlation ``Σ31 = E y xᵀ = M = U S Vᵀ`` has distinct singular values
``s_α``. In continuous time ``τ = 1/η`` (time ``t/τ`` = steps × η). Saxe et al. show that each
mode's strength ``u_α(t) = u_αᵀ W2 W1 v_α`` then follows, independently of the others,

    u(t) = s e^{2st/τ} / (e^{2st/τ} − 1 + s/u₀)                     (eq. 12)

a sigmoid whose half-time ``(τ/2s) ln(s/u₀ − 1)`` and learning time ``≈ (τ/s) ln(s/ε)`` shrink
with ``s``: strong modes are learned first. Eq. 12 is exact for a decoupled, balanced start; we
start from small i.i.d. Gaussian weights (``nn.DeepLinear``), as in the paper's simulations.
Each mode's effective ``u₀`` is predicted from that start without fitting: while weights are
small the dynamics are linear, ``τ ȧ = s b``, ``τ ḃ = s a`` for ``a = W1 v_α``, ``b = W2ᵀ u_α``,
so ``a − b`` dies out and ``a·b`` grows as ``‖a₀ + b₀‖²/4 · e^{2st/τ}``: ``u₀ = ‖a₀ + b₀‖²/4``.

Tolerance of the curve check (max over modes and time of ``|u_measured − u_eq12| / s``): 5%.
What remains after the start is predicted is (i) cross-talk between modes through the shared
hidden layer, which shrinks with width (measured max deviation ≈ 48% at hidden width 8, 2.5%
at 32, 1.1% at 128) and (ii) the step size, ``O(η s)`` = 0.6% at the cpu scale.

Scales (2-core laptop CPU unless noted):
    smoke  hidden 32, 4 modes, η = 0.02, 300 steps, 0.6 s
    cpu    hidden 100, 5 modes (s = 3, 2, 1.5, 1, 0.5), η = 0.002, 6 000 steps, 4 s
    paper  hidden 400, 8 modes, η = 0.0005, 40 000 steps, 74 s on the same CPU (all PASS,
           max curve deviation 0.55% of s)

Development notes, hand-written and dated (the evidence is the generated section below).
Measured (cpu scale, seed 0, 2-core x86_64 CPU shared with other jobs, load average ~10):
max |u − u_eq12|/s = 2.0% (mode s = 1.5; tolerance 5%); half-times 1.29, 1.82, 2.50, 3.37,
6.14 τ against eq. 12's 1.29, 1.81, 2.48, 3.35, 6.12 τ (max relative error 1.1%), strictly
ordered by s; log-log slope of half-time against (1/s) ln(s/u₀ − 1): 1.001. Seeds 1–3: curve
deviation 0.9–2.1%, slope 0.9995–1.003. All claims PASS in 3.9 s.
.. evidence: begin
Evidence (written by ``mlt evidence`` from evidence/cpu-seeds3; do not edit):
cpu scale, seeds 0–2, 1.0 s per seed: reproduces on 3/3 seeds; 2026-11-29, AMD EPYC, 2 cores, torch 2.13.0+cpu, 1 thread(s).
    sigmoid: 1.85% [0.491%, 3.2%] (3/3 seeds)
    order: 0 τ [0 τ, 0 τ] (3/3 seeds)
    learning-time: 1.16% [0.0683%, 2.25%] (3/3 seeds)
    time-scaling: 1.005 [0.9931, 1.017] (3/3 seeds)
smoke scale: 0.2 s per seed, reproduces on 3/3 seeds.
Reproduce: ``mlt reproduce --scale cpu --seeds 3 --out cpu-seeds3``
.. evidence: end
Command: ``mlt run deep-linear --scale cpu --seed 0``
"""

from __future__ import annotations

import math
from typing import Annotated

import numpy as np
import torch
from pydantic import Field, field_validator, model_validator

from mltheory.lab.claims import below, monotone, slope_in
from mltheory.lab.context import RunContext
from mltheory.lab.engine import TrainState, train_loop
from mltheory.lab.estimate import Cost, Workload
from mltheory.lab.figures import new_figure, readable_log_axis
from mltheory.lab.nn import DeepLinear
from mltheory.lab.spec import ExperimentConfig, Paper, experiment

PAPER = Paper(
    title="Exact solutions to the nonlinear dynamics of learning in deep linear neural networks",
    authors="Saxe, McClelland, Ganguli",
    year=2014,
    arxiv="1312.6120",
    reproduces="eq. 12 and Fig. 3 (left): sigmoidal mode strengths, learned in order of "
    "singular value, in time ≈ (τ/s) ln(s/ε)",
)


MAX_STEPS = 1_000_000  # about 10 minutes of small float64 steps on a laptop CPU


class Config(ExperimentConfig):
    n_in: int = Field(8, ge=1, le=1024, description="input dimension N1")
    n_hidden: int = Field(
        100, ge=1, le=8192, description="hidden width N2 (wide: modes barely interact)"
    )
    n_out: int = Field(6, ge=1, le=1024, description="output dimension N3")
    singular_values: list[Annotated[float, Field(gt=0, le=100)]] = Field(
        [3.0, 2.0, 1.5, 1.0, 0.5],
        min_length=2,
        max_length=64,
        description="distinct positive singular values s_α of Σ31 (at most min(n_in, n_out))",
    )
    n_samples: int = Field(
        64, ge=1, le=100_000, description="training inputs (whitened exactly; ≥ n_in)"
    )
    init_scale: float = Field(
        0.005, gt=0, le=0.1, description="std of the i.i.d. initial weights (small start)"
    )
    lr: float = Field(0.002, gt=0, le=0.05, description="GD step η; time unit τ = 1/η steps")
    duration: float = Field(
        12.0, gt=0, le=1000, description="training time t/τ (steps = duration/η)"
    )
    log_every: int = Field(
        50, ge=1, le=1_000_000, description="log the mode strengths every this many steps"
    )

    @field_validator("singular_values")
    @classmethod
    def _distinct_positive(cls, v: list[float]) -> list[float]:
        if len(set(v)) != len(v):
            raise ValueError("singular values must be positive and distinct")
        return sorted(v, reverse=True)

    @model_validator(mode="after")
    def _fits_the_shapes(self) -> Config:
        k = len(self.singular_values)
        if k > min(self.n_in, self.n_out):
            raise ValueError(f"{k} singular values need n_in and n_out ≥ {k}")
        if self.n_samples < self.n_in:
            raise ValueError(f"whitening needs n_samples ({self.n_samples}) ≥ n_in ({self.n_in})")
        steps = round(self.duration / self.lr)
        if steps > MAX_STEPS:  # each step is a few small Python-level operations
            raise ValueError(
                f"duration / lr = {steps} GD steps; at most {MAX_STEPS} (raise lr or shorten "
                "duration)"
            )
        return self

    def cost(self) -> Cost:
        steps = round(self.duration / self.lr)
        k = len(self.singular_values)
        params = self.n_hidden * (self.n_in + self.n_out)
        # Every step's mode strengths are kept (float64), and each step is a forward and a
        # backward pass of the two layers over all samples.
        return Cost(
            [
                Workload(
                    "full-batch gradient descent (float64)",
                    n_params=params,
                    steps=steps,
                    batch_size=self.n_samples,
                    data_bytes=8 * (steps + 1) * k * 3,
                    extra_flops=steps * 2 * params * k,  # the mode strengths after each step
                )
            ],
            what=f"deep-linear with {steps} steps (duration {self.duration:g} / lr {self.lr:g})",
        )


SCALES = {
    "smoke": {"n_hidden": 32, "singular_values": [3.0, 2.0, 1.5, 1.0], "lr": 0.02, "duration": 6.0},
    "cpu": {},
    "paper": {
        "n_in": 16,
        "n_hidden": 400,
        "n_out": 12,
        "singular_values": [4.0, 3.0, 2.5, 2.0, 1.5, 1.0, 0.75, 0.5],
        "n_samples": 256,
        "init_scale": 0.0025,
        "lr": 0.0005,
        "duration": 20.0,
    },
}

SIGMOID_TOL = 0.05  # max |u − u_eq12| / s; see the module docstring
HALF_TIME_TOL = 0.05  # relative error of each mode's half-time against (τ/2s) ln(s/u₀ − 1)
SLOPE_TOL = 0.1  # log-log slope of half-time against (1/s) ln(s/u₀ − 1): 1 ± this


def sigmoid_mode_strength(t: torch.Tensor, s: torch.Tensor, u0: torch.Tensor) -> torch.Tensor:
    """Eq. 12: u(t) = s e^{2st} / (e^{2st} − 1 + s/u₀), t in units of τ (broadcasts)."""
    growth = torch.exp(2 * s * t)
    return s * growth / (growth - 1 + s / u0)


def half_time_theory(s: torch.Tensor, u0: torch.Tensor) -> torch.Tensor:
    """The time at which eq. 12 reaches s/2: (τ/2s) ln(s/u₀ − 1)."""
    return torch.log(s / u0 - 1) / (2 * s)


def first_crossing(t: torch.Tensor, u: torch.Tensor, level: float) -> float:
    """First time the recorded curve reaches ``level``, linearly interpolated between records."""
    above = (u >= level).nonzero()
    if len(above) == 0:
        return math.nan
    i = int(above[0, 0])
    if i == 0:
        return float(t[0])
    frac = (level - u[i - 1]) / (u[i] - u[i - 1])
    return float(t[i - 1] + frac * (t[i] - t[i - 1]))


def whitened_task(
    cfg: Config, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Inputs with sample covariance exactly I, targets ``y = M x`` with ``M = U diag(s) Vᵀ``.

    Returns ``x, y, U_k, V_k`` (the first k singular vectors, one column per mode).
    """
    k = len(cfg.singular_values)
    u_basis, _ = torch.linalg.qr(torch.randn(cfg.n_out, cfg.n_out, generator=generator).double())
    v_basis, _ = torch.linalg.qr(torch.randn(cfg.n_in, cfg.n_in, generator=generator).double())
    u_k, v_k = u_basis[:, :k], v_basis[:, :k]
    target = u_k @ torch.diag(torch.tensor(cfg.singular_values, dtype=torch.float64)) @ v_k.T
    x = torch.randn(cfg.n_samples, cfg.n_in, generator=generator).double()
    # Whiten exactly (Cholesky of the sample covariance) so Σ11 = I holds, not just on average.
    chol = torch.linalg.cholesky(x.T @ x / cfg.n_samples)
    x = torch.linalg.solve_triangular(chol, x.T, upper=False).T
    return x, x @ target.T, u_k, v_k


METRICS = {
    "singular_values": "s_α, decreasing",
    "u0": "each mode's effective start, predicted from the random initial weights",
    "final_strength": "each mode's strength after the last step",
    "sigmoid_dev": "each mode's largest |u − u_eq12| / s over time",
    "max_sigmoid_dev": "the largest of those",
    "half_time": "time (t/τ) at which each mode first reaches s/2",
    "half_time_theory": "eq. 12's half-time (τ/2s)·ln(s/u₀ − 1) per mode",
    "half_time_predictor": "(1/s)·ln(s/u₀ − 1) per mode: what the half-time should scale as",
    "max_half_time_rel_err": "largest relative error of a half-time against eq. 12's",
    "time_scaling_slope": "log-log slope of half-time against the predictor",
    "steps": "GD steps run",
    "final_loss": "training loss after the last step",
}

CLAIMS = [
    below(
        "sigmoid",
        "each singular mode's strength follows eq. 12's sigmoid, with u₀ predicted from the "
        "random start",
        f"u(t) = s·e^{{2st/τ}}/(e^{{2st/τ}} − 1 + s/u₀); max |u − u_eq12|/s < {SIGMOID_TOL:.0%}",
        "max_sigmoid_dev",
        SIGMOID_TOL,
        label="largest |u − u_eq12|/s",
        unit="%",
        scales=("cpu", "paper"),
    ),
    monotone(
        "order",
        "modes are learned in order of decreasing singular value (half-times increase as s falls)",
        "stronger input–output modes are learned first",
        "half_time",
        strict=True,
        label="largest drop in half-time from one mode to the next weaker one",
        unit="τ",
    ),
    below(
        "learning-time",
        "each mode's measured half-time matches the theory (τ/2s)·ln(s/u₀ − 1)",
        f"time to learn ≈ (τ/s)·ln(s/ε); max relative error < {HALF_TIME_TOL:.0%}",
        "max_half_time_rel_err",
        HALF_TIME_TOL,
        label="largest relative error of a half-time",
        unit="%",
        scales=("cpu", "paper"),
    ),
    slope_in(
        "time-scaling",
        "across modes, the half-time scales as (1/s)·ln(s/u₀): log-log slope ≈ 1",
        f"slope 1 (time ∝ (τ/s) ln(s/ε)); |slope − 1| < {SLOPE_TOL:g}",
        "half_time_predictor",
        "half_time",
        1 - SLOPE_TOL,
        1 + SLOPE_TOL,
        label="log-log slope of half-time against (1/s)·ln(s/u₀ − 1)",
    ),
]


@experiment(
    "deep-linear",
    title="Deep linear network: sigmoidal learning of singular modes, strongest first",
    topic="dynamics",
    paper=PAPER,
    config=Config,
    scales=SCALES,
    claims=CLAIMS,
    metrics=METRICS,
    lectures=("CS 229br lecture 2",),
)
def run(cfg: Config, ctx: RunContext) -> dict:
    k = len(cfg.singular_values)
    s = torch.tensor(cfg.singular_values, dtype=torch.float64)
    steps = round(cfg.duration / cfg.lr)

    # Named streams: the task (singular vectors, inputs) and the initial weights are drawn afresh
    # for every seed, each from its own stream.
    x, y, u_k, v_k = whitened_task(cfg, ctx.torch_rng("task"))
    # Tiny matrices: the CPU beats any accelerator's launch overhead, and float64 keeps the
    # comparison with eq. 12 free of rounding.
    net = DeepLinear(
        [cfg.n_in, cfg.n_hidden, cfg.n_out], cfg.init_scale, generator=ctx.torch_rng("init")
    ).double()

    w1, w2 = (p.detach() for p in net.layers)
    u0 = ((w1 @ v_k + w2.T @ u_k) ** 2).sum(0) / 4  # effective start of each mode (docstring)

    def mode_strengths() -> torch.Tensor:
        with torch.no_grad():
            return torch.diagonal(u_k.T @ net.product() @ v_k).clone()

    u = torch.empty(steps + 1, k, dtype=torch.float64)  # u[i]: mode strengths after i steps
    u[0] = mode_strengths()
    state = TrainState(model=net, strengths=u)

    def gd_step(state: TrainState, _: None) -> dict:
        loss = 0.5 * ((net(x) - y) ** 2).sum(1).mean()
        grads = torch.autograd.grad(loss, list(net.parameters()))
        with torch.no_grad():  # plain GD, no momentum: the Euler step of gradient flow
            for p, grad in zip(net.parameters(), grads, strict=True):
                p -= cfg.lr * grad
        done = state.step + 1
        state.strengths[done] = mode_strengths()
        return {"t": done * cfg.lr, "loss": loss.detach(), "u": state.strengths[done]}

    train_loop(
        state,
        gd_step,
        steps=steps,
        ctx=ctx,
        log_every=cfg.log_every,
        description="gradient descent",
    )
    u = state.strengths

    with torch.no_grad():
        final_loss = float(0.5 * ((net(x) - y) ** 2).sum(1).mean())
    t = torch.arange(steps + 1, dtype=torch.float64) * cfg.lr
    theory = sigmoid_mode_strength(t[:, None], s, u0)
    dev = ((u - theory).abs() / s).amax(0)
    half = [first_crossing(t, u[:, a], cfg.singular_values[a] / 2) for a in range(k)]
    half_theory = half_time_theory(s, u0)
    half_rel_err = [abs(h - ht) / ht for h, ht in zip(half, half_theory.tolist(), strict=True)]
    predictor = torch.log(s / u0 - 1) / s  # (1/s) ln(s/u₀ − 1), up to the factor τ/2
    if all(math.isfinite(h) for h in half):
        slope = float(np.polyfit(np.log(predictor.numpy()), np.log(half), 1)[0])
    else:
        slope = math.nan

    fig, (ax1, ax2) = new_figure(ncols=2)
    for a in range(k):
        color = f"C{a}"
        ax1.plot(t, u[:, a], color=color, lw=2, alpha=0.6, label=f"s = {s[a]:g}")
        ax1.plot(t, theory[:, a], "--", color="k", lw=0.8)
        ax1.axhline(float(s[a]), color=color, lw=0.5, ls=":")
        ax1.plot([half[a]], [float(s[a]) / 2], "o", color=color, ms=4)
    ax1.plot([], [], "--", color="k", lw=0.8, label="eq. 12 (paper)")
    ax1.set(
        xlabel="t / τ (GD steps × η)",
        ylabel="mode strength u_α = u_αᵀ W2 W1 v_α",
        title=f"hidden width {cfg.n_hidden}, init std {cfg.init_scale:g}",
    )
    ax1.legend(fontsize=7, loc="center right")
    ax2.loglog(predictor, half, "o", label="measured half-time")
    for a in range(k):
        ax2.annotate(
            f"s = {s[a]:g}",
            (float(predictor[a]), half[a]),
            fontsize=7,
            xytext=(4, -10),
            textcoords="offset points",
        )
    line = torch.linspace(float(predictor.min()), float(predictor.max()), 50)
    ax2.loglog(line, line / 2, "k--", lw=0.8, label="theory: (τ/2s) ln(s/u₀ − 1)")
    ax2.set(
        xlabel="(1/s) ln(s/u₀ − 1)",
        ylabel="time to reach s/2  (t/τ)",
        title=f"time scaling: log-log slope {slope:.3f}",
    )
    # Plain numbers, and few enough of them not to collide (minor labels "8 9 10" did).
    readable_log_axis(ax2, "x")
    readable_log_axis(ax2, "y")
    ax2.legend(fontsize=7)
    ctx.save_figure(fig, "deep_linear")

    return {
        "singular_values": cfg.singular_values,
        "u0": u0.tolist(),
        "final_strength": u[-1].tolist(),
        "sigmoid_dev": dev.tolist(),
        "max_sigmoid_dev": float(dev.max()),
        "half_time": half,
        "half_time_theory": half_theory.tolist(),
        "half_time_predictor": predictor.tolist(),
        "max_half_time_rel_err": max(half_rel_err),
        "time_scaling_slope": slope,
        "steps": steps,
        "final_loss": final_loss,
    }
