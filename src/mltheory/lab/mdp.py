"""Small tabular MDPs: a grid world, exact solutions, and a batched, checkpointable environment.

A :class:`TabularMDP` holds the transition tensor ``P[s, a, s']`` and the mean rewards
``R[s, a]`` of a discounted MDP. The exact references an experiment compares a learner against
are computed here: :func:`value_iteration` (Q*), :func:`policy_values` (the exact value of a
deterministic policy, by a linear solve) and :func:`greedy_policy`. :class:`MDPWalkers` steps
many independent copies of the MDP at once (one NumPy array per step, no Python loop over
copies) and has ``state_dict()`` / ``load_state_dict()``, so the training engine checkpoints it
like any model (``mltheory.lab.engine``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

# Grid moves, in action order: up, right, down, left (row, column offsets).
GRID_MOVES = ((-1, 0), (0, 1), (1, 0), (0, -1))
GRID_ACTION_NAMES = ("up", "right", "down", "left")


@dataclass(frozen=True)
class TabularMDP:
    transitions: np.ndarray  # (S, A, S): P[s, a, s'], rows sum to one
    rewards: np.ndarray  # (S, A): mean reward of taking a in s
    gamma: float  # discount in [0, 1)
    start: int = 0  # where an episode starts (grid world: the top-left corner)

    @property
    def n_states(self) -> int:
        return self.rewards.shape[0]

    @property
    def n_actions(self) -> int:
        return self.rewards.shape[1]


def grid_world(size: int, slip: float, gamma: float) -> TabularMDP:
    """A ``size × size`` grid: start at the top-left corner, goal at the bottom-right.

    Each action moves one cell (up, right, down, left); with probability ``slip`` the agent
    stays where it is instead, and a move into the border also leaves it in place. Any action
    in the goal pays 1 and returns the agent to the start: a continuing, discounted task whose
    optimal policy walks the shortest path. Slipping in place (rather than sideways) keeps the
    action gaps of Q* large wherever they are not exact ties: two moves from a cell differ by
    the values of the cells they lead to."""
    n_states = size * size
    goal, start = n_states - 1, 0
    p = np.zeros((n_states, len(GRID_MOVES), n_states))
    r = np.zeros((n_states, len(GRID_MOVES)))
    for s in range(n_states):
        row, col = divmod(s, size)
        for a, (dr, dc) in enumerate(GRID_MOVES):
            if s == goal:
                p[s, a, start], r[s, a] = 1.0, 1.0
                continue
            to = min(max(row + dr, 0), size - 1) * size + min(max(col + dc, 0), size - 1)
            p[s, a, to] += 1 - slip
            p[s, a, s] += slip
    return TabularMDP(p, r, gamma, start)


def value_iteration(mdp: TabularMDP, tol: float = 1e-12, max_iter: int = 100_000) -> np.ndarray:
    """Q*: iterate ``Q ← R + γ P max_a' Q`` until successive iterates differ by less than
    ``tol`` (sup norm); the error to the fixed point is then below ``γ tol / (1 − γ)``."""
    q = np.zeros_like(mdp.rewards)
    for _ in range(max_iter):
        new = mdp.rewards + mdp.gamma * mdp.transitions @ q.max(1)
        if np.abs(new - q).max() < tol:
            return new
        q = new
    raise RuntimeError(f"value iteration did not reach {tol:g} in {max_iter} sweeps")


def bellman_residual(mdp: TabularMDP, q: np.ndarray) -> float:
    """‖R + γ P max Q − Q‖∞: zero exactly at Q*."""
    return float(np.abs(mdp.rewards + mdp.gamma * mdp.transitions @ q.max(1) - q).max())


def greedy_policy(q: np.ndarray) -> np.ndarray:
    """argmax_a Q[..., s, a] (the first of tied actions)."""
    return q.argmax(-1)


def policy_values(mdp: TabularMDP, policy: np.ndarray) -> np.ndarray:
    """The exact value V^π of a deterministic policy: solve (I − γ P_π) V = R_π."""
    states = np.arange(mdp.n_states)
    p_pi = mdp.transitions[states, policy]
    r_pi = mdp.rewards[states, policy]
    return np.linalg.solve(np.eye(mdp.n_states) - mdp.gamma * p_pi, r_pi)


class MDPWalkers:
    """``n`` independent agents in copies of one MDP, stepped together.

    ``step(actions)`` moves every agent (``actions``: one per agent) and returns
    ``(states, rewards, next_states)``; rewards are the MDP's mean rewards (the grid world's are
    deterministic). All randomness comes from ``rng``; the state dict holds the positions and
    the generator's state, so a resumed run continues the same trajectories."""

    def __init__(self, mdp: TabularMDP, n: int, rng: np.random.Generator) -> None:
        self.mdp, self.rng = mdp, rng
        self.cumulative = mdp.transitions.cumsum(-1)
        self.positions = np.full(n, mdp.start)

    def step(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        s = self.positions
        u = self.rng.random(len(s))
        # The next state is the first s' whose cumulative probability exceeds u.
        nxt = (u[:, None] >= self.cumulative[s, actions]).sum(1)
        nxt = np.minimum(nxt, self.mdp.n_states - 1)  # guards rounding of the last cumsum
        self.positions = nxt
        return s, self.mdp.rewards[s, actions], nxt

    def state_dict(self) -> dict[str, Any]:
        return {"positions": self.positions.copy(), "rng": self.rng.bit_generator.state}

    def load_state_dict(self, saved: dict[str, Any]) -> None:
        self.positions = saved["positions"].copy()
        self.rng.bit_generator.state = saved["rng"]
