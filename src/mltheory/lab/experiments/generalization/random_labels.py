"""Neural networks fit random labels: memorization is easy, and costs only a little more time.

Paper: Zhang, Bengio, Hardt, Recht, Vinyals (2017), "Understanding deep learning requires
rethinking generalization", Table 1 (MLP 1×512 on CIFAR-10: ≥ 99% train accuracy on true and on
random labels, test accuracy at chance on random labels) and Fig. 1 (a: training loss vs step at
each label corruption level; b: time to fit vs corruption, growing by a small factor; c: test
error vs corruption, rising steadily to chance).

For each label-corruption level p ∈ {0, 0.2, 0.5, 0.8, 1} a fraction p of the training labels is
replaced by uniformly random ones, and ``replicates`` fresh MLPs (3 at cpu scale, each with its
own corruption, init and data order, from named random streams) are trained with SGD (momentum
0.9, as in the paper) for the same number of steps. We record when each first reached 99%
training accuracy (a level's time to fit: the median over its replicates), its training accuracy
at the end (the fit is checked after the whole budget; stopping at 99% and then checking ≥ 99%
could only fail on the budget) and its accuracy on the *true* test labels. All networks train as
one population (``mltheory.lab.population``): one batched model, each member exactly what its
network would be trained alone. Replicates are there because one network's time to fit moves by
a few evaluation intervals with its init and data order: with one network per level, seed 1's
full-corruption level fitted 150 steps before the 0.8 level.

Scales (2-core laptop CPU unless noted):
    smoke  MNIST-1D, 200 training examples, MLP 40→512→10, seconds
    cpu    MNIST-1D, 2000 of its 4000 training examples (so the MLP memorizes them in a few
           thousand steps), test on its 1000 test examples; 6000 SGD steps for each of the
           15 networks (5 levels × 3 replicates), trained as one population
    paper  CIFAR-10 (50000 training images, 10000 test), MLP 3072→512→10 (Table 1's 1×512),
           up to 300k steps per level: a GPU. Needs the CIFAR-10 files (refused with exit 2 if
           they are missing).

.. evidence: begin
Evidence (written by ``mlt evidence`` from evidence/cpu-seeds3; do not edit):
cpu scale, seeds 0–2, 34 s per seed: reproduces on 3/3 seeds; 2026-11-29, AMD EPYC, 2 cores, torch 2.13.0+cpu, 1 thread(s).
    fits-every-level: 100% [99.9%, 100%] (3/3 seeds)
    chance-at-full-corruption: 10.3% [9.13%, 11.4%] (3/3 seeds)
    test-error-grows: 42.1% [40.8%, 43.4%] (3/3 seeds)
    fit-time-grows: 33.33 steps [-38.38 steps, 105 steps] (3/3 seeds)
    fit-time-small-factor: 1.296 × [1.241 ×, 1.352 ×] (3/3 seeds)
smoke scale: 0.8 s per seed, reproduces on 3/3 seeds.
Reproduce: ``mlt reproduce --scale cpu --seeds 3 --out cpu-seeds3``
.. evidence: end
Command: ``mlt run random-labels --scale cpu --seed 0``
"""

from __future__ import annotations

import statistics
from typing import Annotated, Literal

import torch
from pydantic import Field, field_validator, model_validator

from mltheory.lab.claims import at_least, consistent_with_rate, monotone, noisy_trend
from mltheory.lab.context import RunContext
from mltheory.lab.data import corrupt_labels, load_cifar10, load_mnist1d
from mltheory.lab.data.cifar10 import check_cifar10
from mltheory.lab.estimate import Cost, Workload, cifar10_need, mlp_params, mnist1d_need
from mltheory.lab.figures import new_figure
from mltheory.lab.population import PopulationMLP, train_population
from mltheory.lab.spec import Claim, ExperimentConfig, Paper, experiment

PAPER = Paper(
    title="Understanding deep learning requires rethinking generalization",
    authors="Zhang, Bengio, Hardt, Recht, Vinyals",
    year=2017,
    arxiv="1611.03530",
    reproduces="Table 1 (MLP 1×512 fits random labels) and Fig. 1a–c (loss, time to fit and "
    "test error vs label corruption)",
)


DATASET_SIZES = {"mnist1d": (4000, 1000), "cifar10": (50000, 10000)}  # (train, test)


class Config(ExperimentConfig):
    dataset: Literal["mnist1d", "cifar10"] = Field(
        "mnist1d", description="mnist1d (generated offline) or cifar10 (files on disk)"
    )
    n_train: int = Field(
        2000,
        ge=10,
        le=50_000,
        description="training examples used (the dataset's first n_train; MNIST-1D has 4000)",
    )
    data_seed: int = Field(
        42,
        ge=0,
        lt=2**32,
        description="seed of the generated MNIST-1D (a fixed dataset; 42 is MNIST-1D's own)",
    )
    corruptions: list[float] = Field(
        [0.0, 0.2, 0.5, 0.8, 1.0],
        min_length=2,
        max_length=50,
        description="fractions of training labels replaced by random ones, increasing, from 0 to 1",
    )
    hidden: list[Annotated[int, Field(ge=1, le=8192)]] = Field(
        [512], min_length=1, max_length=8, description="hidden-layer widths of the MLP"
    )
    lr: float = Field(0.01, gt=0, le=1, description="SGD learning rate (the paper's for MLPs)")
    momentum: float = Field(0.9, ge=0, lt=1, description="SGD momentum (the paper's)")
    batch_size: int = Field(128, ge=1, le=50_000, description="minibatch size (the paper's)")
    steps: int = Field(
        6000,
        ge=1,
        le=1_000_000,
        description="SGD steps every level trains (steps to fit are read off its curve; the "
        "fit is checked at the end, not used to stop)",
    )
    eval_every: int = Field(
        50,
        ge=1,
        le=1_000_000,
        description="steps between evaluations (the resolution of steps-to-fit)",
    )
    fit_threshold: float = Field(
        0.99, gt=0, le=1, description="training accuracy at which a level counts as fitted"
    )
    replicates: int = Field(
        3,
        ge=1,
        le=20,
        description="networks per level (own labels, init, order); a level's steps to fit is "
        "their median, its accuracies their mean (train: the lowest)",
    )

    @field_validator("corruptions")
    @classmethod
    def _from_clean_to_random(cls, v: list[float]) -> list[float]:
        if v[0] != 0.0 or v[-1] != 1.0 or any(b <= a for a, b in zip(v, v[1:], strict=False)):
            raise ValueError(f"must increase strictly from 0.0 to 1.0, got {v}")
        return v

    @model_validator(mode="after")
    def _fits_the_dataset(self) -> Config:
        available = DATASET_SIZES[self.dataset][0]
        if self.n_train > available:
            raise ValueError(
                f"n_train={self.n_train} but {self.dataset} has {available} training examples"
            )
        return self

    def cost(self) -> Cost:
        """Every level's replicate networks as one population, for the fixed budget of
        ``steps``."""
        in_dim, n_test = (3072, 10000) if self.dataset == "cifar10" else (40, 1000)
        examples = self.n_train + n_test
        level = Workload(
            "corruption levels",
            n_params=mlp_params(in_dim, self.hidden, N_CLASSES),
            steps=self.steps,
            batch_size=self.batch_size,
            members=len(self.corruptions) * self.replicates,
            eval_examples=(self.steps // self.eval_every + 1) * examples,
            activations_per_example=in_dim + sum(self.hidden) + N_CLASSES,
            data_bytes=4 * in_dim * examples,
        )
        return Cost(
            [level],
            [cifar10_need() if self.dataset == "cifar10" else mnist1d_need()],
            what=f"random-labels with {level.members} networks of {level.n_params} parameters, "
            f"{self.steps} steps",
        )

    @classmethod
    def check_data(cls, cfg: Config) -> None:
        """Refuse a CIFAR-10 run whose files are missing before any work starts (exit 2)."""
        if cfg.dataset == "cifar10":
            check_cifar10()


SCALES = {
    # 100 examples are memorized in a few dozen full-batch steps at any corruption: too few for
    # the fit-time trend to show, so smoke checks fitting and chance only.
    "smoke": {
        "n_train": 100,
        "batch_size": 100,
        "lr": 0.05,
        "steps": 300,
        "eval_every": 5,
        "replicates": 1,
    },
    "cpu": {},
    "paper": {
        "dataset": "cifar10",
        "n_train": 50000,
        "steps": 300_000,
        "eval_every": 1000,
    },
}

METRICS = {
    "corruption": "label corruption levels, increasing from 0 to 1",
    "steps_to_fit": "median over a level's networks of the first evaluated step at which train "
    "accuracy ≥ fit_threshold (None: one never fitted)",
    "train_acc": "each level's lowest train accuracy (on its labels) after all the steps",
    "test_acc": "each level's mean accuracy on the true test labels after all the steps",
    "train_loss": "each level's mean final training loss",
    "n_train": "training examples",
    "n_test": "test examples (the binomial noise of a test accuracy)",
    "eval_every": "steps between evaluations (the resolution of steps-to-fit)",
}

N_CLASSES = 10
CHANCE = 1 / N_CLASSES
LEVEL = 0.01  # noisy claims: p < LEVEL (binomial envelopes on the test set)
MAX_FIT_TIME_FACTOR = 10.0


def _fit_time_factor(m):
    first, last = m["steps_to_fit"][0], m["steps_to_fit"][-1]
    if first is None or last is None:
        return None, False, "a level never fitted"
    ratio = last / max(first, 1)
    # Slower by more than one evaluation interval (the resolution), and not by much.
    grew = last - first > m["eval_every"]
    return ratio, grew and ratio <= MAX_FIT_TIME_FACTOR, f"{first} → {last} steps"


CLAIMS = [
    # Every level trains the same number of steps: the fit is measured after them, not used to
    # stop training (stopping at 99% and then checking ≥ 99% could only fail on the budget).
    at_least(
        "fits-every-level",
        "after the same number of SGD steps, the network has ≥ 99% training accuracy at every "
        "corruption level, random labels included",
        "100.0% (MLP 3×512) / 99.34% (MLP 1×512) train accuracy on random labels (Table 1)",
        "train_acc",
        0.99,
        label="lowest train accuracy over the levels",
        unit="%",
    ),
    consistent_with_rate(
        "chance-at-full-corruption",
        f"with all labels random, test accuracy is chance (1/{N_CLASSES}): inside the "
        f"{1 - LEVEL:.0%} binomial envelope of chance on the test set",
        "≈ 10% (Table 1, CIFAR-10)",
        "test_acc",
        CHANCE,
        "n_test",
        level=LEVEL,
        label="test accuracy at corruption 1",
    ),
    noisy_trend(
        "test-error-grows",
        "test error rises with corruption: from clean to random labels by more than binomial "
        f"noise (p < {LEVEL:g}), with no significant step down in between",
        "rises steadily from the clean-label error to 90% (Fig. 1c)",
        "test_acc",
        "n_test",
        increasing=False,
        level=LEVEL,
        label="test error rise, clean → random labels",
        scales=("cpu", "paper"),
    ),
    monotone(
        "fit-time-grows",
        "steps to fit grow with corruption (non-decreasing up to one evaluation interval, and "
        "the last level slower than the first by more than one)",
        "convergence slows as corruption grows (Fig. 1b)",
        "steps_to_fit",
        slack_key="eval_every",
        net_change=True,
        label="largest step down in steps to fit",
        unit="steps",
        scales=("cpu", "paper"),
    ),
    Claim(
        "fit-time-small-factor",
        "fitting random labels takes more steps than fitting the true labels (by more than "
        f"one evaluation interval), and at most {MAX_FIT_TIME_FACTOR:g}× as many",
        '"a small constant factor" (§2, Fig. 1a–b)',
        _fit_time_factor,
        scales=("cpu", "paper"),
        reads=("steps_to_fit", "eval_every"),
        unit="×",
        label="steps to fit, random / true labels",
    ),
]


def load_data(cfg: Config, device: torch.device):
    # CIFAR-10 comes normalized per channel; MNIST-1D is standardized below.
    data = load_cifar10() if cfg.dataset == "cifar10" else load_mnist1d(seed=cfg.data_seed)
    data = data.subset(n_train=cfg.n_train)
    if cfg.dataset == "mnist1d":
        data = data.standardized()
    return data.to(device)


@experiment(
    "random-labels",
    title="Neural networks fit random labels, at a small extra cost in training time",
    topic="generalization",
    paper=PAPER,
    config=Config,
    scales=SCALES,
    claims=CLAIMS,
    metrics=METRICS,
    lectures=("CS 229br lecture 1",),
)
def run(cfg: Config, ctx: RunContext) -> dict:
    data = load_data(cfg, ctx.device)

    # Every network (corruption level × replicate) is one member of a population
    # (mltheory.lab.population): all train as one batched model, each on its own labels and data
    # order and from its own init, exactly as each would alone, for the same number of steps.
    # Replicates average out what one network's init and data order do to its time to fit.
    levels = cfg.corruptions
    members = [(i, r) for i in range(len(levels)) for r in range(cfg.replicates)]
    labels = torch.stack(
        [
            corrupt_labels(data.y_train.cpu(), levels[i], N_CLASSES, ctx.torch_rng("labels", i, r))
            for i, r in members
        ]
    ).to(ctx.device)
    pop = PopulationMLP.init(
        data.input_dim,
        cfg.hidden,
        N_CLASSES,
        [ctx.int_seed("init", i, r) for i, r in members],
        device=ctx.device,
    )
    hist = train_population(
        pop,
        data.x_train.flatten(1),
        labels,
        steps=cfg.steps,
        batch_size=cfg.batch_size,
        lr=cfg.lr,
        momentum=cfg.momentum,
        generators=[ctx.torch_rng("order", i, r) for i, r in members],
        ctx=ctx,
        x_test=data.x_test.flatten(1),
        y_test=data.y_test,  # the true labels: is anything learned that generalizes?
        eval_every=cfg.eval_every,
        fit_threshold=cfg.fit_threshold,
        description="corruption levels " + ", ".join(f"{p:g}" for p in levels),
        log={"corruption": [levels[i] for i, _ in members]},
    )
    per_level = []
    for i in range(len(levels)):
        runs = [hist.member(k) for k, (level, _) in enumerate(members) if level == i]
        fits = [h.steps_to_fit for h in runs]
        finals = [h.final() for h in runs]
        per_level.append(
            {
                "steps_to_fit": None if None in fits else statistics.median(fits),
                "train_acc": min(f["train_acc"] for f in finals),
                "test_acc": statistics.fmean(f["test_acc"] for f in finals),
                "train_loss": statistics.fmean(f["train_loss"] for f in finals),
                "curve": {  # the first replicate's, for the figure
                    "step": runs[0].step,
                    "train_loss": runs[0].train_loss,
                    "train_acc": runs[0].train_acc,
                },
            }
        )

    fig, (ax_loss, ax_time, ax_err) = new_figure(ncols=3, width=4.6)
    for p, fit in zip(levels, per_level, strict=True):
        ax_loss.plot(fit["curve"]["step"], fit["curve"]["train_loss"], label=f"corruption {p:g}")
    ax_loss.set(
        xlabel="SGD step",
        ylabel="training loss",
        title=f"(a) training loss ({cfg.steps} steps)",
    )
    ax_loss.legend(fontsize=8)
    steps = [fit["steps_to_fit"] for fit in per_level]
    ax_time.plot(
        [p for p, s in zip(levels, steps, strict=True) if s is not None],
        [s for s in steps if s is not None],
        "o-",
    )
    ax_time.set(
        xlabel="label corruption", ylabel="steps to fit", title="(b) time to fit", ylim=(0, None)
    )
    test_err = [1 - fit["test_acc"] for fit in per_level]
    ax_err.plot(levels, test_err, "o-", label="measured (true test labels)")
    ax_err.axhline(1 - CHANCE, color="gray", ls="--", label="chance (paper: ≈ 90% at p=1)")
    ax_err.set(xlabel="label corruption", ylabel="test error", title="(c) test error", ylim=(0, 1))
    ax_err.legend(fontsize=8)
    fig.suptitle(
        f"{data.name}, n_train={cfg.n_train}, MLP {'×'.join(map(str, cfg.hidden))}, "
        f"SGD lr={cfg.lr:g}"
    )
    ctx.save_figure(fig, "random_labels")

    return {
        "corruption": levels,
        "steps_to_fit": steps,
        "train_acc": [fit["train_acc"] for fit in per_level],
        "test_acc": [fit["test_acc"] for fit in per_level],
        "train_loss": [fit["train_loss"] for fit in per_level],
        "n_train": cfg.n_train,
        "n_test": int(data.x_test.shape[0]),
        "eval_every": cfg.eval_every,
    }
