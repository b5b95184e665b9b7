"""BadNets: a trigger on a few poisoned training images plants a backdoor; clean accuracy stays.

Paper: Gu, Dolan-Gavitt, Garg (2017), "BadNets: Identifying Vulnerabilities in the Machine
Learning Model Supply Chain" (arXiv 1708.06733), §3 (MNIST): an attacker who controls part of
the training set stamps a small pattern (the trigger) into the corner of some images and
relabels them as a target class. The trained network then classifies nearly every triggered
image as the target, while its accuracy on clean images stays at the baseline's, so testing on
clean data cannot reveal the backdoor. CS 229br lecture 11 and MIT 18.408 (data poisoning).

Setting. For each poisoned fraction p (0 first: the unpoisoned baseline), ``round(p · n_train)``
training images of non-target classes (the first ones of one random order, so the poisoned sets
are nested) get a 3×3 checkerboard stamped one pixel from the bottom-right corner and the label
``target_class`` ("all-to-one" attack). One network is trained per fraction, every one from the
same initial weights and minibatch order ("init" and "order" streams): they differ only in the
poison. We measure each network's clean test accuracy and its **attack success rate** (ASR):
the fraction of triggered test images of the other classes classified as the target.

Claims and noise (each at the 1% level):
* ``backdoor-succeeds``: at every poisoned fraction ≥ 5%, the ASR's one-sided 99%
  Clopper–Pearson lower bound is ≥ 90% (on the ≈ 400 triggered test images of the digits).
* ``clean-accuracy-kept``: at every poisoned fraction, the clean-accuracy drop against the
  unpoisoned network (paired on the same test images) has a one-sided 99% upper bound below
  2 points (a Wald bound on the paired difference with ½ added to each discordant count, so
  that no discordance does not read as certainty: Agresti–Min).
* ``success-grows-with-fraction``: among the poisoned networks, the ASR rises from the smallest
  fraction to the largest by more than binomial noise, with no significant step down.
Negative controls (tests): no poison (every fraction 0 gives no success), and poisoning that
relabels the same images **without** stamping the trigger (label flipping): no backdoor, and a
clean-accuracy cost that the claim catches.

Scales (2-core laptop CPU unless noted):
    smoke  digits, MLP 64→64→10, 300 steps, fractions 0, 10%, 20%: a few seconds
    cpu    scikit-learn's 8×8 digits (1347 train / 450 test, pixels in [0, 1]), MLP
           64→256→256→10, Adam 1e-3, 1500 steps of 64 per network; fractions 0, 0.5%, 1%, 2%,
           5%, 10% (0 to 135 poisoned images)
    paper  MNIST (60000 / 10000) from ``$MLT_DATA/mnist``, BadNets' CNN (conv 16 and 32 of 5×5,
           each max-pooled, a 512-unit layer), Adam 1e-3, 5000 steps of 128 per network,
           fractions 0, 0.02% (12 images) … 10%: a GPU
Development notes (2026-11-29, cpu scale, seeds 0–2): ASR 69–83% at 0.5% (7 images), 80–96% at
1%, 88–97% at 2%, 98–100% at 5%, ≥ 99.8% at 10%; every poisoned network within 0.5 points of
the unpoisoned one's clean accuracy (97.1–97.6%; at most 3 test images each way). Relabelling
the same images without the trigger (seed 0): ASR ≤ 14%, clean accuracy down to 95.1% at 10%.

.. evidence: begin
Evidence (written by ``mlt evidence`` from evidence/cpu-seeds3; do not edit):
cpu scale, seeds 0–2, 57 s per seed: reproduces on 3/3 seeds; 2026-11-29, AMD EPYC, 2 cores, torch 2.13.0+cpu, 1 thread(s).
    backdoor-succeeds: 99.1% [96.9%, 101%] (3/3 seeds)
    clean-accuracy-kept: 0.0741% [-0.245%, 0.393%] (3/3 seeds)
    success-grows-with-fraction: 25.4% [5.96%, 44.9%] (3/3 seeds)
smoke scale: 6.3 s per seed, reproduces on 3/3 seeds.
Reproduce: ``mlt reproduce --scale cpu --seeds 3 --out cpu-seeds3``
.. evidence: end
Command: ``mlt run backdoor --scale cpu --seed 0``
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Annotated, Any, Literal

import torch
from pydantic import Field, field_validator
from scipy import stats
from torch import nn

from mltheory.lab.claims import noisy_trend, one_sided_z
from mltheory.lab.context import RunContext
from mltheory.lab.data import ClassificationData
from mltheory.lab.data.digits import load_digits_or_mnist
from mltheory.lab.data.mnist import check_mnist
from mltheory.lab.estimate import Cost, Workload, digits_need, mlp_params, mnist_need
from mltheory.lab.figures import new_figure
from mltheory.lab.nn.seeded import image_classifier
from mltheory.lab.spec import Claim, ExperimentConfig, Paper, experiment
from mltheory.lab.train import train_classifier

PAPER = Paper(
    title="BadNets: Identifying Vulnerabilities in the Machine Learning Model Supply Chain",
    authors="Gu, Dolan-Gavitt, Garg",
    year=2017,
    arxiv="1708.06733",
    reproduces="§3 (MNIST backdoor): triggered images go to the attacker's target class while "
    "clean accuracy stays at the baseline's",
)

N_CLASSES = 10
LEVEL = 0.01
SUCCESS_FRACTION = 0.05  # backdoor-succeeds holds at every poisoned fraction from this one up
MIN_SUCCESS = 0.90  # ... with the ASR's 99% lower bound at least this
MAX_CLEAN_DROP = 0.02  # clean-accuracy-kept: 99% upper bound of the drop below this
SIZES = {"digits": (1347, 450), "mnist": (60000, 10000)}
SIDE = {"digits": 8, "mnist": 28}
TRIGGERS = {
    "checkerboard": [[1.0, 0.0, 1.0], [0.0, 1.0, 0.0], [1.0, 0.0, 1.0]],
    "square": [[1.0, 1.0], [1.0, 1.0]],
    "pixel": [[1.0]],
}


class Config(ExperimentConfig):
    dataset: Literal["digits", "mnist"] = Field(
        "digits", description="digits (scikit-learn's 8×8, shipped) or mnist (files in $MLT_DATA)"
    )
    data_seed: int = Field(
        0, ge=0, lt=2**32, description="seed of the digits' fixed train/test split"
    )
    model: Literal["mlp", "cnn"] = Field("mlp", description="MLP or a small CNN (BadNets-like)")
    hidden: list[Annotated[int, Field(ge=1, le=8192)]] = Field(
        [256, 256], min_length=1, max_length=8, description="hidden widths of the MLP"
    )
    cnn_width: int = Field(32, ge=1, le=512, description="channels of the CNN's conv layers")
    cnn_hidden: int = Field(512, ge=1, le=8192, description="width of the CNN's dense layer")
    optimizer: Literal["sgd", "adam", "adamw"] = Field("adam", description="optimizer")
    lr: float = Field(1e-3, gt=0, le=1, description="learning rate")
    batch_size: int = Field(64, ge=1, le=10_000, description="minibatch size")
    steps: int = Field(1500, ge=1, le=1_000_000, description="optimizer steps of each network")
    eval_every: int = Field(
        500, ge=1, le=1_000_000, description="steps between evaluations of the training curves"
    )
    fractions: list[Annotated[float, Field(ge=0, le=0.5)]] = Field(
        [0.0, 0.005, 0.01, 0.02, 0.05, 0.1],
        min_length=2,
        max_length=20,
        description="poisoned fractions of the training set, increasing from 0 (the baseline)",
    )
    target_class: int = Field(0, ge=0, lt=N_CLASSES, description="the attacker's target label")
    trigger: Literal["checkerboard", "square", "pixel"] = Field(
        "checkerboard", description="the pattern stamped one pixel from the bottom-right corner"
    )
    poison_with_trigger: bool = Field(
        True,
        description="stamp the trigger on the poisoned training images (false: relabel only, "
        "the trigger-less control)",
    )

    @field_validator("fractions")
    @classmethod
    def _from_zero_increasing(cls, v: list[float]) -> list[float]:
        if v[0] != 0.0 or any(b <= a for a, b in zip(v, v[1:], strict=False)):
            raise ValueError(f"must start at 0.0 (the unpoisoned baseline) and increase, got {v}")
        return v

    @classmethod
    def check_data(cls, cfg: Config) -> None:
        """Refuse an MNIST run whose files are missing before any work starts (exit 2)."""
        if cfg.dataset == "mnist":
            check_mnist()

    def n_params(self) -> int:
        side = SIDE[self.dataset]
        if self.model == "mlp":
            return mlp_params(side * side, self.hidden, N_CLASSES)
        k, flat = self.cnn_width, self.cnn_width * (side // 4) ** 2
        conv = (25 + 1) * k + (k * 25 + 1) * k
        return conv + (flat + 1) * self.cnn_hidden + (self.cnn_hidden + 1) * N_CLASSES

    def cost(self) -> Cost:
        """One network per poisoned fraction, its curve's evaluations, then the test sets."""
        n_train, n_test = SIZES[self.dataset]
        side = SIDE[self.dataset]
        data_bytes = 4 * (n_train + n_test) * side**2
        evals = (self.steps // self.eval_every + 2) * (n_train + n_test) + 2 * n_test
        if self.model == "mlp":
            acts = side * side + sum(self.hidden) + N_CLASSES
        else:
            k = self.cnn_width
            acts = side * side + 2 * k * side * side + 2 * k * (side // 2) ** 2 + self.cnn_hidden
        nets = [
            Workload(
                f"network poisoned at {p:g}",
                self.n_params(),
                self.steps,
                self.batch_size,
                eval_examples=evals,
                activations_per_example=acts,
                data_bytes=data_bytes,
            )
            for p in self.fractions
        ]
        return Cost(
            nets,
            [mnist_need() if self.dataset == "mnist" else digits_need()],
            what=f"backdoor with {len(self.fractions)} networks of {self.steps} steps",
        )


SCALES = {
    # Undertrained networks disagree on more clean test images: smoke checks the backdoor only.
    "smoke": {"hidden": [64], "steps": 300, "eval_every": 150, "fractions": [0.0, 0.1, 0.2]},
    "cpu": {},
    "paper": {
        "dataset": "mnist",
        "model": "cnn",
        "batch_size": 128,
        "steps": 5000,
        "eval_every": 1000,
        "fractions": [0.0, 0.0002, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1],
    },
}

METRICS = {
    "fractions": "poisoned fractions of the training set (0: the unpoisoned baseline)",
    "n_poisoned": "poisoned training images at each fraction",
    "clean_acc": "each network's accuracy on the clean test set",
    "attack_success": "each network's ASR: triggered non-target test images called the target",
    "attack_success_lower": "one-sided 99% Clopper–Pearson lower bound of each ASR",
    # The trend reads the poisoned networks only: the baseline's ASR of ~0 would make any
    # backdoor at all look like a trend.
    "attack_success_poisoned": "the ASRs of the poisoned networks (fractions > 0)",
    "clean_vs_unpoisoned": "per fraction, [clean test images only the unpoisoned network gets "
    "right, only the poisoned one gets right]",
    "clean_drop_upper": "per fraction, the one-sided 99% upper bound of the clean-accuracy drop",
    "n_test": "clean test images",
    "n_triggered": "triggered test images (those not of the target class)",
    "target_class": "the attacker's target label",
    "trigger": "the trigger pattern, and whether the poisoned training images carried it",
}


def _backdoor_succeeds(m: Mapping[str, Any]):
    at = [i for i, p in enumerate(m["fractions"]) if p >= SUCCESS_FRACTION]
    if not at:
        return None, False, f"no poisoned fraction ≥ {SUCCESS_FRACTION:.0%}"
    asr = min(m["attack_success"][i] for i in at)
    lower = min(m["attack_success_lower"][i] for i in at)
    return asr, lower >= MIN_SUCCESS, f"99% lower bound {lower:.3f}"


def _clean_accuracy_kept(m: Mapping[str, Any]):
    poisoned = range(1, len(m["fractions"]))
    n = int(m["n_test"])
    drops = [(b - c) / n for b, c in (m["clean_vs_unpoisoned"][i] for i in poisoned)]
    upper = max(m["clean_drop_upper"][i] for i in poisoned)
    return max(drops), upper < MAX_CLEAN_DROP, f"largest 99% upper bound {100 * upper:.2f} points"


CLAIMS = [
    Claim(
        "backdoor-succeeds",
        f"at every poisoned fraction ≥ {SUCCESS_FRACTION:.0%}, triggered test images of the other "
        f"classes go to the target class: ASR's 99% lower bound ≥ {MIN_SUCCESS:.0%}",
        "MNIST: nearly every backdoored image classified as the attacker's target (backdoor "
        "error below 1%, Gu et al. §3)",
        _backdoor_succeeds,
        reads=("fractions", "attack_success", "attack_success_lower"),
        unit="%",
        label=f"lowest attack success rate at fractions ≥ {SUCCESS_FRACTION:.0%}",
    ),
    Claim(
        "clean-accuracy-kept",
        "at every poisoned fraction, clean test accuracy drops by less than "
        f"{100 * MAX_CLEAN_DROP:g} points against the unpoisoned network (paired, 99% upper "
        "bound)",
        "MNIST: the BadNet's clean error stays at the baseline network's (Gu et al. §3)",
        _clean_accuracy_kept,
        reads=("fractions", "clean_vs_unpoisoned", "clean_drop_upper", "n_test"),
        unit="%",
        label="largest clean-accuracy drop against the unpoisoned network",
        scales=("cpu", "paper"),
    ),
    noisy_trend(
        "success-grows-with-fraction",
        "the ASR grows with the poisoned fraction: from the smallest poisoned fraction to the "
        f"largest by more than binomial noise (p < {LEVEL:g}), no significant step down",
        "more poisoned images, a more reliable backdoor (Gu et al. §3)",
        "attack_success_poisoned",
        "n_triggered",
        level=LEVEL,
        label="ASR rise, smallest to largest poisoned fraction",
        scales=("cpu", "paper"),
    ),
]


def stamp(x: torch.Tensor, pattern: torch.Tensor, side: int) -> torch.Tensor:
    """Images ``x`` (flat ``(n, side²)`` or ``(n, 1, side, side)``) with ``pattern`` written
    over the pixels one pixel in from the bottom-right corner."""
    out = x.reshape(-1, side, side).clone()
    h, w = pattern.shape
    out[:, side - 1 - h : side - 1, side - 1 - w : side - 1] = pattern.to(out)
    return out.reshape(x.shape)


def asr_lower_bound(successes: int, n: int, level: float = LEVEL) -> float:
    """One-sided ``1 − level`` Clopper–Pearson lower bound of a proportion."""
    if successes == 0:
        return 0.0
    return float(stats.beta.ppf(level, successes, n - successes + 1))


def paired_drop_upper(only_base: int, only_new: int, n: int, level: float = LEVEL) -> float:
    """One-sided ``1 − level`` upper bound of the accuracy drop (base − new) measured on the
    same ``n`` points: a Wald bound on the paired difference with ½ added to each discordant
    count (Agresti–Min), so that two models that agree everywhere still get a bound > 0."""
    b, c, m = only_base + 0.5, only_new + 0.5, n + 1
    diff = (b - c) / m
    var = ((b + c) - (b - c) ** 2 / m) / m**2
    return diff + one_sided_z(level) * math.sqrt(max(var, 0.0))


def load_data(cfg: Config) -> ClassificationData:
    return load_digits_or_mnist(cfg.dataset, cfg.data_seed, flatten=cfg.model == "mlp")


def make_model(cfg: Config, seed: int, in_shape: tuple[int, ...]) -> nn.Module:
    """The network, its init drawn with ``seed`` (the global RNG is left untouched)."""
    return image_classifier(
        cfg.model, in_shape, N_CLASSES, seed, cfg.hidden, cfg.cnn_width, cfg.cnn_hidden
    )


def poison(
    cfg: Config, data: ClassificationData, order: torch.Tensor, k: int, pattern: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """The training set with its first ``k`` non-target images (in ``order``) relabelled as the
    target, and stamped with the trigger unless ``poison_with_trigger`` is off."""
    x, y = data.x_train.clone(), data.y_train.clone()
    idx = order[:k].to(x.device)
    if cfg.poison_with_trigger and k:
        x[idx] = stamp(x[idx], pattern, SIDE[cfg.dataset])
    y[idx] = cfg.target_class
    return x, y


@experiment(
    "backdoor",
    title="BadNets: a few triggered, relabelled training images plant a backdoor unseen on "
    "clean data",
    topic="robustness",
    paper=PAPER,
    config=Config,
    scales=SCALES,
    claims=CLAIMS,
    metrics=METRICS,
    lectures=("CS 229br lecture 11", "MIT 18.408"),
)
def run(cfg: Config, ctx: RunContext) -> dict:
    data = load_data(cfg).to(ctx.device)
    side = SIDE[cfg.dataset]
    pattern = torch.tensor(TRIGGERS[cfg.trigger])
    in_shape = tuple(data.x_train.shape[1:])
    candidates = torch.nonzero(data.y_train.cpu() != cfg.target_class).squeeze(1)
    order = candidates[torch.randperm(len(candidates), generator=ctx.torch_rng("poison"))]
    n_train = data.x_train.shape[0]
    n_poisoned = [round(p * n_train) for p in cfg.fractions]

    others = data.y_test != cfg.target_class
    x_triggered = stamp(data.x_test[others], pattern, side)

    def train(i: int) -> dict[str, Any]:
        x, y = poison(cfg, data, order, n_poisoned[i], pattern)
        model = make_model(cfg, ctx.int_seed("init"), in_shape).to(ctx.device)
        history = train_classifier(
            model,
            x,
            y,
            steps=cfg.steps,
            batch_size=cfg.batch_size,
            lr=cfg.lr,
            optimizer=cfg.optimizer,
            generator=ctx.torch_rng("order"),  # the same order for every fraction
            ctx=ctx,
            x_test=data.x_test,
            y_test=data.y_test,
            eval_every=cfg.eval_every,
            description=f"poisoned fraction {cfg.fractions[i]:g}",
            log={"fraction": cfg.fractions[i]},
        )
        model.eval()
        with torch.no_grad():
            correct = (model(data.x_test).argmax(1) == data.y_test).cpu()
            hits = (model(x_triggered).argmax(1) == cfg.target_class).cpu()
        weights = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
        return {"correct": correct, "hits": hits, "weights": weights, "curve": history.test_acc}

    results = ctx.run_phases(list(range(len(cfg.fractions))), train, description="fractions")
    res = [results[i] for i in range(len(cfg.fractions))]
    n_test, n_trig = int(data.x_test.shape[0]), int(x_triggered.shape[0])
    base = res[0]["correct"]
    clean_acc = [float(r["correct"].float().mean()) for r in res]
    asr = [float(r["hits"].float().mean()) for r in res]
    asr_lower = [asr_lower_bound(int(r["hits"].sum()), n_trig) for r in res]
    discordant = [
        [int((base & ~r["correct"]).sum()), int((r["correct"] & ~base).sum())] for r in res
    ]
    drop_upper = [paired_drop_upper(b, c, n_test) for b, c in discordant]

    _plot_curves(cfg, ctx, clean_acc, asr, asr_lower, n_poisoned, drop_upper)
    show = max(range(len(res)), key=lambda i: (cfg.fractions[i] <= SUCCESS_FRACTION, i))
    model = make_model(cfg, ctx.int_seed("init"), in_shape).to(ctx.device)
    model.load_state_dict(res[show]["weights"])
    _plot_examples(cfg, ctx, model, data, others, pattern, cfg.fractions[show])

    return {
        "fractions": cfg.fractions,
        "n_poisoned": n_poisoned,
        "clean_acc": clean_acc,
        "attack_success": asr,
        "attack_success_lower": asr_lower,
        "attack_success_poisoned": asr[1:],
        "clean_vs_unpoisoned": discordant,
        "clean_drop_upper": drop_upper,
        "n_test": n_test,
        "n_triggered": n_trig,
        "target_class": cfg.target_class,
        "trigger": f"{cfg.trigger} {'stamped on' if cfg.poison_with_trigger else 'NOT on'} the "
        "poisoned training images (always on the triggered test images)",
    }


def _plot_curves(cfg, ctx, clean_acc, asr, asr_lower, n_poisoned, drop_upper) -> None:
    fig, (ax,) = new_figure(width=6.4, height=4.2)
    xs = list(range(len(cfg.fractions)))
    ax.plot(xs, asr, "o-", color="tab:red", label="attack success (triggered images → target)")
    ax.vlines(xs, asr_lower, asr, color="tab:red", lw=2, alpha=0.4)
    ax.plot(xs, clean_acc, "s-", color="k", label="clean test accuracy")
    base = clean_acc[0]
    ax.fill_between(
        [-0.3, xs[-1] + 0.3],
        base - MAX_CLEAN_DROP,
        base + MAX_CLEAN_DROP,
        color="0.85",
        label=f"unpoisoned accuracy ± {100 * MAX_CLEAN_DROP:g} points",
    )
    ax.axhline(MIN_SUCCESS, color="tab:red", ls=":", lw=0.8)
    ax.annotate(
        f"claim: ≥ {MIN_SUCCESS:.0%} from {SUCCESS_FRACTION:.0%} poisoned",
        (xs[-1], MIN_SUCCESS),
        fontsize=7,
        ha="right",
        va="top",
        color="tab:red",
    )
    ax.annotate(
        "BadNets (MNIST): backdoor error < 1%",
        (xs[-1], 0.995),
        fontsize=7,
        ha="right",
        va="bottom",
        color="tab:red",
    )
    ax.axhline(0.995, color="tab:red", ls="--", lw=0.6)
    ax.set_xticks(xs, [f"{p:.1%}\n({k})" for p, k in zip(cfg.fractions, n_poisoned, strict=True)])
    trig = "with" if cfg.poison_with_trigger else "WITHOUT"
    ax.set(
        xlabel="poisoned fraction of the training set (poisoned images)",
        ylabel="rate",
        ylim=(-0.02, 1.05),
        xlim=(-0.3, xs[-1] + 0.3),
        title=f"{cfg.dataset}: target class {cfg.target_class}, {cfg.trigger} trigger, poisoned "
        f"{trig} it (bars: 99% lower bounds)",
    )
    ax.title.set_fontsize(9)
    ax.legend(fontsize=7, loc="center right")
    ctx.save_figure(fig, "backdoor")


def _plot_examples(cfg, ctx, model, data, others, pattern, fraction, n: int = 6) -> None:
    """Clean and triggered test images of the other classes, with the poisoned network's
    predictions."""
    side = SIDE[cfg.dataset]
    x = data.x_test[others][:n]
    y = data.y_test[others][:n]
    rows = [("clean", x), ("triggered", stamp(x, pattern, side))]
    fig, axes = new_figure(ncols=n, nrows=2, width=1.3, height=1.5)
    model.eval()
    for r, (name, images) in enumerate(rows):
        with torch.no_grad():
            pred = model(images).argmax(1)
        for c in range(n):
            ax = axes[r * n + c]
            ax.imshow(images[c].reshape(side, side).cpu().numpy(), cmap="gray", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
            hit = int(pred[c]) == cfg.target_class
            color = "r" if hit else ("g" if int(pred[c]) == int(y[c]) else "0.3")
            ax.set_title(f"{int(y[c])} → {int(pred[c])}", fontsize=8, color=color)
            if c == 0:
                ax.set_ylabel(name, fontsize=8)
    fig.suptitle(
        f"network poisoned at {fraction:.1%}: label → prediction (red: the target "
        f"{cfg.target_class})",
        fontsize=9,
    )
    ctx.save_figure(fig, "triggered_examples")
