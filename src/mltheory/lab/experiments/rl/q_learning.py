"""Tabular Q-learning converges to Q* computed by value iteration; its greedy policy is optimal.

Paper: Watkins & Dayan (1992), "Q-learning" (Machine Learning 8, doi 10.1007/BF00992698): the
convergence theorem for tabular Q-learning when every state–action pair is tried infinitely
often and the step sizes satisfy Σ α = ∞, Σ α² < ∞ (Robbins–Monro); the polynomial schedule
below is the one Even-Dar & Mansour (2003, "Learning rates for Q-learning") analyse. CS 229br
lecture 8.

The MDP is a small grid world (``mltheory.lab.mdp.grid_world``): 4 × 4 cells, start at the
top-left, any action in the bottom-right goal pays 1 and returns to the start, each move fails
(the agent stays put) with probability 0.3, discount γ = 0.9. Its Q* comes from value
iteration (to a Bellman residual below 1e-12). Several independent learners (``learners``)
run side by side, batched as arrays; each acts ε-greedily on its own Q with ε = 1 by default
(uniform actions: Q-learning is off-policy, so the behaviour only has to visit every pair) and
updates

    Q(s, a) ← Q(s, a) + α_n (r + γ max_a' Q(s', a') − Q(s, a)),   α_n = c / n^ω

with n the number of visits of (s, a) so far (this one included), c = 1 and ω = 0.6 (ω in
(1/2, 1] satisfies Robbins–Monro; ω = 1 is provably slow for γ near 1, Even-Dar & Mansour).
The environment loop runs on the training engine (blocks of 1 000 steps per engine step), so a
killed run resumes at its last checkpoint and ends identical.

Claims and tolerances (cpu scale: 300 000 steps per learner, about 4 700 visits per state–action pair):
* every learner's ‖Q − Q*‖∞ / ‖Q*‖∞ ends below 5% (measured 1.9–2.3% on seeds 0–4);
* the error is still falling like a power of the steps at the end: each learner's log-log
  slope of its error over the last decade of steps is fitted, and their mean must be below
  zero by more than its noise (one-sided t-test over the independent learners, p < 0.01).
  Stochastic approximation with α_n ∝ n^−ω leaves noise of order sqrt(α_n) ∝ n^−ω/2 = n^−0.3
  (the bias from the zero start decays faster); measured −0.18 to −0.23 on seeds 0–4 with
  16 learners. A constant step size stalls at a noise floor (slope ≈ 0);
* every learner's greedy policy is optimal: its exact value (a linear solve) equals V* in every
  state to 1e-9 of ‖V*‖∞. The grid world's action gaps are ≥ 4% of ‖Q*‖∞ wherever two actions
  are not exactly tied, so this is not decided by rounding.

Scales (one core of a 2-core laptop CPU):
    smoke  3 × 3 grid, 4 learners × 20 000 steps
    cpu    4 × 4 grid, 16 learners × 300 000 steps
    paper  6 × 6 grid, 16 learners × 3 000 000 steps

.. evidence: begin
Evidence (written by ``mlt evidence`` from evidence/cpu-seeds3; do not edit):
cpu scale, seeds 0–2, 37 s per seed: reproduces on 3/3 seeds; 2026-11-29, AMD EPYC, 2 cores, torch 2.13.0+cpu, 1 thread(s).
    converges: 2.18% [1.67%, 2.7%] (3/3 seeds)
    error-decays: -0.2292 [-0.2407, -0.2177] (3/3 seeds)
    greedy-optimal: -5.543e-12 [-5.543e-12, -5.543e-12] (3/3 seeds)
smoke scale: 3.7 s per seed, reproduces on 3/3 seeds.
Reproduce: ``mlt reproduce --scale cpu --seeds 3 --out cpu-seeds3``
.. evidence: end
Command: ``mlt run q-learning --scale cpu --seed 0``
"""

from __future__ import annotations

import math

import numpy as np
from pydantic import Field
from scipy import stats

from mltheory.lab.claims import below, fitted_slope
from mltheory.lab.context import RunContext
from mltheory.lab.engine import TrainState, train_loop
from mltheory.lab.estimate import Cost, Workload
from mltheory.lab.figures import new_figure
from mltheory.lab.mdp import (
    GRID_MOVES,
    MDPWalkers,
    bellman_residual,
    greedy_policy,
    grid_world,
    policy_values,
    value_iteration,
)
from mltheory.lab.spec import Claim, ExperimentConfig, Paper, experiment

PAPER = Paper(
    title="Q-learning",
    authors="Watkins, Dayan",
    year=1992,
    doi="10.1007/BF00992698",
    reproduces="the convergence theorem: tabular Q-learning with Robbins–Monro step sizes "
    "converges to Q*, and its greedy policy is optimal",
)

BLOCK = 1000  # environment steps per engine step (checkpoint and progress granularity)


class Config(ExperimentConfig):
    grid_size: int = Field(4, ge=2, le=20, description="side of the square grid world")
    slip: float = Field(
        0.3, ge=0, lt=1, description="probability that a move fails (the agent stays put)"
    )
    gamma: float = Field(0.9, gt=0, lt=1, description="discount factor γ")
    learners: int = Field(16, ge=2, le=1024, description="independent Q-learners (batched)")
    steps: int = Field(300_000, ge=10, le=100_000_000, description="environment steps per learner")
    step_scale: float = Field(
        1.0, gt=0, le=1, description="c in the step size α_n = c / n^ω (n: visits of (s, a))"
    )
    step_exponent: float = Field(
        0.6,
        ge=0,
        le=1,
        description="ω in α_n = c / n^ω; Robbins–Monro needs ω in (1/2, 1]; 0 is a constant step",
    )
    epsilon: float = Field(
        1.0, ge=0, le=1, description="behaviour policy: ε-greedy on the learner's Q (1: uniform)"
    )
    n_records: int = Field(
        60, ge=8, le=2000, description="log-spaced steps at which ‖Q − Q*‖∞ is recorded"
    )

    def cost(self) -> Cost:
        n_sa = self.grid_size**2 * len(GRID_MOVES)
        return Cost(
            [
                Workload(
                    f"{self.learners} Q-learners × {self.steps} environment steps",
                    n_params=0,
                    steps=self.steps,
                    batch_size=self.learners,
                    # Measured on the project's CPU: ~33 µs of NumPy calls per environment step
                    # (a third of the cost model's step overhead), ~0.3 µs per learner and step
                    # (~15 000 flops at its rate) plus the transition draw's scan of a row;
                    # value iteration up front.
                    overhead_per_step=0.3,
                    extra_flops=self.steps * self.learners * (15000.0 + 4.0 * self.grid_size**2)
                    + 2000.0 * n_sa * self.grid_size**2,
                    data_bytes=8 * (2 * self.learners * n_sa + n_sa * self.grid_size**2),
                )
            ],
            what=f"q-learning with {self.learners} learners × {self.steps} steps",
        )


SCALES = {
    "smoke": {"grid_size": 3, "learners": 4, "steps": 20_000, "n_records": 30},
    "cpu": {},
    "paper": {"grid_size": 6, "learners": 16, "steps": 3_000_000, "n_records": 100},
}

CONVERGED_TOL = 0.05  # final ‖Q − Q*‖∞ / ‖Q*‖∞ of every learner
LEVEL = 0.01  # the late slopes must be negative beyond their noise at this level
OPTIMAL_TOL = 1e-9  # (V* − V^greedy) / ‖V*‖∞ in every state

METRICS = {
    "n_states": "states of the grid world",
    "q_star_max": "‖Q*‖∞ (value iteration)",
    "q_star_residual": "Bellman residual of the value-iteration Q*",
    "min_action_gap": "smallest non-zero gap between a state's best and another action in Q*",
    "record_steps": "environment steps at which errors were recorded",
    "rel_error_median": "median over learners of ‖Q − Q*‖∞ / ‖Q*‖∞ at each recorded step",
    "rel_error_max": "largest over learners of ‖Q − Q*‖∞ / ‖Q*‖∞ at each recorded step",
    "final_rel_error": "every learner's final ‖Q − Q*‖∞ / ‖Q*‖∞",
    "late_slopes": "each learner's log-log slope of its error over the last decade of steps",
    "step_exponent": "ω of the step sizes α_n = c / n^ω",
    "greedy_value_loss": "every learner's max_s (V* − V^greedy)(s) / ‖V*‖∞ (exact values)",
    "suboptimal_states": "states in which some learner's greedy action loses value",
    "min_visits": "fewest visits of any (s, a) by any learner",
}


def _error_decays(m):
    slopes = np.asarray(m["late_slopes"], float)
    if len(slopes) < 2:
        return float(slopes.mean()), False, "needs at least two learners"
    mean, se = slopes.mean(), slopes.std(ddof=1) / math.sqrt(len(slopes))
    upper = mean + stats.t.isf(LEVEL, len(slopes) - 1) * se
    detail = f"99% upper bound {upper:.3f}; noise-limited rate −ω/2 = −{m['step_exponent'] / 2:g}"
    return float(mean), bool(upper < 0), detail


CLAIMS = [
    below(
        "converges",
        f"every learner's Q ends within {CONVERGED_TOL:.0%} of Q* (sup norm, relative to ‖Q*‖∞)",
        "Q_n → Q* with probability 1 (Watkins & Dayan 1992)",
        "final_rel_error",
        CONVERGED_TOL,
        label="largest final ‖Q − Q*‖∞ / ‖Q*‖∞",
        unit="%",
        scales=("cpu", "paper"),
    ),
    Claim(
        "error-decays",
        "the error is still falling at the end, as a power of the steps: the mean over learners "
        "of the log-log slope of ‖Q − Q*‖∞ over the last decade of steps is below zero by more "
        f"than its noise (one-sided t-test over learners, p < {LEVEL:g})",
        "convergence with Robbins–Monro steps; noise ∝ sqrt(α_n) ∝ n^−ω/2 (here −0.3)",
        _error_decays,
        reads=("late_slopes", "step_exponent"),
        label="mean late log-log slope of ‖Q − Q*‖∞",
    ),
    below(
        "greedy-optimal",
        "every learner's greedy policy is optimal: its exact value equals V* in every state "
        f"(to {OPTIMAL_TOL:g} of ‖V*‖∞)",
        "the greedy policy of Q* is optimal; Q_n → Q* makes the learned greedy policy optimal",
        "greedy_value_loss",
        OPTIMAL_TOL,
        label="largest (V* − V^greedy) / ‖V*‖∞ over learners and states",
    ),
]


def record_steps(cfg: Config) -> list[int]:
    """Log-spaced steps from 1 to ``steps`` (distinct integers)."""
    grid = np.geomspace(1, cfg.steps, cfg.n_records).round().astype(int)
    return [int(s) for s in np.unique(grid)]


def min_action_gap(q_star: np.ndarray, ties: float = 1e-9) -> float:
    """The smallest gap between a state's best action and any action not tied with it."""
    gaps = q_star.max(1, keepdims=True) - q_star
    return float(gaps[gaps > ties * max(1.0, np.abs(q_star).max())].min())


@experiment(
    "q-learning",
    title="Tabular Q-learning converges to Q* (value iteration); its greedy policy is optimal",
    topic="rl",
    paper=PAPER,
    config=Config,
    scales=SCALES,
    claims=CLAIMS,
    metrics=METRICS,
    lectures=("CS 229br lecture 8",),
)
def run(cfg: Config, ctx: RunContext) -> dict:
    mdp = grid_world(cfg.grid_size, cfg.slip, cfg.gamma)
    q_star = value_iteration(mdp)
    q_scale = float(np.abs(q_star).max())
    n_s, n_a, n_l = mdp.n_states, mdp.n_actions, cfg.learners
    steps_at = record_steps(cfg)
    record_at = {s: i for i, s in enumerate(steps_at)}
    learners = np.arange(n_l)

    state = TrainState(
        env=MDPWalkers(mdp, n_l, ctx.rng("environment")),
        behaviour=ctx.rng("behaviour"),
        q=np.zeros((n_l, n_s, n_a)),
        visits=np.zeros((n_l, n_s, n_a)),
        errors=np.zeros((len(steps_at), n_l)),
        t=0,
    )

    def q_learning_block(state: TrainState, _: None) -> dict:
        q, visits, env, rng = state.q, state.visits, state.env, state.behaviour
        for t in range(state.t + 1, min(state.t + BLOCK, cfg.steps) + 1):
            greedy = q[learners, env.positions].argmax(1)
            explore = rng.random(n_l) < cfg.epsilon
            actions = np.where(explore, rng.integers(n_a, size=n_l), greedy)
            s, r, s_next = env.step(actions)
            visits[learners, s, actions] += 1
            alpha = cfg.step_scale * visits[learners, s, actions] ** -cfg.step_exponent
            target = r + cfg.gamma * q[learners, s_next].max(1)
            q[learners, s, actions] += alpha * (target - q[learners, s, actions])
            if t in record_at:
                state.errors[record_at[t]] = np.abs(q - q_star).max((1, 2)) / q_scale
            state.t = t
        return {"env_steps": state.t, "median_rel_error": float(np.median(state.errors[-1]))}

    n_blocks = math.ceil(cfg.steps / BLOCK)
    train_loop(
        state,
        q_learning_block,
        steps=n_blocks,
        ctx=ctx,
        log_every=max(1, n_blocks // 20),
        description=f"Q-learning (blocks of {BLOCK} steps)",
    )

    errors = state.errors  # (records, learners)
    median = np.median(errors, 1)
    late = [i for i, s in enumerate(steps_at) if s >= cfg.steps / 10]
    slopes = [fitted_slope([steps_at[i] for i in late], errors[late, j]) for j in range(n_l)]
    v_star = q_star.max(1)
    policies = greedy_policy(state.q)  # (learners, states)
    losses = np.stack([v_star - policy_values(mdp, p) for p in policies]) / np.abs(v_star).max()
    suboptimal = sorted({int(s) for s in np.nonzero(losses > OPTIMAL_TOL)[1]})

    _plot(cfg, ctx, mdp, steps_at, errors, median, v_star, policies[0], losses[0])

    return {
        "n_states": n_s,
        "q_star_max": q_scale,
        "q_star_residual": bellman_residual(mdp, q_star),
        "min_action_gap": min_action_gap(q_star),
        "record_steps": steps_at,
        "rel_error_median": median.tolist(),
        "rel_error_max": errors.max(1).tolist(),
        "final_rel_error": errors[-1].tolist(),
        "late_slopes": slopes,
        "step_exponent": cfg.step_exponent,
        "greedy_value_loss": losses.max(1).tolist(),
        "suboptimal_states": suboptimal,
        "min_visits": int(state.visits.min()),
    }


def _plot(cfg, ctx, mdp, steps_at, errors, median, v_star, policy, loss) -> None:
    fig, (ax, ax_grid) = new_figure(ncols=2)
    t = np.asarray(steps_at, float)
    for i in range(errors.shape[1]):
        ax.plot(t, errors[:, i], color="C0", lw=0.7, alpha=0.4)
    ax.plot(t, median, color="C0", lw=2, label=f"median of {errors.shape[1]} learners")
    # The noise-limited rate sqrt(α_n) ∝ n^−ω/2, anchored at the last median error.
    tail = t[t >= cfg.steps / 100]
    rate = cfg.step_exponent / 2
    ax.plot(
        tail,
        median[-1] * (tail / t[-1]) ** -rate,
        "k--",
        lw=1,
        label=f"∝ steps^−ω/2 = steps^−{rate:g}",
    )
    ax.axhline(CONVERGED_TOL, color="C3", ls=":", lw=1, label=f"{CONVERGED_TOL:.0%} (claim)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set(
        xlabel="environment steps per learner",
        ylabel="‖Q − Q*‖∞ / ‖Q*‖∞",
        title=f"α_n = {cfg.step_scale:g}/n^{cfg.step_exponent:g}, ε = {cfg.epsilon:g}",
    )
    ax.legend(fontsize=7)

    size = cfg.grid_size
    image = ax_grid.imshow(v_star.reshape(size, size), cmap="viridis")
    fig.colorbar(image, ax=ax_grid, label="V* (value iteration)")
    for s in range(mdp.n_states - 1):  # the goal's actions are all alike
        row, col = divmod(s, size)
        dr, dc = GRID_MOVES[policy[s]]
        color = "white" if loss[s] <= OPTIMAL_TOL else "red"
        ax_grid.arrow(
            col - 0.25 * dc, row - 0.25 * dr, 0.4 * dc, 0.4 * dr, head_width=0.15, color=color
        )
    ax_grid.text(size - 1, size - 1, "goal", ha="center", va="center", color="k", fontsize=8)
    ax_grid.set(
        xticks=[],
        yticks=[],
        title="learner 1's greedy policy (white: optimal, red: not)",
    )
    ctx.save_figure(fig, "q_learning")
