"""Grokking: a transformer memorizes modular addition at once and generalizes much later.

Papers: Power, Burda, Edwards, Babuschkin, Misra (2022), "Grokking: generalization beyond
overfitting on small algorithmic datasets", arXiv 2201.02177, Fig. 1 (train and validation
accuracy against optimization steps, log axis) and §3.3 (weight decay is the intervention that
helps most); Nanda, Chan, Lieberum, Smith, Steinhardt (2023), "Progress measures for grokking
via mechanistic interpretability", arXiv 2301.05217 (the 1-layer model and recipe used here,
and Fig. 3: the grokked token embedding is sparse in the Fourier basis). CS 229br lecture 6.

Task: every equation ``a + b = c (mod p)``, as the sequences ``[a, b, =]`` with label ``c``
(``data.modular``), split at random into a training fraction and a test set. Model: Nanda et
al.'s 1-layer decoder-style transformer (``nn.DecoderTransformer``: causal attention, ReLU MLP,
no LayerNorm, logits read at ``=``), trained full-batch with AdamW (decoupled weight decay,
``engine.make_optimizer``; β = (0.9, 0.98) as Nanda et al.). Two runs per seed share the split
and the initial weights and differ only in the weight decay: ``weight_decay`` (1, as both papers)
and ``control_weight_decay`` (0). Measured on each: the steps at which train accuracy first
reaches 99% and test accuracy first reaches 95%; the test accuracy within the step budget; the
Fourier spectrum of the token embedding (the share of its non-constant norm² in its ``top_k``
largest frequencies), against the same statistic for Gaussian matrices distributed as the
initial embedding (its 99% quantile over ``null_draws`` draws: the computed null).

Smaller than the papers, to run on a CPU in one to two minutes (stated, as the task allows):
p = 47 rather than 113, d_model 64 rather than 128, training fraction 0.5 rather than 0.3, and
learning rate 3e-3 rather than 1e-3. Grokking's delay grows as the training fraction falls and
shrinks with lr × weight decay (Power et al. Fig. 2; Nanda et al. §5). Development runs of this
model (seed 0, 2026-11-29): at p = 53, fraction 0.4 and lr 1e-3 the test accuracy was still 18%
after 6 000 steps; at p = 47, fraction 0.4 and lr 3e-3, 45% after 4 000; at p = 59, fraction 0.3,
3% after 5 000. At fraction 0.5 some of the test set is right when the training set is
first fit (10–25% on seeds 0–2 against chance 1/47), so the claims measure the later jump to
≥ 95% and its delay. The ``paper`` scale is Nanda et al.'s own setting (p = 113, d_model 128,
fraction 0.3, lr 1e-3, 40 000 steps).

Claims and tolerances:
* ``memorizes-first``: (steps to test ≥ 95%) / (steps to train ≥ 99%) ≥ 5 (Nanda et al.:
  ≈1.4k vs ≈10k steps, ×7; Power et al. Fig. 1: ≈10² vs ≈10⁵ steps at fraction 0.5);
* ``groks``: test accuracy at the end of the weight-decay run ≥ 95%;
* ``no-wd-memorizes``: without weight decay the network still fits the training set (≥ 99%),
  so what it lacks is generalization, not capacity;
* ``needs-weight-decay``: without weight decay the test accuracy never reaches 95% within the
  whole budget (at least as many steps as the weight-decay run used);
* ``wd-beats-control``: the weight-decay run's final test accuracy beats the other's by ≥ 30
  points at one-sided p < 0.01 (binomial, on the test set);
* ``fourier-sparse``: the grokked embedding's top-k Fourier share is ≥ 50% (most of the norm)
  and exceeds the 99% quantile of its random-initialization null (about 22% for k = 4 of the 23
  frequencies at p = 47). Without weight decay the embedding also drifts a little towards a few
  frequencies (development run: 30% against the null's 22%), which is why the claim asks for
  most of the norm and not only for beating the null.

Scales (2-core CPU, one thread):
    smoke  p = 23, d_model 32, fraction 0.6, lr 1e-2, 300 steps per run: a few seconds; it
           checks only no-wd-memorizes (it stops long before grokking)
    cpu    p = 47, d_model 64, fraction 0.5, lr 3e-3, ≤ 5 000 steps per run (the weight-decay
           run stops once 95% test accuracy has held for ``confirm_evals`` evaluations)
    paper  p = 113, d_model 128, fraction 0.3, lr 1e-3, 40 000 steps (a GPU)

.. evidence: begin
Evidence (written by ``mlt evidence`` from evidence/cpu-seeds3; do not edit):
cpu scale, seeds 0–2, 271 s per seed: reproduces on 3/3 seeds; 2026-11-29, AMD EPYC, 2 cores, torch 2.13.0+cpu, 1 thread(s).
    memorizes-first: 10.52 × [-0.01995 ×, 21.05 ×] (3/3 seeds)
    groks: 100% [100%, 100%] (3/3 seeds)
    no-wd-memorizes: 100% [100%, 100%] (3/3 seeds)
    needs-weight-decay: 14.8% [2.22%, 27.3%] (3/3 seeds)
    wd-beats-control: 85.4% [72.6%, 98.1%] (3/3 seeds)
    fourier-sparse: 81.9% [65.7%, 98%] (3/3 seeds)
smoke scale: 13 s per seed, reproduces on 3/3 seeds.
Reproduce: ``mlt reproduce --scale cpu --seeds 3 --out cpu-seeds3``
.. evidence: end
Command: ``mlt run grokking --scale cpu --seed 0``
"""

from __future__ import annotations

import math

import numpy as np
import torch
from pydantic import Field, model_validator

from mltheory.lab.claims import at_least, exceeds
from mltheory.lab.context import RunContext
from mltheory.lab.data.modular import ModularAddition, modular_addition
from mltheory.lab.engine import TrainState, make_optimizer, train_loop
from mltheory.lab.estimate import Cost, Workload
from mltheory.lab.figures import new_figure, readable_log_axis
from mltheory.lab.nn import DecoderTransformer
from mltheory.lab.spec import Claim, ExperimentConfig, Paper, experiment

PAPER = Paper(
    title="Grokking: generalization beyond overfitting on small algorithmic datasets; "
    "Progress measures for grokking via mechanistic interpretability",
    authors="Power, Burda, Edwards, Babuschkin, Misra; Nanda, Chan, Lieberum, Smith, Steinhardt",
    year=2022,
    arxiv="2201.02177",
    reproduces="Power et al. Fig. 1 (train accuracy near 100% long before validation accuracy, "
    "log step axis) and §3.3 (weight decay); Nanda et al. 2023 (arXiv 2301.05217) Fig. 3 "
    "(a Fourier-sparse embedding), on modular addition with a 1-layer transformer",
)


class Config(ExperimentConfig):
    p: int = Field(47, ge=3, le=257, description="modulus p: the task is a + b mod p")
    train_fraction: float = Field(
        0.5, gt=0, lt=1, description="share of the p² equations in the training set"
    )
    d_model: int = Field(64, ge=4, le=1024, description="transformer width (residual stream)")
    n_heads: int = Field(4, ge=1, le=64, description="attention heads (divide d_model)")
    d_mlp: int = Field(256, ge=1, le=8192, description="hidden units of the MLP")
    n_layers: int = Field(1, ge=1, le=8, description="transformer blocks")
    lr: float = Field(3e-3, gt=0, le=0.1, description="AdamW learning rate")
    beta2: float = Field(0.98, gt=0, lt=1, description="AdamW's β₂ (β₁ = 0.9)")
    weight_decay: float = Field(
        1.0, gt=0, le=100, description="AdamW's decoupled weight decay in the grokking run"
    )
    control_weight_decay: float = Field(
        0.0, ge=0, le=100, description="weight decay of the comparison run (0: none)"
    )
    max_steps: int = Field(
        5000, ge=1, le=1_000_000, description="full-batch steps budget of each run"
    )
    eval_every: int = Field(
        25, ge=1, le=100_000, description="measure train and test accuracy every this many steps"
    )
    confirm_evals: int = Field(
        10,
        ge=1,
        le=10_000,
        description="the weight-decay run stops after this many evaluations in a row ≥ grok_acc",
    )
    memorize_acc: float = Field(0.99, gt=0, le=1, description="train accuracy that counts as fit")
    grok_acc: float = Field(0.95, gt=0, le=1, description="test accuracy that counts as grokked")
    top_k: int = Field(
        4, ge=1, le=128, description="frequencies counted in the embedding's Fourier share"
    )
    null_draws: int = Field(
        2000, ge=100, le=100_000, description="Gaussian matrices drawn for the Fourier null"
    )

    def cost(self) -> Cost:
        """Two runs of at most ``max_steps`` full-batch steps each (the first may stop early);
        every evaluation passes the whole table forward."""
        n_train = max(1, round(self.train_fraction * self.p**2))
        evals = (self.max_steps // self.eval_every + 1) * self.p**2
        acts = 3 * (4 * self.d_model + self.d_mlp) * self.n_layers + self.p
        runs = [("with weight decay", True), ("without weight decay", False)]
        # Keys and values are computed at all three positions (and, below the last layer, the
        # whole block): more multiply-adds per example than parameters.
        extra = 6.0 * max(0, macs_per_example(self) - n_params(self)) * n_train * self.max_steps
        return Cost(
            [
                Workload(
                    label,
                    n_params=n_params(self),
                    steps=self.max_steps,
                    batch_size=n_train,
                    eval_examples=evals,
                    activations_per_example=acts,
                    data_bytes=8 * 4 * self.p**2,
                    extra_flops=extra,
                    upper_bound=early,
                )
                for label, early in runs
            ],
            what=f"grokking at p = {self.p}, d_model {self.d_model}, {self.max_steps} steps per run",
        )

    @model_validator(mode="after")
    def _consistent(self) -> Config:
        if self.d_model % self.n_heads:
            raise ValueError(f"n_heads ({self.n_heads}) must divide d_model ({self.d_model})")
        if self.top_k >= self.p // 2:
            raise ValueError(f"top_k ({self.top_k}) must be below the {self.p // 2} frequencies")
        n_train = round(self.train_fraction * self.p**2)
        if not 0 < n_train < self.p**2:
            raise ValueError(f"train_fraction {self.train_fraction} leaves an empty split")
        return self


SCALES = {
    "smoke": {
        "p": 23,
        "train_fraction": 0.6,
        "d_model": 32,
        "d_mlp": 128,
        "lr": 1e-2,
        "max_steps": 300,
        "eval_every": 10,
        "confirm_evals": 5,
        "top_k": 3,
        "null_draws": 500,
    },
    "cpu": {},
    "paper": {
        "p": 113,
        "train_fraction": 0.3,
        "d_model": 128,
        "d_mlp": 512,
        "lr": 1e-3,
        "max_steps": 40000,
        "eval_every": 100,
        "top_k": 6,
    },
}

METRICS = {
    "p": "the modulus",
    "n_train": "training equations",
    "n_test": "test equations",
    "steps": "evaluation steps, weight-decay run",
    "train_acc_wd": "train accuracy at each evaluation, weight-decay run",
    "test_acc_wd": "test accuracy at each evaluation, weight-decay run",
    "param_norm_wd": "L2 norm of all parameters at each evaluation, weight-decay run",
    "steps_control": "evaluation steps, run without weight decay",
    "train_acc_control": "train accuracy at each evaluation, run without weight decay",
    "test_acc_control": "test accuracy at each evaluation, run without weight decay",
    "param_norm_control": "L2 norm of all parameters at each evaluation, without weight decay",
    "memorize_step_wd": "first step with train accuracy ≥ memorize_acc (weight decay; None: never)",
    "grok_step_wd": "first step with test accuracy ≥ grok_acc (weight decay; None: never)",
    "grok_delay_ratio": "grok_step_wd / memorize_step_wd (None if either is missing)",
    "test_acc_at_memorization": "test accuracy when train accuracy first reached memorize_acc",
    "final_train_acc_wd": "train accuracy at the end of the weight-decay run",
    "final_test_acc_wd": "test accuracy at the end of the weight-decay run",
    "steps_run_wd": "steps the weight-decay run took (it stops once grokked)",
    "memorize_step_control": "first step with train accuracy ≥ memorize_acc, no weight decay",
    "final_train_acc_control": "train accuracy at the end of the run without weight decay",
    "final_test_acc_control": "test accuracy at the end of the run without weight decay",
    "max_test_acc_control": "highest test accuracy of the run without weight decay",
    "steps_run_control": "steps the run without weight decay took (the whole budget)",
    "control_weight_decay": "weight decay of the comparison run",
    "grok_acc": "test accuracy that counts as grokked",
    "fourier_power_wd": "embedding norm² per frequency 1..⌊p/2⌋, weight-decay run, end",
    "fourier_power_control": "embedding norm² per frequency, run without weight decay, end",
    "fourier_power_init": "embedding norm² per frequency at initialization",
    "key_frequencies_wd": "the top_k frequencies of the grokked embedding",
    "fourier_top_share_wd": "share of the embedding's non-constant norm² in its top_k frequencies",
    "fourier_top_share_control": "the same share without weight decay",
    "fourier_top_share_init": "the same share at initialization",
    "fourier_null_q99": "99% quantile of the share for Gaussian matrices (initialization's law)",
}

DELAY_RATIO = 5.0  # Nanda et al.: ×7 (≈1.4k → ≈10k steps); Power et al. Fig. 1: ≈×10³
MIN_GAP = 0.30  # the weight-decay run's final test accuracy beats the control's by this much
LEVEL = 0.01
MIN_TOP_SHARE = 0.5  # "most of the norm" (Nanda et al.: the key frequencies carry nearly all)


def _delay(m):
    ratio = m["grok_delay_ratio"]
    if ratio is None:
        return None, False, "train or test accuracy never reached its threshold"
    detail = f"train ≥ 99% at step {m['memorize_step_wd']}, test ≥ 95% at {m['grok_step_wd']}"
    return ratio, ratio >= DELAY_RATIO, detail


def _never_groks(m):
    budget, used = m["steps_run_control"], m["steps_run_wd"]
    peak = m["max_test_acc_control"]
    detail = f"over {budget} steps (the weight-decay run used {used})"
    return peak, peak < m["grok_acc"] and budget >= used, detail


def _fourier_sparse(m):
    share, null = m["fourier_top_share_wd"], m["fourier_null_q99"]
    detail = (
        f"random matrices' 99% quantile {null:.3f}; at initialization "
        f"{m['fourier_top_share_init']:.3f}; without weight decay "
        f"{m['fourier_top_share_control']:.3f}"
    )
    return share, share >= MIN_TOP_SHARE and share > null, detail


CLAIMS = [
    Claim(
        "memorizes-first",
        f"with weight decay, test accuracy reaches 95% at least {DELAY_RATIO:g}× later than train "
        "accuracy reaches 99%",
        "Nanda et al.: ≈1.4k vs ≈10k steps (×7); Power et al. Fig. 1: ≈10² vs ≈10⁵ steps",
        _delay,
        reads=("grok_delay_ratio", "memorize_step_wd", "grok_step_wd"),
        label="steps to 95% test / steps to 99% train",
        unit="×",
        scales=("cpu", "paper"),
    ),
    at_least(
        "groks",
        "with weight decay, test accuracy at the end of the run is ≥ 95%",
        "≈100% validation accuracy after grokking (Power et al. Fig. 1; Nanda et al.)",
        "final_test_acc_wd",
        0.95,
        label="final test accuracy with weight decay",
        unit="%",
        scales=("cpu", "paper"),
    ),
    at_least(
        "no-wd-memorizes",
        "without weight decay the network still fits the training set (train accuracy ≥ 99%)",
        "100% train accuracy with or without weight decay (Power et al. Fig. 1, §3.3)",
        "final_train_acc_control",
        0.99,
        label="final train accuracy without weight decay",
        unit="%",
    ),
    Claim(
        "needs-weight-decay",
        "without weight decay test accuracy never reaches 95% within the whole budget (at least "
        "the steps the weight-decay run used)",
        "weight decay is the intervention that helps generalization most (Power et al. §3.3)",
        _never_groks,
        reads=("max_test_acc_control", "steps_run_control", "steps_run_wd", "grok_acc"),
        label="highest test accuracy without weight decay",
        unit="%",
        scales=("cpu", "paper"),
    ),
    exceeds(
        "wd-beats-control",
        f"the weight-decay run's final test accuracy beats the run without weight decay by "
        f"≥ {MIN_GAP:.0%} (binomial, one-sided p < {LEVEL})",
        "≈100% vs far lower without weight decay (Power et al. Fig. 1 vs §3.3)",
        "final_test_acc_wd",
        "final_test_acc_control",
        "n_test",
        level=LEVEL,
        min_effect=MIN_GAP,
        label="final test accuracy, with minus without weight decay",
        scales=("cpu", "paper"),
    ),
    Claim(
        "fourier-sparse",
        f"the grokked embedding puts most (≥ {MIN_TOP_SHARE:.0%}) of its non-constant norm² in its "
        "top-k frequencies, more than the 99% quantile of random matrices distributed as its "
        "initialization",
        "a handful of key frequencies (Nanda et al. Fig. 3: 5–6 of 56 at p = 113)",
        _fourier_sparse,
        reads=(
            "fourier_top_share_wd",
            "fourier_null_q99",
            "fourier_top_share_init",
            "fourier_top_share_control",
        ),
        label="share of embedding norm² in the top-k frequencies",
        unit="%",
        scales=("cpu", "paper"),
    ),
]


# --- the Fourier basis of the cyclic group -------------------------------------------------------


def fourier_power(embedding: np.ndarray) -> np.ndarray:
    """Norm² of a ``(p, d)`` embedding of the tokens 0..p−1 at each frequency ``k = 1..⌊p/2⌋``:
    ``‖Σ_a e^{−2πika/p} E_a‖²``, counting ``±k`` together (the cos and sin components), so that
    by Parseval the entries sum to ``p · ‖E − mean(E)‖²``. Works on a stack ``(…, p, d)`` too."""
    p = embedding.shape[-2]
    spectrum = np.abs(np.fft.rfft(embedding, axis=-2)) ** 2  # (…, p//2 + 1, d)
    power = spectrum.sum(-1)[..., 1:]  # drop k = 0, the mean over tokens
    both_signs = np.full(power.shape[-1], 2.0)
    if p % 2 == 0:
        both_signs[-1] = 1.0  # the Nyquist frequency p/2 is its own negative
    return power * both_signs


def top_share(power: np.ndarray, k: int) -> np.ndarray:
    """Share of the total of ``power`` (last axis) in its ``k`` largest entries."""
    top = np.sort(power, axis=-1)[..., ::-1][..., :k]
    return top.sum(-1) / power.sum(-1)


def null_top_share_quantile(
    p: int, d: int, k: int, draws: int, rng: np.random.Generator, q: float = 0.99
) -> float:
    """The ``q`` quantile of :func:`top_share` for ``(p, d)`` matrices of i.i.d. Gaussians (the
    law of the initial embedding; the share does not depend on the scale)."""
    shares = []
    for start in range(0, draws, 250):
        stack = rng.standard_normal((min(250, draws - start), p, d))
        shares.append(top_share(fourier_power(stack), k))
    return float(np.quantile(np.concatenate(shares), q))


# --- training ------------------------------------------------------------------------------------


def build_model(cfg: Config, data: ModularAddition, seed: int) -> DecoderTransformer:
    """The transformer with its initial weights drawn from ``seed`` (the global RNG is left as it
    was, so both runs start from the same weights)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return DecoderTransformer(
            vocab_size=data.vocab_size,
            seq_len=3,
            n_classes=data.p,
            d_model=cfg.d_model,
            n_heads=cfg.n_heads,
            n_layers=cfg.n_layers,
            d_mlp=cfg.d_mlp,
        )


def n_params(cfg: Config) -> int:
    d, p = cfg.d_model, cfg.p
    block = 4 * d * d + 2 * d * cfg.d_mlp + cfg.d_mlp + d
    return (p + 1) * d + 3 * d + cfg.n_layers * block + d * p


def macs_per_example(cfg: Config) -> int:
    """Multiply-adds of one forward pass of ``[a, b, =]``: every layer but the last at all three
    positions, the last one's query, output and MLP at the last position only."""
    d = cfg.d_model
    full_layer = 3 * (4 * d * d + 2 * d * cfg.d_mlp)
    last_layer = 3 * 2 * d * d + 2 * d * d + 2 * d * cfg.d_mlp
    return (cfg.n_layers - 1) * full_layer + last_layer + d * cfg.p


def first_step(steps: list[int], values: list[float], level: float) -> int | None:
    return next((s for s, v in zip(steps, values, strict=True) if v >= level), None)


def train_run(cfg: Config, ctx: RunContext, data: ModularAddition, arm: str) -> dict:
    """One full-batch AdamW run; ``arm`` is ``"wd"`` (weight_decay, stops once grokked) or
    ``"control"`` (control_weight_decay, the whole budget). Both share the split and the init."""
    wd = cfg.weight_decay if arm == "wd" else cfg.control_weight_decay
    model = build_model(cfg, data, ctx.int_seed("init")).to(ctx.device)
    tokens, labels = data.tokens.to(ctx.device), data.labels.to(ctx.device)
    train_x, train_y = tokens[data.train_idx], labels[data.train_idx]
    is_train = torch.zeros(len(labels), dtype=torch.bool, device=ctx.device)
    is_train[data.train_idx] = True
    optimizer = make_optimizer(model, "adamw", cfg.lr, weight_decay=wd, betas=(0.9, cfg.beta2))
    curve = {"step": [], "train_acc": [], "test_acc": [], "param_norm": []}
    state = TrainState(model=model, optimizer=optimizer, curve=curve)

    def step(state: TrainState, _batch: None) -> dict:
        state.optimizer.zero_grad(set_to_none=True)
        # float64 log-softmax, as Nanda et al.: once the training loss is tiny, float32 rounding
        # of it would dominate the gradient.
        logits = state.model(train_x).double()
        loss = torch.nn.functional.cross_entropy(logits, train_y)
        loss.backward()
        state.optimizer.step()
        return {"loss": loss.detach()}

    @torch.no_grad()
    def evaluate(state: TrainState) -> dict:
        right = state.model(tokens).argmax(-1) == labels
        train_acc = right[is_train].float().mean().item()
        test_acc = right[~is_train].float().mean().item()
        norm = math.sqrt(sum(float((w**2).sum()) for w in state.model.parameters()))
        for key, value in zip(state.curve, (state.step, train_acc, test_acc, norm), strict=True):
            state.curve[key].append(value)
        return {"train_acc": train_acc, "test_acc": test_acc, "param_norm": norm}

    def grokked(state: TrainState) -> bool:
        last = state.curve["test_acc"][-cfg.confirm_evals :]
        return arm == "wd" and len(last) == cfg.confirm_evals and min(last) >= cfg.grok_acc

    train_loop(
        state,
        step,
        steps=cfg.max_steps,
        ctx=ctx,
        evaluate=evaluate,
        eval_every=cfg.eval_every,
        stop=grokked,
        log={"run": arm},
        description=f"weight decay {wd:g}",
        name=arm,
    )
    curve = state.curve
    embedding = state.model.embedding_matrix[: data.p].detach().cpu().double().numpy()
    return {**curve, "steps_run": state.step, "fourier_power": fourier_power(embedding).tolist()}


@experiment(
    "grokking",
    title="Grokking: a transformer memorizes a + b mod p at once and generalizes much later",
    topic="interpretability",
    paper=PAPER,
    config=Config,
    scales=SCALES,
    claims=CLAIMS,
    metrics=METRICS,
    lectures=("CS 229br lecture 6",),
)
def run(cfg: Config, ctx: RunContext) -> dict:
    data = modular_addition(cfg.p, cfg.train_fraction, ctx.torch_rng("split"))
    runs = ctx.run_phases(["wd", "control"], lambda arm: train_run(cfg, ctx, data, arm), "runs")
    wd, control = runs["wd"], runs["control"]

    init = build_model(cfg, data, ctx.int_seed("init")).embedding_matrix[: cfg.p]
    power_init = fourier_power(init.detach().double().numpy())
    power_wd, power_control = np.array(wd["fourier_power"]), np.array(control["fourier_power"])
    null_q99 = null_top_share_quantile(
        cfg.p, cfg.d_model, cfg.top_k, cfg.null_draws, ctx.rng("fourier-null")
    )
    memorize = first_step(wd["step"], wd["train_acc"], cfg.memorize_acc)
    grok = first_step(wd["step"], wd["test_acc"], cfg.grok_acc)
    at_memorization = (
        wd["test_acc"][wd["step"].index(memorize)] if memorize is not None else float("nan")
    )
    metrics = {
        "p": cfg.p,
        "n_train": len(data.train_idx),
        "n_test": len(data.test_idx),
        "steps": wd["step"],
        "train_acc_wd": wd["train_acc"],
        "test_acc_wd": wd["test_acc"],
        "param_norm_wd": wd["param_norm"],
        "steps_control": control["step"],
        "train_acc_control": control["train_acc"],
        "test_acc_control": control["test_acc"],
        "param_norm_control": control["param_norm"],
        "memorize_step_wd": memorize,
        "grok_step_wd": grok,
        "grok_delay_ratio": grok / max(memorize, 1) if None not in (grok, memorize) else None,
        "test_acc_at_memorization": at_memorization,
        "final_train_acc_wd": wd["train_acc"][-1],
        "final_test_acc_wd": wd["test_acc"][-1],
        "steps_run_wd": wd["steps_run"],
        "memorize_step_control": first_step(
            control["step"], control["train_acc"], cfg.memorize_acc
        ),
        "final_train_acc_control": control["train_acc"][-1],
        "final_test_acc_control": control["test_acc"][-1],
        "max_test_acc_control": max(control["test_acc"]),
        "steps_run_control": control["steps_run"],
        "control_weight_decay": cfg.control_weight_decay,
        "grok_acc": cfg.grok_acc,
        "fourier_power_wd": power_wd.tolist(),
        "fourier_power_control": power_control.tolist(),
        "fourier_power_init": power_init.tolist(),
        "key_frequencies_wd": [int(k) + 1 for k in np.argsort(power_wd)[::-1][: cfg.top_k]],
        "fourier_top_share_wd": float(top_share(power_wd, cfg.top_k)),
        "fourier_top_share_control": float(top_share(power_control, cfg.top_k)),
        "fourier_top_share_init": float(top_share(power_init, cfg.top_k)),
        "fourier_null_q99": null_q99,
    }
    _plot_accuracy(cfg, ctx, metrics)
    _plot_fourier(cfg, ctx, metrics)
    return metrics


def _plot_accuracy(cfg: Config, ctx: RunContext, m: dict) -> None:
    fig, (ax, ax_norm) = new_figure(ncols=2, width=5.5)
    runs = [
        ("", f"weight decay {cfg.weight_decay:g}", "C0"),
        ("_control", f"weight decay {cfg.control_weight_decay:g}", "C3"),
    ]
    for suffix, name, color in runs:
        steps = m["steps"] if suffix == "" else m["steps_control"]
        key = "_wd" if suffix == "" else suffix
        # Step 0 has no place on a log axis.
        xs = [s for s in steps if s > 0]
        cut = len(steps) - len(xs)
        ax.plot(
            xs, m[f"train_acc{key}"][cut:], color=color, ls="--", lw=1.2, label=f"train, {name}"
        )
        ax.plot(xs, m[f"test_acc{key}"][cut:], color=color, lw=1.8, label=f"test, {name}")
        ax_norm.plot(xs, m[f"param_norm{key}"][cut:], color=color, lw=1.5, label=name)
    ax.axhline(cfg.grok_acc, color="gray", ls=":", lw=1)
    ax.axhline(1 / cfg.p, color="gray", ls="-.", lw=1, label=f"chance (1/{cfg.p})")
    for step, what in ((m["memorize_step_wd"], "train ≥ 99%"), (m["grok_step_wd"], "test ≥ 95%")):
        if step is not None:
            ax.axvline(step, color="C0", alpha=0.4, lw=1)
            ax.annotate(what, (step, 0.5), rotation=90, fontsize=7, color="C0", ha="right")
    readable_log_axis(ax, "x")
    ax.set(
        xlabel="full-batch AdamW step",
        ylabel="accuracy",
        ylim=(0, 1.02),
        title=f"a + b mod {cfg.p}, {cfg.train_fraction:.0%} of the table for training",
    )
    ax.legend(fontsize=7, loc="center left")
    readable_log_axis(ax_norm, "x")
    ax_norm.set(
        xlabel="full-batch AdamW step",
        ylabel="‖all parameters‖₂",
        title="weight decay shrinks the memorizing solution",
    )
    ax_norm.legend(fontsize=7)
    ctx.save_figure(fig, "grokking")


def _plot_fourier(cfg: Config, ctx: RunContext, m: dict) -> None:
    fig, axes = new_figure(ncols=3, width=4.2)
    freqs = np.arange(1, len(m["fourier_power_wd"]) + 1)
    panels = [
        ("init", "at initialization", "0.5"),
        ("wd", f"grokked (weight decay {cfg.weight_decay:g})", "C0"),
        ("control", f"weight decay {cfg.control_weight_decay:g}", "C3"),
    ]
    for ax, (key, title, color) in zip(axes, panels, strict=True):
        power = np.array(m[f"fourier_power_{key}"])
        ax.bar(freqs, power / power.sum(), color=color)
        ax.set(
            xlabel=r"frequency $k$ (token $a \mapsto e^{2\pi i k a/p}$)",
            ylabel="share of embedding norm²",
            title=f"{title}\ntop-{cfg.top_k} share {m[f'fourier_top_share_{key}']:.0%}",
        )
    fig.suptitle(
        f"Token embedding in the Fourier basis of Z_{cfg.p}: random matrices' top-{cfg.top_k} "
        f"share is below {m['fourier_null_q99']:.0%} (99% quantile)"
    )
    ctx.save_figure(fig, "fourier_embedding")
