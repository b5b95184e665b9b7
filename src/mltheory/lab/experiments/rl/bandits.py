"""Bernoulli bandits: UCB1 under its finite-time bound, Thompson sampling near Lai–Robbins.

Papers: Auer, Cesa-Bianchi, Fischer (2002), "Finite-time analysis of the multiarmed bandit
problem" (Machine Learning 47, doi 10.1023/A:1013689704352), Theorem 1 (UCB1) and Theorem 3
(ε_n-greedy); Lai & Robbins (1985), "Asymptotically efficient adaptive allocation rules"
(Adv. Appl. Math. 6), the lower bound; Thompson (1933), with its asymptotic optimality for
Bernoulli arms shown by Kaufmann, Korda, Munos (2012) and Agrawal & Goyal (2013). CS 229br
lecture 8.

The setting is Auer et al.'s distribution 1: two Bernoulli arms with means 0.9 and 0.6. Three
policies play ``runs`` independent games of ``horizon`` pulls each, all runs batched as arrays
(a Python loop over time only):

* **UCB1**: pull each arm once, then the arm maximising ``x̄_j + sqrt(2 ln t / n_j)``;
* **Thompson sampling**: a Beta(1, 1) prior per arm; pull the arm whose posterior draw is
  largest;
* **ε_n-greedy** (Auer et al.'s Theorem 3 schedule): with probability
  ``ε_t = min(1, cK/(d² t))`` (d the smallest gap, c = 0.5) a uniform arm, else the best
  empirical mean. Its regret is logarithmic too, so beating it is not beating a straw man.

The three policies see the same reward stream (common random numbers: at time t of run r one
uniform ``u`` decides every arm's reward as ``u < μ_arm``), so their regrets are paired run by
run. Regret is the pseudo-regret ``Σ_t Δ_{a_t}`` (the quantity Auer et al. bound).

References, computed by the run: UCB1's bound ``8 Σ_j ln n/Δ_j + (1 + π²/3) Σ_j Δ_j`` at every
horizon n, and the Lai–Robbins constant ``Σ_j Δ_j / KL(μ_j, μ*)`` with the Bernoulli KL.

Claims and tolerances.
* UCB1's bound: at every recorded horizon, the mean regret plus its one-sided 99% margin
  (Bonferroni over horizons) is below the bound.
* Lai–Robbins: the theorem is asymptotic — lim inf R_n / ln n ≥ Σ Δ/KL for every consistent
  policy — and Thompson sampling attains it. We measure the local constant ``dR/d ln n``: the
  least-squares slope of the mean regret against ln n over the last decade of horizons, with
  its 99% interval over runs. It approaches the constant from below, slowly (second-order
  terms of order ln ln n: Garivier, Ménard, Stoltz 2019); the claim is that the whole interval
  lies within [0.7, 1.3] × Σ Δ/KL (measured 0.82–0.86 at 100 000 pulls on seeds 0–2, each
  with an interval of about ±0.05 over 2 000 runs; 0.79–0.83 ± 0.07 with 1 000). UCB1 is *not*
  asymptotically optimal: its constant stays far above Lai–Robbins (about 10× here) and below
  its bound's ``8 Σ 1/Δ``; a claim checks exactly that, and the figure shows both.
* Thompson beats ε_n-greedy: the paired difference of final regrets (ε_n-greedy − Thompson),
  averaged over runs, exceeds zero by more than its noise (one-sided z-test, p < 0.01).

Scales (one core of a 2-core laptop CPU; the loop over time dominates):
    smoke  2 000 pulls × 200 runs; checks the bound and the paired comparison
    cpu    100 000 pulls × 2 000 runs
    paper  1 000 000 pulls × 4 000 runs (about 20 minutes on one core, by the estimate)

.. evidence: begin
Evidence (written by ``mlt evidence`` from evidence/cpu-seeds3; do not edit):
cpu scale, seeds 0–2, 118 s per seed: reproduces on 3/3 seeds; 2026-11-29, AMD EPYC, 2 cores, torch 2.13.0+cpu, 1 thread(s).
    ucb1-bound: 0.2284 [0.2258, 0.2311] (3/3 seeds)
    lai-robbins: 0.8402 × [0.7841 ×, 0.8962 ×] (3/3 seeds)
    ucb1-log-constant: 10.06 × [9.881 ×, 10.24 ×] (3/3 seeds)
    thompson-beats-epsilon-greedy: 9.632 [9.578, 9.685] (3/3 seeds)
smoke scale: 2.3 s per seed, reproduces on 3/3 seeds.
Reproduce: ``mlt reproduce --scale cpu --seeds 3 --out cpu-seeds3``
.. evidence: end
Command: ``mlt run bandits --scale cpu --seed 0``
"""

from __future__ import annotations

import math
from typing import Annotated

import numpy as np
from pydantic import Field, field_validator, model_validator

from mltheory.lab.claims import below, one_sided_z
from mltheory.lab.context import RunContext
from mltheory.lab.engine import TrainState, train_loop
from mltheory.lab.estimate import Cost, Workload
from mltheory.lab.figures import new_figure
from mltheory.lab.spec import Claim, ExperimentConfig, Paper, experiment

PAPER = Paper(
    title="Finite-time analysis of the multiarmed bandit problem",
    authors="Auer, Cesa-Bianchi, Fischer (with Lai & Robbins 1985; Thompson 1933)",
    year=2002,
    doi="10.1023/A:1013689704352",
    reproduces="Theorem 1 (UCB1's regret bound) on distribution 1 of §4, beside the "
    "Lai–Robbins constant that Thompson sampling attains and UCB1 does not",
)

ALGORITHMS = ("ucb1", "thompson", "epsilon-greedy")
BLOCK = 500  # pulls per engine step: the checkpoint and progress granularity


class Config(ExperimentConfig):
    arm_means: list[Annotated[float, Field(gt=0, lt=1)]] = Field(
        [0.9, 0.6],
        min_length=2,
        max_length=100,
        description="Bernoulli means of the arms (one best arm; Auer et al.'s distribution 1)",
    )
    runs: int = Field(2000, ge=10, le=100_000, description="independent games per policy")
    horizon: int = Field(100_000, ge=10, le=10_000_000, description="pulls per game (n)")
    n_horizons: int = Field(
        40, ge=8, le=400, description="horizons at which regret is recorded (log-spaced)"
    )
    ucb_bonus: float = Field(
        1.0,
        ge=0,
        le=10,
        description="UCB index mean_j + b·sqrt(2 ln t / n_j): b = 1 is UCB1, b = 0 plain greedy",
    )
    epsilon_c: float = Field(
        0.5, gt=0, le=100, description="ε_n-greedy's c in ε_t = min(1, cK/(d² t))"
    )

    @field_validator("arm_means")
    @classmethod
    def _one_best_arm(cls, v: list[float]) -> list[float]:
        if sum(m == max(v) for m in v) != 1:
            raise ValueError("exactly one arm must have the largest mean (the gaps divide)")
        return v

    @model_validator(mode="after")
    def _late_window(self) -> Config:
        if len(late_window(horizons(self))) < 3:
            raise ValueError(
                f"horizon {self.horizon} with {self.n_horizons} horizons leaves fewer than 3 "
                "recorded horizons in the last decade: raise horizon or n_horizons"
            )
        return self

    def cost(self) -> Cost:
        k, runs = len(self.arm_means), self.runs
        return Cost(
            [
                Workload(
                    f"{len(ALGORITHMS)} policies × {runs} games (Python loop over pulls)",
                    n_params=0,
                    steps=self.horizon,
                    batch_size=runs,
                    # Per pull and game, NumPy's elementwise work (a Beta draw per arm, the
                    # indices, the updates) as measured on the project's CPU: ~0.25 µs + 0.04 µs
                    # per arm, in flops at the cost model's rate (5.2e10/s).
                    extra_flops=self.horizon * runs * (9000.0 + 2000.0 * k),
                    data_bytes=8 * runs * (3 * len(ALGORITHMS) * k + self.n_horizons * 3),
                )
            ],
            what=f"bandits with {runs} runs of {self.horizon} pulls",
        )


SCALES = {
    "smoke": {"runs": 200, "horizon": 2000, "n_horizons": 30},
    "cpu": {},
    "paper": {"runs": 4000, "horizon": 1_000_000, "n_horizons": 60},
}


def horizons(cfg: Config) -> list[int]:
    """The recorded horizons: ``n_horizons`` log-spaced pull counts from 1 to ``horizon``."""
    grid = np.unique(np.geomspace(1, cfg.horizon, cfg.n_horizons).round().astype(int))
    return [int(h) for h in grid]


def late_window(hs: list[int]) -> list[int]:
    """Indices of the horizons in the last decade, ``[n/10, n]``: where the slope is fitted."""
    return [i for i, h in enumerate(hs) if h >= hs[-1] / 10]


def bernoulli_kl(p: np.ndarray, q: float) -> np.ndarray:
    """KL(Bernoulli(p) ‖ Bernoulli(q))."""
    return p * np.log(p / q) + (1 - p) * np.log((1 - p) / (1 - q))


def lai_robbins_constant(means: np.ndarray) -> float:
    """Σ over suboptimal arms of Δ_j / KL(μ_j, μ*): lim inf R_n / ln n of any consistent policy."""
    best = means.max()
    sub = means < best
    return float(((best - means[sub]) / bernoulli_kl(means[sub], best)).sum())


def ucb1_bound(means: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Auer et al.'s Theorem 1: 8 Σ_j ln n / Δ_j + (1 + π²/3) Σ_j Δ_j over suboptimal arms."""
    gaps = means.max() - means
    sub = gaps > 0
    return 8 * np.log(n) * (1 / gaps[sub]).sum() + (1 + math.pi**2 / 3) * gaps[sub].sum()


def per_run_slopes(regret: np.ndarray, hs: list[int]) -> np.ndarray:
    """Least-squares slope of each run's regret against ln n over the last decade. The slope of
    the mean curve is the mean of these (least squares is linear), so their spread over runs
    is its noise."""
    idx = late_window(hs)
    x = np.log(np.asarray(hs, float)[idx])
    x = x - x.mean()
    y = regret[idx]  # (horizons, runs)
    return (x[:, None] * (y - y.mean(0))).sum(0) / (x**2).sum()


def choose_arms(
    alg: str, counts: np.ndarray, wins: np.ndarray, t: int, cfg: Config, d: float, rng
) -> np.ndarray:
    """Each run's arm at pull ``t`` (1-based) under policy ``alg``; counts/wins: (runs, K)."""
    runs, k = counts.shape
    if alg == "thompson":
        return rng.beta(wins + 1, counts - wins + 1).argmax(1)
    pulled = counts > 0
    mean = np.divide(wins, counts, out=np.zeros_like(wins), where=pulled)
    if alg == "ucb1":
        bonus = cfg.ucb_bonus * np.sqrt(2 * math.log(max(t - 1, 1)) / np.maximum(counts, 1))
        # An arm never pulled has an infinite index: UCB1 starts by pulling each arm once.
        return np.where(pulled, mean + bonus, np.inf).argmax(1)
    eps = min(1.0, cfg.epsilon_c * k / (d**2 * t))
    greedy = np.where(pulled, mean, np.inf).argmax(1)
    explore = rng.random(runs) < eps
    return np.where(explore, rng.integers(k, size=runs), greedy)


METRICS = {
    "arm_means": "Bernoulli means of the arms",
    "horizons": "pull counts n at which regret was recorded",
    "runs": "independent games per policy",
    "lai_robbins_constant": "Σ Δ_j / KL(μ_j, μ*) over suboptimal arms",
    "ucb1_log_coefficient": "the ln n coefficient of UCB1's bound, 8 Σ 1/Δ_j",
    "ucb1_bound": "Auer et al.'s Theorem 1 bound at each horizon",
    "mean_regret_ucb1": "UCB1's mean pseudo-regret at each horizon",
    "mean_regret_thompson": "Thompson sampling's mean pseudo-regret at each horizon",
    "mean_regret_epsilon_greedy": "ε_n-greedy's mean pseudo-regret at each horizon",
    "se_regret_ucb1": "standard error of UCB1's mean regret at each horizon",
    "se_regret_thompson": "standard error of Thompson's mean regret at each horizon",
    "se_regret_epsilon_greedy": "standard error of ε_n-greedy's mean regret at each horizon",
    "ucb1_upper_over_bound": "(UCB1 mean regret + one-sided 99% margin, Bonferroni) / bound",
    "late_slope_ucb1": "UCB1: slope of mean regret against ln n over the last decade",
    "late_slope_thompson": "Thompson: slope of mean regret against ln n over the last decade",
    "late_slope_epsilon_greedy": "ε_n-greedy: that slope",
    "late_slope_se_ucb1": "standard error of UCB1's late slope (over runs)",
    "late_slope_se_thompson": "standard error of Thompson's late slope (over runs)",
    "late_slope_se_epsilon_greedy": "standard error of ε_n-greedy's late slope",
    "paired_gap_mean": "mean over runs of final regret, ε_n-greedy − Thompson (same rewards)",
    "paired_gap_se": "its standard error",
    "thompson_lower_runs": "runs in which Thompson's final regret is below ε_n-greedy's",
}

LEVEL = 0.01
LR_BAND = (0.7, 1.3)  # Thompson's late constant / Lai–Robbins: see the module docstring


def _slope_interval(m, alg: str) -> tuple[float, float, float]:
    z = one_sided_z(LEVEL / 2)
    s, se = m[f"late_slope_{alg}"], m[f"late_slope_se_{alg}"]
    return s, s - z * se, s + z * se


def _lai_robbins(m):
    lr = m["lai_robbins_constant"]
    s, lo, hi = (v / lr for v in _slope_interval(m, "thompson"))
    ok = LR_BAND[0] <= lo and hi <= LR_BAND[1]
    return s, ok, f"99% interval {lo:.3f}–{hi:.3f} (band {LR_BAND[0]:g}–{LR_BAND[1]:g})"


def _ucb1_between(m):
    lr = m["lai_robbins_constant"]
    s, lo, hi = _slope_interval(m, "ucb1")
    ok = lo > lr and hi < m["ucb1_log_coefficient"]
    detail = (
        f"99% interval {lo / lr:.2f}–{hi / lr:.2f} × Lai–Robbins; the bound's coefficient is "
        f"{m['ucb1_log_coefficient'] / lr:.1f} ×"
    )
    return s / lr, ok, detail


def _thompson_beats(m):
    gap, se = m["paired_gap_mean"], m["paired_gap_se"]
    z = gap / se if se > 0 else 0.0
    ok = gap > 0 and z > one_sided_z(LEVEL)
    return (
        gap,
        ok,
        f"z = {z:.1f} (needs > {one_sided_z(LEVEL):.2f}); Thompson lower in "
        + (f"{m['thompson_lower_runs']}/{m['runs']} runs"),
    )


CLAIMS = [
    below(
        "ucb1-bound",
        "UCB1's mean regret, with its one-sided 99% margin (Bonferroni over horizons), stays "
        "under Theorem 1's bound at every horizon",
        "E R_n ≤ 8 Σ ln n/Δ_j + (1 + π²/3) Σ Δ_j for all n (Theorem 1)",
        "ucb1_upper_over_bound",
        1.0,
        label="largest (UCB1 regret + 99% margin) / bound",
    ),
    Claim(
        "lai-robbins",
        "Thompson sampling's regret grows like C·ln n with C near the Lai–Robbins constant: the "
        "99% interval of its late slope dR/d ln n lies within "
        f"[{LR_BAND[0]:g}, {LR_BAND[1]:g}] × Σ Δ/KL",
        "lim R_n / ln n = Σ Δ_j / KL(μ_j, μ*), the lower bound, attained by Thompson sampling",
        _lai_robbins,
        scales=("cpu", "paper"),
        reads=(
            "late_slope_thompson",
            "late_slope_se_thompson",
            "lai_robbins_constant",
        ),
        unit="×",
        label="Thompson's late dR/d ln n ÷ Lai–Robbins constant",
    ),
    Claim(
        "ucb1-log-constant",
        "UCB1's regret is logarithmic with a constant above Lai–Robbins (it is not "
        "asymptotically optimal) and below its bound's 8 Σ 1/Δ: the 99% interval of its late "
        "slope dR/d ln n lies strictly between the two",
        "Σ Δ/KL ≤ lim R_n / ln n ≤ 8 Σ 1/Δ_j (Lai–Robbins; Theorem 1)",
        _ucb1_between,
        scales=("cpu", "paper"),
        reads=(
            "late_slope_ucb1",
            "late_slope_se_ucb1",
            "lai_robbins_constant",
            "ucb1_log_coefficient",
        ),
        unit="×",
        label="UCB1's late dR/d ln n ÷ Lai–Robbins constant",
    ),
    Claim(
        "thompson-beats-epsilon-greedy",
        "on the same reward streams, Thompson sampling's final regret is below ε_n-greedy's on "
        f"average over runs, by more than its noise (paired one-sided z-test, p < {LEVEL:g})",
        "Thompson sampling outperforms ε-greedy (Chapelle & Li 2011; Auer et al. compare "
        "UCB1 with ε_n-greedy)",
        _thompson_beats,
        reads=("paired_gap_mean", "paired_gap_se", "thompson_lower_runs", "runs"),
        label="mean final regret, ε_n-greedy − Thompson",
    ),
]


@experiment(
    "bandits",
    title="Bernoulli bandits: UCB1 under its bound, Thompson sampling near Lai–Robbins",
    topic="rl",
    paper=PAPER,
    config=Config,
    scales=SCALES,
    claims=CLAIMS,
    metrics=METRICS,
    lectures=("CS 229br lecture 8",),
)
def run(cfg: Config, ctx: RunContext) -> dict:
    means = np.asarray(cfg.arm_means, float)
    k, runs, n_alg = len(means), cfg.runs, len(ALGORITHMS)
    gaps = means.max() - means
    d = float(gaps[gaps > 0].min())
    hs = horizons(cfg)
    record_at = {h: i for i, h in enumerate(hs)}

    state = TrainState(
        t=0,  # pulls done
        counts=np.zeros((n_alg, runs, k)),
        wins=np.zeros((n_alg, runs, k)),
        regret=np.zeros((n_alg, runs)),
        record=np.zeros((n_alg, len(hs), runs)),
        rewards=ctx.rng("rewards"),
        policy=[ctx.rng("policy", i) for i in range(n_alg)],
    )
    rows = np.arange(runs)

    def play_block(state: TrainState, _: None) -> dict:
        for t in range(state.t + 1, min(state.t + BLOCK, cfg.horizon) + 1):
            u = state.rewards.random(runs)  # the same reward stream for every policy
            for a, alg in enumerate(ALGORITHMS):
                counts, wins = state.counts[a], state.wins[a]
                arm = choose_arms(alg, counts, wins, t, cfg, d, state.policy[a])
                counts[rows, arm] += 1
                wins[rows, arm] += u < means[arm]
                state.regret[a] += gaps[arm]
            if t in record_at:
                state.record[:, record_at[t]] = state.regret
            state.t = t
        return {
            "pulls": state.t,
            **{alg: state.regret[a].mean() for a, alg in enumerate(ALGORITHMS)},
        }

    train_loop(
        state,
        play_block,
        steps=math.ceil(cfg.horizon / BLOCK),
        ctx=ctx,
        log_every=max(1, math.ceil(cfg.horizon / BLOCK) // 20),
        description="pulls (blocks of 500)",
    )

    record = state.record  # (algorithm, horizon, run)
    mean = record.mean(2)
    se = record.std(2, ddof=1) / math.sqrt(runs)
    h = np.asarray(hs, float)
    bound = ucb1_bound(means, h)
    z_bonf = one_sided_z(LEVEL / len(hs))
    upper_ratio = (mean[0] + z_bonf * se[0]) / bound
    slopes = np.stack([per_run_slopes(record[a], hs) for a in range(n_alg)])
    slope_mean = slopes.mean(1)
    slope_se = slopes.std(1, ddof=1) / math.sqrt(runs)
    gap = record[2, -1] - record[1, -1]  # ε_n-greedy − Thompson, run by run
    lr = lai_robbins_constant(means)
    log_coef = float(8 * (1 / gaps[gaps > 0]).sum())

    _plot(cfg, ctx, h, mean, se, bound, lr, log_coef)

    keys = ("ucb1", "thompson", "epsilon_greedy")
    return {
        "arm_means": cfg.arm_means,
        "horizons": hs,
        "runs": runs,
        "lai_robbins_constant": lr,
        "ucb1_log_coefficient": log_coef,
        "ucb1_bound": bound.tolist(),
        **{f"mean_regret_{key}": mean[a].tolist() for a, key in enumerate(keys)},
        **{f"se_regret_{key}": se[a].tolist() for a, key in enumerate(keys)},
        "ucb1_upper_over_bound": upper_ratio.tolist(),
        **{f"late_slope_{key}": float(slope_mean[a]) for a, key in enumerate(keys)},
        **{f"late_slope_se_{key}": float(slope_se[a]) for a, key in enumerate(keys)},
        "paired_gap_mean": float(gap.mean()),
        "paired_gap_se": float(gap.std(ddof=1) / math.sqrt(runs)),
        "thompson_lower_runs": int((gap > 0).sum()),
    }


def _plot(cfg, ctx, h, mean, se, bound, lr, log_coef) -> None:
    z = one_sided_z(LEVEL / 2)
    fig, (ax, ax_ratio) = new_figure(ncols=2)
    labels = ("UCB1", "Thompson sampling", f"ε_n-greedy (c = {cfg.epsilon_c:g})")
    shown = h >= 2  # ln 1 = 0: the log axes start at two pulls
    for a, label in enumerate(labels):
        m, band = mean[a][shown], z * se[a][shown]
        ax.plot(h[shown], m, color=f"C{a}", label=label)
        ax.fill_between(h[shown], np.maximum(m - band, 1e-3), m + band, color=f"C{a}", alpha=0.3)
    ax.plot(h[shown], bound[shown], "k--", lw=1, label="UCB1 bound (Auer et al. Thm 1)")
    ax.plot(h[shown], lr * np.log(h[shown]), "k:", lw=1.5, label="Lai–Robbins: Σ Δ/KL · ln n")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set(
        xlabel="pulls n",
        ylabel="mean pseudo-regret (99% bands)",
        title=f"arms μ = {', '.join(f'{m:g}' for m in cfg.arm_means)}; {cfg.runs} runs",
    )
    ax.legend(fontsize=7, loc="upper left")
    # The constant in front of ln n two ways: regret / ln n (thin), which carries the additive
    # constant along, and the local slope dR/d ln n (thick; the claims' quantity), fitted over
    # a sliding window of ±half a decade of horizons.
    late = h >= 10
    log_h = np.log(h)
    for a, label in enumerate(labels):
        ax_ratio.plot(h[late], mean[a][late] / log_h[late], color=f"C{a}", lw=0.8, ls="--")
        centres, slopes = [], []
        for i in range(len(h)):
            window = np.abs(log_h - log_h[i]) <= math.log(10) / 2
            if h[i] >= 10 and log_h[i] + math.log(10) / 2 <= log_h[-1] + 1e-9:
                centres.append(h[i])
                slopes.append(np.polyfit(log_h[window], mean[a][window], 1)[0])
        ax_ratio.plot(centres, slopes, color=f"C{a}", lw=2, label=label)
    ax_ratio.plot([], [], "k--", lw=0.8, label="thin dashed: regret / ln n")
    ax_ratio.axhline(lr, color="k", ls=":", lw=1.5, label=f"Lai–Robbins constant {lr:.3g}")
    ax_ratio.axhline(log_coef, color="k", ls="--", lw=1, label=f"8 Σ 1/Δ = {log_coef:.3g}")
    ax_ratio.set_xscale("log")
    ax_ratio.set_yscale("log")
    ax_ratio.set(
        xlabel="pulls n",
        ylabel="dR / d ln n (thick), regret / ln n (thin)",
        title="the constant in front of ln n levels off",
    )
    ax_ratio.set_ylim(top=6 * log_coef)  # room for the legend above the curves
    ax_ratio.legend(fontsize=7, loc="upper left", ncol=2)
    ctx.save_figure(fig, "bandits")
