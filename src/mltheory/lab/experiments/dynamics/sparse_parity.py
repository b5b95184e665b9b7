"""SGD learns sparse parities after a long plateau, in time polynomial in n.

Paper: Barak, Edelman, Goel, Kakade, Malach, Zhang (2022), "Hidden progress in deep learning:
SGD learns parities near the computational limit", arXiv 2207.08799 (NeurIPS 2022); CS 229br
lecture 2 and MIT 18.408. Reproduces Figure 1 (an MLP's (n, k=3) parity training curve: loss and
error flat at chance, then an abrupt drop) and the scaling of the time to learn with n (the
paper: n^O(k) iterations, near the SQ lower bound n^Ω(k)).

The label is the product of k = 3 hidden coordinates of a uniform x ∈ {±1}^n. A one-hidden-layer
ReLU MLP is trained with the paper's recipe (hinge loss, plain SGD, batch 32, learning rate 0.1)
online: every step draws fresh samples, so there is no training set to memorise and accuracy on
fresh samples is the only thing that can improve. For each n, ``runs_per_n`` independent runs
(own hidden support, init and sample stream) train until accuracy on fresh samples reaches 99%;
we record how long accuracy stays at chance, how abrupt the jump is, and the median steps to 99%
against n on log-log axes.

Scales (2-core laptop CPU unless noted):
    smoke  n ∈ {6, 8, 10}, 1 run each, width 64: ~800 SGD steps, ~2-5 s
    cpu    n ∈ {10, 20, 30, 40, 50}, 5 runs each, width 128: ~34k SGD steps, 20 s-2 min
    paper  n ∈ {10, 20, …, 70}, 10 runs each, width 1000 (a GPU or a patient CPU)
Width 128 at cpu scale keeps every matmul small enough to run single-threaded (at 256 the
first layer's matmuls go two-threaded and, on a busy 2-core machine, wait on each other).

.. evidence: begin
Evidence (written by ``mlt evidence`` from evidence/cpu-seeds3; do not edit):
cpu scale, seeds 0–2, 9.4 s per seed: reproduces on 3/3 seeds; 2026-11-29, AMD EPYC, 2 cores, torch 2.13.0+cpu, 1 thread(s).
    plateau: 79.8% [71.9%, 87.7%] (3/3 seeds)
    sharp-jump: 16.3% [13.3%, 19.3%] (3/3 seeds)
    all-learned: 99.9% [99.8%, 100%] (3/3 seeds)
    polynomial-in-n: 1.322 [1.07, 1.574] (3/3 seeds)
smoke scale: 0.5 s per seed, reproduces on 3/3 seeds.
Reproduce: ``mlt reproduce --scale cpu --seeds 3 --out cpu-seeds3``
.. evidence: end
Command: ``mlt run sparse-parity --scale cpu --seed 0``
"""

from __future__ import annotations

import math
import statistics
from typing import Annotated

import numpy as np
import torch
from pydantic import Field, field_validator, model_validator

from mltheory.lab.claims import at_least, below, bootstrap_quantile
from mltheory.lab.context import RunContext
from mltheory.lab.data.synthetic import random_support, sparse_parity
from mltheory.lab.engine import TrainState, supervised_step, train_loop
from mltheory.lab.estimate import Cost, Workload, mlp_params
from mltheory.lab.figures import new_figure, readable_log_axis
from mltheory.lab.nn import MLP
from mltheory.lab.spec import Claim, ExperimentConfig, Paper, experiment

PAPER = Paper(
    title="Hidden progress in deep learning: SGD learns parities near the computational limit",
    authors="Barak, Edelman, Goel, Kakade, Malach, Zhang",
    year=2022,
    arxiv="2207.08799",
    reproduces="Fig. 1 (plateau then abrupt phase transition) and the n^O(k) scaling of the "
    "iterations to learn (k=3, MLP, online SGD)",
)


class Config(ExperimentConfig):
    ns: list[Annotated[int, Field(ge=2, le=1000)]] = Field(
        [10, 20, 30, 40, 50],
        min_length=1,
        max_length=20,
        description="input lengths n to sweep (each > k)",
    )
    k: int = Field(3, ge=1, le=8, description="parity degree: number of hidden relevant bits")
    width: int = Field(
        128, ge=1, le=8192, description="hidden units of the one-hidden-layer ReLU MLP"
    )
    batch_size: int = Field(32, ge=1, le=8192, description="fresh samples per SGD step (paper: 32)")
    lr: float = Field(0.1, gt=0, le=10, description="SGD learning rate (paper: 0.1)")
    runs_per_n: int = Field(
        5, ge=1, le=100, description="independent runs per n (support, init, data)"
    )
    max_steps: int = Field(30000, ge=1, le=10_000_000, description="step budget per run")
    eval_every: int = Field(
        20, ge=1, le=1_000_000, description="measure fresh-sample accuracy every this many"
    )
    test_samples: int = Field(
        2048,
        ge=64,
        le=1_000_000,
        description="fresh samples per accuracy measurement (same set within a run)",
    )
    final_test_samples: int = Field(
        8192,
        ge=64,
        le=1_000_000,
        description="new fresh samples for the final accuracy once a run stops",
    )
    learned_acc: float = Field(0.99, gt=0.5, le=1, description="accuracy that counts as learned")
    confirm_evals: int = Field(
        3, ge=1, le=1000, description="stop after this many measurements in a row at ≥ learned_acc"
    )
    chance_band: float = Field(
        0.55, gt=0.5, lt=1, description="accuracy below this counts as 'at chance' (plateau)"
    )

    @field_validator("ns")
    @classmethod
    def _increasing(cls, v: list[int]) -> list[int]:
        if len(set(v)) != len(v):
            raise ValueError("ns must be distinct integers ≥ 2")
        return sorted(v)

    @model_validator(mode="after")
    def _n_above_k(self) -> Config:
        if self.ns[0] <= self.k:
            raise ValueError(f"every n in ns must exceed k={self.k}; got ns={self.ns}")
        return self

    def cost(self) -> Cost:
        # The worst case: every run uses its whole step budget (a forward and a backward pass of
        # n→width→1 per sample), plus its evaluations on the test samples.
        return Cost(
            [
                Workload(
                    f"n={n}, {self.runs_per_n} runs one after another",
                    n_params=mlp_params(n, [self.width], 1),
                    steps=self.runs_per_n * self.max_steps,
                    batch_size=self.batch_size,
                    eval_examples=self.runs_per_n
                    * (self.max_steps // self.eval_every * self.test_samples),
                    activations_per_example=n + self.width + 1,
                    data_bytes=4 * n * (self.test_samples + self.final_test_samples) * 2,
                    upper_bound=True,
                )
                for n in self.ns
            ],
            what=f"sparse-parity with ns up to {self.ns[-1]}, width {self.width}, "
            f"{self.runs_per_n} runs of up to {self.max_steps} steps",
        )


SCALES = {
    "smoke": {"ns": [6, 8, 10], "width": 64, "runs_per_n": 1, "max_steps": 4000},
    "cpu": {},
    "paper": {
        "ns": [10, 20, 30, 40, 50, 60, 70],
        "width": 1000,
        "runs_per_n": 10,
        "max_steps": 300000,
    },
}

METRICS = {
    "k": "parity degree",
    "ns": "input lengths n, increasing",
    "median_steps_to_learn": "median over runs of the steps to reach learned_acc, per n",
    "steps_to_learn_by_n": "steps to learn of every run, one list per n (None: not learned)",
    "loglog_slope": "least-squares slope of log median steps against log n",
    "n_unlearned_runs": "runs that did not reach learned_acc within the budget",
    "min_final_test_acc": "lowest accuracy on new fresh samples at the end of a run",
    "largest_learned_n": "largest n at which some run learned",
    "plateau_fraction_largest_n": "median share of the time to learn spent at chance (largest n)",
    "middle_fraction_largest_n": "median share spent between 60% and 95% (largest n)",
    "jump_steps_largest_n": "median steps from leaving chance to learned (largest n)",
    "plateau_fraction_by_n": "median plateau share per n",
    "total_sgd_steps": "SGD steps run in all",
}

# Fractions of the time to learn (at the largest n, median over runs).
MIN_PLATEAU_FRACTION = 0.5  # "most of training looks like no progress at all"
MAX_MIDDLE_FRACTION = 0.25  # time spent between 60% and 95%: small when the jump is abrupt
# The exponent of the time to learn: at most k (+ tolerance: with 5 values of n and a median over
# 5 runs, run-to-run spread moves the fitted slope by about ±0.2), and at least MIN_EXPONENT at
# the lower end of its bootstrap interval: a hard problem's time grows with n like a power, not
# like the log n of a problem without a plateau (k = 1 measures about 0.3).
SLOPE_TOLERANCE = 0.5
MIN_EXPONENT = 0.5
LEVEL = 0.01  # the exponent's lower bound holds at the LEVEL quantile of a bootstrap over runs


def growth_fits(ns: list[int], medians: list[float]) -> tuple[float, float, float]:
    """Slope of log T against log n, and the residual sums of squares of the power law
    (log T linear in log n) and of the exponential (log T linear in n)."""
    log_n, log_t = np.log(ns), np.log(medians)
    rss = []
    for x in (log_n, np.asarray(ns, float)):
        coef = np.polyfit(x, log_t, 1)
        rss.append(float(((np.polyval(coef, x) - log_t) ** 2).sum()))
    return float(np.polyfit(log_n, log_t, 1)[0]), rss[0], rss[1]


def _polynomial_in_n(m):
    ns, runs = m["ns"], m["steps_to_learn_by_n"]
    if len(ns) < 3 or any(t is None for r in runs for t in r):
        return None, False, "needs ≥ 3 values of n, every run learned"
    medians = [statistics.median(r) for r in runs]
    slope, rss_power, rss_exp = growth_fits(ns, medians)
    low = bootstrap_quantile(
        runs, lambda sample: growth_fits(ns, [statistics.median(r) for r in sample])[0], LEVEL
    )
    ok = rss_power < rss_exp and low >= MIN_EXPONENT and slope <= m["k"] + SLOPE_TOLERANCE
    detail = (
        f"{LEVEL:.0%} bootstrap lower bound {low:.2f}; residuals power law {rss_power:.3g} vs "
        f"exponential {rss_exp:.3g}"
    )
    return slope, ok, detail


def _all_learned(m):
    return m["min_final_test_acc"], m["n_unlearned_runs"] == 0 and m["min_final_test_acc"] >= 0.99


CLAIMS = [
    at_least(
        "plateau",
        "accuracy sits at chance (< 55%) for most of the time to learn (largest n, median run)",
        f"most of training (Fig. 1); here ≥ {MIN_PLATEAU_FRACTION:.0%} of the steps to 99%",
        "plateau_fraction_largest_n",
        MIN_PLATEAU_FRACTION,
        label="share of the time to learn at chance",
        unit="%",
        scales=("cpu", "paper"),
    ),
    below(
        "sharp-jump",
        "the climb from chance to 99% is abrupt: little time is spent between 60% and 95%",
        f"a discontinuous phase transition; here ≤ {MAX_MIDDLE_FRACTION:.0%} of the steps to 99%",
        "middle_fraction_largest_n",
        MAX_MIDDLE_FRACTION,
        inclusive=True,
        label="share of the time to learn between 60% and 95%",
        unit="%",
        scales=("cpu", "paper"),
    ),
    Claim(
        "all-learned",
        "every run at every n reaches ≥ 99% accuracy on fresh samples within the step budget",
        "learned (100% accuracy) at every n shown",
        _all_learned,
        reads=("min_final_test_acc", "n_unlearned_runs"),
        unit="%",
        label="lowest final fresh-sample accuracy",
    ),
    Claim(
        "polynomial-in-n",
        "median steps to learn grow like a power of n, not an exponential (a power law fits "
        f"log T better than a line in n), with exponent ≥ {MIN_EXPONENT:g} at the {LEVEL:.0%} "
        f"bootstrap quantile over runs and ≤ k + {SLOPE_TOLERANCE:g}",
        f"n^O(k) iterations; exponent ≤ k (= 3) + {SLOPE_TOLERANCE}",
        _polynomial_in_n,
        scales=("cpu", "paper"),
        reads=("ns", "steps_to_learn_by_n", "k"),
        label="log-log slope of steps to learn against n",
    ),
]


def seeded_mlp(n: int, width: int, generator: torch.Generator) -> MLP:
    """An MLP with PyTorch's default init drawn from ``generator`` (the global RNG is untouched,
    so a resumed run builds exactly the same network)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(torch.randint(2**62, (), generator=generator)))
        return MLP(n, [width], 1)


@torch.no_grad()
def accuracy(model: MLP, x: torch.Tensor, y: torch.Tensor, chunk: int) -> float:
    # Batch-sized chunks keep every matmul small enough to stay single-threaded: on a busy
    # 2-core machine a two-thread matmul this small waits on the other core far longer than it
    # computes.
    out = torch.cat([model(c).squeeze(-1) for c in x.split(chunk)])
    return (out.sign() == y).float().mean().item()


def first_step(steps: list[int], accs: list[float], pred) -> int | None:
    return next((s for s, a in zip(steps, accs, strict=True) if pred(a)), None)


def summarise_run(curve: dict, cfg: Config) -> dict:
    """Plateau and jump times of one run from its accuracy curve."""
    steps, accs = curve["step"], curve["acc"]
    t_learned = first_step(steps, accs, lambda a: a >= cfg.learned_acc)
    if t_learned is None:
        return {"t_learned": None}
    before = [(s, a) for s, a in zip(steps, accs, strict=True) if s <= t_learned]
    # The plateau ends at the last measurement at chance before learning.
    t_leave = max((s for s, a in before if a < cfg.chance_band), default=0)
    # Time in the middle of the climb: measurements with 60% ≤ acc < 95%, each standing for the
    # eval_every steps before it.
    middle = sum(cfg.eval_every for s, a in before if 0.60 <= a < 0.95)
    return {
        "t_learned": t_learned,
        "t_leave_chance": t_leave,
        "plateau_fraction": t_leave / t_learned,
        "middle_fraction": middle / t_learned,
        "jump_steps": t_learned - t_leave,
    }


def train_online(cfg: Config, ctx: RunContext, n: int, run_index: int) -> dict:
    """One run: online SGD (fresh samples every step) until fresh-sample accuracy ≥ learned_acc.

    Everything random comes from one generator per (n, run), so the run does not depend on what
    ran before it. The engine checkpoints the model, the generator and the curve as it goes, so
    a run killed inside it resumes where it stopped.
    """
    g = ctx.torch_rng("run", n, run_index)
    support = random_support(n, cfg.k, g)
    x_test, y_test = sparse_parity(cfg.test_samples, n, support, g)
    x_test, y_test = x_test.to(ctx.device), y_test.to(ctx.device)
    model = seeded_mlp(n, cfg.width, g).to(ctx.device)
    opt = torch.optim.SGD(model.parameters(), lr=cfg.lr)
    state = TrainState(model=model, optimizer=opt, generator=g, curve={"step": [], "acc": []})

    def hinge_loss(state: TrainState, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        x, y = (t.to(ctx.device) for t in batch)
        return (1 - y * state.model(x).squeeze(-1)).clamp(min=0).mean()

    def measure(state: TrainState) -> dict:
        acc = accuracy(state.model, x_test, y_test, cfg.batch_size)
        state.curve["step"].append(state.step)
        state.curve["acc"].append(acc)
        return {"test_acc": acc}

    # Stopping at the first measurement ≥ learned_acc would select a lucky one; the run goes on
    # until confirm_evals measurements in a row agree (the time to learn is still the first).
    def confirmed(state: TrainState) -> bool:
        last = state.curve["acc"][-cfg.confirm_evals :]
        return len(last) == cfg.confirm_evals and min(last) >= cfg.learned_acc

    train_loop(
        state,
        supervised_step(hinge_loss),
        steps=cfg.max_steps,
        batches=lambda: sparse_parity(cfg.batch_size, n, support, g),
        ctx=ctx,
        evaluate=measure,
        eval_every=cfg.eval_every,
        eval_at_start=False,
        eval_at_end=False,
        stop=confirmed,
        log={"n": n, "run": run_index},
        description=f"n={n} run {run_index}",
    )
    curve = state.curve
    # A new, larger fresh sample: the stopping accuracy was selected by its own threshold.
    x_final, y_final = sparse_parity(cfg.final_test_samples, n, support, g)
    curve["final_acc"] = accuracy(
        model, x_final.to(ctx.device), y_final.to(ctx.device), cfg.batch_size
    )
    curve["steps_run"] = state.step
    return curve


@experiment(
    "sparse-parity",
    title="SGD learns (n, k=3) sparse parities: long plateau, sharp jump, poly(n) time",
    topic="dynamics",
    paper=PAPER,
    config=Config,
    scales=SCALES,
    claims=CLAIMS,
    metrics=METRICS,
    lectures=("CS 229br lecture 2", "MIT 18.408"),
)
def run(cfg: Config, ctx: RunContext) -> dict:
    # One checkpoint phase per run: finished runs are kept, a killed one resumes inside.
    runs = [(n, r) for n in cfg.ns for r in range(cfg.runs_per_n)]
    curves = ctx.run_phases(runs, lambda nr: train_online(cfg, ctx, *nr), description="runs")
    by_n = {n: [curves[(n, r)] for r in range(cfg.runs_per_n)] for n in cfg.ns}

    per_n = {n: [summarise_run(c, cfg) for c in by_n[n]] for n in cfg.ns}
    learned_by_n = {n: [s for s in per_n[n] if s["t_learned"] is not None] for n in cfg.ns}
    n_unlearned = sum(len(per_n[n]) - len(learned_by_n[n]) for n in cfg.ns)
    median_steps = {
        n: statistics.median(s["t_learned"] for s in learned_by_n[n])
        for n in cfg.ns
        if learned_by_n[n]
    }
    fit_ns = sorted(median_steps)
    if len(fit_ns) >= 2:
        slope, intercept = np.polyfit(
            np.log(fit_ns), np.log([median_steps[n] for n in fit_ns]), deg=1
        )
    else:
        slope, intercept = float("nan"), float("nan")
    largest = max(fit_ns) if fit_ns else cfg.ns[-1]
    top = learned_by_n.get(largest, [])

    def median_of(key: str) -> float:
        return statistics.median(s[key] for s in top) if top else float("nan")

    _plot(cfg, ctx, by_n, median_steps, slope, intercept)

    return {
        "k": cfg.k,
        "ns": cfg.ns,
        "median_steps_to_learn": [median_steps.get(n, float("nan")) for n in cfg.ns],
        # One list per n (same order as ns); None where a run did not learn in the budget.
        "steps_to_learn_by_n": [[s["t_learned"] for s in per_n[n]] for n in cfg.ns],
        "loglog_slope": float(slope),
        "n_unlearned_runs": n_unlearned,
        "min_final_test_acc": min(c["final_acc"] for n in cfg.ns for c in by_n[n]),
        "largest_learned_n": largest,
        "plateau_fraction_largest_n": median_of("plateau_fraction"),
        "middle_fraction_largest_n": median_of("middle_fraction"),
        "jump_steps_largest_n": median_of("jump_steps"),
        "plateau_fraction_by_n": [
            statistics.median(s["plateau_fraction"] for s in learned_by_n[n])
            if learned_by_n[n]
            else float("nan")
            for n in cfg.ns
        ],
        "total_sgd_steps": sum(c["steps_run"] for n in cfg.ns for c in by_n[n]),
    }


def _plot(cfg, ctx, by_n, median_steps, slope, intercept) -> None:
    fig, (ax_curve, ax_scale, ax_jump) = new_figure(ncols=3)
    colors = {n: f"C{i % 10}" for i, n in enumerate(cfg.ns)}
    for n in cfg.ns:
        for r, c in enumerate(by_n[n]):
            ax_curve.semilogx(
                c["step"],
                c["acc"],
                color=colors[n],
                alpha=0.8,
                lw=1,
                label=f"n={n}" if r == 0 else None,
            )
    readable_log_axis(ax_curve, "x")  # default minor labels (2×10¹ 3×10¹ …) overlap
    ax_curve.axhline(0.5, color="gray", ls=":", lw=1)
    ax_curve.axhline(cfg.learned_acc, color="k", ls="--", lw=1, label=f"{cfg.learned_acc:.0%}")
    ax_curve.set(
        xlabel="SGD step (fresh samples)",
        ylabel="fresh-sample accuracy",
        title=f"(n, k={cfg.k}) parity, MLP width {cfg.width}",
    )
    ax_curve.legend(fontsize=7)

    ns = sorted(median_steps)
    for n in cfg.ns:
        steps = [t for c in by_n[n] if (t := summarise_run(c, cfg)["t_learned"]) is not None]
        ax_scale.loglog([n] * len(steps), steps, "o", color=colors[n], alpha=0.35, ms=4)
    ax_scale.loglog(ns, [median_steps[n] for n in ns], "ko", label="median over runs")
    if math.isfinite(slope):
        grid = np.linspace(min(ns), max(ns), 50)
        ax_scale.loglog(
            grid, np.exp(intercept) * grid**slope, "k-", lw=1, label=f"fit: n^{slope:.2f}"
        )
        # The paper's bound n^O(k): the slope k reference line through the smallest n.
        ax_scale.loglog(
            grid,
            median_steps[ns[0]] * (grid / ns[0]) ** cfg.k,
            "r--",
            lw=1,
            label=f"n^{cfg.k} (k, reference)",
        )
    readable_log_axis(ax_scale, "y")
    ax_scale.set(xlabel="n", ylabel=f"steps to {cfg.learned_acc:.0%}", title="time to learn vs n")
    ax_scale.set_xticks(ns, [str(n) for n in ns], minor=False)
    ax_scale.set_xticks([], minor=True)
    ax_scale.legend(fontsize=7)

    # The largest n on a linear time axis: how much of the run is plateau, how short the jump.
    largest = ns[-1] if ns else cfg.ns[-1]
    for r, c in enumerate(by_n[largest]):
        ax_jump.plot(c["step"], c["acc"], color=f"C{r % 10}", lw=1, alpha=0.8)
        summary = summarise_run(c, cfg)
        if summary["t_learned"] is not None:
            ax_jump.axvspan(
                summary["t_leave_chance"], summary["t_learned"], color=f"C{r % 10}", alpha=0.08
            )
    ax_jump.axhspan(0.5, cfg.chance_band, color="gray", alpha=0.15, label="chance band")
    ax_jump.axhline(cfg.learned_acc, color="k", ls="--", lw=1, label=f"{cfg.learned_acc:.0%}")
    ax_jump.set(
        xlabel="SGD step",
        ylabel="fresh-sample accuracy",
        title=f"n={largest}: plateau, then the jump (shaded)",
    )
    ax_jump.legend(fontsize=7, loc="upper left")
    ctx.save_figure(fig, "sparse_parity")
