"""Mode collapse of a GAN on a ring of Gaussians, and unrolling the discriminator as a remedy.

Papers: Goodfellow et al. (2014), "Generative Adversarial Nets" (the game, and the
non-saturating generator loss −log D(G(z)) used here); Metz, Poole, Pfau, Sohl-Dickstein (2017),
"Unrolled Generative Adversarial Networks", arXiv 1611.02163, Fig. 1: on a ring of 8 Gaussians
a GAN's generator sits on one mode at a time and hops from mode to mode as the discriminator
catches up, while a generator trained against a discriminator unrolled a few steps ahead spreads
over all of them. The measures are those of the later benchmarks (VEEGAN, Srivastava et al.
2017; PacGAN, Lin et al. 2018): a generated sample is **high quality** if it lies within 3σ of
a mode's mean, and a mode is **covered** if at least ``min_mode_share`` of the samples (1%:
25 of 2 500) are high-quality samples of that mode.

The remedy is the **unrolled GAN** (of the three the brief offers: unrolling, minibatch
discrimination, a gradient penalty), because it is the one whose paper shows this very
experiment (Fig. 1 is the ring), and because it changes nothing but the generator's objective:
the generator is scored against the discriminator it would face after k more of the
discriminator's own Adam steps, differentiated through those steps, so it is pushed away from
outputs that the discriminator could quickly learn to reject (a single mode), rather than
towards whatever fools the current discriminator. With ``unroll_steps = 0`` the remedy arm *is*
the vanilla GAN (the same code path), which is the negative control "remedy turned off".
Minibatch discrimination changes the discriminator's architecture and a gradient penalty
changes the game's loss (and, with WGAN-GP, the divergence), so neither isolates one change.

Setting. Target: 8 equal Gaussians of std σ on a circle of radius 2. Generator: z ~ N(0, I₁₆) →
128 → 128 → 2 (ReLU); discriminator: 2 → 128 (tanh) → 1, the paper's small networks. Both Adam
(β₁ = 0.5), learning rate 1e-3, batch 128, fresh target samples every step; each step is one
discriminator step, then one generator step (against the updated discriminator, or against it
unrolled ``unroll_steps`` = 5 look-ahead steps, each on a fresh target batch and the same
generated batch). ``replicates`` = 5 independent GANs per arm (own initial weights and data
stream each) train side by side as one batched computation.

What makes the vanilla collapse reliable, said plainly: a short, aggressive schedule. With the
generator's and discriminator's learning rates both at 1e-3 (ten times the paper's
discriminator rate) and 3 000 steps, the vanilla generator is, on every replicate and seed we
ran, a compact blob that hops from mode to mode and never settles (0 or 1 modes covered at the
end: the blob is rarely tight enough to put 1% of its samples within 3σ), while the unrolled
generator has spread over the ring and covers all 8. Longer and gentler schedules also collapse
in the paper (Fig. 1 runs 25 000 steps), but whether a vanilla run collapses there varies more
from run to run (later papers, e.g. PacGAN, report vanilla GANs covering most of the 8 modes
with other architectures and schedules).
At cpu scale σ = 0.05 (3σ = 0.15); at the narrower σ = 0.02 common in the literature, 3 000 steps
left the unrolled generator's modes too wide for most of its samples to count as high quality
(~20% within 3σ at 3 000 steps in a development run); the paper scale uses σ = 0.02 and 25 000
steps.

Noise. The claims compare the two arms over replicates, never one lucky run: the remedy covers
more modes than the vanilla GAN by an exact one-sided permutation test over the 5 + 5 replicates
(p < 0.01 needs the arms all but perfectly ordered: the smallest p is 1/252). The energy distance
between each GAN's samples and fresh target samples (a two-sample distance with no kernel to
choose, from :mod:`mltheory.lab.two_sample`) is compared the same way over replicates, and the
medians' difference must also exceed the distance's own noise, the 99% quantile of the distance
between two samples of the target itself (permutation null). The definition of "high quality"
is checked on the target's own samples: a 2-D Gaussian puts 1 − e^{−9/2} = 98.9% of its mass
within 3σ (Rayleigh), and the measured share must lie in its 99% binomial envelope.

Development notes (2026-11-29, cpu scale, 2-core machine shared with ~8 other jobs): seeds 0, 1,
2 all PASS. Vanilla GANs covered 0 or 1 modes at the end (15 of 15 replicates), unrolled GANs
8 modes in 13 of 15 (6 and 7 in the other two); high-quality shares 0–8% against 21–55%; energy
distances to the target 1.7–2.6 against 0.006–0.04, noise 0.009–0.013. The vanilla generator
visited 1–5 distinct modes over the snapshots: it hops, as in the paper's figure.

Scales (2-core laptop CPU unless noted):
    smoke  2 replicates per arm, 300 steps, small networks, 2 look-ahead steps: seconds; checks
           the sanity claim only
    cpu    5 replicates per arm, 3 000 steps, batch 128, 5 look-ahead steps, σ = 0.05
    paper  5 replicates per arm, 25 000 steps, batch 512, z in 256 dimensions, 10 look-ahead
           steps, σ = 0.02 (a GPU)

.. evidence: begin
Evidence (written by ``mlt evidence`` from evidence/cpu-seeds3; do not edit):
cpu scale, seeds 0–2, 124 s per seed: reproduces on 3/3 seeds; 2026-11-29, AMD EPYC, 2 cores, torch 2.13.0+cpu, 1 thread(s).
    vanilla-collapses: 1 [1, 1] (3/3 seeds)
    remedy-covers-more: 7.4 [6.903, 7.897] (3/3 seeds)
    remedy-covers-all: 8 [8, 8] (3/3 seeds)
    remedy-closer: 2.089 [1.473, 2.705] (3/3 seeds)
    hq-definition: 98.9% [98.6%, 99.3%] (3/3 seeds)
smoke scale: 3.6 s per seed, reproduces on 3/3 seeds.
Reproduce: ``mlt reproduce --scale cpu --seeds 3 --out cpu-seeds3``
.. evidence: end
Command: ``mlt run gan-modes --scale cpu --seed 0``
"""

from __future__ import annotations

import math
import statistics

import numpy as np
import torch
import torch.nn.functional as F
from pydantic import Field, model_validator
from scipy import stats
from torch import nn

from mltheory.lab.claims import consistent_with_rate
from mltheory.lab.context import RunContext
from mltheory.lab.data.two_d import mixture_log_density, ring_centres, ring_of_gaussians
from mltheory.lab.engine import TrainState, make_optimizer, train_loop
from mltheory.lab.estimate import Cost, Workload, mlp_params
from mltheory.lab.figures import new_figure
from mltheory.lab.spec import Claim, ExperimentConfig, Paper, experiment
from mltheory.lab.two_sample import energy_distance, permutation_test

PAPER = Paper(
    title="Unrolled Generative Adversarial Networks",
    authors="Metz, Poole, Pfau, Sohl-Dickstein",
    year=2017,
    arxiv="1611.02163",
    reproduces="Fig. 1: on a ring of 8 Gaussians a vanilla GAN (Goodfellow et al. 2014) covers "
    "one mode at a time and cycles; an unrolled GAN covers them all",
)

HQ_SIGMAS = 3.0  # a sample within 3σ of a mode's mean is "high quality" (VEEGAN's definition)
LEVEL = 0.01  # one-sided level of every comparison over replicates and of the sanity envelope
ARMS = ("vanilla", "remedy")


class Config(ExperimentConfig):
    n_modes: int = Field(8, ge=1, le=64, description="Gaussians on the ring (1: a control)")
    radius: float = Field(2.0, gt=0, le=100, description="radius of the ring of means")
    mode_std: float = Field(0.05, gt=0, le=1, description="std σ of each Gaussian")
    replicates: int = Field(5, ge=1, le=64, description="independent GANs per arm")
    steps: int = Field(3000, ge=1, le=200_000, description="training steps (D then G)")
    batch_size: int = Field(128, ge=2, le=8192, description="samples per step and replicate")
    z_dim: int = Field(16, ge=1, le=1024, description="dimension of the generator's noise z")
    g_width: int = Field(128, ge=1, le=4096, description="generator: two ReLU layers this wide")
    d_width: int = Field(128, ge=1, le=4096, description="discriminator: one tanh layer")
    lr_g: float = Field(1e-3, gt=0, le=1, description="generator's Adam learning rate")
    lr_d: float = Field(1e-3, gt=0, le=1, description="discriminator's Adam learning rate")
    beta1: float = Field(0.5, ge=0, lt=1, description="Adam's β₁ for both players")
    unroll_steps: int = Field(
        5, ge=0, le=50, description="the remedy's look-ahead D steps (0: the remedy is off)"
    )
    eval_every: int = Field(500, ge=1, le=200_000, description="snapshot every this many steps")
    eval_samples: int = Field(
        2500, ge=100, le=100_000, description="samples per replicate and snapshot"
    )
    energy_samples: int = Field(
        1000, ge=10, le=5000, description="samples per energy distance (each side)"
    )
    min_mode_share: float = Field(
        0.01, gt=0, lt=1, description="share of high-quality samples that covers a mode"
    )

    @model_validator(mode="after")
    def _energy_samples_are_generated(self) -> Config:
        if self.energy_samples > self.eval_samples:
            raise ValueError(
                f"energy_samples ({self.energy_samples}) must be at most eval_samples "
                f"({self.eval_samples}): the distance uses the last snapshot's samples"
            )
        return self

    def cost(self) -> Cost:
        """Both arms: each step a D step and a G step for every replicate; the remedy adds
        unroll_steps differentiable D steps (a forward, a backward with its graph kept, and the
        generator's backward through it: about three D passes each) of many small kernels."""
        g_params = mlp_params(self.z_dim, [self.g_width, self.g_width], 2)
        d_params = mlp_params(2, [self.d_width], 1)
        evals = (self.steps // self.eval_every + 2) * self.eval_samples
        look_ahead = 6.0 * 3 * d_params * 2 * self.batch_size  # one look-ahead step, one GAN
        arms = []
        for arm in ARMS:
            k = self.unroll_steps if arm == "remedy" else 0
            arms.append(
                Workload(
                    f"{arm} GANs ({self.replicates} side by side)",
                    n_params=g_params + d_params,
                    steps=self.steps,
                    batch_size=2 * self.batch_size,
                    members=self.replicates,
                    eval_examples=evals,
                    activations_per_example=2 * self.g_width + 2 * self.d_width * (1 + k),
                    extra_flops=look_ahead * k * self.replicates * self.steps,
                    overhead_per_step=3 + 6 * k,
                )
            )
        return Cost(
            arms,
            what=f"gan-modes with {self.replicates} replicates per arm, {self.steps} steps, "
            f"{self.unroll_steps} look-ahead steps",
        )


SCALES = {
    "smoke": {
        "replicates": 2,
        "steps": 300,
        "batch_size": 64,
        "g_width": 32,
        "d_width": 32,
        "unroll_steps": 2,
        "eval_every": 100,
        "eval_samples": 500,
        "energy_samples": 300,
    },
    "cpu": {},
    "paper": {
        "mode_std": 0.02,
        "steps": 25_000,
        "batch_size": 512,
        "z_dim": 256,
        "unroll_steps": 10,
        "eval_every": 5000,
        "energy_samples": 2500,
    },
}


# --- models: R networks of one shape, evaluated as one batched computation ---------------------


class MemberMLPs(nn.Module):
    """``R`` independent fully connected networks ``widths[0] → … → widths[-1]``: inputs
    ``(R, batch, in)`` to outputs ``(R, batch, out)``. Member ``r``'s weights are drawn like
    ``nn.Linear``'s default (uniform on ±1/√fan_in) from ``generators[r]``."""

    def __init__(self, widths: list[int], activation, generators: list[torch.Generator]) -> None:
        super().__init__()
        self.activation = activation
        self.params = nn.ParameterList()
        for a, b in zip(widths[:-1], widths[1:], strict=True):
            bound = 1 / math.sqrt(a)
            for shape in ((a, b), (1, b)):
                draws = [(torch.rand(shape, generator=g) * 2 - 1) * bound for g in generators]
                self.params.append(nn.Parameter(torch.stack(draws)))

    def forward(self, x: torch.Tensor, params: list[torch.Tensor] | None = None) -> torch.Tensor:
        ps = list(self.params) if params is None else params
        layers = len(ps) // 2
        for i in range(layers):
            x = torch.baddbmm(ps[2 * i + 1], x, ps[2 * i])
            if i < layers - 1:
                x = self.activation(x)
        return x


def adam_update(
    params: list[torch.Tensor],
    grads: list[torch.Tensor],
    m: list[torch.Tensor],
    v: list[torch.Tensor],
    t: int,
    lr: float,
    beta1: float,
    beta2: float = 0.999,
    eps: float = 1e-8,
) -> tuple[list[torch.Tensor], list[torch.Tensor], list[torch.Tensor]]:
    """One Adam step (Kingma & Ba; ``torch.optim.Adam``'s update) written out, so that the
    look-ahead steps can be differentiated through: returns the new parameters and moments;
    ``t`` is the step's number (from 1)."""
    new_p, new_m, new_v = [], [], []
    for p, g, mi, vi in zip(params, grads, m, v, strict=True):
        mi = beta1 * mi + (1 - beta1) * g
        vi = beta2 * vi + (1 - beta2) * g * g
        m_hat, v_hat = mi / (1 - beta1**t), vi / (1 - beta2**t)
        new_p.append(p - lr * m_hat / (v_hat.sqrt() + eps))
        new_m.append(mi)
        new_v.append(vi)
    return new_p, new_m, new_v


def discriminator_loss(d_real: torch.Tensor, d_fake: torch.Tensor) -> torch.Tensor:
    """−log D(x) − log(1 − D(G(z))), averaged per replicate and summed over replicates (so each
    replicate's gradient is its own)."""
    return (F.softplus(-d_real).mean((1, 2)) + F.softplus(d_fake).mean((1, 2))).sum()


def generator_loss(d_fake: torch.Tensor) -> torch.Tensor:
    """The non-saturating −log D(G(z)) (Goodfellow et al. 2014, §3), per replicate, summed."""
    return F.softplus(-d_fake).mean((1, 2)).sum()


# --- measures ------------------------------------------------------------------------------------


def mode_measures(
    samples: torch.Tensor, centres: torch.Tensor, std: float, min_share: float
) -> dict:
    """High-quality share (within HQ_SIGMAS·std of the nearest mean), modes covered (at least
    ``min_share`` of the samples are high quality at that mode) and the modes' HQ counts."""
    dist, nearest = torch.cdist(samples.float(), centres).min(1)
    hq = dist < HQ_SIGMAS * std
    counts = torch.bincount(nearest[hq], minlength=len(centres))
    covered = counts >= min_share * len(samples)
    return {
        "hq_share": float(hq.float().mean()),
        "modes": int(covered.sum()),
        "covered": covered.nonzero().flatten().tolist(),
    }


def permutation_gain_p(a: list[float], b: list[float]) -> float:
    """Exact one-sided permutation p-value that the values ``a`` are larger on average than
    ``b`` (every split of the pooled values into groups of their sizes; ties count against)."""
    if len(a) < 1 or len(b) < 1:
        return 1.0
    if np.var(np.concatenate([a, b])) == 0:
        return 1.0
    res = stats.permutation_test(
        (np.asarray(a, float), np.asarray(b, float)),
        lambda x, y, axis: np.mean(x, axis=axis) - np.mean(y, axis=axis),
        permutation_type="independent",
        alternative="greater",
        n_resamples=np.inf,
        vectorized=True,
    )
    return float(res.pvalue)


# --- claims --------------------------------------------------------------------------------------


def _vanilla_collapses(m):
    most = max(m["vanilla_modes"])
    return most, most < m["n_modes"], f"of {m['n_modes']} modes; per replicate {m['vanilla_modes']}"


def _remedy_covers_more(m):
    gain = statistics.mean(m["remedy_modes"]) - statistics.mean(m["vanilla_modes"])
    p = permutation_gain_p(m["remedy_modes"], m["vanilla_modes"])
    return gain, gain > 0 and p < LEVEL, f"exact permutation p = {p:.2g}"


def _remedy_covers_all(m):
    med = statistics.median(m["remedy_modes"])
    return med, med >= m["n_modes"], f"of {m['n_modes']}; per replicate {m['remedy_modes']}"


def _remedy_closer(m):
    gap = statistics.median(m["vanilla_energy"]) - statistics.median(m["remedy_energy"])
    noise = m["energy_noise_q99"]
    p = permutation_gain_p(m["vanilla_energy"], m["remedy_energy"])
    detail = f"exact permutation p = {p:.2g}; noise (99% of target vs target) {noise:.2g}"
    return gap, gap > noise and p < LEVEL, detail


CLAIMS = [
    Claim(
        "vanilla-collapses",
        "every vanilla GAN ends covering fewer modes than the target has",
        "one mode at a time, cycling through them (Metz et al. Fig. 1, bottom row)",
        _vanilla_collapses,
        scales=("cpu", "paper"),
        reads=("vanilla_modes", "n_modes"),
        label="most modes covered by a vanilla GAN",
    ),
    Claim(
        "remedy-covers-more",
        f"unrolled GANs cover more modes than vanilla GANs (exact one-sided permutation test "
        f"over the replicates, p < {LEVEL:g})",
        "all 8 modes with unrolling against one at a time without (Metz et al. Fig. 1)",
        _remedy_covers_more,
        scales=("cpu", "paper"),
        reads=("remedy_modes", "vanilla_modes"),
        label="mean modes covered, unrolled minus vanilla",
    ),
    Claim(
        "remedy-covers-all",
        "the median unrolled GAN covers every mode",
        "the unrolled GAN spreads over all 8 modes (Metz et al. Fig. 1, top row)",
        _remedy_covers_all,
        scales=("cpu", "paper"),
        reads=("remedy_modes", "n_modes"),
        label="modes covered by the median unrolled GAN",
    ),
    Claim(
        "remedy-closer",
        "the unrolled GANs' samples are closer to the target in energy distance than the "
        f"vanilla GANs' (exact permutation test over the replicates, p < {LEVEL:g}), and the "
        "medians differ by more than the distance's own noise (99% quantile of the distance "
        "between two samples of the target)",
        "the unrolled generator matches the whole distribution, not one mode",
        _remedy_closer,
        scales=("cpu", "paper"),
        reads=("vanilla_energy", "remedy_energy", "energy_noise_q99"),
        label="median energy distance to the target, vanilla minus unrolled",
    ),
    consistent_with_rate(
        "hq-definition",
        "the target's own samples are high quality at the rate a 2-D Gaussian puts within 3σ "
        f"(1 − e^{{−9/2}}), within the {1 - LEVEL:.0%} binomial envelope",
        "within 3 standard deviations of a mode (VEEGAN's high-quality samples)",
        "target_hq_share",
        1 - math.exp(-(HQ_SIGMAS**2) / 2),
        "eval_samples",
        level=LEVEL,
        label="target's own high-quality share",
        sanity=True,
    ),
]

METRICS = {
    "n_modes": "Gaussians in the target",
    "replicates": "GANs per arm",
    "unroll_steps": "the remedy's look-ahead steps",
    "eval_samples": "samples per replicate in each measurement",
    "eval_steps": "steps at which snapshots were measured",
    "vanilla_modes": "modes covered by each vanilla GAN at the end",
    "remedy_modes": "modes covered by each unrolled GAN at the end",
    "vanilla_hq_share": "share of high-quality samples of each vanilla GAN at the end",
    "remedy_hq_share": "share of high-quality samples of each unrolled GAN at the end",
    "vanilla_modes_curve": "modes covered at each snapshot, one list per vanilla replicate",
    "remedy_modes_curve": "modes covered at each snapshot, one list per unrolled replicate",
    "vanilla_modes_visited": "distinct modes each vanilla GAN covered at some snapshot",
    "coverage_p_value": "exact permutation p that unrolled GANs cover more modes",
    "vanilla_energy": "energy distance of each vanilla GAN's samples to the target",
    "remedy_energy": "energy distance of each unrolled GAN's samples to the target",
    "energy_noise_q99": "99% quantile of the energy distance between two target samples",
    "target_hq_share": "share of the target's own samples within 3σ of a mode",
    "target_modes": "modes covered by the target's own samples",
}


# --- training ------------------------------------------------------------------------------------


def train_arm(cfg: Config, ctx: RunContext, arm: int) -> dict:
    """Train one arm's replicates (arm 0: vanilla; arm 1: unrolled, unless unroll_steps = 0)
    on the engine's loop; returns its snapshots' measures and final samples."""
    unroll = cfg.unroll_steps if ARMS[arm] == "remedy" else 0
    device = ctx.device
    inits = [ctx.torch_rng("init", arm, r) for r in range(cfg.replicates)]
    gen = MemberMLPs([cfg.z_dim, cfg.g_width, cfg.g_width, 2], torch.relu, inits).to(device)
    disc = MemberMLPs([2, cfg.d_width, 1], torch.tanh, inits).to(device)
    centres = ring_centres(cfg.n_modes, cfg.radius)
    reps, batch = cfg.replicates, cfg.batch_size
    state = TrainState(
        generator=gen,
        discriminator=disc,
        g_opt=make_optimizer(gen, "adam", cfg.lr_g, betas=(cfg.beta1, 0.999)),
        d_m=[torch.zeros_like(p) for p in disc.params],
        d_v=[torch.zeros_like(p) for p in disc.params],
        data=ctx.torch_rng("data", arm),
        probe=ctx.torch_rng("eval", arm),
        snapshots=[],
    )

    def real_batch(g: torch.Generator) -> torch.Tensor:
        x = ring_of_gaussians(reps * batch, g, cfg.n_modes, cfg.radius, cfg.mode_std)
        return x.view(reps, batch, 2).to(device)

    def gan_step(state: TrainState, _: None) -> dict:
        g = state.data
        z = torch.randn(reps, batch, cfg.z_dim, generator=g).to(device)
        real = real_batch(g)
        fake = state.generator(z)
        # The discriminator's step: Adam, written out (adam_update) so that the look-ahead
        # below repeats exactly the update it makes.
        d_params = list(state.discriminator.params)
        d_loss = discriminator_loss(state.discriminator(real), state.discriminator(fake.detach()))
        grads = torch.autograd.grad(d_loss, d_params)
        t = state.step + 1
        with torch.no_grad():
            new, state.d_m, state.d_v = adam_update(
                d_params, grads, state.d_m, state.d_v, t, cfg.lr_d, cfg.beta1
            )
            for p, q in zip(d_params, new, strict=True):
                p.copy_(q)
        # The generator's step, against the updated discriminator, or against that
        # discriminator after `unroll` more of its own steps, differentiated through them.
        look, m, v = [p.detach().requires_grad_() for p in d_params], state.d_m, state.d_v
        for k in range(unroll):
            ahead = real_batch(g)
            d = state.discriminator
            loss_k = discriminator_loss(d(ahead, look), d(fake, look))
            grads_k = torch.autograd.grad(loss_k, look, create_graph=True)
            look, m, v = adam_update(look, grads_k, m, v, t + k + 1, cfg.lr_d, cfg.beta1)
        g_loss = generator_loss(state.discriminator(fake, look if unroll else None))
        state.g_opt.zero_grad(set_to_none=True)
        g_loss.backward(inputs=list(state.generator.params))
        state.g_opt.step()
        return {"d_loss": d_loss.detach() / reps, "g_loss": g_loss.detach() / reps}

    def snapshot(state: TrainState) -> dict:
        with torch.no_grad():
            z = torch.randn(reps, cfg.eval_samples, cfg.z_dim, generator=state.probe)
            samples = state.generator(z.to(device)).cpu()
        measures = [
            mode_measures(samples[r], centres, cfg.mode_std, cfg.min_mode_share)
            for r in range(reps)
        ]
        state.snapshots.append(
            {
                "step": state.step,
                "modes": [x["modes"] for x in measures],
                "covered": [x["covered"] for x in measures],
                "hq_share": [x["hq_share"] for x in measures],
                "first_samples": samples[0, :500].clone(),  # replicate 0, for the figure
                "energy_samples": samples[:, : cfg.energy_samples].clone(),
            }
        )
        return {
            "modes": [x["modes"] for x in measures],
            "hq_share": [round(x["hq_share"], 4) for x in measures],
        }

    train_loop(
        state,
        gan_step,
        steps=cfg.steps,
        ctx=ctx,
        evaluate=snapshot,
        eval_every=cfg.eval_every,
        log_every=cfg.eval_every,
        log={"arm": ARMS[arm]},
        description=f"{ARMS[arm]} GANs" + (f" ({unroll} look-ahead steps)" if unroll else ""),
    )
    snaps = state.snapshots
    return {
        "steps": [s["step"] for s in snaps],
        "modes_curve": [[s["modes"][r] for s in snaps] for r in range(reps)],
        "visited": [len({i for s in snaps for i in s["covered"][r]}) for r in range(reps)],
        "final_modes": snaps[-1]["modes"],
        "final_hq": snaps[-1]["hq_share"],
        "hq_curve": [[s["hq_share"][r] for s in snaps] for r in range(reps)],
        "figure_samples": [s["first_samples"] for s in snaps],
        "final_samples": snaps[-1]["energy_samples"],
    }


@experiment(
    "gan-modes",
    title="Mode collapse: a GAN on a ring of 8 Gaussians covers one mode; an unrolled GAN all",
    topic="generative",
    paper=PAPER,
    config=Config,
    scales=SCALES,
    claims=CLAIMS,
    metrics=METRICS,
    lectures=("CS 229br lecture 5",),
)
def run(cfg: Config, ctx: RunContext) -> dict:
    arms = ctx.run_phases([0, 1], lambda arm: train_arm(cfg, ctx, arm), description="arms")
    vanilla, remedy = arms[0], arms[1]
    centres = ring_centres(cfg.n_modes, cfg.radius)

    # The target's own samples: the sanity check of the high-quality definition, and the
    # reference for the energy distances (with a second sample for their noise).
    g = ctx.torch_rng("target")
    target = ring_of_gaussians(cfg.eval_samples, g, cfg.n_modes, cfg.radius, cfg.mode_std)
    target_measures = mode_measures(target, centres, cfg.mode_std, cfg.min_mode_share)
    ref = ring_of_gaussians(cfg.energy_samples, g, cfg.n_modes, cfg.radius, cfg.mode_std)
    other = ring_of_gaussians(cfg.energy_samples, g, cfg.n_modes, cfg.radius, cfg.mode_std)
    noise = permutation_test(ref, other, ctx.torch_rng("permutations"), draws=200)
    energy = {
        name: [energy_distance(arm["final_samples"][r], ref) for r in range(cfg.replicates)]
        for name, arm in (("vanilla", vanilla), ("remedy", remedy))
    }

    _plot_samples(cfg, ctx, vanilla, remedy, centres)
    _plot_coverage(cfg, ctx, vanilla, remedy, energy, noise.null_quantile(0.99))

    return {
        "n_modes": cfg.n_modes,
        "replicates": cfg.replicates,
        "unroll_steps": cfg.unroll_steps,
        "eval_samples": cfg.eval_samples,
        "eval_steps": vanilla["steps"],
        "vanilla_modes": vanilla["final_modes"],
        "remedy_modes": remedy["final_modes"],
        "vanilla_hq_share": vanilla["final_hq"],
        "remedy_hq_share": remedy["final_hq"],
        "vanilla_modes_curve": vanilla["modes_curve"],
        "remedy_modes_curve": remedy["modes_curve"],
        "vanilla_modes_visited": vanilla["visited"],
        "coverage_p_value": permutation_gain_p(remedy["final_modes"], vanilla["final_modes"]),
        "vanilla_energy": energy["vanilla"],
        "remedy_energy": energy["remedy"],
        "energy_noise_q99": noise.null_quantile(0.99),
        "target_hq_share": target_measures["hq_share"],
        "target_modes": target_measures["modes"],
    }


# --- figures -------------------------------------------------------------------------------------


def _plot_samples(cfg: Config, ctx: RunContext, vanilla: dict, remedy: dict, centres) -> None:
    steps = vanilla["steps"]
    cols = len(steps)
    fig, axes = new_figure(ncols=cols, nrows=2, width=2.3, height=2.5)
    lim = cfg.radius + 1.0
    grid = torch.linspace(-lim, lim, 200)
    xx, yy = torch.meshgrid(grid, grid, indexing="xy")
    logp = mixture_log_density(torch.stack([xx.flatten(), yy.flatten()], -1), centres, cfg.mode_std)
    logp = logp.view(200, 200).numpy()
    top = float(logp.max())
    rows = (("vanilla GAN", vanilla), (f"unrolled GAN (k={cfg.unroll_steps})", remedy))
    for row, (name, arm) in enumerate(rows):
        for col, step in enumerate(steps):
            ax = axes[row * cols + col]
            ax.contour(
                xx.numpy(),
                yy.numpy(),
                logp,
                levels=[top - 8, top - 4.5, top - 2],
                colors="0.6",
                linewidths=0.6,
            )
            pts = arm["figure_samples"][col]
            ax.scatter(pts[:, 0], pts[:, 1], s=2, color="C0" if row == 0 else "C2", alpha=0.6)
            ax.set(xlim=(-lim, lim), ylim=(-lim, lim), aspect="equal", xticks=[], yticks=[])
            modes = arm["modes_curve"][0][col]
            hq = arm["hq_curve"][0][col]
            ax.set_title(f"step {step}: {modes}/{cfg.n_modes} modes, HQ {hq:.0%}", fontsize=7)
            if col == 0:
                ax.set_ylabel(name)
    fig.suptitle(
        "samples of replicate 0 over training on the target's density contours "
        f"(σ = {cfg.mode_std:g}; 3σ ring = 98.9% of each mode)"
    )
    ctx.save_figure(fig, "samples_over_training")


def _plot_coverage(
    cfg: Config, ctx: RunContext, vanilla: dict, remedy: dict, energy: dict, noise: float
) -> None:
    fig, (ax1, ax2) = new_figure(ncols=2)
    steps = vanilla["steps"]
    for name, arm, color in (("vanilla", vanilla, "C0"), ("unrolled", remedy, "C2")):
        for r, curve in enumerate(arm["modes_curve"]):
            jitter = (r - (cfg.replicates - 1) / 2) * 0.04
            ax1.plot(
                steps,
                [c + jitter for c in curve],
                "-o",
                ms=3,
                color=color,
                alpha=0.7,
                label=f"{name} GAN (each replicate)" if r == 0 else None,
            )
    ax1.axhline(cfg.n_modes, color="k", ls="--", lw=0.8, label=f"all {cfg.n_modes} modes")
    ax1.set(xlabel="training step", ylabel="modes covered", title="mode coverage over training")
    ax1.legend(fontsize=7)
    for i, (name, color) in enumerate((("vanilla", "C0"), ("remedy", "C2"))):
        values = [max(e, 1e-6) for e in energy[name]]  # an estimate at the noise may dip below 0
        ax2.plot([i] * cfg.replicates, values, "o", color=color, alpha=0.7)
    floor = max(noise, 1e-6) / 10
    ax2.axhspan(floor, max(noise, 1e-6), color="0.85", label="noise: 99% of target vs target")
    ax2.set_xticks([0, 1], ["vanilla GAN", f"unrolled GAN (k={cfg.unroll_steps})"])
    ax2.set_xlim(-0.5, 1.5)
    ax2.set_yscale("log")
    ax2.set(ylabel="energy distance to the target", title="final samples vs target samples")
    ax2.legend(fontsize=7)
    ctx.save_figure(fig, "mode_coverage")
