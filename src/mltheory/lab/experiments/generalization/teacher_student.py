"""Teacher–student perceptrons: the Hebbian learning curve ε(α), the same for every dimension.

References: Engel & Van den Broeck (2001), "Statistical Mechanics of Learning" (Cambridge
University Press, doi 10.1017/CBO9781139164542), chapters 1–2 (Hebbian and Gibbs learning of a
perceptron teacher); Seung, Sompolinsky, Tishby (1992), "Statistical mechanics of learning from
examples" (Phys. Rev. A 45, doi 10.1103/PhysRevA.45.6056). CS 229br lecture 12.

A teacher perceptron ``w*`` (uniform direction in R^d) labels Gaussian inputs ``x ~ N(0, I_d)``
by ``y = sign(w*·x)``. The Hebbian student ``w = Σ_i y_i x_i`` learns from n examples. For
Gaussian inputs a student's generalization error is exactly ``ε = arccos(R)/π`` with R the
cosine between w and w*; as d → ∞ at fixed α = n/d, R concentrates at

    R = sqrt(2α / (2α + π)),   so   ε_Hebb(α) = arccos(sqrt(2α/(2α+π))) / π,

a curve of α alone: learning curves measured at different d collapse onto it. For each d in
``dims`` and each trial, one teacher and one stream of examples are drawn and the student is
read off after n = α·d examples for every α on the grid (nested prefixes of the same stream);
the grid's α·d are integers. The Gibbs student (a uniform draw from the version space) and the
Bayes-optimal one are drawn as theory lines only, from their replica-symmetric equations
(Engel & Van den Broeck eq. 2.42: ``R/sqrt(1 − R) = (α/π) ∫Dt exp(−Rt²/2)/H(−sqrt(R) t)``;
Bayes: overlap sqrt(R_Gibbs)); ε·α → 0.625 and 0.442. They are not measured here.

Tolerances. Two sources of deviation, both computed:
* finite d: the student's overlap is ``a/sqrt(a² + b²)`` with ``a = Σ|z_i|`` (z_i = w*·x_i) and
  ``b² = n·χ²_{d−1}`` exactly. A second-order expansion of E[atan2(b, a)] in the fluctuations
  of a and b gives the finite-d mean ``ε_d(α)`` to O(1/d²) (``hebbian_error_finite``); its
  distance from the d → ∞ curve is the finite-size allowance (~0.2% absolute at d = 32, α = 1);
* Monte Carlo: the standard error over trials, at z for a two-sided 1% level with Bonferroni
  over the cells compared.
Claims: at the largest d every measured ε(α) lies within the two allowances of ε_Hebb(α); and
at every α the curves of all d agree with each other once their computed finite-d shifts are
taken out, within their joint noise (the collapse).

Scales (one core of a 2-core laptop CPU):
    smoke  d ∈ {16, 32}, α ∈ {1/4 … 8}, 40 trials
    cpu    d ∈ {32, 64, 128, 256}, α ∈ {1/4 … 16}, 400 trials
    paper  d ∈ {64 … 1024}, α ∈ {1/4 … 32}, 1 000 trials

.. evidence: begin
Evidence (written by ``mlt evidence`` from evidence/cpu-seeds3; do not edit):
cpu scale, seeds 0–2, 16 s per seed: reproduces on 3/3 seeds; 2026-11-29, AMD EPYC, 2 cores, torch 2.13.0+cpu, 1 thread(s).
    hebbian-curve: 0.0903% [0.0383%, 0.142%] (3/3 seeds)
    collapse: 0.6277 [0.07942, 1.176] (3/3 seeds)
smoke scale: 1.7 s per seed, reproduces on 3/3 seeds.
Reproduce: ``mlt reproduce --scale cpu --seeds 3 --out cpu-seeds3``
.. evidence: end
Command: ``mlt run teacher-student --scale cpu --seed 0``
"""

from __future__ import annotations

import itertools
import math
from typing import Annotated, Literal

import numpy as np
import torch
from pydantic import Field, field_validator, model_validator
from scipy import integrate, optimize, special, stats

from mltheory.lab.context import RunContext
from mltheory.lab.estimate import Cost, Workload
from mltheory.lab.figures import new_figure, readable_log_axis
from mltheory.lab.spec import Claim, ExperimentConfig, Paper, experiment

PAPER = Paper(
    title="Statistical Mechanics of Learning",
    authors="Engel, Van den Broeck (with Seung, Sompolinsky, Tishby 1992)",
    year=2001,
    doi="10.1017/CBO9781139164542",
    reproduces="the Hebbian teacher–student learning curve ε = arccos(R)/π, "
    "R = sqrt(2α/(2α+π)), collapsing across dimensions when plotted against α = n/d",
)

CHUNK_FLOATS = 2**23  # examples × d held at once (32 MiB of float32)


class Config(ExperimentConfig):
    dims: list[Annotated[int, Field(ge=4, le=4096)]] = Field(
        [32, 64, 128, 256], min_length=1, max_length=12, description="input dimensions d"
    )
    alphas: list[Annotated[float, Field(gt=0, le=256)]] = Field(
        [0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0],
        min_length=2,
        max_length=40,
        description="α = n/d at which the student is measured (α·d must be an integer)",
    )
    trials: int = Field(400, ge=2, le=100_000, description="teachers and example streams per d")
    label_noise: float = Field(
        0.0, ge=0, lt=0.5, description="probability that a training label is flipped"
    )
    scaling: Literal["alpha", "fixed-n"] = Field(
        "alpha",
        description="'alpha': n = α·d; 'fixed-n': n = α·min(dims) for every d (wrong scaling)",
    )

    @field_validator("dims", "alphas")
    @classmethod
    def _distinct_sorted(cls, v: list) -> list:
        if len(set(v)) != len(v):
            raise ValueError("values must be distinct")
        return sorted(v)

    @model_validator(mode="after")
    def _integer_sample_sizes(self) -> Config:
        bad = [(a, d) for a in self.alphas for d in self.dims if abs(a * d - round(a * d)) > 1e-9]
        if bad:
            raise ValueError(
                f"every α·d must be an integer number of examples; not {bad[0][0]:g}·{bad[0][1]}"
            )
        return self

    def cost(self) -> Cost:
        examples = sum(self.trials * max(sample_sizes(self, d)) * d for d in self.dims)
        return Cost(
            [
                Workload(
                    f"{self.trials} teachers per d; nested Hebbian students",
                    n_params=0,
                    steps=len(self.dims) * math.ceil(self.trials / 4),
                    batch_size=1,
                    # Per example coordinate: a Gaussian draw (~20 flops), the teacher's and
                    # student's products and the running sum.
                    extra_flops=30.0 * examples,
                    data_bytes=4 * 2 * CHUNK_FLOATS,
                )
            ],
            what=f"teacher-student with d up to {self.dims[-1]} and α up to {self.alphas[-1]:g}",
        )


SCALES = {
    "smoke": {"dims": [16, 32], "alphas": [0.25, 0.5, 1.0, 2.0, 4.0, 8.0], "trials": 40},
    "cpu": {},
    "paper": {
        "dims": [64, 128, 256, 512, 1024],
        "alphas": [0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0],
        "trials": 1000,
    },
}

LEVEL = 0.01  # two-sided, Bonferroni over the cells or pairs compared


def sample_sizes(cfg: Config, d: int) -> list[int]:
    """n for each α at dimension d: α·d, or α·min(dims) under the wrong 'fixed-n' scaling."""
    base = d if cfg.scaling == "alpha" else cfg.dims[0]
    return [max(1, round(a * base)) for a in cfg.alphas]


# --- theory -------------------------------------------------------------------------------------


def hebbian_error(alpha: np.ndarray) -> np.ndarray:
    """ε_Hebb(α) = arccos(sqrt(2α/(2α+π)))/π, the d → ∞ learning curve."""
    alpha = np.asarray(alpha, float)
    return np.arccos(np.sqrt(2 * alpha / (2 * alpha + math.pi))) / math.pi


def hebbian_error_finite(n: int, d: int) -> float:
    """E[ε] of the Hebbian student at finite n and d, to O(1/d²) (module docstring).

    ε = atan2(b, a)/π with a = Σ_i |z_i| (mean n·sqrt(2/π), variance n(1 − 2/π)) and
    b = sqrt(n)·χ_{d−1}; the second-order term is (a b/(a² + b²)²)(Var a − Var b) at the means.
    """
    mean_a, var_a = n * math.sqrt(2 / math.pi), n * (1 - 2 / math.pi)
    # E χ_k = sqrt(2) Γ((k+1)/2) / Γ(k/2), through log-gamma for large k.
    k = d - 1
    mean_chi = math.sqrt(2) * math.exp(math.lgamma((k + 1) / 2) - math.lgamma(k / 2))
    mean_b, var_b = math.sqrt(n) * mean_chi, n * (k - mean_chi**2)
    r2 = mean_a**2 + mean_b**2
    return (math.atan2(mean_b, mean_a) + mean_a * mean_b / r2**2 * (var_a - var_b)) / math.pi


def gibbs_overlap(alpha: float) -> float:
    """R of Gibbs learning: R/sqrt(1 − R) = (α/π) ∫Dt e^{−Rt²/2}/H(−sqrt(R) t) (replica
    symmetric; Engel & Van den Broeck eq. 2.42). e^{−u²/2}/H(u) = 2/erfcx(u/√2) keeps the
    integrand finite for any t."""

    def rhs(r: float) -> float:
        def integrand(t: float) -> float:
            gauss = math.exp(-t * t / 2) / math.sqrt(2 * math.pi)
            return gauss * 2 / special.erfcx(-math.sqrt(r) * t / math.sqrt(2))

        return alpha / math.pi * integrate.quad(integrand, -np.inf, np.inf)[0]

    return optimize.brentq(lambda r: r / math.sqrt(1 - r) - rhs(r), 1e-15, 1 - 1e-15)


# --- the measurement ----------------------------------------------------------------------------


def hebbian_errors(
    d: int, ns: list[int], trials: int, label_noise: float, generator: torch.Generator
) -> np.ndarray:
    """ε of the Hebbian student after each n in ``ns`` (nested prefixes of one example stream),
    for ``trials`` independent teachers: an array (trials, len(ns))."""
    n_max = max(ns)
    chunk = max(1, CHUNK_FLOATS // (n_max * d))
    out = np.empty((trials, len(ns)))
    for start in range(0, trials, chunk):
        c = min(chunk, trials - start)
        teacher = torch.randn(c, d, generator=generator)
        teacher /= teacher.norm(dim=1, keepdim=True)
        x = torch.randn(c, n_max, d, generator=generator)
        y = torch.sign(torch.einsum("cnd,cd->cn", x, teacher))
        if label_noise > 0:
            flip = torch.rand(c, n_max, generator=generator) < label_noise
            y = torch.where(flip, -y, y)
        student = torch.zeros(c, d, dtype=torch.float64)
        done = 0
        for j, n in enumerate(ns):  # ns increasing: add the next segment of examples
            student += torch.einsum("cn,cnd->cd", y[:, done:n], x[:, done:n]).double()
            done = n
            cos = (student * teacher.double()).sum(1) / student.norm(dim=1)
            out[start : start + c, j] = torch.arccos(cos.clamp(-1, 1)).numpy() / math.pi
    return out


METRICS = {
    "dims": "input dimensions d",
    "alphas": "α = n/d of the grid (nominal under the 'fixed-n' scaling)",
    "sample_sizes": "n used at each α, one list per d",
    "trials": "teachers (and example streams) per d",
    "eps_mean": "mean generalization error over trials, one list over α per d",
    "eps_se": "its standard error over trials, one list per d",
    "eps_theory": "ε_Hebb(α) = arccos(sqrt(2α/(2α+π)))/π (d → ∞)",
    "eps_theory_finite": "finite-d Hebbian mean ε at n = α·d, one list per d",
    "eps_gibbs": "Gibbs learning's ε(α) (replica theory; drawn, not measured)",
    "eps_bayes": "Bayes-optimal ε(α) (replica theory; drawn, not measured)",
}


def _z(cells: int) -> float:
    return float(stats.norm.isf(LEVEL / 2 / cells))


def _follows_curve(m):
    mean, se = np.asarray(m["eps_mean"][-1]), np.asarray(m["eps_se"][-1])
    theory, finite = np.asarray(m["eps_theory"]), np.asarray(m["eps_theory_finite"][-1])
    allowed = _z(len(theory)) * se + np.abs(finite - theory)
    dev = np.abs(mean - theory)
    worst = int(np.argmax(dev / allowed))
    detail = (
        f"d = {m['dims'][-1]}: largest |ε − ε_Hebb| / allowance {dev[worst] / allowed[worst]:.2f} "
        f"at α = {m['alphas'][worst]:g} ({dev[worst]:.4f} vs {allowed[worst]:.4f})"
    )
    return float(dev.max()), bool((dev <= allowed).all()), detail


def _collapse(m):
    mean, se = np.asarray(m["eps_mean"]), np.asarray(m["eps_se"])
    finite = np.asarray(m["eps_theory_finite"])
    pairs = list(itertools.combinations(range(len(m["dims"])), 2))
    if not pairs:
        return None, False, "needs at least two dimensions"
    z = _z(len(pairs) * mean.shape[1])
    ratios = [
        np.abs((mean[i] - mean[j]) - (finite[i] - finite[j])) / (z * np.hypot(se[i], se[j]))
        for i, j in pairs
    ]
    worst = float(np.max(ratios))
    return worst, worst <= 1, f"z = {z:.2f} (99%, Bonferroni over {len(pairs)} pairs × α)"


CLAIMS = [
    Claim(
        "hebbian-curve",
        "at the largest d, the measured ε(α) follows ε = arccos(R)/π, R = sqrt(2α/(2α+π)) at "
        "every α, within the computed finite-d shift plus the Monte Carlo noise (99%, "
        "Bonferroni over α)",
        "ε_Hebb(α) = arccos(sqrt(2α/(2α+π)))/π (d → ∞); ε ≈ 0.40/sqrt(α) for large α",
        _follows_curve,
        scales=("cpu", "paper"),
        reads=("eps_mean", "eps_se", "eps_theory", "eps_theory_finite", "dims", "alphas"),
        unit="%",
        label="largest |ε − ε_Hebb| at the largest d",
    ),
    Claim(
        "collapse",
        "learning curves at different d coincide as functions of α = n/d: at every α each pair "
        "of dimensions agrees within its joint noise once the computed finite-d shifts are "
        "taken out",
        "ε depends on n and d only through α = n/d (thermodynamic limit)",
        _collapse,
        reads=("eps_mean", "eps_se", "eps_theory_finite", "dims"),
        label="largest pairwise gap / its 99% allowance",
    ),
]


@experiment(
    "teacher-student",
    title="Teacher–student perceptrons: the Hebbian learning curve ε(α), collapsing across d",
    topic="generalization",
    paper=PAPER,
    config=Config,
    scales=SCALES,
    claims=CLAIMS,
    metrics=METRICS,
    lectures=("CS 229br lecture 12",),
)
def run(cfg: Config, ctx: RunContext) -> dict:
    def measure(d: int) -> dict:
        ns = sample_sizes(cfg, d)
        eps = hebbian_errors(d, ns, cfg.trials, cfg.label_noise, ctx.torch_rng("examples", d))
        ctx.log(d=d, eps_mean=eps.mean(0).tolist())
        return {"ns": ns, "mean": eps.mean(0), "se": eps.std(0, ddof=1) / math.sqrt(cfg.trials)}

    # One checkpoint phase per dimension: a killed run keeps the dimensions it finished.
    by_d = ctx.run_phases(cfg.dims, measure, description="dimensions")
    alphas = np.asarray(cfg.alphas)
    theory = hebbian_error(alphas)
    # The reference is the noise-free protocol's: n = α·d, clean labels.
    finite = [[hebbian_error_finite(round(a * d), d) for a in cfg.alphas] for d in cfg.dims]
    gibbs = np.array([gibbs_overlap(a) for a in cfg.alphas])

    _plot(cfg, ctx, by_d, theory)

    return {
        "dims": cfg.dims,
        "alphas": cfg.alphas,
        "sample_sizes": [by_d[d]["ns"] for d in cfg.dims],
        "trials": cfg.trials,
        "eps_mean": [by_d[d]["mean"].tolist() for d in cfg.dims],
        "eps_se": [by_d[d]["se"].tolist() for d in cfg.dims],
        "eps_theory": theory.tolist(),
        "eps_theory_finite": finite,
        "eps_gibbs": (np.arccos(gibbs) / math.pi).tolist(),
        "eps_bayes": (np.arccos(np.sqrt(gibbs)) / math.pi).tolist(),
    }


def _plot(cfg, ctx, by_d, theory) -> None:
    fig, (ax, ax_n) = new_figure(ncols=2)
    fine = np.geomspace(cfg.alphas[0] / 1.5, cfg.alphas[-1] * 1.5, 200)
    ax.plot(fine, hebbian_error(fine), "k-", lw=1.2, label="Hebbian theory arccos(R)/π")
    g = np.array([gibbs_overlap(a) for a in fine[::8]])
    ax.plot(fine[::8], np.arccos(g) / math.pi, "k--", lw=0.9, label="Gibbs learning (theory)")
    ax.plot(
        fine[::8], np.arccos(np.sqrt(g)) / math.pi, "k:", lw=0.9, label="Bayes-optimal (theory)"
    )
    z = _z(len(cfg.alphas))
    for i, d in enumerate(cfg.dims):
        row = by_d[d]
        alpha_true = np.asarray(row["ns"]) / d
        ax.errorbar(
            alpha_true,
            row["mean"],
            yerr=z * row["se"],
            fmt="osD^v<>ph*"[i % 10],
            ms=7 - 4 * i / max(1, len(cfg.dims) - 1),  # larger d drawn smaller, on top
            mfc="none" if i < len(cfg.dims) - 1 else None,
            color=f"C{i}",
            label=f"Hebbian student, d = {d}",
        )
        ax_n.plot(row["ns"], row["mean"], "o-", ms=4, color=f"C{i}", label=f"d = {d}")
    noise = f", {cfg.label_noise:.0%} flipped labels" if cfg.label_noise else ""
    ax.set(
        xscale="log",
        yscale="log",
        xlabel="α = n / d",
        ylabel="generalization error ε",
        title=f"Hebbian student of a perceptron teacher, {cfg.trials} teachers per d{noise}"
        + (" (fixed n!)" if cfg.scaling != "alpha" else ""),
    )
    ax.legend(fontsize=7)
    readable_log_axis(ax, "x")
    readable_log_axis(ax, "y")
    ax_n.set(
        xscale="log",
        yscale="log",
        xlabel="examples n",
        ylabel="generalization error ε",
        title="the same curves against n do not collapse",
    )
    ax_n.legend(fontsize=7)
    readable_log_axis(ax_n, "x")
    readable_log_axis(ax_n, "y")
    ctx.save_figure(fig, "teacher_student")
