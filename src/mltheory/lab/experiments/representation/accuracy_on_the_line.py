"""Accuracy on the line: in- and out-of-distribution accuracies lie on a line in probit space.

Papers: Recht, Roelofs, Schmidt, Shankar (2019), "Do ImageNet Classifiers Generalize to
ImageNet?" (Fig. 1: CIFAR-10 → CIFAR-10.1 and ImageNet → ImageNetV2, a new test set collected
by the same process costs every model accuracy, along a line); Miller, Taori, Raghunathan et
al. (2021), "Accuracy on the Line" (Fig. 1: across many models, probit-scaled
in-distribution and shifted accuracies are strongly linearly correlated).

The shift (natural, not a relabelling): MNIST-1D's generator makes each example by taking one
of ten digit templates and applying random padding, shear, scale change, translation and
correlated plus i.i.d. noise. The shifted test set is a new collection by the *same* process
with a wider spread of those nuisances (more shear, larger scale changes, stronger correlated
noise), drawn from its own data seed: the analogue of re-collecting a test set with a slightly
different pipeline, as ImageNetV2 and CIFAR-10.1 were. Labels and templates are untouched.

Models: MLPs 40→h→h→10 of several widths h (size), trained on the first n examples of
MNIST-1D's training set for n in a range (data amount), evaluated after several training
lengths (SGD steps). Every width trains as one population (``mltheory.lab.population``), one
member per data amount; a member's data is its n examples tiled to a common length, so it sees
only those n. Training lengths are successive segments of one run (momentum restarts at each
segment), each model evaluated at the end of each segment on the in-distribution test set (1000
examples) and the shifted one. For each model we take Φ⁻¹(accuracy) on both test sets and fit
a least-squares line; the figure shows the fit in probit space with y = x.

Noise: each accuracy is a binomial proportion; a model's drop counts only when it exceeds the
two-sided 95% binomial envelope of the two test sets, √(p₁(1−p₁)/n₁ + p₂(1−p₂)/n₂)·1.96.

Scales (2-core laptop CPU unless noted):
    smoke  widths 16, 64; n 250, 1000; lengths 100, 300 steps: 8 models, seconds
    cpu    widths 8, 32, 128; n 250, 1000, 4000; lengths 250, 1000, 4000 steps: 27 models
    paper  the same grid with widths up to 512 and 4 training lengths up to 16000 steps; the
           paper's own populations are hundreds of ImageNet/CIFAR models (not shipped)

Development notes, hand-written and dated (2026-11-29, after the move to the platform's named
random streams; cpu scale, 27 models per seed, 2-core x86_64 CPU shared with several other
jobs, ``OMP_NUM_THREADS=1``): both claims PASS on seeds 0, 1, 2. Probit fit R² 0.962 / 0.974 /
0.987, slope 0.60 / 0.63 / 0.69 (± 0.05 / 0.04 / 0.03 at 95%; intercept −0.43 / −0.43 /
−0.42): the line lies below y = x and is flatter than it, so better models lose more points.
In-distribution accuracy 0.25–0.68 across the models; every model (27/27 on each seed) loses
accuracy beyond its binomial envelope, by 12.2 / 12.8 / 12.5 points on average (e.g. the best
model of seed 0: 0.665 → 0.425). (Before the move, on the old streams: R² 0.978 / 0.978 /
0.976, slope 0.68 / 0.60 / 0.65; same verdicts.)
.. evidence: begin
Evidence (written by ``mlt evidence`` from evidence/cpu-seeds3; do not edit):
cpu scale, seeds 0–2, 3.6 s per seed: reproduces on 3/3 seeds; 2026-11-29, AMD EPYC, 2 cores, torch 2.13.0+cpu, 1 thread(s).
    accuracy-on-the-line: 0.9745 [0.9435, 1.005] (3/3 seeds)
    shift-costs-accuracy: 100% [100%, 100%] (3/3 seeds)
smoke scale: 0.3 s per seed, reproduces on 3/3 seeds.
Reproduce: ``mlt reproduce --scale cpu --seeds 3 --out cpu-seeds3``
.. evidence: end
Command: ``mlt run accuracy-on-the-line --scale cpu --seed S`` for S in 0, 1, 2
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch
from pydantic import Field, field_validator
from scipy import stats

from mltheory.lab.context import RunContext
from mltheory.lab.data import load_mnist1d
from mltheory.lab.estimate import Cost, Workload, mlp_params, mnist1d_need
from mltheory.lab.figures import new_figure
from mltheory.lab.population import PopulationMLP, train_population
from mltheory.lab.spec import Claim, ExperimentConfig, Paper, experiment

PAPER = Paper(
    title="Accuracy on the Line: on the Strong Correlation Between Out-of-Distribution and "
    "In-Distribution Generalization",
    authors="Miller, Taori, Raghunathan, Sagawa, Koh, Shankar, Liang, Carmon, Schmidt",
    year=2021,
    arxiv="2107.04649",
    reproduces="Fig. 1: probit-scaled in-distribution vs shifted accuracy over many models lies "
    "on a line (and Recht et al. 2019, Fig. 1: the re-collected test set costs accuracy)",
)

N_CLASSES = 10


def _increasing(name: str, lo: int, hi: int):
    def check(cls, v: list[int]) -> list[int]:
        if any(not lo <= a <= hi for a in v) or any(b <= a for a, b in zip(v, v[1:], strict=False)):
            raise ValueError(f"{name} must increase strictly within [{lo}, {hi}], got {v}")
        return v

    return field_validator(name)(classmethod(check))


class Config(ExperimentConfig):
    widths: list[int] = Field(
        [8, 32, 128], min_length=1, max_length=8, description="hidden widths h of MLP 40→h→h→10"
    )
    n_trains: list[int] = Field(
        [250, 1000, 4000],
        min_length=1,
        max_length=8,
        description="training-set sizes (first n of MNIST-1D's 4000 training examples)",
    )
    lengths: list[int] = Field(
        [250, 1000, 4000],
        min_length=1,
        max_length=8,
        description="training lengths (SGD steps) at which every model is evaluated",
    )
    lr: float = Field(default=0.05, gt=0, le=1, description="SGD learning rate")
    momentum: float = Field(default=0.9, ge=0, lt=1, description="SGD momentum")
    batch_size: int = Field(100, ge=1, le=4000, description="minibatch size")
    shifted_scale_coeff: float = Field(
        default=0.6, ge=0, le=2, description="shifted set's scale spread (training: 0.4)"
    )
    shifted_corr_noise_scale: float = Field(
        default=0.4, ge=0, le=2, description="shifted set's correlated noise (training: 0.25)"
    )
    shifted_iid_noise_scale: float = Field(
        default=0.02, ge=0, le=1, description="shifted set's i.i.d. noise (training: 0.02)"
    )
    shifted_shear_scale: float = Field(
        default=1.0, ge=0, le=3, description="shifted set's shear spread (training: 0.75)"
    )
    shifted_samples: int = Field(
        2000, ge=100, le=100_000, description="examples in the shifted test set"
    )
    shifted_data_seed: int = Field(
        7, ge=0, le=2**31 - 1, description="seed of the shifted set's generation (training: 42)"
    )

    _widths = _increasing("widths", 1, 4096)
    _n_trains = _increasing("n_trains", 10, 4000)
    _lengths = _increasing("lengths", 1, 1_000_000)

    def cost(self) -> Cost:
        """One population per width (a member per training-set size), evaluated at every
        length on the test set (1000), the shifted set and its own 4000 tiled examples."""
        evals = len(self.lengths) * (1000 + self.shifted_samples + 4000)
        return Cost(
            [
                Workload(
                    f"width {w}",
                    n_params=mlp_params(40, [w, w], N_CLASSES),
                    steps=self.lengths[-1],
                    batch_size=self.batch_size,
                    members=len(self.n_trains),
                    eval_examples=evals,
                    activations_per_example=40 + 2 * w + N_CLASSES,
                    data_bytes=4 * 41 * (len(self.n_trains) * 4000 + self.shifted_samples),
                )
                for w in self.widths
            ],
            [mnist1d_need()],
            what=f"accuracy-on-the-line with widths up to {self.widths[-1]} and "
            f"{self.lengths[-1]} steps",
        )


SCALES = {
    "smoke": {"widths": [16, 64], "n_trains": [250, 1000], "lengths": [100, 300]},
    "cpu": {},
    "paper": {"widths": [8, 32, 128, 512], "lengths": [250, 1000, 4000, 16000]},
}

MIN_R2 = 0.9
TICKS = [0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99]
Z = 1.96
MIN_DROP_FRACTION = 0.8


def probit(acc: np.ndarray, n: int) -> np.ndarray:
    """Φ⁻¹(accuracy), clipped half an example from 0 and 1 so a perfect score stays finite."""
    eps = 0.5 / n
    return stats.norm.ppf(np.clip(acc, eps, 1 - eps))


def probit_fit(m: Mapping[str, Any]) -> dict[str, float]:
    """Least-squares line Φ⁻¹(shifted) = slope·Φ⁻¹(in-distribution) + intercept, with R²."""
    x = probit(np.asarray(m["acc_id"]), m["n_test_id"])
    y = probit(np.asarray(m["acc_shift"]), m["n_test_shift"])
    fit = stats.linregress(x, y)
    return {
        "slope": float(fit.slope),
        "intercept": float(fit.intercept),
        "r2": float(fit.rvalue**2),
        "slope_se": float(fit.stderr),
    }


METRICS = {
    "width": "each model's hidden width h",
    "n_train": "each model's number of training examples",
    "steps": "each model's SGD steps when evaluated",
    "acc_train": "each model's accuracy on its training examples",
    "acc_id": "each model's accuracy on the in-distribution test set",
    "acc_shift": "each model's accuracy on the shifted test set",
    "n_models": "models (width × data amount × training length)",
    "n_test_id": "in-distribution test examples (the binomial noise of acc_id)",
    "n_test_shift": "shifted test examples (the binomial noise of acc_shift)",
    "probit_slope": "slope of the least-squares line Φ⁻¹(shifted) vs Φ⁻¹(in-distribution)",
    "probit_intercept": "intercept of that line",
    "probit_r2": "R² of that line",
    "probit_slope_se": "standard error of its slope",
}


def _on_the_line(m: Mapping[str, Any]) -> tuple[Any, bool, str]:
    fit = probit_fit(m)
    # The line must explain the spread (R²) and actually rise: slope beyond its 95% interval.
    ok = fit["r2"] >= MIN_R2 and fit["slope"] - Z * fit["slope_se"] > 0
    return fit["r2"], ok, f"slope {fit['slope']:.3f} ± {Z * fit['slope_se']:.3f}"


def _shift_costs_accuracy(m: Mapping[str, Any]) -> tuple[Any, bool, str]:
    a, b = np.asarray(m["acc_id"]), np.asarray(m["acc_shift"])
    envelope = Z * np.sqrt(a * (1 - a) / m["n_test_id"] + b * (1 - b) / m["n_test_shift"])
    beyond = float(np.mean(a - b > envelope))
    mean_drop = float(np.mean(a - b))
    return beyond, beyond >= MIN_DROP_FRACTION, f"mean drop {100 * mean_drop:.1f} points"


CLAIMS = [
    Claim(
        "accuracy-on-the-line",
        f"probit-scaled shifted accuracy against in-distribution accuracy, across all models, "
        f"fits a line with R² ≥ {MIN_R2:g} and a slope whose 95% interval is above 0",
        "strong linear trends in probit space across models (Miller et al. Fig. 1; "
        "Recht et al. Fig. 1)",
        _on_the_line,
        scales=("cpu", "paper"),
        reads=("acc_id", "acc_shift", "n_test_id", "n_test_shift"),
        label="R² of the probit fit",
    ),
    Claim(
        "shift-costs-accuracy",
        f"at least {MIN_DROP_FRACTION:.0%} of the models lose accuracy on the shifted test set "
        "by more than the two test sets' 95% binomial envelope",
        "CIFAR-10.1: −3% to −15%; ImageNetV2: −11% to −14% (Recht et al. 2019)",
        _shift_costs_accuracy,
        reads=("acc_id", "acc_shift", "n_test_id", "n_test_shift"),
        unit="%",
        label="models losing accuracy beyond noise",
    ),
]


@experiment(
    "accuracy-on-the-line",
    title="Accuracy on the line: shifted accuracy is a linear function of in-distribution "
    "accuracy in probit space",
    topic="representation",
    paper=PAPER,
    config=Config,
    scales=SCALES,
    claims=CLAIMS,
    metrics=METRICS,
    lectures=("CS 229br lecture 3",),
)
def run(cfg: Config, ctx: RunContext) -> dict:
    data = load_mnist1d().to(ctx.device)
    shifted = load_mnist1d(
        num_samples=cfg.shifted_samples,
        seed=cfg.shifted_data_seed,
        scale_coeff=cfg.shifted_scale_coeff,
        corr_noise_scale=cfg.shifted_corr_noise_scale,
        iid_noise_scale=cfg.shifted_iid_noise_scale,
        shear_scale=cfg.shifted_shear_scale,
    )
    # The whole shifted collection is test data; nothing of it is trained on.
    x_shift = torch.cat([shifted.x_train, shifted.x_test]).to(ctx.device)
    y_shift = torch.cat([shifted.y_train, shifted.y_test]).to(ctx.device)
    n_max = data.x_train.shape[0]

    # A member trained on n examples gets them tiled to n_max rows: it sees only those n, and
    # every member of the population shares one data length.
    def tiled(n: int) -> torch.Tensor:
        return torch.arange(n_max, device=ctx.device) % n

    x_members = torch.stack([data.x_train[tiled(n)] for n in cfg.n_trains])
    y_members = torch.stack([data.y_train[tiled(n)] for n in cfg.n_trains])

    # Named random streams of the run's seed, one entry per (width, member): the members'
    # initial weights ("init") and their data orders ("order").
    def train_width(i: int) -> list[dict]:
        members = len(cfg.n_trains)
        pop = PopulationMLP.init(
            data.input_dim,
            [cfg.widths[i]] * 2,
            N_CLASSES,
            seeds=[ctx.int_seed("init", i, j) for j in range(members)],
            device=ctx.device,
        )
        gens = [ctx.torch_rng("order", i, j) for j in range(members)]
        rows, done = [], 0
        for length in cfg.lengths:
            train_population(
                pop,
                x_members,
                y_members,
                steps=length - done,
                batch_size=cfg.batch_size,
                lr=cfg.lr,
                momentum=cfg.momentum,
                generators=gens,
                eval_every=length - done,
                description=f"width {cfg.widths[i]}, to step {length}",
            )
            done = length
            _, acc_id = pop.evaluate(data.x_test, data.y_test)
            _, acc_shift = pop.evaluate(x_shift, y_shift)
            _, acc_train = pop.evaluate(x_members, y_members)
            for j, n in enumerate(cfg.n_trains):
                rows.append(
                    {
                        "width": cfg.widths[i],
                        "n_train": n,
                        "steps": length,
                        "acc_train": float(acc_train[j]),
                        "acc_id": float(acc_id[j]),
                        "acc_shift": float(acc_shift[j]),
                    }
                )
                ctx.log(**rows[-1])
        return rows

    per_width = ctx.run_phases(list(range(len(cfg.widths))), train_width, description="widths")
    models = [row for i in range(len(cfg.widths)) for row in per_width[i]]
    metrics = {
        "width": [r["width"] for r in models],
        "n_train": [r["n_train"] for r in models],
        "steps": [r["steps"] for r in models],
        "acc_train": [round(r["acc_train"], 5) for r in models],
        "acc_id": [round(r["acc_id"], 5) for r in models],
        "acc_shift": [round(r["acc_shift"], 5) for r in models],
        "n_models": len(models),
        "n_test_id": int(data.x_test.shape[0]),
        "n_test_shift": int(x_shift.shape[0]),
    }
    fit = probit_fit(metrics)
    metrics.update({f"probit_{k}": round(v, 5) for k, v in fit.items()})
    _plot(cfg, ctx, metrics, fit)
    return metrics


def _plot(cfg: Config, ctx: RunContext, m: dict, fit: dict) -> None:
    fig, (ax_probit, ax_linear) = new_figure(ncols=2, width=4.8, height=4.4)
    acc_id, acc_shift = np.asarray(m["acc_id"]), np.asarray(m["acc_shift"])
    px, py = probit(acc_id, m["n_test_id"]), probit(acc_shift, m["n_test_shift"])
    markers = dict(zip(cfg.widths, "os^Dv<>p", strict=False))
    sizes = {n: 20 + 60 * i for i, n in enumerate(cfg.n_trains)}
    steps = np.asarray(m["steps"])
    points = None
    for w in cfg.widths:
        for n in cfg.n_trains:
            sel = (np.asarray(m["width"]) == w) & (np.asarray(m["n_train"]) == n)
            for ax, xs, ys in [(ax_probit, px, py), (ax_linear, acc_id, acc_shift)]:
                points = ax.scatter(
                    xs[sel],
                    ys[sel],
                    c=np.log(steps[sel]),
                    vmin=math.log(min(cfg.lengths)),
                    vmax=math.log(max(cfg.lengths)) + 1e-9,
                    cmap="viridis",
                    marker=markers[w],
                    s=sizes[n],
                    edgecolors="k",
                    linewidths=0.4,
                )
    lo, hi = min(px.min(), py.min()) - 0.2, max(px.max(), py.max()) + 0.2
    grid = np.linspace(lo, hi, 50)
    ax_probit.plot(grid, grid, color="gray", ls="--", label="y = x")
    ax_probit.plot(
        grid,
        fit["slope"] * grid + fit["intercept"],
        color="tab:red",
        label=f"fit: slope {fit['slope']:.2f}, R² {fit['r2']:.3f}",
    )
    ticks = [t for t in TICKS if lo <= stats.norm.ppf(t) <= hi]
    for ax_set in (ax_probit.set_xticks, ax_probit.set_yticks):
        ax_set(stats.norm.ppf(ticks), [f"{t:.0%}" for t in ticks])
    ax_probit.set(
        xlim=(lo, hi),
        ylim=(lo, hi),
        xlabel="in-distribution test accuracy (probit scale)",
        ylabel="shifted test accuracy (probit scale)",
        title=f"{m['n_models']} models (marker: width, size: data, colour: steps)",
    )
    ax_probit.legend(fontsize=8, loc="upper left")
    ax_linear.plot([0, 1], [0, 1], color="gray", ls="--", label="y = x")
    # The fit mapped back over the measured range only: extrapolated, a probit line means little.
    span = np.linspace(acc_id.min(), acc_id.max(), 100)
    curve = stats.norm.cdf(fit["slope"] * stats.norm.ppf(span) + fit["intercept"])
    ax_linear.plot(span, curve, color="tab:red", label="probit fit, mapped back")
    ax_linear.set(
        xlim=(0, 1),
        ylim=(0, 1),
        xlabel="in-distribution test accuracy",
        ylabel="shifted test accuracy",
        title="the same, linear axes",
    )
    ax_linear.legend(fontsize=8, loc="upper left")
    bar = fig.colorbar(points, ax=ax_linear, label="SGD steps")
    bar.set_ticks([math.log(n) for n in cfg.lengths], labels=[str(n) for n in cfg.lengths])
    fig.suptitle(
        "MNIST-1D → re-generated with wider shear/scale/noise "
        f"(shear {cfg.shifted_shear_scale:g}, scale {cfg.shifted_scale_coeff:g}, "
        f"corr. noise {cfg.shifted_corr_noise_scale:g})"
    )
    ctx.save_figure(fig, "accuracy_on_the_line")
