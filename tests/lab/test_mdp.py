"""The tabular MDP building blocks: the grid world's dynamics, exact solutions on a case known in
closed form, and a batched environment that resumes its trajectories."""

from __future__ import annotations

import numpy as np
import pytest

from mltheory.lab import mdp as M


def test_grid_world_is_a_proper_mdp_with_the_shortest_path_optimal():
    world = M.grid_world(3, slip=0.2, gamma=0.9)
    assert world.transitions.shape == (9, 4, 9)
    assert np.allclose(world.transitions.sum(-1), 1)
    # From the corner, "up" bumps into the wall and stays; "right" moves with prob 0.8.
    assert world.transitions[0, 0, 0] == pytest.approx(1.0)
    assert world.transitions[0, 1, 1] == pytest.approx(0.8)
    q = M.value_iteration(world)
    assert M.bellman_residual(world, q) < 1e-10
    policy = M.greedy_policy(q)
    # Every non-goal state moves right or down (towards the bottom-right goal).
    assert set(policy[:-1].tolist()) <= {1, 2}
    assert np.allclose(M.policy_values(world, policy), q.max(1))


def test_value_iteration_and_policy_values_on_a_closed_form():
    # One state, two actions paying 1 and 0.5, self-loop: V* = 1/(1 − γ), Q*(·, 1) = 0.5 + γV*.
    world = M.TabularMDP(np.ones((1, 2, 1)), np.array([[1.0, 0.5]]), gamma=0.8)
    q = M.value_iteration(world)
    assert q[0, 0] == pytest.approx(5.0) and q[0, 1] == pytest.approx(4.5)
    assert M.policy_values(world, np.array([1]))[0] == pytest.approx(2.5)


def test_walkers_sample_the_transition_law_and_resume():
    world = M.grid_world(2, slip=0.3, gamma=0.9)
    walkers = M.MDPWalkers(world, 20_000, np.random.default_rng(0))
    s, r, nxt = walkers.step(np.full(20_000, 1))  # everyone tries "right" from the start
    assert (s == 0).all() and (r == 0).all()
    assert (nxt == 1).mean() == pytest.approx(0.7, abs=0.02)
    assert set(np.unique(nxt).tolist()) == {0, 1}
    saved = walkers.state_dict()
    first = walkers.step(np.full(20_000, 2))[2]
    walkers.load_state_dict(saved)
    again = walkers.step(np.full(20_000, 2))[2]
    assert np.array_equal(first, again)
