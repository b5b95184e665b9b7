"""DP-SGD: the privacy–utility trade-off, accuracy falling as the privacy budget ε shrinks.

Paper: Abadi, Chu, Goodfellow, McMahan, Mironov, Talwar, Zhang (2016), "Deep learning with
differential privacy", §3.1 (the DP-SGD algorithm) and §5.1, Fig. 3 (MNIST: 90%, 95% and 97%
test accuracy at ε = 0.5, 2 and 8 with δ = 1e-5, against about 98.3% without privacy).

DP-SGD makes each step differentially private: every example joins the batch independently
with probability q (Poisson sampling), each example's gradient is clipped to norm C, Gaussian
noise of standard deviation σ·C is added to their sum, and the accountant adds up what the
steps leak into one (ε, δ) guarantee. All of that is Opacus' (``mltheory.lab.privacy``: its
``PrivacyEngine`` with its RDP accountant, or its PRV accountant with ``accountant=prv``; no
accountant of ours), run on the lab's training engine, so that the model, optimizer, accountant
and random streams are checkpointed and a killed run resumes. We train one non-private baseline
(plain minibatch SGD, same network, init, learning rate and number of steps) and one DP-SGD run
per noise multiplier σ, all from the same initial weights, and report the (ε, δ) the accountant
gives each run after its last step beside its test accuracy.

Scales:
    smoke  digits, 3 noise levels, 120 steps: ε is computed and the curve drawn; the trend and
           the costs are not checked (too few steps to learn much)
    cpu    scikit-learn's digits (1347 training / 450 test images, 8×8), MLP 64→64→10, expected
           lot size 64 (q ≈ 0.048), C = 1, σ ∈ {8, 4, 2, 1} (ε ≈ 0.5 to 8, the paper's range),
           800 steps each; about 15 s of CPU per seed (measured 2026-11-29: Opacus'
           per-example gradients make a DP step 3–4 ms, about 8 plain ones)
    paper  MNIST (60000 / 10000), MLP 784→1000→10 (the paper's hidden layer, without its DP
           PCA projection), lot size 600 (q = 0.01), C = 4, σ ∈ {8, 4, 2, 1}, 10000 steps (100
           epochs): ε ≈ 0.5, 1, 2.4 and 6.7 from the RDP accountant. A GPU; needs the MNIST
           files under $MLT_DATA/mnist (refused before any work if missing).

Tolerances. Test accuracies are proportions on the test set: a claim about them passes only when
the effect beats its binomial noise (p < 0.01, the claim helpers' two-proportion z-tests). The
trend over the noise levels is ``noisy_trend``: the least private run beats the most private one
beyond noise, and no step between neighbouring levels goes significantly the wrong way.

.. evidence: begin
Evidence (written by ``mlt evidence`` from evidence/cpu-seeds3; do not edit):
cpu scale, seeds 0–2, 27 s per seed: reproduces on 3/3 seeds; 2026-11-29, AMD EPYC, 2 cores, torch 2.13.0+cpu, 1 thread(s).
    accuracy-falls-with-epsilon: 39.2% [37.8%, 40.6%] (3/3 seeds)
    privacy-costs-accuracy: 42.1% [40.3%, 43.8%] (3/3 seeds)
    learns-at-smallest-epsilon: 45.3% [43%, 47.6%] (3/3 seeds)
    reaches-strong-privacy: 0.635 [0.635, 0.635] (3/3 seeds)
    epsilon-falls-with-noise: 0 [0, 0] (3/3 seeds)
smoke scale: 9.5 s per seed, reproduces on 3/3 seeds.
Reproduce: ``mlt reproduce --scale cpu --seeds 3 --out cpu-seeds3``
.. evidence: end
Command: ``mlt run dp-sgd --scale cpu --seed 0``
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

import torch
from pydantic import Field, model_validator

from mltheory.lab.claims import below, binomial_envelope, exceeds, monotone, noisy_trend
from mltheory.lab.context import RunContext
from mltheory.lab.data import load_digits, load_mnist
from mltheory.lab.data.mnist import check_mnist
from mltheory.lab.estimate import Cost, Workload, digits_need, mlp_params, mnist_need
from mltheory.lab.figures import new_figure, readable_log_axis
from mltheory.lab.nn import MLP
from mltheory.lab.nn.seeded import seeded
from mltheory.lab.privacy import train_private_classifier
from mltheory.lab.spec import ExperimentConfig, Paper, experiment
from mltheory.lab.train import train_classifier

PAPER = Paper(
    title="Deep learning with differential privacy",
    authors="Abadi, Chu, Goodfellow, McMahan, Mironov, Talwar, Zhang",
    year=2016,
    arxiv="1607.00133",
    reproduces="§5.1 and Fig. 3: test accuracy against the privacy budget ε (MNIST: 90/95/97% "
    "at ε = 0.5/2/8, δ = 1e-5)",
)

DATASETS = {"digits": (1347, 450, 64), "mnist": (60000, 10000, 784)}  # train, test, inputs
N_CLASSES = 10
# Step overheads in units of the cost model's (0.11 ms on the project's CPU), measured
# 2026-11-29 in process CPU time on these small MLPs: a step of train_classifier takes about
# 0.45 ms, a DP-SGD step 3 to 4 ms (Opacus' per-example gradients, their norms, clipping, noise
# and a Poisson batch gathered example by example).
PLAIN_STEP_OVERHEAD = 4.0
DP_STEP_OVERHEAD = 30.0
LEVEL = 0.01  # noisy claims: p < LEVEL
MIN_LEARNED = 0.25  # "learns": this far above chance (a random network gets chance ± ~0.1)
STRONG_PRIVACY = 1.0  # the paper's strong-privacy regime: ε below this (its point: ε = 0.5)
# Fig. 3 / §5.1 of the paper: (ε, test accuracy) on MNIST at δ = 1e-5, drawn on the figure.
PAPER_POINTS = ((0.5, 0.90), (2.0, 0.95), (8.0, 0.97))


class Config(ExperimentConfig):
    dataset: Literal["digits", "mnist"] = Field(
        "digits", description="digits (shipped with scikit-learn) or mnist (files on disk)"
    )
    hidden: list[Annotated[int, Field(ge=1, le=4096)]] = Field(
        [64], min_length=1, max_length=4, description="hidden-layer widths of the MLP"
    )
    noise_multipliers: list[Annotated[float, Field(gt=0, le=1000)]] = Field(
        [8.0, 4.0, 2.0, 1.0],
        min_length=3,
        max_length=12,
        description="DP-SGD noise multipliers σ (noise std σ·C on the clipped sum), one run each",
    )
    max_grad_norm: float = Field(
        1.0, gt=0, le=1e6, description="per-example clipping norm C of DP-SGD"
    )
    batch_size: int = Field(
        64,
        ge=32,
        le=60000,
        description="expected lot size (Poisson sampling, q = batch_size / n_train); also the "
        "baseline's minibatch",
    )
    lr: float = Field(0.5, gt=0, le=10, description="SGD learning rate (every run)")
    momentum: float = Field(0.0, ge=0, lt=1, description="SGD momentum (every run)")
    steps: int = Field(800, ge=1, le=200_000, description="optimizer steps of every run")
    delta: float = Field(1e-5, gt=0, lt=1, description="δ of the reported (ε, δ); below 1/n")
    accountant: Literal["rdp", "prv"] = Field(
        "rdp", description="Opacus' accountant: rdp (Rényi DP) or prv (privacy random variables)"
    )
    eval_every: int = Field(
        100, ge=1, le=200_000, description="steps between evaluations (accuracy and ε so far)"
    )

    @model_validator(mode="after")
    def _delta_below_one_over_n(self) -> Config:
        n_train = DATASETS[self.dataset][0]
        if self.delta >= 1 / n_train:
            raise ValueError(
                f"delta={self.delta:g} is not below 1/n_train = {1 / n_train:.3g}: a mechanism "
                "that publishes one training example in the clear meets such a δ"
            )
        if self.batch_size > n_train:
            raise ValueError(f"batch_size={self.batch_size} exceeds n_train={n_train}")
        return self

    @classmethod
    def check_data(cls, cfg: Config) -> None:
        """Refuse an MNIST run whose files are missing before any work starts (exit 2)."""
        if cfg.dataset == "mnist":
            check_mnist()

    def cost(self) -> Cost:
        """One non-private run and one DP-SGD run per noise level, each ``steps`` steps; a DP
        step also holds every example's gradient (Opacus' per-example gradients)."""
        n_train, n_test, in_dim = DATASETS[self.dataset]
        params = mlp_params(in_dim, self.hidden, N_CLASSES)
        evals = (self.steps // self.eval_every + 2) * (n_train + n_test)

        def one(label: str, per_example: int, overhead: float) -> Workload:
            return Workload(
                label,
                n_params=params,
                steps=self.steps,
                batch_size=self.batch_size,
                eval_examples=evals,
                activations_per_example=per_example,
                data_bytes=4 * in_dim * (n_train + n_test),
                overhead_per_step=overhead,
            )

        acts = in_dim + sum(self.hidden) + N_CLASSES
        runs = [one("non-private baseline", acts, PLAIN_STEP_OVERHEAD)] + [
            one(f"DP-SGD σ={s:g}", params + acts, DP_STEP_OVERHEAD) for s in self.noise_multipliers
        ]
        return Cost(
            runs,
            [mnist_need() if self.dataset == "mnist" else digits_need()],
            what=f"dp-sgd with {len(runs)} runs of an MLP of {params} parameters, "
            f"{self.steps} steps each",
        )


SCALES = {
    "smoke": {"noise_multipliers": [4.0, 2.0, 1.0], "steps": 120, "eval_every": 40},
    "cpu": {},
    "paper": {
        "dataset": "mnist",
        "hidden": [1000],
        "batch_size": 600,
        "max_grad_norm": 4.0,
        "lr": 0.05,
        "steps": 10_000,
        "eval_every": 1000,
    },
}

METRICS = {
    "noise_multipliers": "σ of the DP-SGD runs, noisiest first (so ε ascending)",
    "epsilon": "ε of each DP-SGD run after its last step, at delta (Opacus' accountant)",
    "delta": "δ of every reported (ε, δ)",
    "accountant": "the Opacus accountant that computed ε (rdp or prv)",
    "sample_rate": "each example's probability of joining a batch (Poisson sampling)",
    "steps": "optimizer steps of every run",
    "test_acc": "test accuracy of each DP-SGD run (same order)",
    "train_acc": "training accuracy of each DP-SGD run (same order)",
    "smallest_epsilon": "ε of the most private run",
    "test_acc_smallest_epsilon": "test accuracy of the most private run",
    "baseline_test_acc": "test accuracy of non-private SGD (same network, init, steps)",
    "baseline_train_acc": "training accuracy of non-private SGD",
    "chance": "accuracy of guessing (1 / number of classes)",
    "n_train": "training examples",
    "n_test": "test examples (the binomial noise of a test accuracy)",
}

CLAIMS = [
    noisy_trend(
        "accuracy-falls-with-epsilon",
        "test accuracy falls as ε falls: the least private DP-SGD run beats the most private "
        f"one by more than binomial noise (p < {LEVEL:g}), with no significant step the other "
        "way between neighbouring noise levels",
        "MNIST: 97% at ε = 8, 95% at ε = 2, 90% at ε = 0.5 (δ = 1e-5; §5.1, Fig. 3)",
        "test_acc",
        "n_test",
        increasing=True,
        level=LEVEL,
        label="test accuracy, most → least private run",
        scales=("cpu", "paper"),
    ),
    exceeds(
        "privacy-costs-accuracy",
        "the non-private baseline is more accurate than the most private DP-SGD run, beyond "
        f"binomial noise (p < {LEVEL:g})",
        "about 98.3% without privacy against 90% at ε = 0.5 (§5.1)",
        "baseline_test_acc",
        "test_acc_smallest_epsilon",
        "n_test",
        level=LEVEL,
        label="baseline minus most private test accuracy",
        scales=("cpu", "paper"),
    ),
    exceeds(
        "learns-at-smallest-epsilon",
        f"even the most private run learns: its test accuracy beats chance by at least "
        f"{MIN_LEARNED:.0%} and beyond binomial noise (p < {LEVEL:g}); an untrained or "
        "noise-swamped network, whose accuracy is chance give or take what its random weights "
        "happen to get right, does not",
        "90% on MNIST at ε = 0.5 (§5.1)",
        "test_acc_smallest_epsilon",
        "chance",
        "n_test",
        level=LEVEL,
        min_effect=MIN_LEARNED,
        label="most private test accuracy minus chance",
        scales=("cpu", "paper"),
    ),
    below(
        "reaches-strong-privacy",
        f"the sweep reaches the paper's strong-privacy regime: Opacus' accountant gives the "
        f"noisiest run ε < {STRONG_PRIVACY:g} at the configured δ",
        "ε = 0.5 at δ = 1e-5 for the paper's large-noise run (σ = 8, q = 0.01)",
        "smallest_epsilon",
        STRONG_PRIVACY,
        label="smallest ε",
        sanity=True,
    ),
    monotone(
        "epsilon-falls-with-noise",
        "more noise buys a smaller ε: the accountant's ε rises strictly from the noisiest run to "
        "the least noisy one",
        "ε = 0.5 / 2 / 8 for σ = 8 / 4 / 2 (§5.1)",
        "epsilon",
        increasing=True,
        strict=True,
        label="largest step down in ε",
        sanity=True,
    ),
]


def load_data(cfg: Config, device: torch.device):
    data = load_mnist(flatten=True) if cfg.dataset == "mnist" else load_digits()
    return data.to(device)


def seeded_mlp(cfg: Config, in_dim: int, seed: int) -> MLP:
    """An MLP with PyTorch's default init drawn from ``seed`` (the global RNG is untouched)."""
    return seeded(seed, lambda: MLP(in_dim, cfg.hidden, N_CLASSES))


def noise_generator(ctx: RunContext, i: int) -> torch.Generator:
    """The Gaussian noise's generator, on the device of the parameters (Opacus draws there)."""
    g = torch.Generator(device=ctx.device)
    return g.manual_seed(ctx.int_seed("noise", i))


@experiment(
    "dp-sgd",
    title="DP-SGD: accuracy falls as the privacy budget ε shrinks",
    topic="privacy",
    paper=PAPER,
    config=Config,
    scales=SCALES,
    claims=CLAIMS,
    metrics=METRICS,
    lectures=("CS 229br lecture 11",),
    requires=("opacus",),
)
def run(cfg: Config, ctx: RunContext) -> dict:
    data = load_data(cfg, ctx.device)
    x_tr, y_tr, x_te, y_te = data.x_train, data.y_train, data.x_test, data.y_test
    init_seed = ctx.int_seed("init")  # every run starts from the same weights

    # Noisiest first: the DP runs in order of increasing ε.
    order = sorted(range(len(cfg.noise_multipliers)), key=lambda i: -cfg.noise_multipliers[i])
    keys = ["baseline", *[f"dp{i}" for i in order]]

    def one(key: str) -> dict:
        model = seeded_mlp(cfg, data.input_dim, init_seed).to(ctx.device)
        if key == "baseline":
            hist = train_classifier(
                model,
                x_tr,
                y_tr,
                steps=cfg.steps,
                batch_size=cfg.batch_size,
                lr=cfg.lr,
                momentum=cfg.momentum,
                generator=ctx.torch_rng("order"),
                ctx=ctx,
                x_test=x_te,
                y_test=y_te,
                eval_every=cfg.eval_every,
                description="non-private SGD",
                log={"run": "baseline"},
            )
            return {"step": hist.step, "test_acc": hist.test_acc, "train_acc": hist.train_acc}
        i = int(key[2:])
        sigma = cfg.noise_multipliers[i]
        res = train_private_classifier(
            model,
            x_tr,
            y_tr,
            steps=cfg.steps,
            batch_size=cfg.batch_size,
            lr=cfg.lr,
            momentum=cfg.momentum,
            noise_multiplier=sigma,
            max_grad_norm=cfg.max_grad_norm,
            delta=cfg.delta,
            accountant=cfg.accountant,
            sampling_generator=ctx.torch_rng("sampling", i),
            noise_generator=noise_generator(ctx, i),
            ctx=ctx,
            x_test=x_te,
            y_test=y_te,
            eval_every=cfg.eval_every,
            description=f"DP-SGD σ={sigma:g}",
            log={"run": key, "noise_multiplier": sigma},
        )
        h = res.history
        return {
            "step": h.step,
            "test_acc": h.test_acc,
            "train_acc": h.train_acc,
            "epsilon_curve": h.extra["epsilon"],
            "epsilon": res.epsilon,
            "sample_rate": res.sample_rate,
        }

    runs = ctx.run_phases(keys, one, description="noise levels")
    base, dp = runs["baseline"], [runs[k] for k in keys[1:]]
    sigmas = [cfg.noise_multipliers[i] for i in order]
    n_test = int(y_te.shape[0])
    metrics = {
        "noise_multipliers": sigmas,
        "epsilon": [r["epsilon"] for r in dp],
        "delta": cfg.delta,
        "accountant": cfg.accountant,
        "sample_rate": dp[0]["sample_rate"],
        "steps": cfg.steps,
        "test_acc": [r["test_acc"][-1] for r in dp],
        "train_acc": [r["train_acc"][-1] for r in dp],
        "smallest_epsilon": dp[0]["epsilon"],
        "test_acc_smallest_epsilon": dp[0]["test_acc"][-1],
        "baseline_test_acc": base["test_acc"][-1],
        "baseline_train_acc": base["train_acc"][-1],
        "chance": 1 / N_CLASSES,
        "n_train": int(y_tr.shape[0]),
        "n_test": n_test,
    }
    _plot(cfg, ctx, data.name, metrics, base, dp)
    return metrics


def _plot(cfg: Config, ctx: RunContext, name: str, m: dict, base: dict, dp: list[dict]) -> None:
    n_test = m["n_test"]
    fig, (ax,) = new_figure(width=6.4, height=4.4)
    eps, acc = m["epsilon"], m["test_acc"]
    env = [binomial_envelope(a, n_test, LEVEL) for a in acc]
    ax.errorbar(
        eps,
        acc,
        yerr=[
            [a - lo for a, (lo, _) in zip(acc, env, strict=True)],
            [hi - a for a, (_, hi) in zip(acc, env, strict=True)],
        ],
        fmt="o-",
        capsize=3,
        label=f"DP-SGD (Opacus {m['accountant'].upper()} accountant, δ = {m['delta']:g})",
    )
    for e, a, s in zip(eps, acc, m["noise_multipliers"], strict=True):
        ax.annotate(f"σ={s:g}", (e, a), textcoords="offset points", xytext=(6, -12), fontsize=8)
    lo, hi = binomial_envelope(m["baseline_test_acc"], n_test, LEVEL)
    ax.axhline(m["baseline_test_acc"], color="k", ls="--", label="non-private SGD")
    ax.axhspan(lo, hi, color="k", alpha=0.08)
    ax.axhline(m["chance"], color="gray", ls=":", label="chance")
    paper_label = "Abadi et al. 2016, MNIST" + (
        "" if cfg.dataset == "mnist" else " (for the paper scale; not this data set)"
    )
    ax.plot(
        [e for e, _ in PAPER_POINTS],
        [a for _, a in PAPER_POINTS],
        "*",
        ms=12,
        color="C3",
        label=paper_label,
    )
    finite = [e for e in eps if math.isfinite(e) and e > 0]
    ax.set_xlim(min([0.3, *finite]) / 1.5, max([10.0, *finite]) * 1.5)
    readable_log_axis(ax, "x")
    ax.set(
        xlabel="privacy budget ε (log scale; smaller is more private)",
        ylabel="test accuracy",
        ylim=(0, 1.02),
        title=f"privacy–utility on {name}: {cfg.steps} steps, q = {m['sample_rate']:.3g}, "
        f"C = {cfg.max_grad_norm:g}",
    )
    ax.legend(fontsize=8, loc="lower right")
    ax.text(
        0.01,
        0.99,
        f"error bars: {1 - LEVEL:.0%} binomial envelopes on {n_test} test examples",
        transform=ax.transAxes,
        fontsize=7,
        va="top",
        color="0.3",
    )
    ctx.save_figure(fig, "privacy_utility")

    fig, (ax_acc, ax_eps) = new_figure(ncols=2, width=5.0)
    ax_acc.plot(base["step"], base["test_acc"], "k--", label="non-private")
    for r, s in zip(dp, m["noise_multipliers"], strict=True):
        (line,) = ax_acc.plot(r["step"], r["test_acc"], label=f"σ = {s:g}")
        spent = [(t, e) for t, e in zip(r["step"], r["epsilon_curve"], strict=True) if t > 0]
        ax_eps.plot(*zip(*spent, strict=True), color=line.get_color(), label=f"σ = {s:g}")
    ax_acc.set(xlabel="step", ylabel="test accuracy", title="(a) test accuracy during training")
    ax_acc.legend(fontsize=8)
    ax_eps.set(
        xlabel="step",
        ylabel=f"ε spent (δ = {m['delta']:g})",
        title="(b) privacy spent: the accountant's ε",
        yscale="log",
    )
    ax_eps.legend(fontsize=8)
    ctx.save_figure(fig, "training")
