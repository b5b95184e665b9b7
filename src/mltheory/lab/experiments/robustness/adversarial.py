"""Adversarial examples and adversarial training: FGSM, PGD, and the robustness–accuracy trade-off.

Papers: Goodfellow, Shlens, Szegedy (2015), "Explaining and Harnessing Adversarial Examples"
(arXiv 1412.6572), §4–5: the fast gradient sign method (FGSM) fools standard networks (a maxout
network on MNIST misclassifies 89.4% of FGSM examples at ε = 0.25); Madry, Makelov, Schmidt,
Tsipras, Vladu (2018), "Towards Deep Learning Models Resistant to Adversarial Attacks" (arXiv
1706.06083), Table 1 and §5: projected gradient descent (PGD) with a random start is a stronger
attack than FGSM, and training on PGD examples (the min–max "adversarial training") gives an
MNIST network that keeps 89–93% accuracy under PGD at ε = 0.3 (98.8% on clean inputs).

Setting. Two networks with the same architecture, initial weights and minibatch order are
trained on the same images in [0, 1]: a **standard** one on clean inputs, an **adversarially
trained** one on PGD examples (at ``train_eps``, fresh for every minibatch, as in Madry et al.).
Both are then attacked on the test set with FGSM (one step of ε) and PGD (``pgd_steps`` steps of
``pgd_step_size`` from a uniform random start, each step projected onto the L∞ ε-ball and the
input range) at the headline ε and along a grid of ε (the figure). The attacks are the lab's
building block ``mltheory.lab.attacks``; every accuracy in the metrics stands beside the attack
that produced it (ε, steps, step size).

Claims and noise. Every comparison is between two classifications of the *same* test points, so
each claim is an exact one-sided McNemar test (``claims.paired_gain_p``) at p < 0.01 on the
points where exactly one of the two is right: the standard model's accuracy falls from clean to
FGSM, and further from FGSM to PGD; adversarial training raises PGD accuracy; and it costs clean
accuracy. A sanity check confirms that no attacked input left its ε-ball or [0, 1].

Scales (2-core laptop CPU unless noted):
    smoke  digits, MLP 64→64→10, 150 steps, 3-step PGD training: a few seconds
    cpu    scikit-learn's 8×8 digits (1347 train / 450 test, pixels scaled to [0, 1]), MLP
           64→256→256→10, Adam, 1500 steps of 64; adversarial training at ε = 0.3 (Madry et
           al.'s MNIST radius; 7 PGD steps of 0.075); attacks at ε = 0.25 (Goodfellow et al.'s
           MNIST radius): FGSM, and PGD with 40 steps of 0.01 (Madry et al.'s count and size)
    paper  MNIST (60000 / 10000) from ``$MLT_DATA/mnist``, a CNN (two 5×5 conv–pool blocks and
           a 1024-unit layer, after Madry et al.'s), Adam 1e-4, 100k steps of 50; ε = 0.3, PGD
           40 steps of 0.01 for training and attack (Madry et al.'s): a GPU
Why these radii on the digits (development runs, 2026-11-29, cpu scale; an 8×8 digit has 17
grey levels and strokes one or two pixels wide, so these are much larger perturbations than on
MNIST's 28×28):
* training ε. Adversarial training at ε ≤ 0.2 costs the digits no clean accuracy at all (97.6%
  for both models at 0.1 and 0.2, seed 0), and at 0.25 only 2–5 points: seed 1 had 19 against
  8 discordant test images, p = 0.026, so robustness-costs-clean-accuracy failed there. At 0.3
  the cost is 10–11 points on seeds 0–2 (p < 1e-8).
* attack ε. At 0.3 the standard model is already at 0.7–2.7% under FGSM, leaving PGD nothing
  to take away (seed 1: 3 test images, p = 0.125, pgd-stronger-than-fgsm failed); at 0.25 FGSM
  leaves it 3–4% and PGD takes 14–20 more test images.
Robust accuracy stays far below Madry et al.'s 89–93% (45–47% under PGD at 0.25 on seeds 0–2,
against the standard model's 0–0.2%).

.. evidence: begin
Evidence (written by ``mlt evidence`` from evidence/cpu-seeds3; do not edit):
cpu scale, seeds 0–2, 58 s per seed: reproduces on 3/3 seeds; 2026-11-29, AMD EPYC, 2 cores, torch 2.13.0+cpu, 1 thread(s).
    fgsm-fools-standard: 93.6% [92%, 95.2%] (3/3 seeds)
    pgd-stronger-than-fgsm: 3.63% [1.86%, 5.4%] (3/3 seeds)
    adversarial-training-resists-pgd: 46.1% [42.4%, 49.9%] (3/3 seeds)
    robustness-costs-clean-accuracy: 10.7% [8.19%, 13.3%] (3/3 seeds)
    attacks-stay-in-the-ball: 2.384e-08 [2.384e-08, 2.384e-08] (3/3 seeds)
smoke scale: 6.0 s per seed, reproduces on 3/3 seeds.
Reproduce: ``mlt reproduce --scale cpu --seeds 3 --out cpu-seeds3``
.. evidence: end
Command: ``mlt run adversarial --scale cpu --seed 0``
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

import torch
import torch.nn.functional as F
from pydantic import Field, field_validator, model_validator
from torch import nn

from mltheory.lab.attacks import Attack, AttackResult, attack_model
from mltheory.lab.claims import paired_gain_p
from mltheory.lab.context import RunContext
from mltheory.lab.data import ClassificationData
from mltheory.lab.data.digits import load_digits_or_mnist
from mltheory.lab.data.mnist import check_mnist
from mltheory.lab.engine import (
    TensorBatches,
    TrainState,
    make_optimizer,
    supervised_step,
    train_loop,
)
from mltheory.lab.estimate import Cost, Workload, digits_need, mlp_params, mnist_need
from mltheory.lab.figures import new_figure
from mltheory.lab.nn.seeded import image_classifier
from mltheory.lab.spec import Claim, ExperimentConfig, Paper, experiment

PAPER = Paper(
    title="Towards Deep Learning Models Resistant to Adversarial Attacks (with Goodfellow et al. "
    "2015, Explaining and Harnessing Adversarial Examples)",
    authors="Madry, Makelov, Schmidt, Tsipras, Vladu; Goodfellow, Shlens, Szegedy",
    year=2018,
    arxiv="1706.06083",
    reproduces="Table 1 (MNIST, ε = 0.3: an adversarially trained network under FGSM and PGD) "
    "and Goodfellow et al. §4–5 (FGSM fools a standard network)",
)

N_CLASSES = 10
LEVEL = 0.01  # every claim: one-sided exact McNemar p < LEVEL
# Adversarial training must buy real robustness, not the point or two that training on random
# noise in the ball (PGD with 0 steps) buys: 2.0 points at smoke scale, seed 0, 2026-11-29.
MIN_ROBUST_GAIN = 0.10
SIZES = {"digits": (1347, 450), "mnist": (60000, 10000)}  # (train, test) examples
IN_SHAPE = {"digits": (1, 8, 8), "mnist": (1, 28, 28)}
# Madry et al., Table 1 (MNIST, ε = 0.3, white-box, their adversarially trained network) and
# Goodfellow et al. §5 (a maxout network on MNIST, FGSM at ε = 0.25: 89.4% error).
MADRY_MNIST = {"clean": 0.988, "FGSM": 0.956, "PGD": 0.932}
GOODFELLOW_FGSM = (0.25, 1 - 0.894)


class Config(ExperimentConfig):
    dataset: Literal["digits", "mnist"] = Field(
        "digits", description="digits (scikit-learn's 8×8, shipped) or mnist (files in $MLT_DATA)"
    )
    data_seed: int = Field(
        0, ge=0, lt=2**32, description="seed of the digits' fixed train/test split"
    )
    model: Literal["mlp", "cnn"] = Field("mlp", description="MLP or a small CNN (Madry-like)")
    hidden: list[Annotated[int, Field(ge=1, le=8192)]] = Field(
        [256, 256], min_length=1, max_length=8, description="hidden widths of the MLP"
    )
    cnn_width: int = Field(64, ge=1, le=512, description="channels of the CNN's conv layers")
    cnn_hidden: int = Field(1024, ge=1, le=8192, description="width of the CNN's dense layer")
    optimizer: Literal["sgd", "adam", "adamw"] = Field("adam", description="optimizer")
    lr: float = Field(1e-3, gt=0, le=1, description="learning rate")
    batch_size: int = Field(64, ge=1, le=10_000, description="minibatch size")
    steps: int = Field(1500, ge=1, le=1_000_000, description="optimizer steps of each model")
    eval_every: int = Field(
        250, ge=1, le=1_000_000, description="steps between evaluations of the training curves"
    )
    train_eps: float = Field(
        0.3, ge=0, le=1, description="ε of the PGD examples adversarial training trains on"
    )
    train_pgd_steps: int = Field(
        7, ge=0, le=1000, description="PGD steps of adversarial training (0: random start only)"
    )
    train_pgd_step_size: float = Field(
        0.075, ge=0, le=1, description="PGD step size of adversarial training"
    )
    eps: float = Field(0.25, ge=0, le=1, description="headline attack radius ε (L∞, pixels)")
    pgd_steps: int = Field(40, ge=1, le=10_000, description="PGD steps of the evaluation attack")
    pgd_step_size: float = Field(
        0.01, gt=0, le=1, description="PGD step size of the evaluation attack"
    )
    eps_grid: list[Annotated[float, Field(ge=0, le=1)]] = Field(
        [0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3],
        min_length=2,
        max_length=30,
        description="attack radii of the accuracy-vs-ε curves (increasing)",
    )

    @field_validator("eps_grid")
    @classmethod
    def _increasing(cls, v: list[float]) -> list[float]:
        if any(b <= a for a, b in zip(v, v[1:], strict=False)):
            raise ValueError(f"must increase strictly, got {v}")
        return v

    @model_validator(mode="after")
    def _cnn_fits_the_digits(self) -> Config:
        if self.model == "cnn" and self.dataset == "digits" and self.cnn_width > 256:
            raise ValueError("cnn_width > 256 on 8×8 digits: use a smaller CNN")
        return self

    @classmethod
    def check_data(cls, cfg: Config) -> None:
        """Refuse an MNIST run whose files are missing before any work starts (exit 2)."""
        if cfg.dataset == "mnist":
            check_mnist()

    def n_params(self) -> int:
        c, h, w = IN_SHAPE[self.dataset]
        if self.model == "mlp":
            return mlp_params(c * h * w, self.hidden, N_CLASSES)
        k = self.cnn_width
        flat = k * (h // 4) * (w // 4)
        return (
            (c * 25 + 1) * k
            + (k * 25 + 1) * k
            + (flat + 1) * self.cnn_hidden
            + (self.cnn_hidden + 1) * N_CLASSES
        )

    def activations(self) -> int:
        """Floats kept per example for a backward pass (inputs, hidden layers, logits)."""
        c, h, w = IN_SHAPE[self.dataset]
        if self.model == "mlp":
            return c * h * w + sum(self.hidden) + N_CLASSES
        k = self.cnn_width
        return c * h * w + 2 * k * h * w + 2 * k * (h // 2) * (w // 2) + self.cnn_hidden + 10

    def cost(self) -> Cost:
        """Two trainings (the adversarial one pays 1 + train_pgd_steps passes per step), the
        training curves' evaluations and the attacks on the test set."""
        n_train, n_test = SIZES[self.dataset]
        params, acts = self.n_params(), self.activations()
        data_bytes = 4 * (n_train + n_test) * (IN_SHAPE[self.dataset][1] ** 2)
        evals = self.steps // self.eval_every + 1
        # Gradient evaluations on the whole test set (in chunks of 1024): the curves' PGD, the
        # headline attacks, the grid (FGSM + PGD per ε), for both models.
        attack_passes = 2 * (
            evals * (1 + self.train_pgd_steps)
            + 1
            + self.pgd_steps
            + len(self.eps_grid) * (1 + self.pgd_steps)
        )
        chunks = -(-n_test // 1024)
        return Cost(
            [
                Workload(
                    "standard training",
                    params,
                    self.steps,
                    self.batch_size,
                    activations_per_example=acts,
                    data_bytes=data_bytes,
                ),
                Workload(
                    "adversarial training (each PGD step a pass)",
                    params,
                    self.steps * (1 + self.train_pgd_steps),
                    self.batch_size,
                    activations_per_example=acts,
                    data_bytes=data_bytes,
                ),
                Workload(  # input gradients only: nothing is trained
                    "attacks on the test set",
                    0,
                    attack_passes * chunks,
                    min(n_test, 1024),
                    activations_per_example=acts,
                    data_bytes=data_bytes,
                    extra_flops=6.0 * params * n_test * attack_passes,
                ),
            ],
            [mnist_need() if self.dataset == "mnist" else digits_need()],
            what=f"adversarial with {self.steps} steps of {self.train_pgd_steps}-step PGD "
            f"training and {self.pgd_steps}-step PGD attacks",
        )


SCALES = {
    "smoke": {
        "hidden": [64],
        "steps": 150,
        "eval_every": 75,
        "train_pgd_steps": 3,
        "train_pgd_step_size": 0.15,
        "pgd_steps": 10,
        "pgd_step_size": 0.04,
        "eps_grid": [0.0, 0.1, 0.25],
    },
    "cpu": {},
    "paper": {
        "dataset": "mnist",
        "model": "cnn",
        "cnn_width": 64,
        "cnn_hidden": 1024,
        "lr": 1e-4,
        "batch_size": 50,
        "steps": 100_000,
        "eval_every": 5000,
        "train_eps": 0.3,
        "train_pgd_steps": 40,
        "train_pgd_step_size": 0.01,
        "eps": 0.3,
        "pgd_steps": 40,
        "pgd_step_size": 0.01,
        "eps_grid": [0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4],
    },
}

METRICS = {
    "n_test": "test examples every accuracy is measured on",
    "attacks": "the headline attacks, described (clean, FGSM, PGD)",
    "attack_eps": "each headline attack's ε",
    "attack_steps": "each headline attack's number of steps",
    "attack_step_size": "each headline attack's step size",
    "standard_acc": "the standard model's accuracy under each headline attack",
    "adversarial_acc": "the adversarially trained model's accuracy under each headline attack",
    "training_attack": "the attack adversarial training trains on, described",
    "standard_clean_vs_fgsm": "standard model, test points right only clean / only under FGSM",
    "standard_fgsm_vs_pgd": "standard model, test points right only under FGSM / only under PGD",
    "pgd_adversarial_vs_standard": "under PGD, points only the adversarially trained / only "
    "the standard model gets right",
    "clean_standard_vs_adversarial": "clean, points only the standard / only the adversarially "
    "trained model gets right",
    "eps_grid": "attack radii of the curves",
    "grid_pgd_steps": "PGD steps at every ε of the grid",
    "grid_pgd_step_size": "PGD step size at every ε of the grid",
    "standard_fgsm_by_eps": "the standard model's FGSM accuracy at each ε of the grid",
    "standard_pgd_by_eps": "the standard model's PGD accuracy at each ε of the grid",
    "adversarial_fgsm_by_eps": "the adversarially trained model's FGSM accuracy at each ε",
    "adversarial_pgd_by_eps": "the adversarially trained model's PGD accuracy at each ε",
    "max_ball_violation": "how far any attacked input left its ε-ball or [0, 1] (0: never)",
}


def paired_loss(
    id: str,
    statement: str,
    paper_value: str,
    key: str,
    *,
    label: str,
    min_effect: float = 0.0,
    scales=None,
) -> Claim:
    """``metrics[key] = [a_only, b_only]``: of the test points where exactly one of two
    classifications is right, A is right on more than B, by an exact one-sided McNemar test at
    p < LEVEL, and by at least ``min_effect`` in accuracy. Measured: the accuracy difference
    A − B, (a_only − b_only) / n_test."""

    def check(m: Mapping[str, Any]):
        a_only, b_only = (int(v) for v in m[key])
        p = paired_gain_p(a_only, b_only)
        diff = (a_only - b_only) / int(m["n_test"])
        ok = a_only > b_only and p < LEVEL and diff >= min_effect
        return diff, ok, f"{a_only} vs {b_only} points, p = {p:.2g}"

    extra = {"scales": tuple(scales)} if scales else {}
    return Claim(
        id, statement, paper_value, check, reads=(key, "n_test"), unit="%", label=label, **extra
    )


CLAIMS = [
    paired_loss(
        "fgsm-fools-standard",
        "the standard model's accuracy falls under FGSM at the headline ε (exact McNemar test on "
        f"the same test points, p < {LEVEL:g})",
        "maxout network on MNIST at ε = 0.25: 89.4% error under FGSM (Goodfellow et al. §5)",
        "standard_clean_vs_fgsm",
        label="accuracy lost to FGSM (standard model)",
    ),
    paired_loss(
        "pgd-stronger-than-fgsm",
        "PGD (random start, projected steps) lowers the standard model's accuracy further than "
        f"FGSM at the same ε (exact McNemar test, p < {LEVEL:g})",
        "PGD drives naturally trained MNIST networks near 0% at ε = 0.3 (Madry et al., Fig. 4)",
        "standard_fgsm_vs_pgd",
        label="accuracy lost from FGSM to PGD (standard model)",
        scales=("cpu", "paper"),
    ),
    paired_loss(
        "adversarial-training-resists-pgd",
        "the adversarially trained model is more accurate under PGD than the standard model, "
        f"by at least {MIN_ROBUST_GAIN:.0%} (exact McNemar test, p < {LEVEL:g})",
        "MNIST, ε = 0.3: 93.2% under PGD (40 steps), 89.3% (100 steps, 20 restarts) (Madry et "
        "al., Table 1)",
        "pgd_adversarial_vs_standard",
        label="PGD accuracy gained by adversarial training",
        min_effect=MIN_ROBUST_GAIN,
        scales=("cpu", "paper"),
    ),
    paired_loss(
        "robustness-costs-clean-accuracy",
        "the adversarially trained model is less accurate on clean inputs than the standard one "
        f"(exact McNemar test, p < {LEVEL:g})",
        "MNIST: 98.8% clean after adversarial training (Madry et al. §5); CIFAR-10: 87.3% vs "
        "95.2% for a standard network",
        "clean_standard_vs_adversarial",
        label="clean accuracy lost to adversarial training",
        scales=("cpu", "paper"),
    ),
    Claim(
        "attacks-stay-in-the-ball",
        "no attacked input leaves its L∞ ε-ball or the input range [0, 1] (to 1e-6)",
        "the threat model: ‖x′ − x‖∞ ≤ ε, x′ ∈ [0, 1]",
        lambda m: (m["max_ball_violation"], m["max_ball_violation"] <= 1e-6),
        reads=("max_ball_violation",),
        label="largest step outside the ε-ball or [0, 1]",
        sanity=True,
    ),
]


def load_data(cfg: Config) -> ClassificationData:
    return load_digits_or_mnist(cfg.dataset, cfg.data_seed, flatten=cfg.model == "mlp")


def make_model(cfg: Config, seed: int, in_shape: tuple[int, ...]) -> nn.Module:
    """The network, its init drawn with ``seed`` (the global RNG is left untouched)."""
    return image_classifier(
        cfg.model, in_shape, N_CLASSES, seed, cfg.hidden, cfg.cnn_width, cfg.cnn_hidden
    )


def train_model(
    cfg: Config, ctx: RunContext, data: ClassificationData, adversarial: bool
) -> dict[str, Any]:
    """Train one model (standard or adversarial) on the engine; returns its weights and curve.

    Both models start from the same weights and see the same minibatches ("init" and "order"
    streams): they differ only in what they train on."""
    dev = ctx.device
    model = make_model(cfg, ctx.int_seed("init"), tuple(data.x_train.shape[1:])).to(dev)
    optimizer = make_optimizer(model, cfg.optimizer, cfg.lr)
    train_attack = Attack.pgd(cfg.train_eps, cfg.train_pgd_steps, cfg.train_pgd_step_size)
    name = "adversarial" if adversarial else "standard"
    state = TrainState(
        model=model,
        optimizer=optimizer,
        attack_rng=ctx.torch_rng("train_attack"),
        curve={"step": [], "clean_acc": [], "pgd_acc": []},
    )
    batches = TensorBatches(
        data.x_train, data.y_train, batch_size=cfg.batch_size, generator=ctx.torch_rng("order")
    )

    def loss(state: TrainState, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        xb, yb = batch
        if adversarial:  # Madry et al.: train on the PGD examples only
            xb = train_attack(state.model, xb, yb, generator=state.attack_rng)
        return F.cross_entropy(state.model(xb), yb)

    def evaluate(state: TrainState) -> dict[str, float]:
        clean = attack_model(state.model, data.x_test, data.y_test, Attack.clean()).accuracy
        pgd = attack_model(
            state.model,
            data.x_test,
            data.y_test,
            train_attack,
            generator=ctx.torch_rng("curve_attack", int(adversarial), state.step),
        ).accuracy
        for k, v in (("step", state.step), ("clean_acc", clean), ("pgd_acc", pgd)):
            state.curve[k].append(v)
        return {"test_acc": clean, "test_pgd_acc": pgd}

    model.train()
    train_loop(
        state,
        supervised_step(loss),
        steps=cfg.steps,
        batches=batches,
        ctx=ctx,
        evaluate=evaluate,
        eval_every=cfg.eval_every,
        log={"model": name},
        description=f"{name} training",
    )
    weights = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
    return {"weights": weights, "curve": state.curve}


def _only(a: torch.Tensor, b: torch.Tensor) -> list[int]:
    """[points right under A only, points right under B only]."""
    return [int((a & ~b).sum()), int((b & ~a).sum())]


@experiment(
    "adversarial",
    title="FGSM and PGD fool a standard network; PGD adversarial training resists, at a cost",
    topic="robustness",
    paper=PAPER,
    config=Config,
    scales=SCALES,
    claims=CLAIMS,
    metrics=METRICS,
    lectures=("CS 229br lecture 11",),
)
def run(cfg: Config, ctx: RunContext) -> dict:
    data = load_data(cfg).to(ctx.device)
    trained = ctx.run_phases(
        ["standard", "adversarial"],
        lambda name: train_model(cfg, ctx, data, adversarial=name == "adversarial"),
        description="models",
    )
    models = {}
    for name, result in trained.items():
        net = make_model(cfg, ctx.int_seed("init"), tuple(data.x_train.shape[1:])).to(ctx.device)
        net.load_state_dict(result["weights"])
        models[name] = net

    violations: list[float] = []

    def attack(name: str, atk: Attack, key: int) -> AttackResult:
        # One named stream per (model, attack): PGD's random starts never depend on what ran
        # before.
        gen = ctx.torch_rng("eval_attack", list(models).index(name), key)
        res = attack_model(models[name], data.x_test, data.y_test, atk, generator=gen)
        violations.append(res.violation(atk.eps))
        return res

    headline = [
        Attack.clean(),
        Attack.fgsm(cfg.eps),
        Attack.pgd(cfg.eps, cfg.pgd_steps, cfg.pgd_step_size),
    ]
    res = {n: [attack(n, a, i) for i, a in enumerate(headline)] for n in models}
    std, adv = res["standard"], res["adversarial"]

    grid: dict[str, dict[str, list[float]]] = {n: {"FGSM": [], "PGD": []} for n in models}
    for j, eps in enumerate(cfg.eps_grid):
        for n in models:
            grid[n]["FGSM"].append(attack(n, Attack.fgsm(eps), 100 + j).accuracy)
            pgd = Attack.pgd(eps, cfg.pgd_steps, cfg.pgd_step_size)
            grid[n]["PGD"].append(attack(n, pgd, 200 + j).accuracy)
    clean = {n: res[n][0].accuracy for n in models}

    _plot_curves(cfg, ctx, grid, clean, trained)
    _plot_examples(cfg, ctx, models["standard"], data, headline)

    return {
        "n_test": int(data.x_test.shape[0]),
        "attacks": [a.describe() for a in headline],
        "attack_eps": [a.eps for a in headline],
        "attack_steps": [a.steps for a in headline],
        "attack_step_size": [float(a.step_size or 0.0) for a in headline],
        "standard_acc": [r.accuracy for r in std],
        "adversarial_acc": [r.accuracy for r in adv],
        "training_attack": Attack.pgd(
            cfg.train_eps, cfg.train_pgd_steps, cfg.train_pgd_step_size
        ).describe(),
        "standard_clean_vs_fgsm": _only(std[0].correct, std[1].correct),
        "standard_fgsm_vs_pgd": _only(std[1].correct, std[2].correct),
        "pgd_adversarial_vs_standard": _only(adv[2].correct, std[2].correct),
        "clean_standard_vs_adversarial": _only(std[0].correct, adv[0].correct),
        "eps_grid": cfg.eps_grid,
        "grid_pgd_steps": cfg.pgd_steps,
        "grid_pgd_step_size": cfg.pgd_step_size,
        "standard_fgsm_by_eps": grid["standard"]["FGSM"],
        "standard_pgd_by_eps": grid["standard"]["PGD"],
        "adversarial_fgsm_by_eps": grid["adversarial"]["FGSM"],
        "adversarial_pgd_by_eps": grid["adversarial"]["PGD"],
        "max_ball_violation": max(violations),
    }


def _plot_curves(cfg: Config, ctx: RunContext, grid, clean, trained) -> None:
    fig, (ax, ax_train) = new_figure(ncols=2, width=5.4, height=4.0)
    colors = {"clean": "k", "FGSM": "tab:orange", "PGD": "tab:red"}
    styles = {"standard": ("--", "o", "standard"), "adversarial": ("-", "s", "adv. trained")}
    for name, (ls, marker, label) in styles.items():
        ax.plot(
            cfg.eps_grid,
            [clean[name]] * len(cfg.eps_grid),
            ls,
            color=colors["clean"],
            lw=1,
            label=f"{label}, clean",
        )
        for kind in ("FGSM", "PGD"):
            ax.plot(
                cfg.eps_grid,
                grid[name][kind],
                ls,
                marker=marker,
                ms=4,
                color=colors[kind],
                label=f"{label}, {kind}",
            )
    for k, (kind, acc) in enumerate(MADRY_MNIST.items()):
        ax.plot([0.3], [acc], "*", ms=11, color=colors[kind], mec="k", mew=0.5)
        ax.annotate(
            f"{kind} {acc:.1%}",
            (0.3, acc),
            xytext=(-8, 10 - 12 * k),
            textcoords="offset points",
            fontsize=6.5,
            ha="right",
            va="center",
            color=colors[kind],
        )
    ax.plot([], [], "*", ms=11, color="w", mec="k", label="Madry et al. (MNIST, adv. trained)")
    ax.plot(
        [GOODFELLOW_FGSM[0]],
        [GOODFELLOW_FGSM[1]],
        "P",
        ms=9,
        color=colors["FGSM"],
        mec="k",
        mew=0.5,
        label="Goodfellow et al. (MNIST maxout, FGSM)",
    )
    ax.axvline(cfg.train_eps, color="0.6", lw=0.8, ls=":")
    ax.annotate(
        "training ε", (cfg.train_eps, 0.5), fontsize=7, color="0.4", ha="right", rotation=90
    )
    ax.set(
        xlabel="attack radius ε (L∞, pixels in [0, 1])",
        ylabel="test accuracy",
        ylim=(-0.02, 1.02),
        title=f"{cfg.dataset}: PGD {cfg.pgd_steps} steps of {cfg.pgd_step_size:g}; FGSM 1 of ε",
    )
    ax.title.set_fontsize(9)
    ax.legend(fontsize=6.5, loc="lower left")
    for name, (ls, _, label) in styles.items():
        curve = trained[name]["curve"]
        ax_train.plot(curve["step"], curve["clean_acc"], ls, color="k", label=f"{label}, clean")
        ax_train.plot(
            curve["step"], curve["pgd_acc"], ls, color=colors["PGD"], label=f"{label}, training PGD"
        )
    ax_train.set(
        xlabel="optimizer step",
        ylabel="test accuracy",
        ylim=(-0.02, 1.02),
        title=f"during training (PGD at ε = {cfg.train_eps:g}, {cfg.train_pgd_steps} steps "
        f"of {cfg.train_pgd_step_size:g})",
    )
    ax_train.title.set_fontsize(9)
    ax_train.legend(fontsize=7)
    ctx.save_figure(fig, "accuracy_vs_eps")


def _plot_examples(cfg, ctx, model, data, headline, n: int = 5) -> None:
    """A few test digits, their FGSM and PGD versions, and the standard model's predictions."""
    x, y = data.x_test[:n], data.y_test[:n]
    side = IN_SHAPE[cfg.dataset][1]
    fig, axes = new_figure(ncols=n, nrows=len(headline), width=1.4, height=1.5)
    model.eval()
    for r, atk in enumerate(headline):
        x_adv = atk(model, x, y, generator=ctx.torch_rng("example_attack", r))
        with torch.no_grad():
            pred = model(x_adv).argmax(1)
        for c in range(n):
            ax = axes[r * n + c]
            ax.imshow(x_adv[c].reshape(side, side).cpu().numpy(), cmap="gray", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
            ok = int(pred[c]) == int(y[c])
            ax.set_title(f"{int(y[c])} → {int(pred[c])}", fontsize=8, color="g" if ok else "r")
            if c == 0:
                ax.set_ylabel(atk.kind.upper() if atk.kind != "none" else "clean", fontsize=8)
    fig.suptitle(f"standard model at ε = {cfg.eps:g}: label → prediction", fontsize=9)
    ctx.save_figure(fig, "examples")
