"""Membership inference: the attack's advantage grows with overfitting, and DP-SGD takes it away.

Papers: Shokri, Stronati, Song, Shmatikov (2017), "Membership inference attacks against machine
learning models" (shadow models; §6: the more a target overfits, the better the attack, e.g. on
CIFAR-10 targets trained on fewer examples); Yeom, Giacomelli, Fredrikson, Jha (2018), "Privacy
risk in machine learning: analyzing the connection to overfitting" (the loss-threshold attack
and its membership advantage; for a bounded loss that advantage is the generalization error
over the bound; ε-DP training caps it at e^ε − 1).

Targets with growing overfitting: one MLP per training-set size n (fewer examples seen for the
same number of SGD steps, so more epochs each), plus a few at the largest n stopped after fewer
steps (less training, less overfitting), each with a **shadow** model trained the same way on a
disjoint set from the same distribution. The attack (``mltheory.lab.membership``) says
"member" when the loss is at most τ; τ is the one that best separates the *shadow's* members
from its non-members, applied unchanged to the target's members (its whole training set) and
as many non-members (never trained on). Picking τ on the target itself would overstate the
advantage (the best point of a noisy ROC curve); that optimistic value is reported beside it,
and never used by a claim. The target's advantage TPR − FPR is then a difference of two
proportions on independent sets (standard error √(TPR(1−TPR)/n + FPR(1−FPR)/n)); its ROC AUC
(scikit-learn) needs no threshold at all (null standard error: Hanley & McNeil). The
generalization gap is the training accuracy minus the accuracy on held-out data.

Then DP-SGD (``mltheory.lab.privacy``: Opacus' per-example clipping, noise and RDP accountant),
target and shadow alike, at the largest n with the same optimizer, learning rate and steps as
the non-private model there, at each noise multiplier; each run reports its (ε, δ).

Scales:
    smoke  MNIST-1D, n ∈ {200, 100, 50}, 200 steps, one DP level: seconds; checks only that the
           most overfitted model is attacked beyond chance
    cpu    MNIST-1D (its 5000 examples pooled, split by the run's seed into target members,
           shadow members, target non-members and shadow non-members, 1000 each), MLP
           40→256→10, SGD (lr 0.05, momentum 0.9, batch 64) for 1500 steps at n ∈ {1000, 500,
           250, 125} and for 50 and 200 steps at n = 1000; DP-SGD at n = 1000 with σ ∈ {1, 6} (ε ≈ 20 and 1.7 at δ = 1e-5), C = 1.
           About 30 s of CPU per seed (measured 2026-11-29; a DP step costs ~8 plain ones)
    paper  CIFAR-10 (train and test pooled: 60000 images), Shokri et al.'s training-set sizes
           n ∈ {15000, 10000, 5000, 2500}, MLP 3072→512→10 (Shokri et al. used a small CNN),
           30000 steps (and 1000, 4000 at n = 15000); DP at n = 15000. A GPU; needs the CIFAR-10 files under $MLT_DATA
           (refused before any work if missing).

Tolerances: every claim about an advantage or an AUC is a one-sided z-test at p < 0.01 on the
standard errors above (Bonferroni over neighbouring steps for the trend), so a model that leaks
nothing passes none of them except by a 1% chance.

.. evidence: begin
Evidence (written by ``mlt evidence`` from evidence/cpu-seeds3; do not edit):
cpu scale, seeds 0–2, 103 s per seed: reproduces on 3/3 seeds; 2026-11-29, AMD EPYC, 2 cores, torch 2.13.0+cpu, 1 thread(s).
    advantage-grows-with-gap: 0.7793 [0.7755, 0.7831] (3/3 seeds)
    advantage-beats-chance: 0.936 [0.8834, 0.9886] (3/3 seeds)
    auc-beats-chance: 0.9605 [0.9197, 1.001] (3/3 seeds)
    dp-lowers-advantage: 0.681 [0.6499, 0.7121] (3/3 seeds)
    dp-epsilon-small: 1.738 [1.738, 1.738] (3/3 seeds)
smoke scale: 9.2 s per seed, reproduces on 3/3 seeds.
Reproduce: ``mlt reproduce --scale cpu --seeds 3 --out cpu-seeds3``
.. evidence: end
Command: ``mlt run membership-inference --scale cpu --seed 0``
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

import numpy as np
import torch
from pydantic import Field, field_validator, model_validator

from mltheory.lab.claims import below, one_sided_z, z_test_p
from mltheory.lab.context import RunContext
from mltheory.lab.data import load_cifar10, load_mnist1d
from mltheory.lab.data.cifar10 import check_cifar10
from mltheory.lab.estimate import Cost, Workload, cifar10_need, mlp_params, mnist1d_need
from mltheory.lab.figures import new_figure
from mltheory.lab.membership import example_losses, loss_threshold_attack, roc
from mltheory.lab.nn import MLP
from mltheory.lab.nn.seeded import seeded
from mltheory.lab.privacy import train_private_classifier
from mltheory.lab.spec import Claim, ExperimentConfig, Paper, experiment
from mltheory.lab.train import evaluate_classifier, train_classifier

PAPER = Paper(
    title="Membership inference attacks against machine learning models",
    authors="Shokri, Stronati, Song, Shmatikov (with Yeom, Giacomelli, Fredrikson, Jha 2018: "
    "the loss-threshold attack)",
    year=2017,
    arxiv="1610.05820",
    reproduces="§6: the attack succeeds more the more the target overfits; the loss-threshold "
    "attack's advantage against the generalization gap (Yeom et al. 2018), and under DP-SGD",
)

DATASETS = {"mnist1d": (5000, 40), "cifar10": (60000, 3072)}  # pooled examples, inputs
POOLS = 4  # target members, shadow members, target non-members, shadow non-members
N_CLASSES = 10
# Step overheads in units of the cost model's (0.11 ms on the project's CPU), measured
# 2026-11-29 in process CPU time on these small MLPs: a step of train_classifier takes about
# 0.45 ms, a DP-SGD step 3 to 4 ms (Opacus' per-example gradients, their norms, clipping, noise
# and a Poisson batch gathered example by example).
PLAIN_STEP_OVERHEAD = 4.0
DP_STEP_OVERHEAD = 30.0
LEVEL = 0.01  # every claim: one-sided p < LEVEL
SMALL_EPSILON = 2.0  # "a small ε": the noisiest DP run must get below this


class Config(ExperimentConfig):
    dataset: Literal["mnist1d", "cifar10"] = Field(
        "mnist1d", description="mnist1d (generated offline) or cifar10 (files on disk)"
    )
    n_trains: list[Annotated[int, Field(ge=10, le=15000)]] = Field(
        [1000, 500, 250, 125],
        min_length=3,
        max_length=8,
        description="training-set sizes of the targets (and their shadows), distinct",
    )
    hidden: list[Annotated[int, Field(ge=1, le=4096)]] = Field(
        [256], min_length=1, max_length=4, description="hidden-layer widths of the MLP"
    )
    steps: int = Field(1500, ge=0, le=500_000, description="SGD steps of every model")
    fewer_steps: list[Annotated[int, Field(ge=0, le=500_000)]] = Field(
        [50, 200],
        max_length=6,
        description="extra targets (and shadows) at the largest n trained for only this many "
        "steps each: less training, less overfitting",
    )
    batch_size: int = Field(
        64, ge=32, le=15000, description="minibatch (expected lot size under DP-SGD)"
    )
    lr: float = Field(0.05, gt=0, le=10, description="SGD learning rate (every model)")
    momentum: float = Field(0.9, ge=0, lt=1, description="SGD momentum (every model)")
    dp_noise_multipliers: list[Annotated[float, Field(gt=0, le=1000)]] = Field(
        [1.0, 6.0],
        min_length=1,
        max_length=6,
        description="noise multipliers σ of the DP-SGD targets (at the largest n)",
    )
    max_grad_norm: float = Field(1.0, gt=0, le=1e6, description="DP-SGD clipping norm C")
    delta: float = Field(1e-5, gt=0, lt=1e-3, description="δ of every reported (ε, δ)")
    accountant: Literal["rdp", "prv"] = Field("rdp", description="Opacus' accountant")
    eval_every: int = Field(
        500, ge=1, le=500_000, description="steps between evaluations during training"
    )

    @field_validator("n_trains")
    @classmethod
    def _distinct(cls, v: list[int]) -> list[int]:
        if len(set(v)) != len(v):
            raise ValueError(f"must be distinct, got {v}")
        return v

    @model_validator(mode="after")
    def _fits_the_data(self) -> Config:
        if any(s >= self.steps for s in self.fewer_steps):
            raise ValueError(
                f"fewer_steps {self.fewer_steps} must each be below steps={self.steps}"
            )
        available = DATASETS[self.dataset][0]
        if POOLS * max(self.n_trains) > available:
            raise ValueError(
                f"n_trains up to {max(self.n_trains)} needs {POOLS} disjoint pools of that size "
                f"(members and non-members of target and shadow); {self.dataset} has {available} "
                f"examples, so at most {available // POOLS}"
            )
        if self.delta >= 1 / max(self.n_trains):
            raise ValueError(f"delta={self.delta:g} is not below 1/n = {1 / max(self.n_trains):g}")
        return self

    @classmethod
    def check_data(cls, cfg: Config) -> None:
        """Refuse a CIFAR-10 run whose files are missing before any work starts (exit 2)."""
        if cfg.dataset == "cifar10":
            check_cifar10()

    def cost(self) -> Cost:
        """A target and a shadow per training-set size (and per shorter training at the largest
        size), and per DP noise level (those with Opacus' per-example gradients held for every
        example of a batch)."""
        pooled, in_dim = DATASETS[self.dataset]
        params = mlp_params(in_dim, self.hidden, N_CLASSES)
        acts = in_dim + sum(self.hidden) + N_CLASSES

        def pair(label: str, steps: int, per_example: int, overhead: float) -> Workload:
            # The target, then its shadow: twice the steps of one model, one after the other.
            evals = 2 * (steps // self.eval_every + 2) * 2 * max(self.n_trains)
            return Workload(
                label,
                n_params=params,
                steps=2 * steps,
                batch_size=self.batch_size,
                eval_examples=evals,
                activations_per_example=per_example,
                data_bytes=4 * in_dim * pooled,
                overhead_per_step=overhead,
            )

        plain = PLAIN_STEP_OVERHEAD
        work = [pair(f"target and shadow, n={n}", self.steps, acts, plain) for n in self.n_trains]
        work += [pair(f"target and shadow, {s} steps", s, acts, plain) for s in self.fewer_steps]
        work += [
            pair(
                f"DP-SGD target and shadow, σ={sigma:g}",
                self.steps,
                params + acts,
                DP_STEP_OVERHEAD,
            )
            for sigma in self.dp_noise_multipliers
        ]
        need = cifar10_need() if self.dataset == "cifar10" else mnist1d_need()
        models = 2 * (len(self.n_trains) + len(self.fewer_steps) + len(self.dp_noise_multipliers))
        return Cost(
            work,
            [need],
            what=f"membership-inference with {models} MLPs of {params} parameters, "
            f"{self.steps} steps each",
        )


SCALES = {
    "smoke": {
        "n_trains": [200, 100, 50],
        "hidden": [128],
        "steps": 200,
        "fewer_steps": [20],
        "eval_every": 200,
        "dp_noise_multipliers": [4.0],
    },
    "cpu": {},
    "paper": {
        "dataset": "cifar10",
        "n_trains": [15000, 10000, 5000, 2500],
        "hidden": [512],
        "steps": 30_000,
        "fewer_steps": [1000, 4000],
        "batch_size": 128,
        "lr": 0.01,
        "dp_noise_multipliers": [1.0, 4.0],
        "eval_every": 2000,
    },
}

METRICS = {
    "n_train": "training-set size of each non-private target, ordered by generalization gap",
    "steps": "SGD steps of each non-private target (same order)",
    "gap": "generalization gap of each (train accuracy − held-out accuracy), ascending",
    "train_acc": "training accuracy of each target (same order)",
    "test_acc": "held-out accuracy of each target (same order)",
    "advantage": "TPR − FPR of the loss-threshold attack on each target, τ from its shadow",
    "advantage_se": "standard error of each advantage (binomial, fixed τ)",
    "optimistic_advantage": "the best TPR − FPR on the target itself (biased up; not claimed)",
    "auc": "ROC AUC of the loss as a membership score on each target",
    "auc_null_se": "standard error of each AUC if the model leaked nothing (Hanley–McNeil)",
    "advantage_most_overfit": "advantage on the target with the largest gap",
    "advantage_se_most_overfit": "its standard error",
    "auc_most_overfit": "AUC on the target with the largest gap",
    "auc_null_se_most_overfit": "its standard error under no leak",
    "dp_n_train": "training-set size of the DP-SGD targets (the largest n)",
    "dp_noise_multipliers": "σ of each DP-SGD target, noisiest first",
    "dp_epsilon": "ε of each DP-SGD target after training, at delta (Opacus' accountant)",
    "delta": "δ of the reported (ε, δ)",
    "dp_gap": "generalization gap of each DP-SGD target",
    "dp_test_acc": "held-out accuracy of each DP-SGD target",
    "dp_advantage": "advantage on each DP-SGD target (τ from its DP shadow)",
    "dp_advantage_se": "standard error of each",
    "dp_auc": "AUC on each DP-SGD target",
    "dp_smallest_epsilon": "ε of the most private DP-SGD target",
    "dp_advantage_smallest_epsilon": "advantage on the most private DP-SGD target",
    "dp_advantage_se_smallest_epsilon": "its standard error",
    "advantage_same_n": "advantage on the non-private target trained on dp_n_train examples",
    "advantage_se_same_n": "its standard error",
}


def _grows_with_gap(m):
    """The advantage rises along the targets ordered by their gap: the last beats the first
    beyond noise (p < LEVEL), and no neighbouring step goes significantly down (each at
    p < LEVEL / steps)."""
    adv, se = m["advantage"], m["advantage_se"]
    steps = len(adv) - 1
    overall = z_test_p(adv[-1] - adv[0], math.hypot(se[-1], se[0]))
    reversals = [
        z_test_p(a - b, math.hypot(sa, sb))
        for a, b, sa, sb in zip(adv, adv[1:], se, se[1:], strict=False)
    ]
    worst = min(reversals)
    ok = overall < LEVEL and worst >= LEVEL / steps
    detail = f"p = {overall:.2g} overall; strongest reversal p = {worst:.2g}"
    return adv[-1] - adv[0], ok, detail


def _beats_zero(key, se_key):
    def check(m):
        p = z_test_p(m[key], m[se_key])
        return m[key], p < LEVEL, f"p = {p:.2g}"

    return check


def _auc_beats_half(m):
    p = z_test_p(m["auc_most_overfit"] - 0.5, m["auc_null_se_most_overfit"])
    return m["auc_most_overfit"], p < LEVEL, f"p = {p:.2g}"


def _dp_lowers(m):
    drop = m["advantage_same_n"] - m["dp_advantage_smallest_epsilon"]
    p = z_test_p(drop, math.hypot(m["advantage_se_same_n"], m["dp_advantage_se_smallest_epsilon"]))
    eps = m["dp_smallest_epsilon"]
    return drop, p < LEVEL, f"p = {p:.2g}; at ε = {eps:.3g}"


CLAIMS = [
    Claim(
        "advantage-grows-with-gap",
        "the loss-threshold attack's advantage (τ picked on shadow models) grows with the "
        f"generalization gap: from the least to the most overfitted target beyond noise (p < "
        f"{LEVEL:g}), with no significant step down in between",
        "Shokri et al. §6: the more the target overfits, the more the attack succeeds; Yeom et "
        "al.: the threshold adversary's advantage is the generalization error (bounded loss)",
        _grows_with_gap,
        scales=("cpu", "paper"),
        reads=("advantage", "advantage_se"),
        unit="",
        label="advantage, least → most overfitted target",
    ),
    Claim(
        "advantage-beats-chance",
        "on the most overfitted target the attack's advantage is positive beyond binomial noise "
        f"(p < {LEVEL:g}), with τ fixed on a shadow model before looking at the target",
        "overfitted targets are attacked far above chance (Shokri et al. §6)",
        _beats_zero("advantage_most_overfit", "advantage_se_most_overfit"),
        reads=("advantage_most_overfit", "advantage_se_most_overfit"),
        unit="",
        label="advantage (TPR − FPR) on the most overfitted target",
    ),
    Claim(
        "auc-beats-chance",
        "on the most overfitted target the loss separates members from non-members: ROC AUC "
        f"above 1/2 beyond its noise under no leak (p < {LEVEL:g})",
        "AUC 1/2 means no leak; overfitted targets leak (Shokri et al. §6)",
        _auc_beats_half,
        reads=("auc_most_overfit", "auc_null_se_most_overfit"),
        unit="",
        label="ROC AUC on the most overfitted target",
    ),
    Claim(
        "dp-lowers-advantage",
        "DP-SGD at the smallest ε lowers the advantage below that on the non-private target "
        f"trained on as many examples, beyond noise (p < {LEVEL:g})",
        "ε-DP caps the advantage at e^ε − 1 (Yeom et al.); DP-SGD defeats the attack at small ε",
        _dp_lowers,
        scales=("cpu", "paper"),
        reads=(
            "advantage_same_n",
            "advantage_se_same_n",
            "dp_advantage_smallest_epsilon",
            "dp_advantage_se_smallest_epsilon",
            "dp_smallest_epsilon",
        ),
        unit="",
        label="advantage without DP minus with DP",
    ),
    below(
        "dp-epsilon-small",
        f"the most private DP-SGD target has a small privacy budget: Opacus' accountant gives "
        f"ε < {SMALL_EPSILON:g} at the configured δ",
        "small ε (the regime where e^ε − 1 bounds the advantage meaningfully)",
        "dp_smallest_epsilon",
        SMALL_EPSILON,
        label="smallest ε",
        scales=("cpu", "paper"),
        sanity=True,
    ),
]


def load_pooled(cfg: Config, ctx: RunContext) -> tuple[torch.Tensor, torch.Tensor]:
    """Every example of the data set in one pool, shuffled by the run's seed."""
    data = load_cifar10() if cfg.dataset == "cifar10" else load_mnist1d().standardized()
    x = torch.cat([data.x_train, data.x_test]).flatten(1)
    y = torch.cat([data.y_train, data.y_test])
    perm = torch.randperm(len(y), generator=ctx.torch_rng("split"))
    return x[perm].to(ctx.device), y[perm].to(ctx.device)


def seeded_mlp(cfg: Config, in_dim: int, seed: int) -> MLP:
    """An MLP with PyTorch's default init drawn from ``seed`` (the global RNG is untouched)."""
    return seeded(seed, lambda: MLP(in_dim, cfg.hidden, N_CLASSES))


ROLES = ("target", "shadow")


def target_levels(cfg: Config) -> list[tuple[int, int]]:
    """The non-private targets' (training-set size, steps): every n for all the steps, then the
    largest n for each of the fewer steps."""
    return [(n, cfg.steps) for n in cfg.n_trains] + [
        (max(cfg.n_trains), s) for s in cfg.fewer_steps
    ]


@experiment(
    "membership-inference",
    title="Membership inference: advantage grows with overfitting and falls under DP-SGD",
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
    x, y = load_pooled(cfg, ctx)
    pool = max(cfg.n_trains)
    members = {r: torch.arange(k * pool, (k + 1) * pool) for k, r in enumerate(ROLES)}
    outsiders = {r: torch.arange((2 + k) * pool, (3 + k) * pool) for k, r in enumerate(ROLES)}

    def measure(model, role: str, n: int) -> dict:
        """Accuracies and the per-example losses the attack reads: the model's n members
        (its whole training set) and n non-members; held-out accuracy on all `pool`."""
        tr, out = members[role][:n], outsiders[role]
        return {
            "train_acc": evaluate_classifier(model, x[tr], y[tr])[1],
            "test_acc": evaluate_classifier(model, x[out], y[out])[1],
            "member_losses": example_losses(model, x[tr], y[tr]).tolist(),
            "nonmember_losses": example_losses(model, x[out[:n]], y[out[:n]]).tolist(),
        }

    def plain(key: tuple[str, int]) -> dict:
        role, level = key
        r, (n, steps) = ROLES.index(role), target_levels(cfg)[level]
        tr = members[role][:n]
        model = seeded_mlp(cfg, x.shape[1], ctx.int_seed("init", r, level)).to(ctx.device)
        if steps > 0:
            train_classifier(
                model,
                x[tr],
                y[tr],
                steps=steps,
                batch_size=cfg.batch_size,
                lr=cfg.lr,
                momentum=cfg.momentum,
                generator=ctx.torch_rng("order", r, level),
                ctx=ctx,
                eval_every=cfg.eval_every,
                description=f"{role} n={n}, {steps} steps",
                log={"model": f"{role} n={n}, {steps} steps"},
            )
        return measure(model, role, n)

    def private(key: tuple[str, int]) -> dict:
        role, i = key
        r, n, sigma = ROLES.index(role), pool, cfg.dp_noise_multipliers[i]
        tr = members[role][:n]
        model = seeded_mlp(cfg, x.shape[1], ctx.int_seed("dp-init", r, i)).to(ctx.device)
        noise = torch.Generator(device=ctx.device).manual_seed(ctx.int_seed("noise", r, i))
        res = train_private_classifier(
            model,
            x[tr],
            y[tr],
            steps=cfg.steps,
            batch_size=cfg.batch_size,
            lr=cfg.lr,
            momentum=cfg.momentum,
            noise_multiplier=sigma,
            max_grad_norm=cfg.max_grad_norm,
            delta=cfg.delta,
            accountant=cfg.accountant,
            sampling_generator=ctx.torch_rng("sampling", r, i),
            noise_generator=noise,
            ctx=ctx,
            eval_every=cfg.eval_every,
            description=f"DP {role} σ={sigma:g}",
            log={"model": f"DP {role} σ={sigma:g}"},
        )
        return {**measure(res.model, role, n), "epsilon": res.epsilon}

    plain_keys = [(role, level) for level in range(len(target_levels(cfg))) for role in ROLES]
    trained = ctx.run_phases(plain_keys, plain, description="targets and shadows")
    dp_keys = [(f"dp {role}", i) for i in range(len(cfg.dp_noise_multipliers)) for role in ROLES]
    dp_trained = ctx.run_phases(
        dp_keys, lambda k: private((k[0][3:], k[1])), description="DP-SGD targets and shadows"
    )

    def attack(target: dict, shadow: dict):
        arr = [
            np.asarray(d[k])
            for d in (target, shadow)
            for k in ("member_losses", "nonmember_losses")
        ]
        return loss_threshold_attack(*arr)

    levels = []
    for level, (n, steps) in enumerate(target_levels(cfg)):
        t, s = trained[("target", level)], trained[("shadow", level)]
        a = attack(t, s)
        levels.append(
            {
                "n": n,
                "steps": steps,
                "gap": t["train_acc"] - t["test_acc"],
                "train_acc": t["train_acc"],
                "test_acc": t["test_acc"],
                "attack": a,
                "roc": roc(np.asarray(t["member_losses"]), np.asarray(t["nonmember_losses"])),
            }
        )
    levels.sort(key=lambda v: v["gap"])
    dps = []
    for i, sigma in enumerate(cfg.dp_noise_multipliers):
        t, s = dp_trained[("dp target", i)], dp_trained[("dp shadow", i)]
        dps.append(
            {
                "sigma": sigma,
                "epsilon": t["epsilon"],
                "gap": t["train_acc"] - t["test_acc"],
                "test_acc": t["test_acc"],
                "attack": attack(t, s),
                "roc": roc(np.asarray(t["member_losses"]), np.asarray(t["nonmember_losses"])),
            }
        )
    dps.sort(key=lambda v: v["epsilon"])
    same_n = next(v for v in levels if v["n"] == pool and v["steps"] == cfg.steps)
    top = levels[-1]
    metrics = {
        "n_train": [v["n"] for v in levels],
        "steps": [v["steps"] for v in levels],
        "gap": [v["gap"] for v in levels],
        "train_acc": [v["train_acc"] for v in levels],
        "test_acc": [v["test_acc"] for v in levels],
        "advantage": [v["attack"].advantage for v in levels],
        "advantage_se": [v["attack"].advantage_se for v in levels],
        "optimistic_advantage": [v["attack"].optimistic_advantage for v in levels],
        "auc": [v["attack"].auc for v in levels],
        "auc_null_se": [v["attack"].auc_null_se for v in levels],
        "advantage_most_overfit": top["attack"].advantage,
        "advantage_se_most_overfit": top["attack"].advantage_se,
        "auc_most_overfit": top["attack"].auc,
        "auc_null_se_most_overfit": top["attack"].auc_null_se,
        "dp_n_train": pool,
        "dp_noise_multipliers": [v["sigma"] for v in dps],
        "dp_epsilon": [v["epsilon"] for v in dps],
        "delta": cfg.delta,
        "dp_gap": [v["gap"] for v in dps],
        "dp_test_acc": [v["test_acc"] for v in dps],
        "dp_advantage": [v["attack"].advantage for v in dps],
        "dp_advantage_se": [v["attack"].advantage_se for v in dps],
        "dp_auc": [v["attack"].auc for v in dps],
        "dp_smallest_epsilon": dps[0]["epsilon"],
        "dp_advantage_smallest_epsilon": dps[0]["attack"].advantage,
        "dp_advantage_se_smallest_epsilon": dps[0]["attack"].advantage_se,
        "advantage_same_n": same_n["attack"].advantage,
        "advantage_se_same_n": same_n["attack"].advantage_se,
    }
    _plot(cfg, ctx, levels, dps)
    return metrics


def _name(cfg: Config, level: dict) -> str:
    steps = "" if level["steps"] == cfg.steps else f", {level['steps']} steps"
    return f"n={level['n']}{steps}"


def _plot(cfg: Config, ctx: RunContext, levels: list[dict], dps: list[dict]) -> None:
    from matplotlib import colormaps

    plt_cm = colormaps["viridis"]
    z = one_sided_z(LEVEL / 2)  # two-sided 99% bars
    fig, (ax_adv, ax_auc) = new_figure(ncols=2, width=5.4, height=4.2)
    gaps = [v["gap"] for v in levels]
    ax_adv.errorbar(
        gaps,
        [v["attack"].advantage for v in levels],
        yerr=[z * v["attack"].advantage_se for v in levels],
        fmt="o-",
        capsize=3,
        label="no DP (τ from shadow models)",
    )
    ax_adv.plot(
        gaps,
        [v["attack"].optimistic_advantage for v in levels],
        "o",
        mfc="none",
        color="C0",
        alpha=0.6,
        label="no DP, τ picked on the target itself (optimistic)",
    )
    for v in levels:
        ax_adv.annotate(
            _name(cfg, v),
            (v["gap"], v["attack"].advantage),
            xytext=(5, -12),
            textcoords="offset points",
            fontsize=8,
        )
    ax_adv.errorbar(
        [v["gap"] for v in dps],
        [v["attack"].advantage for v in dps],
        yerr=[z * v["attack"].advantage_se for v in dps],
        fmt="s",
        color="C3",
        capsize=3,
        label=f"DP-SGD (n={max(cfg.n_trains)})",
    )
    for v in dps:
        ax_adv.annotate(
            f"ε={v['epsilon']:.2g}",
            (v["gap"], v["attack"].advantage),
            xytext=(5, 4),
            textcoords="offset points",
            fontsize=8,
            color="C3",
        )
    hi = max([*gaps, *(v["gap"] for v in dps), 0.05]) + 0.12  # room for the labels
    ax_adv.plot(
        [0, hi], [0, hi], "k:", lw=1, label="advantage = gap (Yeom et al.'s 0-1 loss adversary)"
    )
    ax_adv.axhline(0, color="gray", lw=0.8)
    ax_adv.set(
        xlabel="generalization gap (train − held-out accuracy)",
        ylabel="membership advantage (TPR − FPR)",
        title="(a) advantage grows with the gap",
        xlim=(min(0, *gaps) - 0.02, hi),
        ylim=(-0.1, 1.05),
    )
    ax_adv.legend(fontsize=7, loc="upper left")
    ax_auc.errorbar(
        gaps,
        [v["attack"].auc for v in levels],
        yerr=[z * v["attack"].auc_null_se for v in levels],
        fmt="o-",
        capsize=3,
        label="no DP",
    )
    ax_auc.plot(
        [v["gap"] for v in dps], [v["attack"].auc for v in dps], "s", color="C3", label="DP-SGD"
    )
    ax_auc.axhline(0.5, color="gray", ls="--", label="no leak (AUC = 1/2)")
    ax_auc.set(
        xlabel="generalization gap",
        ylabel="ROC AUC of the loss as membership score",
        title="(b) AUC (threshold-free)",
        ylim=(0.4, 1.02),
    )
    ax_auc.legend(fontsize=8, loc="upper left")
    fig.text(
        0.5,
        -0.02,
        f"error bars: ±{z:.2f} standard errors (99%; AUC: under no leak)",
        ha="center",
        fontsize=8,
        color="0.3",
    )
    ctx.save_figure(fig, "advantage_vs_gap")

    fig, (ax,) = new_figure(width=5.2, height=4.6)
    for k, v in enumerate(levels):
        fpr, tpr = v["roc"]
        ax.plot(
            fpr,
            tpr,
            color=plt_cm(k / max(1, len(levels) - 1)),
            label=f"{_name(cfg, v)} (gap {v['gap']:.2f}, AUC {v['attack'].auc:.2f})",
        )
    reds = colormaps["Reds"]
    for k, v in enumerate(dps):
        fpr, tpr = v["roc"]
        ax.plot(
            fpr,
            tpr,
            "--",
            color=reds(0.5 + 0.5 * k / max(1, len(dps) - 1)),
            label=f"DP-SGD ε={v['epsilon']:.2g} (AUC {v['attack'].auc:.2f})",
        )
    ax.plot([0, 1], [0, 1], "k:", lw=1, label="chance")
    ax.set(
        xlabel="false positive rate (non-members called members)",
        ylabel="true positive rate (members called members)",
        title="ROC of the loss-threshold attack on each target",
        xlim=(0, 1),
        ylim=(0, 1),
    )
    ax.legend(fontsize=7, loc="lower right")
    ctx.save_figure(fig, "roc")
