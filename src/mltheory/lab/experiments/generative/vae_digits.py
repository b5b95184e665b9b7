"""A variational autoencoder on 8×8 digits: the held-out ELBO, its two terms, and what it learned.

Paper: Kingma & Welling (2014), "Auto-Encoding Variational Bayes", arXiv 1312.6114 (ICLR 2014);
CS 229br lecture 5. Reproduces Fig. 2's measurement (the variational lower bound on held-out
data against training time) and Figs. 4–5's pictures (the learned data manifold, samples), on
scikit-learn's 8×8 digits instead of MNIST.

The model is the paper's §3 example: a Gaussian encoder ``q(z|x) = N(μ(x), diag σ²(x))`` and a
Bernoulli decoder ``p(x|z)``, each an MLP with one tanh hidden layer, the prior ``p(z) = N(0, I)``,
trained by the reparameterisation trick (one z per example, ``L = 1``, minibatches of
``M = 100``) on the ELBO

    ELBO(x) = E_q[log p(x|z)] − KL(q(z|x) ‖ p(z))  ≤  log p(x)

whose KL term is in closed form (the paper's eq. 10) and whose reconstruction term is estimated
with ``eval_samples`` draws of z per example when we measure it. Pixels are binarised at half
intensity (static binarisation, as for binarised MNIST), so the ELBO is a bound on a real
discrete log-likelihood, in nats per image. We train with Adam where the paper used Adagrad: the
same objective under another optimiser, the usual one since.

The baseline the ELBO is compared with is computed, not typed in: the factorised Bernoulli model
of the pixels, ``p(x) = Π_j p_j^{x_j} (1 − p_j)^{1 − x_j}``, fitted by maximum likelihood on the
training images (add-one smoothing, ``p_j = (k_j + 1)/(n + 2)``, so that a pixel never on in
training is not given probability 0 on held-out data). It is the best model whose pixels are
independent, and exactly what a VAE whose latent carries no information can reach. Noise:
every comparison is paired over the same held-out images and passes only if the 1% quantile of a
bootstrap over those images (2 000 resamples) is beyond zero.

Claims: the held-out ELBO beats the factorised model; it rose over training and levelled off
(the last quarter of the epochs adds less than 10% of the gain); reconstructions from the
posterior mean get more pixels right than the best guess that ignores the image (each pixel's
majority value).

Scales (2-core laptop CPU):
    smoke  digits, latent 8, hidden 100, 15 epochs
    cpu    digits (1 437 training, 360 held-out images; the split drawn from the run's seed),
           latent 8, hidden 200, 200 epochs of 14 steps of 100 images
    paper  binarised MNIST (60 000 / 10 000), latent 20, hidden 500 (the paper's MNIST MLP),
           100 epochs: a GPU. Needs the MNIST files under $MLT_DATA/mnist (refused, exit 2,
           before any work if they are missing).
.. evidence: begin
Evidence (written by ``mlt evidence`` from evidence/cpu-seeds3; do not edit):
cpu scale, seeds 0–2, 65 s per seed: reproduces on 3/3 seeds; 2026-11-29, AMD EPYC, 2 cores, torch 2.13.0+cpu, 1 thread(s).
    beats-factorised: 6.97 nats [6.465 nats, 7.475 nats] (3/3 seeds)
    elbo-improves: 27.01 nats [25.64 nats, 28.38 nats] (3/3 seeds)
    reconstructs: 5.07% [4.57%, 5.57%] (3/3 seeds)
smoke scale: 8.6 s per seed, reproduces on 3/3 seeds.
Reproduce: ``mlt reproduce --scale cpu --seeds 3 --out cpu-seeds3``
.. evidence: end
Command: ``mlt run vae-digits --scale cpu --seed 0``
"""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import Literal

import numpy as np
import torch
from pydantic import Field
from torch import nn
from torch.nn import functional as F

from mltheory.lab.claims import bootstrap_quantile
from mltheory.lab.context import RunContext
from mltheory.lab.data import load_digits, load_mnist
from mltheory.lab.data.mnist import check_mnist
from mltheory.lab.engine import TensorBatches, TrainState, make_optimizer, train_loop
from mltheory.lab.estimate import Cost, Workload, digits_need, mlp_params, mnist_need
from mltheory.lab.figures import new_figure
from mltheory.lab.spec import Claim, ExperimentConfig, Paper, experiment

PAPER = Paper(
    title="Auto-Encoding Variational Bayes",
    authors="Kingma, Welling",
    year=2014,
    arxiv="1312.6114",
    reproduces="Fig. 2 (the variational lower bound on held-out data over training) and "
    "Figs. 4–5 (learned manifold, samples), on 8×8 digits",
)

PIXELS = {"digits": 64, "mnist": 784}
SIDE = {"digits": 8, "mnist": 28}
LEVEL = 0.01  # every comparison: the LEVEL bootstrap quantile of a paired mean must clear 0
BOOTSTRAP_DRAWS = 2000
LATE_SHARE = 0.10  # the last quarter of the epochs adds less than this share of the gain since
# epoch 1
TRAIN_EVAL_MAX = 10_000  # the training ELBO is monitored on at most this many training images


class Config(ExperimentConfig):
    dataset: Literal["digits", "mnist"] = Field(
        "digits", description="digits (scikit-learn's 8×8, shipped) or mnist (files on disk)"
    )
    held_out_fraction: float = Field(
        0.2,
        ge=0.05,
        le=0.9,
        description="share of the digits held out (MNIST: its test set); both parts keep at "
        "least 90 images",
    )
    latent_dim: int = Field(8, ge=1, le=256, description="dimensions of z")
    hidden: int = Field(
        200, ge=1, le=4096, description="tanh units of the encoder's and decoder's hidden layer"
    )
    epochs: int = Field(200, ge=1, le=10_000, description="passes over the training images")
    batch_size: int = Field(
        100, ge=1, le=60_000, description="images per step (the paper's M = 100)"
    )
    lr: float = Field(3e-3, gt=0, le=1, description="Adam learning rate")
    beta: float = Field(
        1.0,
        ge=0,
        le=1000,
        description="weight of the KL term in the training loss (1: the ELBO; ≫ 1 prices any "
        "information in z out: a latent channel of zero capacity)",
    )
    eval_samples: int = Field(
        16, ge=1, le=1000, description="z draws per image when the ELBO is measured"
    )

    @classmethod
    def check_data(cls, cfg: Config) -> None:
        """Refuse an MNIST run whose files are missing before any work starts (exit 2)."""
        if cfg.dataset == "mnist":
            check_mnist()

    def sizes(self) -> tuple[int, int]:
        """(training, held-out) images."""
        if self.dataset == "mnist":
            return 60_000, 10_000
        held_out = math.ceil(1797 * self.held_out_fraction)
        return 1797 - held_out, held_out

    def cost(self) -> Cost:
        d = PIXELS[self.dataset]
        n_train, n_held = self.sizes()
        steps_per_epoch = max(1, n_train // min(self.batch_size, n_train))
        enc = mlp_params(d, [self.hidden], 2 * self.latent_dim)
        dec = mlp_params(self.latent_dim, [self.hidden], d)
        per_eval = (n_held + min(n_train, TRAIN_EVAL_MAX)) * self.eval_samples
        data = [mnist_need()] if self.dataset == "mnist" else [digits_need()]
        return Cost(
            [
                Workload(
                    "VAE (encoder + decoder)",
                    n_params=enc + dec,
                    steps=self.epochs * steps_per_epoch,
                    batch_size=min(self.batch_size, n_train),
                    eval_examples=(self.epochs + 1) * per_eval,
                    activations_per_example=2 * d + 2 * self.hidden + 3 * self.latent_dim,
                    data_bytes=4 * d * (n_train + n_held),
                    # A step is many small passes (encoder, sampling, decoder, both terms, the
                    # backward, Adam over 8 tensors): 1.6 ms of process CPU time on the 8×8
                    # digits, 2026-11-29, where its products alone would take 0.4 ms.
                    overhead_per_step=10,
                )
            ],
            data,
            what=f"vae-digits on {self.dataset}, hidden {self.hidden}, {self.epochs} epochs",
        )


SCALES = {
    "smoke": {"latent_dim": 8, "hidden": 100, "epochs": 15, "eval_samples": 4},
    "cpu": {},
    "paper": {
        "dataset": "mnist",
        "latent_dim": 20,
        "hidden": 500,
        "epochs": 100,
        "lr": 1e-3,
    },
}

METRICS = {
    "epochs": "evaluation points: 0 (the initial model) to the last epoch",
    "elbo_held_out": "mean held-out ELBO per epoch (nats per image)",
    "recon_held_out": "its reconstruction term E_q log p(x|z) per epoch",
    "kl_held_out": "its KL term KL(q(z|x) ‖ p(z)) per epoch",
    "elbo_train": "mean ELBO on (up to 10 000) training images per epoch",
    "factorised_log_lik": "held-out log-likelihood of the factorised Bernoulli model (nats per "
    "image)",
    "gain_over_factorised": "final held-out ELBO minus the factorised model's log-likelihood, "
    "mean over images",
    "gain_over_factorised_low": "1% bootstrap quantile of that mean (over held-out images)",
    "elbo_gain_from_init": "final minus initial held-out ELBO, mean over images",
    "elbo_gain_from_init_low": "1% bootstrap quantile of that mean",
    "late_gain_share": "share of the held-out ELBO's gain since epoch 1 made in the last quarter "
    "of the epochs (1 when there is no gain since epoch 1)",
    "recon_pixel_error": "held-out pixels a reconstruction (decoder at the posterior mean, "
    "thresholded at ½) gets wrong",
    "majority_pixel_error": "held-out pixels the per-pixel majority value gets wrong",
    "recon_gain_low": "1% bootstrap quantile of the mean paired error reduction per image",
    "active_units": "latent dimensions whose held-out KL exceeds 0.01 nats",
    "kl_per_dim": "held-out KL of each latent dimension (nats), final model",
    "n_train": "training images",
    "n_held_out": "held-out images",
}


def _beats_factorised(m):
    gain, low = m["gain_over_factorised"], m["gain_over_factorised_low"]
    detail = (
        f"held-out ELBO {m['elbo_held_out'][-1]:.2f} vs factorised {m['factorised_log_lik']:.2f}"
        f" nats; {LEVEL:.0%} bootstrap bound on the gain {low:.2f}"
    )
    return gain, low > 0, detail


def _improves(m):
    gain, low, late = m["elbo_gain_from_init"], m["elbo_gain_from_init_low"], m["late_gain_share"]
    detail = f"{LEVEL:.0%} bootstrap bound {low:.2f} nats; last quarter of the epochs: {late:.1%}"
    return gain, low > 0 and late < LATE_SHARE, detail


def _reconstructs(m):
    err, base, low = m["recon_pixel_error"], m["majority_pixel_error"], m["recon_gain_low"]
    detail = f"majority guess {base:.1%}; {LEVEL:.0%} bootstrap bound on the reduction {low:.2%}"
    return err, low > 0, detail


CLAIMS = [
    Claim(
        "beats-factorised",
        "the held-out ELBO (a lower bound on log p(x)) exceeds the held-out log-likelihood of the "
        f"best factorised Bernoulli model of the pixels; paired bootstrap over images, p < {LEVEL}",
        "a bound above simple baselines (K&W report MNIST and Frey Face bounds, Fig. 2; no 8×8 "
        "digits value)",
        _beats_factorised,
        reads=(
            "gain_over_factorised",
            "gain_over_factorised_low",
            "elbo_held_out",
            "factorised_log_lik",
        ),
        unit="nats",
        label="held-out ELBO − factorised log-likelihood",
    ),
    Claim(
        "elbo-improves",
        f"the held-out ELBO rises over training (gain beyond its bootstrap noise, p < {LEVEL}) "
        f"and levels off (the last quarter of the epochs adds < {LATE_SHARE:.0%} of the gain "
        "made after the first epoch)",
        "the bound rises with training and levels off (Fig. 2)",
        _improves,
        reads=("elbo_gain_from_init", "elbo_gain_from_init_low", "late_gain_share"),
        unit="nats",
        label="held-out ELBO gain from initialisation",
        scales=("cpu", "paper"),
    ),
    Claim(
        "reconstructs",
        "reconstructions of held-out digits (decoder at the posterior mean) get fewer pixels "
        f"wrong than each pixel's majority value; paired bootstrap over images, p < {LEVEL}",
        "qualitative: reconstructions and the learned manifold (Figs. 4–5)",
        _reconstructs,
        reads=("recon_pixel_error", "majority_pixel_error", "recon_gain_low"),
        unit="%",
        label="held-out pixels wrong in reconstructions",
    ),
]


class VAE(nn.Module):
    """Gaussian MLP encoder and Bernoulli MLP decoder, one tanh hidden layer each (K&W §3)."""

    def __init__(self, pixels: int, hidden: int, latent: int) -> None:
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Linear(pixels, hidden), nn.Tanh(), nn.Linear(hidden, 2 * latent)
        )
        self.decoder = nn.Sequential(
            nn.Linear(latent, hidden), nn.Tanh(), nn.Linear(hidden, pixels)
        )

    def posterior(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """μ and log σ² of q(z|x)."""
        mu, logvar = self.encoder(x).chunk(2, dim=-1)
        return mu, logvar

    def elbo_terms(
        self, x: torch.Tensor, generator: torch.Generator, samples: int = 1
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Per image: the reconstruction term E_q log p(x|z) (averaged over ``samples`` draws of
        z = μ + σ ε), the KL term per latent dimension (closed form), and their difference."""
        mu, logvar = self.posterior(x)
        kl_dims = 0.5 * (mu**2 + logvar.exp() - 1 - logvar)
        eps = torch.randn((samples, *mu.shape), generator=generator).to(x.device)
        z = mu + (0.5 * logvar).exp() * eps
        logits = self.decoder(z)
        recon = -F.binary_cross_entropy_with_logits(
            logits, x.expand_as(logits), reduction="none"
        ).sum(-1)
        recon = recon.mean(0)
        return recon, kl_dims, recon - kl_dims.sum(-1)


def factorised_bernoulli(x_train: torch.Tensor) -> torch.Tensor:
    """Per-pixel probabilities fitted by maximum likelihood with add-one smoothing."""
    return (x_train.sum(0) + 1) / (x_train.shape[0] + 2)


def bernoulli_log_lik(x: torch.Tensor, p: torch.Tensor) -> torch.Tensor:
    """log Π_j p_j^{x_j}(1 − p_j)^{1 − x_j} per image."""
    return (x * p.log() + (1 - x) * (1 - p).log()).sum(-1)


def paired_low(diffs: torch.Tensor, seed: int) -> float:
    """The LEVEL bootstrap quantile of the mean of ``diffs`` (resampling images)."""
    values = diffs.double().tolist()
    return bootstrap_quantile(
        [values], lambda g: float(np.mean(g[0])), LEVEL, draws=BOOTSTRAP_DRAWS, seed=seed
    )


def load_binary(cfg: Config, ctx: RunContext) -> tuple[torch.Tensor, torch.Tensor]:
    """Training and held-out images, flattened and binarised at ½."""
    if cfg.dataset == "mnist":
        data = load_mnist(flatten=True)
    else:
        # The split is drawn from the run's seed: each seed holds out other images.
        split_seed = int(ctx.rng("split").integers(2**32))
        data = load_digits(test_fraction=cfg.held_out_fraction, seed=split_seed)
    return (data.x_train >= 0.5).float(), (data.x_test >= 0.5).float()


@experiment(
    "vae-digits",
    title="Variational autoencoder on 8×8 digits: the held-out ELBO beats a factorised model",
    topic="generative",
    paper=PAPER,
    config=Config,
    scales=SCALES,
    claims=CLAIMS,
    metrics=METRICS,
    lectures=("CS 229br lecture 5",),
)
def run(cfg: Config, ctx: RunContext) -> dict:
    x_train, x_held = load_binary(cfg, ctx)
    x_train, x_held = x_train.to(ctx.device), x_held.to(ctx.device)
    x_train_eval = x_train[:TRAIN_EVAL_MAX]
    n_train, pixels = x_train.shape
    batch = min(cfg.batch_size, n_train)
    steps_per_epoch = max(1, n_train // batch)

    p_fact = factorised_bernoulli(x_train)
    fact_ll = bernoulli_log_lik(x_held, p_fact)

    # PyTorch's default init, drawn from the run's "init" stream (the global RNG is untouched).
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(ctx.int_seed("init"))
        model = VAE(pixels, cfg.hidden, cfg.latent_dim).to(ctx.device)
    state = TrainState(
        model=model,
        optimizer=make_optimizer(model, "adam", cfg.lr),
        noise=ctx.torch_rng("noise"),  # ε of the reparameterisation, in training
        eval_noise=ctx.torch_rng("eval-noise"),  # ε when the ELBO is measured
        initial_elbo=torch.zeros(0),  # per held-out image, at step 0
        curve={k: [] for k in ("epoch", "elbo", "recon", "kl", "elbo_train")},
    )
    batches = TensorBatches(x_train, batch_size=batch, generator=ctx.torch_rng("order"))

    def step(state: TrainState, batch: tuple[torch.Tensor]) -> dict:
        (x,) = batch
        recon, kl_dims, _ = state.model.elbo_terms(x, state.noise)
        loss = -(recon - cfg.beta * kl_dims.sum(-1)).mean()
        state.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        state.optimizer.step()
        return {"loss": loss.detach()}

    @torch.no_grad()
    def evaluate(state: TrainState) -> dict:
        recon, kl_dims, elbo = state.model.elbo_terms(x_held, state.eval_noise, cfg.eval_samples)
        train_elbo = state.model.elbo_terms(x_train_eval, state.eval_noise, cfg.eval_samples)[2]
        if state.step == 0:
            state.initial_elbo = elbo.cpu()
        row = {
            "epoch": state.step // steps_per_epoch,
            "elbo": float(elbo.mean()),
            "recon": float(recon.mean()),
            "kl": float(kl_dims.sum(-1).mean()),
            "elbo_train": float(train_elbo.mean()),
        }
        for k, v in row.items():
            state.curve[k].append(v)
        return row

    train_loop(
        state,
        step,
        steps=cfg.epochs * steps_per_epoch,
        batches=batches,
        ctx=ctx,
        evaluate=evaluate,
        eval_every=steps_per_epoch,
        description="VAE",
    )
    curve = state.curve

    # Final measurements, with their own noise stream so that they do not depend on how many
    # evaluations came before.
    g = ctx.torch_rng("final")
    with torch.no_grad():
        recon, kl_dims, elbo = model.elbo_terms(x_held, g, cfg.eval_samples)
        mu, _ = model.posterior(x_held)
        recon_probs = torch.sigmoid(model.decoder(mu))
    elbo, kl_dims = elbo.cpu(), kl_dims.cpu()
    gain_fact = elbo - fact_ll.cpu()
    gain_init = elbo - state.initial_elbo
    x_cpu = x_held.cpu()
    recon_err = ((recon_probs.cpu() >= 0.5).float() != x_cpu).float().mean(-1)
    majority = (p_fact.cpu() >= 0.5).float()
    majority_err = (majority != x_cpu).float().mean(-1)
    seed = ctx.int_seed("bootstrap") % 2**32

    # Levelling off, measured after the first epoch (whose jump from the random start would
    # make any curve look flat): the share of the gain since epoch 1 made in the last quarter.
    elbos = curve["elbo"]
    since_first = elbos[-1] - elbos[min(1, len(elbos) - 1)]
    late = elbos[-1] - elbos[max(1, len(elbos) - 1 - math.ceil(cfg.epochs / 4))]
    kl_per_dim = kl_dims.mean(0)

    metrics = {
        "epochs": curve["epoch"],
        "elbo_held_out": curve["elbo"],
        "recon_held_out": curve["recon"],
        "kl_held_out": curve["kl"],
        "elbo_train": curve["elbo_train"],
        "factorised_log_lik": float(fact_ll.mean()),
        "gain_over_factorised": float(gain_fact.mean()),
        "gain_over_factorised_low": paired_low(gain_fact, seed),
        "elbo_gain_from_init": float(gain_init.mean()),
        "elbo_gain_from_init_low": paired_low(gain_init, seed),
        "late_gain_share": late / since_first if since_first > 0 else 1.0,
        "recon_pixel_error": float(recon_err.mean()),
        "majority_pixel_error": float(majority_err.mean()),
        "recon_gain_low": paired_low(majority_err - recon_err, seed),
        "active_units": int((kl_per_dim > 0.01).sum()),
        "kl_per_dim": kl_per_dim.tolist(),
        "n_train": n_train,
        "n_held_out": len(x_held),
    }
    side = SIDE[cfg.dataset]
    _plot_elbo(cfg, ctx, metrics)
    _plot_reconstructions(ctx, x_cpu, recon_probs.cpu(), side)
    _plot_samples(cfg, ctx, model, side)
    _plot_traversal(cfg, ctx, model, kl_per_dim, side)
    return metrics


# --- figures ------------------------------------------------------------------------------------


def _plot_elbo(cfg: Config, ctx: RunContext, m: dict) -> None:
    fig, (ax1, ax2) = new_figure(ncols=2, width=5.0)
    ax1.plot(m["epochs"], m["elbo_train"], color="C0", alpha=0.6, label="ELBO, training images")
    ax1.plot(m["epochs"], m["elbo_held_out"], color="C1", lw=2, label="ELBO, held-out images")
    ax1.axhline(
        m["factorised_log_lik"],
        color="k",
        ls="--",
        lw=1,
        label=f"factorised Bernoulli log p(x), held-out ({m['factorised_log_lik']:.1f})",
    )
    lo = min(m["factorised_log_lik"], min(m["elbo_held_out"][1:] or m["elbo_held_out"]))
    hi = max(max(m["elbo_train"]), m["factorised_log_lik"])
    ax1.set_ylim(lo - 0.25 * (hi - lo) - 1, hi + 0.15 * (hi - lo) + 1)
    ax1.set(xlabel="epoch", ylabel="nats per image", title="the bound over training (cf. Fig. 2)")
    ax1.legend(fontsize=7, loc="lower right")
    ax2.plot(m["epochs"], [-r for r in m["recon_held_out"]], color="C2", label="−E_q log p(x|z)")
    ax2.plot(m["epochs"], m["kl_held_out"], color="C3", label="KL(q(z|x) ‖ p(z))")
    ax2.axhline(-m["factorised_log_lik"], color="k", ls="--", lw=1, label="factorised −log p(x)")
    ax2.set_yscale("log")
    ax2.set(xlabel="epoch", ylabel="nats per image (held-out)", title="its two terms")
    ax2.legend(fontsize=7)
    fig.suptitle(
        f"VAE on {cfg.dataset}: latent {cfg.latent_dim}, hidden {cfg.hidden}, β = {cfg.beta:g}",
        fontsize=10,
    )
    ctx.save_figure(fig, "elbo")


def _image_grid(ax, images: torch.Tensor, rows: int, cols: int, side: int) -> None:
    """``rows × cols`` images (values in [0, 1], 1 = ink) in one panel, one blank pixel apart."""
    step = side + 1
    canvas = np.zeros((rows * step - 1, cols * step - 1))
    for k, img in enumerate(images[: rows * cols]):
        r, c = divmod(k, cols)
        canvas[r * step : r * step + side, c * step : c * step + side] = img.reshape(side, side)
    ax.imshow(canvas, cmap="gray_r", vmin=0, vmax=1)
    ax.set_xticks([])
    ax.set_yticks([])


def _plot_reconstructions(ctx: RunContext, x: torch.Tensor, probs: torch.Tensor, side: int):
    """Held-out images (binary) above their reconstructions, in pairs of rows."""
    rows, cols = 3, 12
    pairs = torch.stack(
        [
            t
            for r in range(rows)
            for t in (x[r * cols : (r + 1) * cols], probs[r * cols : (r + 1) * cols])
        ]
    )
    fig, axes = new_figure(width=6.5, height=3.6)
    _image_grid(axes[0], pairs.reshape(-1, side * side), 2 * rows, cols, side)
    axes[0].set_yticks([(side + 1) * (r + 0.5) for r in range(2 * rows)])
    axes[0].set_yticklabels(["held-out", "p(x | z = μ(x))"] * rows, fontsize=7)
    axes[0].set_title("reconstructions: decoder probabilities at the posterior mean", fontsize=10)
    ctx.save_figure(fig, "reconstructions")


def _plot_samples(cfg: Config, ctx: RunContext, model: VAE, side: int) -> None:
    rows, cols = 6, 10
    z = torch.randn(rows * cols, cfg.latent_dim, generator=ctx.torch_rng("samples"))
    with torch.no_grad():
        probs = torch.sigmoid(model.decoder(z.to(ctx.device))).cpu()
    fig, axes = new_figure(width=6.0, height=3.8)
    _image_grid(axes[0], probs, rows, cols, side)
    axes[0].set_title("samples: p(x|z) for z ~ N(0, I) (cf. Fig. 5)", fontsize=10)
    ctx.save_figure(fig, "samples")


def _plot_traversal(cfg: Config, ctx: RunContext, model: VAE, kl_per_dim, side: int) -> None:
    """Decoder outputs along each of the most used latent dimensions (the others at 0), at the
    prior's quantiles 5%…95%: the learned manifold one direction at a time (cf. Fig. 4)."""
    order = torch.argsort(kl_per_dim, descending=True)[: min(8, cfg.latent_dim)]
    cols = 9
    values = [NormalDist().inv_cdf(q) for q in np.linspace(0.05, 0.95, cols)]
    z = torch.zeros(len(order), cols, cfg.latent_dim)
    for r, dim in enumerate(order.tolist()):
        z[r, :, dim] = torch.tensor(values)
    with torch.no_grad():
        probs = torch.sigmoid(model.decoder(z.reshape(-1, cfg.latent_dim).to(ctx.device))).cpu()
    fig, axes = new_figure(width=5.0, height=0.6 + 0.55 * len(order))
    _image_grid(axes[0], probs, len(order), cols, side)
    axes[0].set_yticks([(side + 1) * (r + 0.5) for r in range(len(order))])
    axes[0].set_yticklabels(
        [f"z{d} ({kl_per_dim[d]:.1f} nats)" for d in order.tolist()], fontsize=7
    )
    axes[0].set_xticks([(side + 1) * (c + 0.5) for c in range(cols)])
    axes[0].set_xticklabels([f"{v:+.1f}" for v in values], fontsize=7)
    axes[0].set_xlabel("value of the traversed dimension (others 0)")
    axes[0].set_title("latent traversals, most informative dimensions first", fontsize=10)
    ctx.save_figure(fig, "latent_traversal")
