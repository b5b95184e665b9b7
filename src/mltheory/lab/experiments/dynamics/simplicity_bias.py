"""SGD learns functions of increasing complexity: first what a linear classifier knows, then more.

Paper: Kalimeris, Kaplun, Nakkiran, Edelman, Yang, Barak, Zhang (2019), "SGD on neural networks
learns functions of increasing complexity", Fig. 1 and Claims 1–2 (binary classification; the
network F_t at step t compared with the best linear classifier L through mutual information).

The paper's quantities, estimated on the test set from the empirical joint distribution of the
network's prediction F_t, the true label Y and the linear classifier's prediction L (plug-in
estimates, in bits):

    I(F_t; Y)              how much the network's predictions tell about the label
    I(F_t; Y | L)          what they tell beyond what L's predictions already tell
    μ_Y(F_t; L) = I(F_t; Y) − I(F_t; Y | L)   the part of F_t's performance explained by L

Claim 1 (linear phase): early in training, I(F_t; Y | L) ≈ 0, so μ ≈ I(F_t; Y): the network
behaves like the linear classifier (here: when it first reaches L's accuracy it agrees with L
on most inputs). Claim 2 (beyond linear): later the network's accuracy exceeds L's and
I(F_t; Y | L) grows, while μ plateaus instead of falling (the network keeps what it learned
first).

Task: MNIST-1D digits 0–4 vs 5–9 (binary, as in the paper's experiments), inputs standardized.
L is logistic regression (scikit-learn) fit on the same training set. F_t is an MLP
40→256→256→2 trained with minibatch SGD (momentum 0.9), evaluated every ``eval_every`` steps.

Scales (2-core laptop CPU unless noted):
    smoke  200 SGD steps: reaches the linear phase only; seconds
    cpu    4000 steps (the MLP fits its 4000 training examples by ~2600), 400 evaluations
    paper  MNIST-1D with 25000 samples (20000 train / 5000 test), MLP 40→512→512→2,
           20000 steps: a GPU or a patient CPU

Development notes, hand-written and dated (the evidence is the generated section below).
Measured (cpu scale, seed 0, 2-core x86_64 CPU shared with several other jobs): all 5 claims
PASS. L: test accuracy 0.637, I(L;Y) = 0.056 bits. Linear phase (steps 20–420, network accuracy
0.639): median agreement with L 0.912, I(F;Y|L) = 0.009 of I(F;Y) = 0.060 bits (15% unexplained).
End (step 4000, train accuracy 1.0): test accuracy 0.733 (+0.096 over L), agreement 0.642,
I(F;Y|L) = 0.128 bits, μ = 0.035 bits (0.68× its linear-phase value: μ sags by about a third
rather than staying flat as in the paper's figure). Seeds 1–3: the same verdicts. Wall time 142 s
under heavy load (torch's two threads contend); ~17 s in a single-threaded process.
.. evidence: begin
Evidence (written by ``mlt evidence`` from evidence/cpu-seeds3; do not edit):
cpu scale, seeds 0–2, 10 s per seed: reproduces on 3/3 seeds; 2026-11-29, AMD EPYC, 2 cores, torch 2.13.0+cpu, 1 thread(s).
    linear-phase-agreement: 92% [90.8%, 93.3%] (3/3 seeds)
    linear-phase-explained: 13% [9.86%, 16.2%] (3/3 seeds)
    beyond-linear: 10.6% [7.67%, 13.6%] (3/3 seeds)
    cmi-grows: 0.1342 bits [0.09232 bits, 0.1761 bits] (3/3 seeds)
    retains-linear: 0.7169 × [0.5874 ×, 0.8465 ×] (3/3 seeds)
smoke scale: 1.0 s per seed, reproduces on 3/3 seeds.
Reproduce: ``mlt reproduce --scale cpu --seeds 3 --out cpu-seeds3``
.. evidence: end
Command: ``mlt run simplicity-bias --scale cpu --seed 0``
"""

from __future__ import annotations

import math
from typing import Annotated

import numpy as np
import torch
from pydantic import Field
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import mutual_info_score

from mltheory.lab.claims import at_least, paired_gain_p
from mltheory.lab.context import RunContext
from mltheory.lab.data import load_mnist1d
from mltheory.lab.estimate import Cost, Workload, mlp_params, mnist1d_need
from mltheory.lab.figures import new_figure
from mltheory.lab.nn import MLP
from mltheory.lab.spec import Claim, ExperimentConfig, Paper, experiment
from mltheory.lab.train import train_classifier

PAPER = Paper(
    title="SGD on neural networks learns functions of increasing complexity",
    authors="Kalimeris, Kaplun, Nakkiran, Edelman, Yang, Barak, Zhang",
    year=2019,
    arxiv="1905.11604",
    reproduces="Fig. 1 and Claims 1–2: I(F_t;Y), μ_Y(F_t;L) and I(F_t;Y|L) along SGD training "
    "(binary task)",
)


class Config(ExperimentConfig):
    mnist1d_samples: int = Field(
        5000, ge=500, le=200_000, description="MNIST-1D samples generated (80% train, 20% test)"
    )
    data_seed: int = Field(
        42,
        ge=0,
        lt=2**32,
        description="seed of the generated MNIST-1D (a fixed dataset; 42 is MNIST-1D's own)",
    )
    hidden: list[Annotated[int, Field(ge=1, le=8192)]] = Field(
        [256, 256], min_length=1, max_length=8, description="hidden widths of the MLP"
    )
    lr: float = Field(0.01, gt=0, le=1, description="SGD learning rate")
    momentum: float = Field(0.9, ge=0, lt=1, description="SGD momentum")
    batch_size: int = Field(64, ge=1, le=100_000, description="minibatch size")
    steps: int = Field(4000, ge=1, le=1_000_000, description="SGD steps")
    eval_every: int = Field(10, ge=1, le=1_000_000, description="steps between measurements of F_t")
    linear_c: float = Field(
        1.0,
        ge=1e-6,
        le=1e6,
        description="inverse L2 penalty of the logistic-regression classifier L",
    )

    def cost(self) -> Cost:
        params = mlp_params(40, self.hidden, 2)
        evals = self.steps // self.eval_every
        return Cost(
            [
                Workload(
                    "SGD on the MLP",
                    n_params=params,
                    steps=self.steps,
                    batch_size=self.batch_size,
                    # 3× a forward pass over the test set per evaluation
                    eval_examples=3 * evals * (self.mnist1d_samples // 5),
                    data_bytes=4 * max(self.hidden) * self.mnist1d_samples,
                ),
                # Each evaluation fits linear classifiers and estimates mutual informations:
                # about 1000 SGD steps' time.
                Workload("evaluations", n_params=0, steps=1000 * evals, batch_size=0),
            ],
            [mnist1d_need()],
            what=f"simplicity-bias with an MLP of {params} parameters, {self.steps} steps, "
            f"{evals} evaluations",
        )


SCALES = {
    "smoke": {"steps": 200},
    "cpu": {},
    "paper": {"mnist1d_samples": 25000, "hidden": [512, 512], "steps": 20000, "eval_every": 20},
}

METRICS = {
    "linear_acc": "test accuracy of the linear classifier L",
    "linear_mi": "I(L; Y) in bits",
    "linear_phase_steps": "first and last step of the linear phase (None: no such phase)",
    "linear_phase_acc": "median test accuracy of F_t over the linear phase",
    "linear_phase_agreement": "median agreement of F_t with L over the linear phase",
    "linear_phase_mi": "median I(F_t; Y) over the linear phase, bits",
    "linear_phase_cmi": "median I(F_t; Y | L) over the linear phase, bits",
    "linear_phase_mu": "median μ_Y(F_t; L) over the linear phase, bits",
    "final_acc": "test accuracy of the network at the end",
    "final_train_acc": "train accuracy of the network at the end",
    "final_agreement": "agreement with L at the end",
    "final_mi": "I(F; Y) at the end, bits",
    "final_cmi": "I(F; Y | L) at the end, bits",
    "final_mu": "μ_Y(F; L) at the end, bits",
    "max_cmi": "largest I(F_t; Y | L) along training, bits",
    "only_network_right": "test points the final network gets right and L wrong",
    "only_linear_right": "test points L gets right and the final network wrong",
    "n_test": "test points",
}

# The linear phase: the checkpoints from the first at which the network's test accuracy comes
# within one standard error of L's (its accuracy is "comparable" to L's) up to the first at which
# it exceeds L's by more than one standard error. Its claims use medians over those checkpoints,
# so that one noisy evaluation cannot decide them.
LINEAR_PHASE_MIN_AGREEMENT = 0.85  # two unrelated classifiers as accurate as L agree on ~54%
LINEAR_PHASE_MAX_UNEXPLAINED = 0.25  # I(F;Y|L) / I(F;Y) in the linear phase
BEYOND_LINEAR_MARGIN = 0.05  # accuracy points
LEVEL = 0.01  # beyond-linear: the network beats L on the same test points at p < LEVEL
MIN_CMI_GROWTH_BITS = 0.05  # well above the plug-in estimate's bias (~1e-3 bits at n=1000)
MIN_RETAINED_MU = 0.5  # μ at the end as a fraction of μ in the linear phase


def _explained(m):
    ratio = m["linear_phase_cmi"] / m["linear_phase_mi"]
    return ratio, ratio <= LINEAR_PHASE_MAX_UNEXPLAINED


def _beyond_linear(m):
    gain = m["final_acc"] - m["linear_acc"]
    p = paired_gain_p(m["only_network_right"], m["only_linear_right"])
    return gain, gain >= BEYOND_LINEAR_MARGIN and p < LEVEL, f"McNemar p = {p:.2g}"


def _cmi_grows(m):
    growth = m["final_cmi"] - m["linear_phase_cmi"]
    return growth, growth >= MIN_CMI_GROWTH_BITS


def _retains_linear(m):
    ratio = m["final_mu"] / m["linear_phase_mu"]
    return ratio, ratio >= MIN_RETAINED_MU


CLAIMS = [
    at_least(
        "linear-phase-agreement",
        "while the network's test accuracy is comparable to the linear classifier's (within one "
        f"standard error), it agrees with L on ≥ {LINEAR_PHASE_MIN_AGREEMENT:.0%} of test inputs "
        "(median over that phase)",
        "F_t ≈ L in the initial phase (Claim 1)",
        "linear_phase_agreement",
        LINEAR_PHASE_MIN_AGREEMENT,
        label="median agreement with L in the linear phase",
        unit="%",
    ),
    Claim(
        "linear-phase-explained",
        "in that phase L explains most of the network's performance: I(F;Y|L) ≤ "
        f"{LINEAR_PHASE_MAX_UNEXPLAINED:g}·I(F;Y), i.e. μ_Y(F;L) ≥ "
        f"{1 - LINEAR_PHASE_MAX_UNEXPLAINED:.0%} of I(F;Y) (medians over the phase)",
        "I(F_t;Y|L) ≈ 0, μ_Y(F_t;L) ≈ I(F_t;Y) early (Claim 1, Fig. 1)",
        _explained,
        reads=("linear_phase_cmi", "linear_phase_mi"),
        unit="%",
        label="I(F;Y|L) / I(F;Y) in the linear phase",
    ),
    Claim(
        "beyond-linear",
        f"by the end the network's test accuracy exceeds L's by ≥ {BEYOND_LINEAR_MARGIN:g}, "
        f"significantly on the same test points (McNemar, p < {LEVEL:g})",
        "the network's accuracy goes beyond the linear classifier's (Fig. 1)",
        _beyond_linear,
        scales=("cpu", "paper"),
        reads=("final_acc", "linear_acc", "only_network_right", "only_linear_right"),
        unit="%",
        label="final test accuracy − L's",
    ),
    Claim(
        "cmi-grows",
        f"I(F_t;Y|L) grows by ≥ {MIN_CMI_GROWTH_BITS:g} bits from the linear phase to the end",
        "I(F_t;Y|L) rises after the initial phase (Fig. 1)",
        _cmi_grows,
        scales=("cpu", "paper"),
        reads=("final_cmi", "linear_phase_cmi"),
        unit="bits",
        label="growth of I(F;Y|L)",
    ),
    Claim(
        "retains-linear",
        f"μ_Y(F_t;L) at the end is ≥ {MIN_RETAINED_MU:g}× its value in the linear phase: the "
        "network keeps what L explains",
        "μ_Y(F_t;L) plateaus rather than falling (Claim 2, Fig. 1)",
        _retains_linear,
        scales=("cpu", "paper"),
        reads=("final_mu", "linear_phase_mu"),
        unit="×",
        label="μ at the end / μ in the linear phase",
    ),
]

BITS = 1 / math.log(2)  # scikit-learn's mutual information is in nats


def conditional_mutual_information(f: np.ndarray, y: np.ndarray, cond: np.ndarray) -> float:
    """Plug-in I(F;Y|C) in nats: Σ_c p(c)·I(F;Y | C=c) over the empirical joint."""
    return sum(
        (cond == c).mean() * mutual_info_score(y[cond == c], f[cond == c]) for c in np.unique(cond)
    )


def linear_phase(acc: list[float], linear_acc: float, n_test: int) -> list[int]:
    """Indices of the checkpoints whose test accuracy is comparable to L's: from the first within
    one standard error below L's to the last before one exceeding L's by more than one."""
    se = math.sqrt(linear_acc * (1 - linear_acc) / n_test)
    start = next((i for i, a in enumerate(acc) if a >= linear_acc - se), None)
    if start is None:
        return []
    end = next((i for i in range(start, len(acc)) if acc[i] > linear_acc + se), len(acc))
    return list(range(start, end))


@experiment(
    "simplicity-bias",
    title="SGD first learns what a linear classifier knows, then goes beyond it",
    topic="dynamics",
    paper=PAPER,
    config=Config,
    scales=SCALES,
    claims=CLAIMS,
    metrics=METRICS,
    lectures=("CS 229br lecture 2",),
)
def run(cfg: Config, ctx: RunContext) -> dict:
    data = load_mnist1d(num_samples=cfg.mnist1d_samples, seed=cfg.data_seed).standardized()
    # Binary task: digits 0–4 vs 5–9.
    y_train, y_test = (data.y_train >= 5).long(), (data.y_test >= 5).long()

    linear = LogisticRegression(C=cfg.linear_c, max_iter=5000)
    linear.fit(data.x_train.numpy(), y_train.numpy())
    y_np = y_test.numpy()
    lin_pred = linear.predict(data.x_test.numpy())
    linear_acc = float((lin_pred == y_np).mean())
    linear_mi = mutual_info_score(y_np, lin_pred) * BITS

    x_test = data.x_test.to(ctx.device)

    def compare_with_linear(model: torch.nn.Module) -> dict[str, float]:
        f = model(x_test).argmax(1).cpu().numpy()
        mi = mutual_info_score(y_np, f) * BITS
        cmi = conditional_mutual_information(f, y_np, lin_pred) * BITS
        return {
            "agreement": float((f == lin_pred).mean()),
            "mi": mi,
            "cmi": cmi,
            "mu": mi - cmi,
        }

    def train_network(_: str) -> dict:
        with torch.random.fork_rng(devices=[]):  # the init from its own stream
            torch.manual_seed(ctx.int_seed("init"))
            model = MLP(data.input_dim, cfg.hidden, 2).to(ctx.device)
        hist = train_classifier(
            model,
            data.x_train.to(ctx.device),
            y_train.to(ctx.device),
            steps=cfg.steps,
            batch_size=cfg.batch_size,
            lr=cfg.lr,
            momentum=cfg.momentum,
            generator=ctx.torch_rng("order"),
            ctx=ctx,
            x_test=x_test,
            y_test=y_test.to(ctx.device),
            eval_every=cfg.eval_every,
            description="SGD",
            on_eval=compare_with_linear,
        )
        with torch.no_grad():  # the final network's predictions, for a paired test against L
            final_predictions = model(x_test).argmax(1).cpu().tolist()
        return {
            "step": hist.step,
            "train_acc": hist.train_acc,
            "test_acc": hist.test_acc,
            **hist.extra,
            "final_predictions": final_predictions,
        }

    # One phase: a killed run resumes inside training from train_classifier's checkpoint.
    trace = ctx.run_phases(["mlp"], train_network, description="network")["mlp"]

    acc = trace["test_acc"]
    final_pred = np.asarray(trace["final_predictions"])
    phase = linear_phase(acc, linear_acc, len(y_np))
    t1 = phase[0] if phase else None

    def in_linear_phase(key: str) -> float:
        # No linear phase (the network never reached L's accuracy): NaN fails its claims.
        return float(np.median([trace[key][i] for i in phase])) if phase else float("nan")

    fig, (ax_acc, ax_info) = new_figure(ncols=2, width=5.4)
    steps = trace["step"]
    ax_acc.plot(steps, acc, label="network F_t (test)")
    ax_acc.plot(steps, trace["train_acc"], color="C0", alpha=0.4, label="network F_t (train)")
    ax_acc.axhline(linear_acc, color="C1", ls="--", label=f"linear L (test) {linear_acc:.3f}")
    ax_acc.plot(steps, trace["agreement"], color="C2", label="agreement of F_t with L")
    if t1 is not None:
        ax_acc.axvspan(steps[t1], steps[phase[-1]], color="gray", alpha=0.15, label="linear phase")
    ax_acc.set(xlabel="SGD step", ylabel="fraction", title="accuracy and agreement")
    ax_acc.legend(fontsize=7)
    ax_info.plot(steps, trace["mi"], label="I(F_t; Y)")
    ax_info.plot(steps, trace["mu"], label="μ_Y(F_t; L) = I(F_t;Y) − I(F_t;Y|L)")
    ax_info.plot(steps, trace["cmi"], label="I(F_t; Y | L)")
    ax_info.axhline(linear_mi, color="gray", ls="--", label="I(L; Y)")
    if t1 is not None:
        ax_info.axvspan(steps[t1], steps[phase[-1]], color="gray", alpha=0.15)
    ax_info.set(
        xlabel="SGD step",
        ylabel="bits (test set)",
        title="paper's Fig. 1: what F_t knows beyond L",
    )
    ax_info.legend(fontsize=7)
    fig.suptitle(
        f"MNIST-1D digits 0–4 vs 5–9, MLP {'×'.join(map(str, cfg.hidden))}, SGD lr={cfg.lr:g}"
    )
    for ax in (ax_acc, ax_info):
        ax.set_xscale("symlog", linthresh=cfg.eval_every)  # linear up to the first evaluation
    ctx.save_figure(fig, "simplicity_bias")

    return {
        "linear_acc": linear_acc,
        "linear_mi": linear_mi,
        "linear_phase_steps": [steps[phase[0]], steps[phase[-1]]] if phase else None,
        "linear_phase_acc": in_linear_phase("test_acc"),
        "linear_phase_agreement": in_linear_phase("agreement"),
        "linear_phase_mi": in_linear_phase("mi"),
        "linear_phase_cmi": in_linear_phase("cmi"),
        "linear_phase_mu": in_linear_phase("mu"),
        "final_acc": acc[-1],
        "final_train_acc": trace["train_acc"][-1],
        "final_agreement": trace["agreement"][-1],
        "final_mi": trace["mi"][-1],
        "final_cmi": trace["cmi"][-1],
        "final_mu": trace["mu"][-1],
        "max_cmi": max(trace["cmi"]),
        "only_network_right": int(((final_pred == y_np) & (lin_pred != y_np)).sum()),
        "only_linear_right": int(((final_pred != y_np) & (lin_pred == y_np)).sum()),
        "n_test": len(y_np),
    }
